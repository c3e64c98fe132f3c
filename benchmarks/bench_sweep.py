"""Sweep throughput: a 2,000-point sweep of 1.0-SqNxt-23 over array size, RF size, buffer size
and DRAM bandwidth, run as a whole `sqnxt-sim sweep` process.

Run: python benchmarks/bench_sweep.py [--repeat 3] [--jobs N] [--network networks/sqnxt23.yaml]
     python benchmarks/bench_sweep.py --profile 200     # cProfile of 200 points in-process

Prints points per second (whole process, interpreter start-up and imports included; median of
--repeat runs), the CPU seconds of the sweep and its workers per run (steadier than wall time
on a shared machine) and the peak resident memory of the sweep process and its workers
(resource.getrusage ru_maxrss of this process and of its waited-for children), next to the
figures measured before the speed work of issue 15 (commit c5e1a60).

The space: rows, cols ∈ {8, 16, 24, 32} with rows ≥ cols (10 arrays) × rf.registers ∈
{4, 8, 16, 32} × global_buffer.kb ∈ {32 … 512} (×2) × dram.bandwidth_gbps ∈ {4 … 32}
(10 values) = 2,000 points, array fields outermost (the order a sweep should list them in).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
name: bench_2000
accelerator: {root}/accelerators/squeezelerator_32x32.yaml
networks: [{network}]
grid:
  pe_array.rows: [8, 16, 24, 32]
  pe_array.cols: [8, 16, 24, 32]
  rf.registers: [4, 8, 16, 32]
  global_buffer.kb: {{start: 32, stop: 512, factor: 2}}
  dram.bandwidth_gbps: [4, 6, 8, 10, 12, 16, 20, 24, 28, 32]
filters:
  - rows >= cols
"""


# before issue 15 (commit c5e1a60, 2-core machine, --jobs 2, median of 3)
BEFORE = {"points/s": 120, "peak MiB": 250}


def _maxrss_mb(who) -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 2**20
    return resource.getrusage(who).ru_maxrss * scale


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="sweep --jobs (default: all cores)")
    ap.add_argument("--network", default=str(ROOT / "networks" / "sqnxt23.yaml"))
    ap.add_argument("--profile", type=int, metavar="N", default=0,
                    help="instead: cProfile the first N points in this process (jobs=1)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "bench.yaml"
        spec.write_text(SPEC.format(root=ROOT, network=args.network), encoding="utf-8")
        if args.profile:
            profile(spec, Path(tmp) / "p.csv", args.profile)
            return
        from sqnxt_sim.sweep.spec import load_sweep
        n = load_sweep(spec).count()
        exe = Path(sys.executable).with_name("sqnxt-sim")
        cmd = [str(exe), "sweep", str(spec), "--out", str(Path(tmp) / "out.csv"), "--quiet"]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        print(f"{n} points, {Path(args.network).name}; command: sqnxt-sim sweep SPEC --out "
              f"out.csv{' --jobs ' + str(args.jobs) if args.jobs else ''}")
        rates = []
        for i in range(args.repeat):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(cmd, check=True)
            dt = time.perf_counter() - t
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
            rates.append(n / dt)
            print(f"  run {i + 1}: {dt:.1f} s, {n / dt:.1f} points/s, {cpu:.1f} CPU-s "
                  f"({n / cpu:.0f} points per CPU-second)", flush=True)
        peak = max(_maxrss_mb(resource.RUSAGE_SELF), _maxrss_mb(resource.RUSAGE_CHILDREN))
        print(f"points/s (median of {args.repeat}): {statistics.median(rates):.1f} "
              f"[before: {BEFORE['points/s']}]")
        print(f"peak memory (max ru_maxrss of self and children): {peak:.0f} MiB "
              f"[before: {BEFORE['peak MiB']}]")


def profile(spec: Path, out: Path, n: int) -> None:
    import cProfile
    import pstats

    from sqnxt_sim.sweep.run import run_sweep
    from sqnxt_sim.sweep.spec import load_sweep

    s = load_sweep(spec)
    # the first n accepted points, in sweep order
    import itertools

    from sqnxt_sim.sweep import run as run_mod
    orig = run_mod.tasks_for

    def first_n(payload, done=None, indices=None):
        return itertools.islice(orig(payload, done, indices), n)

    run_mod.tasks_for = first_n
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    run_sweep(s, str(out), jobs=1)
    prof.disable()
    dt = time.perf_counter() - t
    print(f"{n} points in-process (jobs=1) under cProfile: {dt:.1f} s, {n / dt:.1f} points/s")
    st = pstats.Stats(prof)
    st.sort_stats("cumulative").print_stats(18)
    st.sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
