"""How long a simulation takes: in-process `simulate` (cold and warm) and the whole CLI process.

Run: python benchmarks/bench_run.py [--repeat 5] [--accel accelerators/squeezelerator_32x32.yaml]

* cold   — every memoised layer cost cleared before each run (a new accelerator or network);
* warm   — the same simulation again (per-layer results are cached by value, so a repeated or
           partly repeated run costs little);
* process — `sqnxt-sim run NETWORK --accel ACCEL --format csv` end to end, interpreter start-up
           and imports included, in this environment: an editable install has no cached
           bytecode, and where ``PYTHONDONTWRITEBYTECODE`` is set (as on the machine the
           README's figures come from) every process compiles the package's source again;
* cached — the same command with bytecode cached, as Python does by default and a regular
           ``pip install`` does at install time (the cache goes to a temporary folder,
           ``PYTHONPYCACHEPREFIX``, written by one untimed run first: nothing is written to
           the working tree).
Medians of --repeat runs.  Prints a Markdown table, with the figures measured before the speed
work of issue 15 (commit c5e1a60, the README's table then) in brackets; "process CPU" is the
user + system time of the whole process (steadier than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# before issue 15 (commit c5e1a60, 2-core machine, squeezelerator_32x32, medians of 5):
# network -> (cold simulate ms, warm simulate ms, whole process ms)
BEFORE = {
    "AlexNet": (89.3, 0.3, 512.6),
    "AlexNet (torchvision)": (70.4, 0.3, 462.1),
    "DeiT-Tiny": (105.5, 1.5, 557.6),
    "1.0-G-SqNxt-23": (108.0, 2.1, 542.1),
    "MobileNet v1 1.0-224": (114.9, 0.6, 533.3),
    "MobileNet v2 1.0-224": (121.4, 1.1, 566.8),
    "ResNet-18": (295.9, 0.6, 730.8),
    "ResNet-50": (502.3, 1.3, 1064.4),
    "1.0-SqNxt-23": (91.3, 2.1, 495.0),
    "1.5-SqNxt-23": (120.3, 2.2, 500.1),
    "2.0-SqNxt-23": (161.8, 2.2, 489.5),
    "1.0-SqNxt-23v2": (87.8, 2.2, 437.9),
    "1.0-SqNxt-23v3": (84.0, 2.1, 440.9),
    "1.0-SqNxt-23v4": (85.9, 2.1, 420.4),
    "1.0-SqNxt-23v5": (77.7, 2.1, 423.1),
    "2.0-SqNxt-23v5": (145.1, 2.1, 520.1),
    "1.0-SqNxt-44": (97.9, 4.0, 458.6),
    "2.0-SqNxt-44": (162.9, 4.0, 536.7),
    "SqueezeNet v1.0": (233.2, 0.6, 596.8),
    "SqueezeNet v1.1": (102.4, 0.6, 467.2),
    "Tiny Darknet": (82.3, 0.4, 427.4),
    "VGG-19": (471.5, 0.5, 893.9),
}


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
    cache_dir = tempfile.TemporaryDirectory()
    cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached_env["PYTHONPYCACHEPREFIX"] = cache_dir.name
    print(f"accelerator: {args.accel}; medians of {args.repeat} runs\n")
    print("| network | layers | cold simulate (ms) [before] | warm simulate (ms) [before] | "
          "whole process (ms) [before] | process CPU (ms) | whole process, bytecode cached "
          "(ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for path in sorted((ROOT / "networks").glob("*.yaml")):
        net = load_network(path)
        cold, warm, proc, cpu, cached = [], [], [], [], []
        command = [str(exe), "run", str(path), "--accel", args.accel, "-f", "csv"]
        if not args.no_process:       # (writes the bytecode cache, untimed)
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=cached_env)
        for _ in range(args.repeat):
            clear_caches()
            t = time.perf_counter()
            simulate(net, acc)
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            simulate(net, acc)
            warm.append(time.perf_counter() - t)
            if not args.no_process:
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
                proc.append(time.perf_counter() - t)
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
                t = time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=cached_env)
                cached.append(time.perf_counter() - t)
        med = lambda xs: f"{1000 * statistics.median(xs):.1f}" if xs else "-"  # noqa: E731
        old = BEFORE.get(net.name)
        was = (lambda i, old=old: f" [{old[i]}]" if old else "")  # noqa: E731
        print(f"| {net.name} | {len(net.compute_nodes)} | {med(cold)}{was(0)} | "
              f"{med(warm)}{was(1)} | {med(proc)}{was(2)} | {med(cpu)} | {med(cached)} |",
              flush=True)
    cache_dir.cleanup()


if __name__ == "__main__":
    main()
