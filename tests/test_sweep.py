"""Sweeps: spec validation (located one-line errors), the design space, runs that equal plain
`simulate`, determinism, jobs-independence, resume after SIGKILL, and the plots."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqnxt_sim.cli import main
from sqnxt_sim.errors import SweepError
from sqnxt_sim.hardware.accelerator import load_accelerator
from sqnxt_sim.network.yaml_io import load_network
from sqnxt_sim.simulate import simulate
from sqnxt_sim.sweep.run import columns, run_sweep
from sqnxt_sim.sweep.spec import load_sweep, loads_sweep

ROOT = Path(__file__).resolve().parent.parent
ACC = str(ROOT / "accelerators" / "squeezelerator_16x16.yaml")

TINY = """\
name: tiny{n}
input: [8, 20, 20]
layers:
  - {{name: c1, type: conv, out: {k}, kernel: 3, pad: 1}}
  - {{name: c2, type: conv, out: 16, kernel: 1}}
  - {{name: p, type: gap}}
  - {{name: fc, type: fc, out: 10}}
"""


@pytest.fixture
def nets(tmp_path):
    paths = []
    for n, k in ((1, 16), (2, 24)):
        p = tmp_path / f"tiny{n}.yaml"
        p.write_text(TINY.format(n=n, k=k), encoding="utf-8")
        paths.append(str(p))
    return paths


@pytest.fixture
def write_spec(tmp_path, nets):
    def write(body: str, name: str = "spec.yaml") -> str:
        text = (f"accelerator: {ACC}\nnetworks:\n  - {nets[0]}\n  - {nets[1]}\n"
                + textwrap.dedent(body).lstrip("\n"))
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return str(p)
    return write


GRID = """\
grid:
  pe_array.rows: [4, 8]
  pe_array.cols: [4, 8]
  dataflow: [os, ws, hybrid]
  dram.bandwidth_gbps: [2, 16]
filters:
  - rows * cols <= 32
