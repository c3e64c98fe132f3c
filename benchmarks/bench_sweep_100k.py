"""A real 100,980-point sweep end to end: 1.0-SqNxt-23 over a grid of the same kind as
bench_sweep.py's, about fifty times bigger, run as one `sqnxt-sim sweep` process.

Run: python benchmarks/bench_sweep_100k.py [--jobs 2] [--network networks/sqnxt23.yaml]

Prints the wall time, points per second, the CPU seconds of the sweep and its workers, the
peak resident memory (ru_maxrss of the waited-for children: the sweep process and its
workers) and the size of the results file, which is written to a temporary directory.

The space: rows, cols ∈ {8, 12, 16, 20, 24, 28, 32, 40, 48, 64} with rows ≥ cols (55 arrays)
× rf.registers ∈ {4, 8, 16, 32} × global_buffer.kb ∈ {32, 48, 64, 96, 128, 192, 256, 384,
512} × dram.bandwidth_gbps ∈ {4, 5, …, 54} (51 values) = 100,980 points.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
name: bench_100k
accelerator: {root}/accelerators/squeezelerator_32x32.yaml
networks: [{network}]
grid:
  pe_array.rows: [8, 12, 16, 20, 24, 28, 32, 40, 48, 64]
  pe_array.cols: [8, 12, 16, 20, 24, 28, 32, 40, 48, 64]
  rf.registers: [4, 8, 16, 32]
  global_buffer.kb: [32, 48, 64, 96, 128, 192, 256, 384, 512]
  dram.bandwidth_gbps: {{start: 4, stop: 54, step: 1}}
filters:
  - rows >= cols
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--network", default=str(ROOT / "networks" / "sqnxt23.yaml"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "bench.yaml"
        spec.write_text(SPEC.format(root=ROOT, network=args.network), encoding="utf-8")
        from sqnxt_sim.sweep.spec import load_sweep
        n = load_sweep(spec).count()
        out = Path(tmp) / "out.csv"
        exe = Path(sys.executable).with_name("sqnxt-sim")
        cmd = [str(exe), "sweep", str(spec), "--out", str(out), "--quiet",
               "--jobs", str(args.jobs)]
        print(f"{n:,} points, {Path(args.network).name}; command: sqnxt-sim sweep SPEC --out "
              f"out.csv --jobs {args.jobs}", flush=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        dt = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rows = sum(1 for _ in out.open(encoding="utf-8")) - 1
        scale = 1 / 1024 if sys.platform != "darwin" else 1 / 2**20
        print(f"wall {dt:.0f} s, {n / dt:.0f} points/s; CPU {cpu:.0f} s "
              f"({n / cpu:.0f} points per CPU-second); {rows:,} rows, "
              f"{os.path.getsize(out) / 2**20:.0f} MiB of CSV")
        print(f"peak memory (max ru_maxrss of the sweep and its workers): "
              f"{after.ru_maxrss * scale:.0f} MiB")


if __name__ == "__main__":
    main()
