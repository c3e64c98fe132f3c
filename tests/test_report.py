"""The SqueezeNext report: claim evaluation on hand-made inputs, compare ratios by hand, the
compare and report commands, and the committed report kept in step with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner

from sqnxt_sim.cli import main
from sqnxt_sim.report import paper

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "reports" / "squeezenext"
CLAIMS = {c.id: c for c in paper.CLAIMS}


# -- hand-made results --------------------------------------------------------------------------

def fake(network: str, layers: list[tuple], pes: int = 4):
    """A result-like object from (name, type, cycles, stall, macs, energy) rows."""
    rows = []
    for name, ltype, cycles, stall, macs, energy in layers:
        rows.append({"name": name, "type": ltype, "dataflow": "os", "macs": macs,
                     "ops": macs, "cycles": cycles, "compute_cycles": cycles - stall,
                     "stall_cycles": stall, "utilization": macs / (cycles * pes),
                     "energy": energy, "energy_mac": macs, "energy_rf": 0.0,
                     "energy_array": 0.0, "energy_sram": 0.0, "energy_dram": energy - macs})
    L = pd.DataFrame(rows)
    cyc = int(L["cycles"].sum())
    summary = {"cycles": cyc, "time_ms": cyc / 1e3, "energy": float(L["energy"].sum()),
               "macs": int(L["macs"].sum()), "params": 0,
               "utilization": float(L["ops"].sum()) / (cyc * pes)}
    for k in ("energy_mac", "energy_rf", "energy_array", "energy_sram", "energy_dram"):
        summary[k] = float(L[k].sum())
    return SimpleNamespace(network=network, layers=L, summary=summary,
                           accelerator=SimpleNamespace(pes=pes, name="fake"))


def sqnxt(conv1: int, stage1: int, stage3: int, energy: float = 1000.0, stage1_stall: int = 0,
          name: str = "v"):
    return fake(name, [
        ("conv1", "conv", conv1, 0, 4 * conv1, energy * 0.2),
        ("pool1", "maxpool", 1, 0, 0, 1.0),
        ("stage1.1/red1", "conv", stage1, stage1_stall, stage1, energy * 0.4),
        ("stage1.1/add", "add", 1, 1, 0, 1.0),
        ("stage3.1/red1", "conv", stage3, 0, stage3, energy * 0.4 - 2),
    ])


# -- the claims as data -------------------------------------------------------------------------

def test_claims_are_the_spec_items_with_the_fixed_tolerances():
    assert list(CLAIMS) == ["1", "2", "3a", "3b", "4a", "4b", "4c", "4d"]
    assert (CLAIMS["1"].paper, CLAIMS["1"].low, CLAIMS["1"].high) == (26.0, 20.0, 32.0)
    assert (CLAIMS["2"].low, CLAIMS["2"].high) == (0.55, 0.80)
    assert (CLAIMS["3a"].paper, CLAIMS["3a"].low, CLAIMS["3a"].high) == (-12.0, -20.0, -5.0)
    assert (CLAIMS["3b"].paper, CLAIMS["3b"].low, CLAIMS["3b"].high) == (-17.0, -25.0, -8.0)
    for cid, fig in (("4a", 2.59), ("4b", 2.25), ("4c", 8.26), ("4d", 7.5)):
        c = CLAIMS[cid]
        assert c.paper == fig
        assert c.low == pytest.approx(0.7 * fig) and c.high == pytest.approx(1.3 * fig)


@pytest.mark.parametrize("conv1, rest, ok", [
    (1, 4, True),         # exactly 20 %: the lower edge is inside
    (8, 17, True),        # exactly 32 %: the upper edge is inside
    (26, 74, True),
    (1999, 8001, False),  # 19.99 %
    (33, 67, False),
])
def test_claim1_first_conv_share_edges(conv1, rest, ok):
    # conv1 + pool1 (1) + stage1 + add (1) + stage3 (1) = 100 × (conv1 + rest) cycles
    v1 = sqnxt(conv1 * 100, rest * 100 - 3, 1)
    e = paper.evaluate(CLAIMS["1"], {"sqnxt23": v1})
    assert e.measured == pytest.approx(100 * conv1 / (conv1 + rest))
    assert e.reproduced is ok


def test_claim1_miss_is_explained_from_the_layers():
    # conv1 10 % of 1000 cycles; stage1 is DRAM-bound: 601 cycles (with its add), 451 stalls
    v1 = sqnxt(100, 600, 298, stage1_stall=450)
    e = paper.evaluate(CLAIMS["1"], {"sqnxt23": v1})
    assert e.measured == pytest.approx(10.0)
    assert not e.reproduced and e.status == "NOT REPRODUCED"
    # the paper's 26 % would need 26/74 × 900 = 316.2 cycles for conv1 with the rest unchanged
    assert "316 cycles" in e.explanation
    assert "stage1 60.1 % (75 % of it DRAM stalls)" in e.explanation
    assert "`conv1`" in e.explanation


@pytest.mark.parametrize("v2_cycles, ok", [(550, True), (800, True), (549, False),
                                           (801, False), (667, True)])
def test_claim2_stem_ratio_edges(v2_cycles, ok):
    v1, v2 = sqnxt(1000, 500, 500), sqnxt(v2_cycles, 500, 500)
    e = paper.evaluate(CLAIMS["2"], {"sqnxt23": v1, "sqnxt23v2": v2})
    assert e.measured == pytest.approx(v2_cycles / 1000)
    assert e.reproduced is ok


@pytest.mark.parametrize("v5_total, ok", [(80_000, True), (95_000, True), (88_000, True),
                                          (79_999, False), (95_001, False)])
def test_claim3a_time_change_edges(v5_total, ok):
    v1 = sqnxt(20_000, 40_000, 39_998)          # 100,000 cycles
    v5 = sqnxt(10_000, 10_000, v5_total - 20_002)
    e = paper.evaluate(CLAIMS["3a"], {"sqnxt23": v1, "sqnxt23v5": v5})
    assert e.measured == pytest.approx(100 * (v5_total / 100_000 - 1))
    assert e.reproduced is ok


def test_claim3a_miss_names_the_groups_that_moved():
    v1 = sqnxt(20_000, 40_000, 39_998)          # 100,000 cycles
    v5 = sqnxt(10_000, 10_000, 49_998)          # 70,000 cycles: −30 %
    e = paper.evaluate(CLAIMS["3a"], {"sqnxt23": v1, "sqnxt23v5": v5})
    assert not e.reproduced
    # by group, in points of v1's total: stage1 −30, conv1 −10, stage3 +10
    assert "stage1 -30.0, conv1 -10.0, stage3 +10.0" in e.explanation
    assert "without the stem (conv1: -10.0 points) the change would be -20.0 %" in e.explanation


def test_claim3b_energy_change():
    v1, v5 = sqnxt(100, 100, 100, energy=1000.0), sqnxt(100, 100, 100, energy=830.0)
    e = paper.evaluate(CLAIMS["3b"], {"sqnxt23": v1, "sqnxt23v5": v5})
    assert e.measured == pytest.approx(100 * (v5.summary["energy"] / v1.summary["energy"] - 1))
    assert e.reproduced


@pytest.mark.parametrize("cid, ref, column, paper_fig", [
    ("4a", "squeezenet_v1.0", "cycles", 2.59), ("4b", "squeezenet_v1.0", "energy", 2.25),
    ("4c", "alexnet", "cycles", 8.26), ("4d", "alexnet", "energy", 7.5)])
def test_claim4_ratio_edges(cid, ref, column, paper_fig):
    v5 = fake("v5", [("conv1", "conv", 1000, 0, 1000, 1000.0)])
    lo, hi = round(700 * paper_fig), round(1300 * paper_fig)   # ±30 % of the paper, ×1000
    for n, ok in ((lo, True), (hi, True), (lo - 1, False), (hi + 1, False),
                  (round(1000 * paper_fig), True)):
        r = fake("ref", [("conv1", "conv", n, 0, n, float(n))])
        e = paper.evaluate(CLAIMS[cid], {ref: r, "sqnxt23v5": v5})
        assert e.measured == pytest.approx(n / 1000)
        assert e.reproduced is ok, (n, e.measured)


def test_claims_markdown_table():
    v1 = sqnxt(100, 600, 298)
    v2 = sqnxt(60, 600, 298)
    v5 = sqnxt(60, 300, 488)
    ev = paper.evaluate_claims({"sqnxt23": v1, "sqnxt23v2": v2, "sqnxt23v5": v5,
                                "squeezenet_v1.0": sqnxt(300, 1000, 1000, energy=2500.0),
                                "alexnet": sqnxt(900, 3000, 3000, energy=8000.0)})
    md = paper.claims_markdown(ev, "accelerators/x.yaml")
    lines = md.strip().splitlines()
    assert lines[0] == "Measured on `accelerators/x.yaml` (hybrid dataflow)."
    rows = [ln for ln in lines if ln.startswith("| ") and not ln.startswith("| #")]
    assert [r.split("|")[1].strip() for r in rows] == list(CLAIMS)
    assert all(("**REPRODUCED**" in r) ^ ("**NOT REPRODUCED**" in r) for r in rows)


# -- compare --------------------------------------------------------------------------------

A = {"macs": 100, "params": 10, "cycles": 2000, "time_ms": 2.0, "energy": 10.0,
     "utilization": 0.5}
B = {"macs": 40, "params": 4, "cycles": 500, "time_ms": 0.5, "energy": 4.0, "utilization": 0.25}


def test_compare_ratios_by_hand():
    df = paper.compare_frame([("Net A", A), ("Net B", B)])
    assert list(df.columns) == list(paper.COMPARE_COLUMNS)
    a, b = df.to_dict(orient="records")
    assert (a["speedup"], a["energy_ratio"]) == (1.0, 1.0)
    assert b["speedup"] == pytest.approx(2.0 / 0.5)       # 4×: B takes a quarter of A's time
    assert b["energy_ratio"] == pytest.approx(10.0 / 4.0)  # 2.5× less energy


def test_compare_baseline_by_name_or_stem():
    runs = [("Net A", A), ("Net B", B)]
    for key in ("Net B", "b_file", "B_FILE", "net b"):
        df = paper.compare_frame(runs, key, stems=["a_file", "b_file"])
        assert df["speedup"].tolist() == pytest.approx([0.25, 1.0])
        assert df["energy_ratio"].tolist() == pytest.approx([0.4, 1.0])
    with pytest.raises(paper.ReportError, match="matches no network"):
        paper.compare_frame(runs, "nope", stems=["a_file", "b_file"])


NET = """
name: {name}
input: [3, 32, 32]
layers:
  - {{name: conv1, type: conv, out: {out}, kernel: 3, stride: 2, bn: true, relu: true}}
  - {{name: pool, type: gap}}
  - {{name: fc, type: fc, out: 10, bias: false}}