"""


def read_rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# -- the design space ---------------------------------------------------------------------------
def test_grid_zip_filter_counts(write_spec):
    spec = load_sweep(write_spec(GRID))
    assert spec.keys == ("pe_array.rows", "pe_array.cols", "dataflow", "dram.bandwidth_gbps")
    assert spec.space_size == 2 * 2 * 3 * 2
    # rows*cols <= 32 drops 8x8: 3 of the 4 arrays remain
    assert spec.count() == 3 * 3 * 2
    pts = [p for p, _ in spec.points()]
    assert all(p.overrides["pe_array.rows"] * p.overrides["pe_array.cols"] <= 32 for p in pts)
    # the last axis varies fastest
    assert [p.overrides["dram.bandwidth_gbps"] for p in pts[:2]] == [2, 16]


def test_default_chunks_keep_whole_blocks_of_the_last_axes(write_spec):
    """Automatic chunks hold whole runs of the last axes' values (points that share the first
    axes' values, and so their tiling fronts, stay on one worker): as many as fit, at least
    one; with a filter, a run may be short."""
    from sqnxt_sim.sweep.run import _block, _chunks

    spec = load_sweep(write_spec(GRID))     # axes of 2, 2, 3, 2: runs of 2, 6, 12, 24 indices
    assert [_block(spec, s) for s in (1, 2, 5, 6, 11, 12, 23, 24, 100)] == \
        [1, 2, 2, 6, 6, 12, 12, 24, 24]
    tasks = [(i, (0,)) for i in (0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 30)]
    assert [[i for i, _ in c] for c in _chunks(tasks, 10, 6)] == \
        [[0, 1, 2, 3, 4, 5], [6, 7, 8, 12, 13], [30]]
    assert [[i for i, _ in c] for c in _chunks(tasks, 4)] == \
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 12, 13, 30]]
    assert [[i for i, _ in c] for c in _chunks(tasks, 3, 6)] == \
        [[0, 1, 2, 3, 4, 5], [6, 7, 8], [12, 13], [30]]


def test_zip_and_ranges(write_spec):
    spec = load_sweep(write_spec("""
        zip:
          pe_array.rows: [4, 8, 16]
          pe_array.cols: [4, 8, 16]
        grid:
          global_buffer.kb: {start: 32, stop: 128, factor: 2}
          rf.registers: {start: 4, stop: 12, step: 4}
    """))
    assert spec.count() == 3 * 3 * 3
    accs = [a for _, a in spec.points()]
    assert {(a.rows, a.cols) for a in accs} == {(4, 4), (8, 8), (16, 16)}
    assert sorted({a.buffer_kb for a in accs}) == [32.0, 64.0, 128.0]
    assert sorted({a.rf_registers for a in accs}) == [4, 8, 12]


def test_sample_is_seeded_distinct_and_filtered(write_spec):
    body = """
        grid:
          pe_array.rows: {start: 2, stop: 64, step: 2}
          pe_array.cols: {start: 2, stop: 64, step: 2}
          rf.registers: [4, 8, 16, 32]
        sample: {n: 50, seed: 7}
        filters: ["rows * cols <= 256"]
    """
    a = [p.index for p, _ in load_sweep(write_spec(body)).points()]
    b = [p.index for p, _ in load_sweep(write_spec(body, "again.yaml")).points()]
    assert a == b and len(a) == 50 == len(set(a)) and a == sorted(a)
    c = [p.index for p, _ in load_sweep(write_spec(body.replace("seed: 7", "seed: 8"),
                                                   "other.yaml")).points()]
    assert c != a


def test_space_is_streamed_not_materialised(write_spec):
    # 10^10 points: the first few come at once (a materialised grid would not fit in memory)
    spec = load_sweep(write_spec("""
        grid:
          pe_array.rows: {start: 1, stop: 1000, step: 1}
          pe_array.cols: {start: 1, stop: 1000, step: 1}
          rf.registers: {start: 1, stop: 100, step: 1}
          dram.latency_cycles: {start: 0, stop: 99, step: 1}
    """))
    assert spec.space_size == 10**10
    it = spec.points()
    first = [next(it)[1] for _ in range(3)]
    assert [a.dram_latency_cycles for a in first] == [0, 1, 2]
    big = load_sweep(write_spec("""
        grid:
          pe_array.rows: {start: 1, stop: 1000, step: 1}
          pe_array.cols: {start: 1, stop: 1000, step: 1}
        sample: {n: 5, seed: 1}
    """, "big.yaml"))
    assert len(list(big.indices())) == 5


# -- bad specs: one located line, exit status 2 ---------------------------------------------------
BAD = [   # (spec body after the accelerator and two network lines, line, message)
    ("grid:\n  pe_array.rowz: [4]\n", 6, "unknown accelerator field 'pe_array.rowz'"),
    ("grid:\n  pe_array.rows: [4, 0]\n", 6, "must be positive"),
    ("grid:\n  pe_array.rows: []\n", 6, "non-empty list"),
    ("grid:\n  pe_array.rows: [4, 4]\n", 6, "listed twice"),
    ("grid:\n  dataflow: [os, diagonal]\n", 6, "diagonal"),
    ("grid:\n  pe_array.rows: [4]\nzip:\n  pe_array.rows: [8]\n", 8, "swept twice"),
    ("zip:\n  pe_array.rows: [4, 8]\n  pe_array.cols: [4]\n", 7, "same length"),
    ("grid:\n  pe_array.rows: [4]\nsample: {n: 0}\n", 7, "sample.n must be a positive"),
    ("grid:\n  pe_array.rows: [4]\nsample: {n: 3, sead: 1}\n", 7, "unknown key 'sead'"),
    ("grid:\n  pe_array.rows: [4]\nfilters: [rows <<< 2]\n", 7, "cannot parse"),
    ("grid:\n  pe_array.rows: [4]\nfilters: [banana > 2]\n", 7, "unknown name 'banana'"),
    ("grid:\n  pe_array.rows: [4]\nfilters: [rows.real > 2]\n", 7, "unsupported expression"),
    ("grid:\n  pe_array.rows: {start: 4, stop: 8}\n", 6, "exactly one of step"),
    ("grdi:\n  pe_array.rows: [4]\n", 5, "unknown key 'grdi'"),
    ("grid:\n  pe_array.rows: [4\n", 7, "malformed YAML"),
    ("grid:\n  name: [a, b]\n", 6, "cannot be swept"),
    ("layers: [nope]\n", 5, "not a compute layer"),
]


@pytest.mark.parametrize("body,line,msg", BAD, ids=[b[2] for b in BAD])
def test_bad_spec_is_one_located_line(write_spec, tmp_path, body, line, msg):
    spec = write_spec(body)
    res = CliRunner().invoke(main, ["sweep", spec, "--out", str(tmp_path / "o.csv"), "-j", "1"])
    assert res.exit_code == 2, res.output
    err = res.output.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith(f"error: {spec}:{line}:"), err
    assert msg in err


def test_bad_paths_and_top_level(tmp_path, nets):
    p = tmp_path / "s.yaml"
    p.write_text(f"networks: [{nets[0]}, nope.yaml]\n", encoding="utf-8")
    with pytest.raises(SweepError, match=r"no such file 'nope.yaml'") as e:
        load_sweep(p)
    assert str(e.value).startswith(f"{p}:1:")
    p.write_text("accelerator: missing.yaml\nnetworks: []\n", encoding="utf-8")
    with pytest.raises(SweepError, match="no such file"):
        load_sweep(p)
    p.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(SweepError, match="must be a mapping"):
        load_sweep(p)
    with pytest.raises(SweepError, match="networks is required"):
        loads_sweep("grid: {pe_array.rows: [4]}\n", "x.yaml")


# -- running -------------------------------------------------------------------------------------
def test_rows_equal_plain_simulate(write_spec, tmp_path, nets):
    spec = load_sweep(write_spec(GRID))
    out = tmp_path / "r.csv"
    stats = run_sweep(spec, str(out), jobs=1)
    rows = read_rows(out)
    assert rows[0] == columns(spec)
    assert stats.rows == len(rows) - 1 == spec.count() * 2
    head = rows[0]
    by = {(r[1], *r[2:6]): dict(zip(head, r)) for r in rows[1:]}
    for path in nets:
        net = load_network(path)
        for rows_, cols_, df, bw in (("4", "8", "hybrid", "16"), ("8", "4", "ws", "2")):
            acc = load_accelerator(ACC, {"pe_array.rows": int(rows_), "pe_array.cols": int(cols_),
                                         "dataflow": df, "dram.bandwidth_gbps": int(bw)})
            s = simulate(net, acc).summary
            row = by[(net.name, rows_, cols_, df, bw)]
            assert int(row["cycles"]) == s["cycles"]
            assert float(row["energy"]) == s["energy"]
            assert float(row["time_ms"]) == s["time_ms"]
            assert int(row["dram_read_bytes"]) == s["dram_read_bytes"]
            assert int(row["layers_os"]) + int(row["layers_ws"]) <= s["layers"]


def test_deterministic_and_independent_of_jobs(write_spec, tmp_path):
    spec = write_spec(GRID)
    outs = []
    for i, jobs in enumerate(("1", "1", "2")):
        out = tmp_path / f"r{i}.csv"
        res = CliRunner().invoke(main, ["sweep", spec, "--out", str(out), "-j", jobs,
                                        "--chunk", "2"])
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]


def test_layer_columns_and_unmappable_points(write_spec, tmp_path):
    spec = load_sweep(write_spec("""
        layers: [c1]
        grid:
          global_buffer.kb: [0.01, 64]
    """))
    out = tmp_path / "l.csv"
    run_sweep(spec, str(out), jobs=1)
    rows = read_rows(out)
    head = rows[0]
    assert head[-5:] == ["c1.cycles", "c1.energy", "c1.utilization", "c1.dataflow", "error"]
    tiny = [dict(zip(head, r)) for r in rows[1:] if r[2] == "0.01"]
    assert tiny and all("too small" in r["error"] and r["cycles"] == "" for r in tiny)
    ok = [dict(zip(head, r)) for r in rows[1:] if r[2] == "64"]
    assert all(r["error"] == "" and int(r["c1.cycles"]) > 0 for r in ok)


def test_resume_skips_done_points(write_spec, tmp_path):
    spec = load_sweep(write_spec(GRID))
    full = tmp_path / "full.csv"
    run_sweep(spec, str(full), jobs=1)
    lines = full.read_text(encoding="utf-8").splitlines(keepends=True)
    part = tmp_path / "part.csv"
    # the first rows, then half a row, as a SIGKILL mid-write could leave
    part.write_text("".join(lines[:7]) + lines[7][:10], encoding="utf-8")
    stats = run_sweep(spec, str(part), jobs=1, resume=True)
    assert stats.skipped == 6
    assert part.read_bytes() == full.read_bytes()
    # resuming a complete file does nothing
    assert run_sweep(spec, str(part), jobs=1, resume=True).rows == 0


def test_resume_refuses_another_sweeps_file(write_spec, tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("point,network,other\n", encoding="utf-8")
    with pytest.raises(SweepError, match="cannot resume"):
        run_sweep(load_sweep(write_spec(GRID)), str(out), jobs=1, resume=True)


def test_sigkill_then_resume_equals_uninterrupted_run(write_spec, tmp_path):
    """A real sweep process is killed midway; the resumed file equals an uninterrupted run."""
    spec = write_spec("""
        grid:
          pe_array.rows: [2, 3, 4, 5, 6, 7, 8, 9]
          pe_array.cols: [2, 3, 4, 5, 6, 7, 8, 9]
          dram.bandwidth_gbps: [4, 16]
    """)
    ref = tmp_path / "ref.csv"
    run_sweep(load_sweep(spec), str(ref), jobs=1)
    out = tmp_path / "killed.csv"
    cmd = [sys.executable, "-c", "from sqnxt_sim.cli import main; main()", "sweep", spec,
           "--out", str(out), "-j", "2", "--chunk", "1"]
    proc = subprocess.Popen(cmd, start_new_session=True, cwd=ROOT)
    deadline = time.monotonic() + 30
    try:
        # rows go to FILE.part while the sweep runs; FILE is replaced only when it is done
        part = tmp_path / "killed.csv.part"
        out.write_text("an older results file\n", encoding="utf-8")
        while time.monotonic() < deadline:    # wait until some rows, not all, are written
            if part.exists() and part.read_text(encoding="utf-8").count("\n") > 20:
                break
            if proc.poll() is not None:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)   # the sweep and its workers, at once
        proc.wait()
    written = part.read_text(encoding="utf-8").count("\n") - 1
    assert 0 < written < 2 * 128, "the kill should land mid-sweep"
    assert out.read_text(encoding="utf-8") == "an older results file\n", "killed: FILE intact"
    res = CliRunner().invoke(main, ["sweep", spec, "--out", str(out), "-j", "2", "--resume"])
    assert res.exit_code == 0, res.output
    got, want = read_rows(out), read_rows(ref)
    assert got[0] == want[0]
    assert sorted(got[1:]) == sorted(want[1:])
    assert not part.exists()
    assert out.read_bytes() == ref.read_bytes()     # and, once complete, in sweep order


# -- plots ---------------------------------------------------------------------------------------
def test_plots_are_written_and_deterministic(write_spec, tmp_path):
    spec = load_sweep(write_spec(GRID))
    out = tmp_path / "r.csv"
    run_sweep(spec, str(out), jobs=1)
    args = ["plot-sweep", str(out), "--heatmap", "cycles", "--axes", "pe_array.rows",
            "dataflow"]
    r1 = CliRunner().invoke(main, [*args, "--out-dir", str(tmp_path / "a")])
    r2 = CliRunner().invoke(main, [*args, "--out-dir", str(tmp_path / "b")])
    assert r1.exit_code == 0 == r2.exit_code, r1.output
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(f"{kind}_tiny{n}.{fmt}" for kind in ("pareto", "heatmap_cycles")
                           for n in (1, 2) for fmt in ("png", "svg"))
    for n in names:
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes()
    rel = CliRunner().invoke(main, [*args, "--out-dir", str(tmp_path / "c"), "--baseline",
                                    "tiny1", "--no-pareto"])
    assert rel.exit_code == 0, rel.output
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [
        "heatmap_cycles_tiny2_vs_tiny1.png", "heatmap_cycles_tiny2_vs_tiny1.svg"]


def test_pareto_front():
    import numpy as np

    from sqnxt_sim.sweep.plots import pareto_mask

    x = np.array([1.0, 2.0, 3.0, 2.0, 1.0, 4.0])
    y = np.array([5.0, 3.0, 1.0, 4.0, 6.0, 1.0])
    assert pareto_mask(x, y).tolist() == [True, True, True, False, False, False]


@pytest.mark.parametrize("args,msg", [
    (["--x", "nope"], "unknown column 'nope'"),
    (["--heatmap", "cycles", "--axes", "pe_array.rows", "nope"], "not an axis"),
    (["--heatmap", "network"], "not numeric"),
    (["--baseline", "tiny1"], "applies to --heatmap"),
])
def test_plot_errors(write_spec, tmp_path, args, msg):
    out = tmp_path / "r.csv"
    run_sweep(load_sweep(write_spec(GRID)), str(out), jobs=1)
    res = CliRunner().invoke(main, ["plot-sweep", str(out), "-o", str(tmp_path / "f"), *args])
    assert res.exit_code == 2 and msg in res.output and "\n" not in res.output.strip()


def test_bundled_specs_are_valid():
    for path in sorted((ROOT / "sweeps").glob("*.yaml")):
        spec = load_sweep(path)
        assert spec.count() > 0, path
