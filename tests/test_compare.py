"""`compare` across networks × accelerators × dataflows (issue 14): the cross table's rows are
separate simulations, ratios follow the baseline rule, and the per-layer diff's deltas are the
differences of the two runs' own layer rows."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sqnxt_sim.cli import main
from sqnxt_sim.hardware.accelerator import load_accelerator
from sqnxt_sim.network.yaml_io import load_network
from sqnxt_sim.report.compare import layer_diff, run_comparison, why
from sqnxt_sim.simulate import simulate

NET = """
name: {name}
input: [3, 32, 32]
layers:
  - {{name: conv1, type: conv, out: {out}, kernel: 3, stride: 2, bn: true, relu: true}}
  - {{name: dw, type: conv, out: {out}, kernel: 3, pad: 1, groups: {out}}}
  - {{name: pw, type: conv, out: 32, kernel: 1}}
  - {{name: pool, type: gap}}
  - {{name: fc, type: fc, out: 10, bias: false}}
"""
ACC = """
name: {name}
dataflow: {flow}
pe_array: {{rows: {n}, cols: {n}}}
"""


@pytest.fixture
def files(write_net):
    return {"small": write_net(NET.format(name="small", out=8), "small.yaml"),
            "big": write_net(NET.format(name="big", out=24), "big.yaml"),
            "a8": write_net(ACC.format(name="eight", flow="os", n=8), "a8.yaml"),
            "a4": write_net(ACC.format(name="four", flow="hybrid", n=4), "a4.yaml")}


def invoke(*args):
    r = CliRunner().invoke(main, ["compare", *args])
    return r


def test_cross_table_rows_are_separate_runs(files):
    r = invoke(files["small"], files["big"], "-a", files["a8"], "-a", files["a4"],
               "-d", "os,ws", "-f", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["networks"]
    assert [(x["network"], x["accelerator"], x["dataflow"]) for x in rows] == [
        (n, a, d) for n in ("small", "big") for a in ("eight", "four") for d in ("os", "ws")]
    base = None
    for x in rows:
        path = files["small" if x["network"] == "small" else "big"]
        acc = files["a8" if x["accelerator"] == "eight" else "a4"]
        s = simulate(load_network(path), load_accelerator(acc, {"dataflow": x["dataflow"]})
                     ).summary
        base = base or s      # default baseline: the first row
        assert (x["cycles"], x["energy"], x["utilization"]) == (s["cycles"], s["energy"],
                                                                s["utilization"])
        assert x["speedup"] == pytest.approx(base["time_ms"] / s["time_ms"])
        assert x["energy_ratio"] == pytest.approx(base["energy"] / s["energy"])


def test_baseline_names_a_dimension_and_rows_compare_within_it(files):
    r = invoke(files["small"], files["big"], "-d", "os", "-d", "ws", "--baseline", "ws",
               "-f", "csv", "--set", "pe_array.rows=8")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    by = {(x["network"], x["dataflow"]): x for x in rows}
    for net in ("small", "big"):
        assert float(by[(net, "ws")]["speedup"]) == 1.0
        assert float(by[(net, "os")]["speedup"]) == pytest.approx(
            float(by[(net, "ws")]["time_ms"]) / float(by[(net, "os")]["time_ms"]))
    r = invoke(files["small"], "-d", "os,ws", "--baseline", "is-not-here")
    assert r.exit_code == 2 and "matches no network, accelerator or dataflow" in r.stderr


def test_per_layer_diff_is_the_difference_of_the_two_runs(files):
    net = load_network(files["big"])
    os_ = simulate(net, load_accelerator(files["a8"], {"dataflow": "os"}))
    ws = simulate(net, load_accelerator(files["a8"], {"dataflow": "ws"}))
    r = invoke(files["big"], "-a", files["a8"], "-d", "os,ws", "-f", "csv", "--per-layer")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["layer"] for x in rows] == [x.name for x in os_.records]
    for x, a, b in zip(rows, os_.records, ws.records, strict=True):
        assert (x["config"], x["baseline"]) == ("ws", "os")
        assert int(x["d_cycles"]) == b.cycles - a.cycles
        assert int(x["d_compute_cycles"]) == b.compute_cycles - a.compute_cycles
        assert int(x["d_stall_cycles"]) == b.stall_cycles - a.stall_cycles
        assert float(x["d_utilization"]) == b.utilization - a.utilization
        assert x["change"] == ("gained" if b.cycles < a.cycles else
                               "lost" if b.cycles > a.cycles else "same")
        assert (x["dataflow_base"], x["dataflow"]) == (a.dataflow, b.dataflow)
    # the depthwise layer: WS puts one input channel on the rows (SPEC §1), so it loses, and
    # the reason named is compute, not stalls
    dw = next(x for x in rows if x["layer"] == "dw")
    assert dw["change"] == "lost" and dw["why"].startswith("os→ws; compute +")


def test_why_by_hand():
    row = {"d_cycles": -300, "d_compute_cycles": -500, "d_stall_cycles": 200,
           "dataflow_base": "os", "dataflow": "ws", "utilization_base": 0.25,
           "utilization": 0.5}
    assert why(row) == "os→ws; compute −500, stalls +200 cycles; utilisation 25%→50%"
    row.update(d_cycles=0, d_compute_cycles=0, d_stall_cycles=0, dataflow="os")
    assert why(row) == "unchanged"


def test_layer_diff_against_itself_is_all_same(files):
    res = simulate(load_network(files["small"]), load_accelerator(files["a4"]))
    d = layer_diff(res, res)
    assert set(d["change"]) == {"same"} and (d["d_cycles"] == 0).all()


def test_table_format_shows_the_diff_and_units(files):
    r = invoke(files["big"], "-a", files["a8"], "-a", files["a4"])
    assert r.exit_code == 0, r.output
    assert "Time (ms)" in r.stdout and "energy (MAC units)" in r.stdout
    assert "per layer, four / hybrid against eight / os:" in r.stdout


def test_bad_dataflow_lists_and_per_layer_misuse_are_clean_errors(files):
    for args, msg in ((["-d", "os,xs"], "unknown dataflow 'xs'"),
                      (["-d", "os,os"], "os given twice"),
                      (["--per-layer", "-f", "csv"], "per-layer diff compares one network")):
        r = invoke(files["small"], files["big"], *args)
        assert r.exit_code == 2 and len(r.stderr.splitlines()) == 1 and msg in r.stderr


def test_api_matches_cli(files):
    from sqnxt_sim import compare
    df = compare([files["small"], files["big"]], [files["a8"]], dataflows="os,hybrid")
    r = invoke(files["small"], files["big"], "-a", files["a8"], "-d", "os,hybrid", "-f", "csv")
    import pandas as pd
    pd.testing.assert_frame_equal(df, pd.read_csv(io.StringIO(r.stdout)))
    assert run_comparison([files["small"]], [files["a8"]]).table()["speedup"].tolist() == [1.0]


@settings(max_examples=15, deadline=None)
@given(c=st.integers(1, 24), k=st.integers(1, 40), hw=st.integers(3, 20),
       kernel=st.sampled_from([1, 3]), n=st.sampled_from([4, 8, 16]),
       flows=st.permutations(["os", "ws", "hybrid"]))
def test_layer_diff_adds_up_for_any_layer(c, k, hw, kernel, n, flows):
    """For any conv layer and any two dataflows: per layer, Δcycles = Δcompute + Δstalls; the
    diff's Δcycles sum to the difference of the totals; `change` follows the sign."""
    from sqnxt_sim.network.yaml_io import loads_network

    net = loads_network(f"name: r\ninput: [{c}, {hw}, {hw}]\nlayers:\n"
                        f"  - {{name: a, type: conv, out: {k}, kernel: {kernel}, "
                        f"pad: {kernel // 2}}}\n  - {{name: p, type: gap}}\n")
    sets = {"pe_array.rows": n, "pe_array.cols": n}
    base = simulate(net, load_accelerator(None, {**sets, "dataflow": flows[0]}))
    other = simulate(net, load_accelerator(None, {**sets, "dataflow": flows[1]}))
    d = layer_diff(base, other)
    assert (d["d_cycles"] == d["d_compute_cycles"] + d["d_stall_cycles"]).all()
    assert int(d["d_cycles"].sum()) == other.summary["cycles"] - base.summary["cycles"]
    for _, row in d.iterrows():
        assert row["change"] == ("gained" if row["d_cycles"] < 0 else
                                 "lost" if row["d_cycles"] > 0 else "same")


def test_compare_plot_for_several_dataflows(files, tmp_path):
    r = invoke(files["small"], files["big"], "-a", files["a8"], "-d", "os,ws",
               "--plot", str(tmp_path / "p"), "-o", str(tmp_path / "t.txt"))
    assert r.exit_code == 0, r.output
    assert sorted(p.suffix for p in (tmp_path / "p").iterdir()) == [".png", ".svg"]
