"""sqnxt-sim's systolic template against SCALE-Sim 3.0.0 on the same AlexNet topology.

    .venv/bin/python benchmarks/bench_vs_scalesim.py [--network networks/alexnet.yaml]
        [--array 32] [--dataflows os ws] [--repeat 5]

The network is exported with `sqnxt-sim export --to scalesim`; SCALE-Sim runs that CSV (in its
own venv, $SQNXT_SCALESIM_PYTHON, default ~/.cache/sqnxt-sim/scalesim-venv/bin/python; CALC
bandwidth mode, save_disk_space, through tests/crosscheck/scalesim_driver.py) and `sqnxt-sim
run` runs it with template: systolic, scalesim_compat: true. For each dataflow it prints both
whole-process wall times, both peak resident memories (the child's own rusage via wait4), the
speed ratio, and whether every layer's cycles are identical. sqnxt-sim's time is the best of
--repeat runs; SCALE-Sim runs once (it takes minutes). Results are recorded in
docs/validation.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests/crosscheck/scalesim_driver.py"
sys.path.insert(0, str(ROOT / "tests" / "crosscheck"))
from scalesim_locate import scalesim_python  # noqa: E402

SCALESIM_PYTHON = scalesim_python()


def sqnxt_cli() -> list[str]:
    exe = Path(sys.executable).with_name("sqnxt-sim")
    return [str(exe)] if exe.exists() else ["sqnxt-sim"]


def timed(cmd: list[str]) -> tuple[float, float, float, bytes]:
    """(wall seconds, CPU seconds, peak RSS in MiB, stdout) of this child alone.  CPU time is
    reported too because wall time is inflated when other jobs share the machine."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
        out.seek(0)
        data = out.read()
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, data   # Linux: ru_maxrss in KiB


def ratio(a: float, b: float) -> str:
    r = a / b
    return f"{r:,.0f}x" if r >= 10 else f"{r:.2g}x"


def in_process(csv: Path, dataflow: str, n: int, repeat: int) -> float:
    """Best wall seconds of `simulate` alone (network already loaded), for the model's cost
    without interpreter start-up and imports."""
    from sqnxt_sim.hardware.accelerator import load_accelerator
    from sqnxt_sim.network.yaml_io import load_network
    from sqnxt_sim.simulate import simulate

    net = load_network(csv)
    acc = load_accelerator(ROOT / "accelerators/systolic_32x32.yaml",
                           {"dataflow": dataflow, "pe_array.rows": n, "pe_array.cols": n,
                            "scalesim_compat": True})
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        simulate(net, acc)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--network", default=str(ROOT / "networks/alexnet.yaml"))
    ap.add_argument("--array", type=int, default=32)
    ap.add_argument("--dataflows", nargs="+", default=["os", "ws"])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not Path(SCALESIM_PYTHON).exists():
        raise SystemExit(f"SCALE-Sim interpreter {SCALESIM_PYTHON} not found")

    work = Path(tempfile.mkdtemp(prefix="bench_scalesim_"))
    csv = work / "topology.csv"
    subprocess.run(sqnxt_cli() + ["export", args.network, "--to", "scalesim", "-o", str(csv)],
                   check=True, stderr=subprocess.DEVNULL)
    n_rows = len(csv.read_text().splitlines()) - 1
    print(f"# {Path(args.network).name} exported: {n_rows} SCALE-Sim layers, "
          f"{args.array}x{args.array} array; {platform.python_version()} on "
          f"{platform.machine()}, {os.cpu_count()} CPUs")
    header = ("| dataflow | SCALE-Sim wall s (CPU s) | sqnxt-sim wall s (CPU s) | speed-up "
              "wall (CPU) | sqnxt-sim in-process ms | SCALE-Sim peak MiB | sqnxt-sim peak MiB "
              "| total cycles | "
              "layers equal |\n|---|---|---|---|---|---|---|---|---|")
    rows = []
    for df in args.dataflows:
        wd = work / df
        wd.mkdir()
        spec = {"rows": args.array, "cols": args.array, "dataflow": df, "workdir": str(wd),
                "topology": str(csv)}
        (wd / "spec.json").write_text(json.dumps(spec))
        s_wall, s_cpu, s_rss, _ = timed([SCALESIM_PYTHON, str(DRIVER), str(wd / "spec.json"),
                                  str(wd / "out.json")])
        theirs = [e["total_cycles"] for e in json.loads((wd / "out.json").read_text())["layers"]]

        cmd = sqnxt_cli() + ["run", str(csv), "-a", str(ROOT / "accelerators/systolic_32x32.yaml"),
                             "-d", df, "--set", f"pe_array.rows={args.array}",
                             "--set", f"pe_array.cols={args.array}",
                             "--set", "scalesim_compat=true", "-f", "json"]
        best = None
        for _ in range(args.repeat):
            run = timed(cmd)
            best = run if best is None or run[0] < best[0] else best
        q_wall, q_cpu, q_rss, out = best
        ours = [x["cycles"] for x in json.loads(out)["layers"]]
        inproc = in_process(csv, df, args.array, args.repeat)
        equal = sum(a == b for a, b in zip(ours, theirs))
        ok = len(ours) == len(theirs) == equal
        rows.append(f"| {df} | {s_wall:.1f} ({s_cpu:.1f}) | {q_wall:.3f} ({q_cpu:.3f}) | "
                    f"{ratio(s_wall, q_wall)} ({ratio(s_cpu, q_cpu)}) | {inproc * 1e3:.2f} | "
                    f"{s_rss:,.0f} | "
                    f"{q_rss:,.0f} | {sum(ours):,} | {equal}/{len(theirs)}"
                    f"{'' if ok else ' MISMATCH'} |")
        print(f"  {df}: SCALE-Sim {s_wall:.1f} s, sqnxt-sim {q_wall:.3f} s", file=sys.stderr,
              flush=True)
    print(header)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