"""


def test_compare_command_matches_run_summaries(write_net):
    small = write_net(NET.format(name="small", out=8), "small.yaml")
    big = write_net(NET.format(name="big", out=64), "big.yaml")
    runner = CliRunner()
    summ = {}
    for p in (small, big):
        r = runner.invoke(main, ["run", p, "-f", "json", "--set", "pe_array.rows=8"])
        assert r.exit_code == 0, r.output
        summ[p] = json.loads(r.output)["summary"]
    r = runner.invoke(main, ["compare", big, small, "-f", "json", "--set", "pe_array.rows=8",
                             "--baseline", "big"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["baseline"] == "big"
    rows = {x["network"]: x for x in doc["networks"]}
    assert rows["small"]["speedup"] == pytest.approx(summ[big]["time_ms"] /
                                                     summ[small]["time_ms"])
    assert rows["small"]["energy_ratio"] == pytest.approx(summ[big]["energy"] /
                                                          summ[small]["energy"])
    assert rows["small"]["cycles"] == summ[small]["cycles"]
    r = runner.invoke(main, ["compare", big, small, "--baseline", "missing"])
    assert r.exit_code == 2 and "matches no network" in r.output
    r = runner.invoke(main, ["compare", big, small, "-f", "csv"])
    assert r.exit_code == 0 and r.output.splitlines()[0] == ",".join(paper.COMPARE_COLUMNS)


# -- the committed report -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    rep, _ = paper.generate(out, ROOT, figures=False)
    return out, rep


def test_committed_report_is_up_to_date(regenerated):
    out, _ = regenerated
    for name in ("README.md", "results.csv"):
        committed = COMMITTED / name
        assert committed.exists(), f"{committed} missing: run `sqnxt-sim report`"
        assert (out / name).read_text(encoding="utf-8") == committed.read_text(
            encoding="utf-8"), f"{committed} is stale: rerun `sqnxt-sim report` and commit it"


def test_committed_report_figures_exist():
    text = (COMMITTED / "README.md").read_text(encoding="utf-8")
    refs = re.findall(r"\((figures/[^)]+\.(?:png|svg))\)", text)
    assert refs
    for ref in refs:
        assert (COMMITTED / ref).exists(), ref


# The tolerance bands of SPEC §1's claims, written here independently of report/paper.py:
# (low, high) in the unit the table prints (percent, a ratio, or "×").
BANDS = {"1": (20.0, 32.0), "2": (0.55, 0.80), "3a": (-20.0, -5.0), "3b": (-25.0, -8.0),
         "4a": (2.59 * 0.7, 2.59 * 1.3), "4b": (2.25 * 0.7, 2.25 * 1.3),
         "4c": (8.26 * 0.7, 8.26 * 1.3), "4d": (7.50 * 0.7, 7.50 * 1.3)}


def _claim_rows(text: str) -> dict[str, tuple[float, str]]:
    """Claim id → (measured value, status) from the report's first (32×32) claims table."""
    table = text[text.index("| # | Claim | Paper | sqnxt-sim |"):]
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        value = float(re.match(r"[-+]?[\d.]+", cells[3].replace("−", "-")).group())
        rows[cells[0]] = (value, cells[5].strip("*"))
    return rows


