"""How long a simulation takes: in-process `simulate` (cold and warm) and the whole CLI process.

Run: python benchmarks/bench_run.py [--repeat 5] [--accel accelerators/squeezelerator_32x32.yaml]

* cold   — every memoised layer cost cleared before each run (a new accelerator or network);
* warm   — the same simulation again (per-layer results are cached by value, so a repeated or
           partly repeated run costs little);
* process — `sqnxt-sim run NETWORK --accel ACCEL --format csv` end to end, interpreter start-up
           and imports included.
Medians of --repeat runs.  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--accel", default=str(ROOT / "accelerators" / "squeezelerator_32x32.yaml"))
    ap.add_argument("--no-process", action="store_true", help="skip the whole-process timing")
    args = ap.parse_args()

    from sqnxt_sim.hardware.accelerator import load_accelerator
    from sqnxt_sim.network.yaml_io import load_network
    from sqnxt_sim.simulate import clear_caches, simulate

    acc = load_accelerator(args.accel)
    exe = Path(sys.executable).with_name("sqnxt-sim")
    print(f"accelerator: {args.accel}; medians of {args.repeat} runs\n")
    print("| network | layers | cold simulate (ms) | warm simulate (ms) | whole process (ms) |")
    print("|---|---:|---:|---:|---:|")
    for path in sorted((ROOT / "networks").glob("*.yaml")):
        net = load_network(path)
        cold, warm, proc = [], [], []
        for _ in range(args.repeat):
            clear_caches()
            t = time.perf_counter()
            simulate(net, acc)
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            simulate(net, acc)
            warm.append(time.perf_counter() - t)
            if not args.no_process:
                t = time.perf_counter()
                subprocess.run([str(exe), "run", str(path), "--accel", args.accel, "-f", "csv"],
                               check=True, stdout=subprocess.DEVNULL)
                proc.append(time.perf_counter() - t)
        med = lambda xs: f"{1000 * statistics.median(xs):.1f}" if xs else "-"  # noqa: E731
        print(f"| {net.name} | {len(net.compute_nodes)} | {med(cold)} | {med(warm)} | "
              f"{med(proc)} |", flush=True)


if __name__ == "__main__":
    main()