def test_report_claims_status_follows_the_tolerance(regenerated):
    out, _ = regenerated
    rows = _claim_rows((out / "README.md").read_text(encoding="utf-8"))
    assert set(rows) == set(BANDS)
    for cid, (value, status) in rows.items():
        low, high = BANDS[cid]
        expected = "REPRODUCED" if low - 5e-3 <= value <= high + 5e-3 else "NOT REPRODUCED"
        assert status == expected, (cid, value, status)


def test_report_claims_measured_from_fresh_simulations():
    """Claims 1 and 4c recomputed here from the public API on the report's 32×32 accelerator."""
    from sqnxt_sim import load_accelerator, load_network, simulate

    acc = load_accelerator(ROOT / "accelerators" / "squeezelerator_32x32.yaml")
    v1 = simulate(load_network(ROOT / "networks" / "sqnxt23.yaml"), acc)
    v5 = simulate(load_network(ROOT / "networks" / "sqnxt23v5.yaml"), acc)
    alex = simulate(load_network(ROOT / "networks" / "alexnet.yaml"), acc)
    rows = _claim_rows((COMMITTED / "README.md").read_text(encoding="utf-8"))
    conv1 = next(r.cycles for r in v1.records if r.name == "conv1")
    assert rows["1"][0] == pytest.approx(100 * conv1 / v1.summary["cycles"], abs=0.05)
    assert rows["4c"][0] == pytest.approx(alex.summary["cycles"] / v5.summary["cycles"],
                                          abs=0.005)


def test_report_is_deterministic(regenerated, tmp_path):
    out, _ = regenerated
    paper.generate(tmp_path, ROOT, figures=False)
    for name in ("README.md", "results.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()


def test_readme_claims_table_matches_the_report():
    """The top-level README quotes the report's two-array claims table verbatim."""
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    report = (root / "reports" / "squeezenext" / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- claims:start")
    quoted = readme[readme.index("\n", start) + 1:readme.index("<!-- claims:end")].strip()
    assert quoted.startswith("| # | Claim |")
    assert quoted in report
