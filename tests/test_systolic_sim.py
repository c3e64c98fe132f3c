"""`template: systolic` in the simulator (docs/systolic.md §8).

Cycle counts are worked out by hand in each test from docs/systolic.md §2–§3: GEMM extents
(Sr, Sc, T) per dataflow, Fr = ceil(Sr/rows), Fc = ceil(Sc/cols), per fold T + rows + cols − 2
cycles (os) or 2·rows + cols + T − 2 (ws, is); compat reports the last cycle index (−1 per
SCALE-Sim layer).  The comparison with SCALE-Sim itself is tests/crosscheck/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqnxt_sim.cli import main
from sqnxt_sim.dataflow.base import template
from sqnxt_sim.dataflow.systolic import systolic_counts
from sqnxt_sim.errors import MappingError
from sqnxt_sim.hardware.accelerator import load_accelerator
from sqnxt_sim.hardware.energy import energy_table
from sqnxt_sim.network.yaml_io import load_network
from sqnxt_sim.simulate import simulate
from sqnxt_sim.workload import Kind, Workload, fold_padding

ROOT = Path(__file__).resolve().parents[1]
SYS32 = ROOT / "accelerators/systolic_32x32.yaml"

NET = """
    name: small
    input: [3, 10, 10]
    layers:
      - {name: c1, type: conv, out: 8, kernel: 3, pad: 1}         # 3x10x10 -> 8x10x10
      - {name: c2, type: conv, out: 8, kernel: 1}
      - {name: sum, type: add, inputs: [c1, c2]}
      - {name: pool, type: maxpool, kernel: 2}                    # -> 8x5x5
      - {name: gap, type: gap}
      - {name: fc, type: fc, out: 10}
    """


def acc(dataflow="os", rows=4, cols=4, compat=False, **kw):
    over = {"pe_array.rows": rows, "pe_array.cols": cols, "dataflow": dataflow,
            "scalesim_compat": compat, **kw}
    return load_accelerator(SYS32, over)


def by_name(result):
    return {r.name: r for r in result.records}


@pytest.fixture
def net(write_net):
    return load_network(write_net(NET))


def test_compat_cycles_by_hand(net):
    r = by_name(simulate(net, acc("os", 4, 4, compat=True)))
    # c1 folded as SCALE-Sim is given it: 12x12 input, 3x3 -> 10x10, M = 100, window 27, K 8.
    # OS: Sr = 100, Sc = 8, T = 27: folds 25 * 2 = 50, 27 + 4 + 4 - 2 = 33 cycles each.
    assert r["c1"].cycles == 50 * 33 - 1
    # c2: M = 100, window 8, K 8: 50 folds of 8 + 6 = 14 cycles
    assert r["c2"].cycles == 50 * 14 - 1
    # fc: M = 1, window 8, K = 10: 1 * 3 folds of 8 + 6 = 14
    assert r["fc"].cycles == 3 * 14 - 1
    for name in ("c1", "c2", "fc"):
        x = r[name]
        assert x.stall_cycles == 0 and x.compute_cycles == x.cycles
        assert x.dram_read_bytes == x.dram_write_bytes == 0 and x.energy_dram == 0
    assert r["c1"].mapping_efficiency == pytest.approx(100 * 8 / (50 * 16))
    assert r["c1"].utilization == pytest.approx(r["c1"].macs / (r["c1"].cycles * 16))


def test_correct_mode_keeps_the_count(net):
    r = by_name(simulate(net, acc("ws", 4, 4)))
    # WS c1: Sr = window 27, Sc = K 8, T = M 100: folds 7 * 2 = 14, 8 + 4 + 100 - 2 = 110
    assert r["c1"].cycles == 14 * 110
    assert r["c1"].compute_utilization == pytest.approx(r["c1"].utilization)
    # partial sums of the 6 later row folds per column fold are read back: (7 - 1) * 100 * 8
    assert r["c1"].sram_reads > 0


def test_pooling_and_adds_are_listed_not_costed(net):
    res = simulate(net, acc())
    r = by_name(res)
    for name in ("sum", "pool", "gap"):
        assert r[name].dataflow == "skipped"
        assert r[name].cycles == 0
        assert "not mapped" in r[name].tiling
    assert res.summary["layers_skipped"] == 3
    assert res.summary["layers_os"] == 3


def test_systolic_columns_only_for_systolic(net):
    sys_res = simulate(net, acc())
    cols = list(sys_res.layers.columns)
    assert {"mapping_efficiency", "compute_utilization"} <= set(cols)
    sq = simulate(net, load_accelerator(ROOT / "accelerators/os_16x16.yaml"))
    assert "mapping_efficiency" not in sq.layers.columns


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
@pytest.mark.parametrize("compat", [False, True])
def test_invariants(net, dataflow, compat):
    res = simulate(net, acc(dataflow, 8, 4, compat))
    for x in res.records:
        if x.dataflow == "skipped":
            continue
        assert 0 < x.utilization <= 1
        assert 0 < x.mapping_efficiency <= 1 and 0 < x.compute_utilization <= 1
        assert x.cycles * 32 >= x.ops                      # cycles >= ideal
    # energy is linear in the unit costs
    doubled = {k: 2 * v for k, v in energy_table("eyeriss").as_dict().items()
               if isinstance(v, float)}
    res2 = simulate(net, acc(dataflow, 8, 4, compat, energy=doubled))
    assert res2.summary["energy"] == pytest.approx(2 * res.summary["energy"])


def test_template_is_registered():
    t = template("systolic")
    w = Workload(Kind.CONV, G=1, K=8, C=3, P=10, Q=10, R=3, S=3, pad_top=1, pad_bottom=1,
                 pad_left=1, pad_right=1)
    a = acc("os", 4, 4)
    assert t.supports(w)
    assert not t.supports(Workload(Kind.ELTWISE, G=4, K=1, C=1, P=3, Q=3))
    base = t.cost(w, a)
    assert base.cycles == systolic_counts(w, 4, 4, "os").total_cycles == 50 * 33
    more = t.cost(w, a, psum_in=True)
    assert more.counts.sram_psum_reads == base.counts.sram_psum_reads + 8 * 100
    assert more.cycles == base.cycles + 50 * 4          # accumulators loaded, `rows` per fold


def test_fold_padding():
    # 3x3 stride 2 pad 1 on 16: floor(15/2) + 1 = 8 outputs; the last padded row is unused
    w = Workload(Kind.CONV, G=1, K=1, C=1, P=8, Q=8, R=3, S=3, stride_h=2, stride_w=2,
                 H=16, W=16, pad_top=1, pad_bottom=1, pad_left=1, pad_right=1)
    f = fold_padding(w)
    assert (f.H, f.W, f.pad_top, f.pad_bottom, f.P) == (17, 17, 0, 0, 8)
    assert fold_padding(f) is f


def test_compat_single_cycle_layer_is_a_clean_error(write_net):
    path = write_net("""
        name: one
        input: [1, 1, 1]
        layers:
          - {name: fc, type: fc, out: 1}
        """)
    with pytest.raises(MappingError, match="layer 'fc'"):
        simulate(load_network(path), acc("os", 1, 1, compat=True))
    r = CliRunner().invoke(main, ["run", path, "-a", str(SYS32), "--set", "pe_array.rows=1",
                                  "--set", "pe_array.cols=1", "--set", "scalesim_compat=true"])
    assert r.exit_code == 2 and r.output.startswith("error: ")


def test_hybrid_is_not_a_systolic_dataflow():
    r = CliRunner().invoke(main, ["run", str(ROOT / "networks/alexnet.yaml"), "-a", str(SYS32),
                                  "--dataflow", "hybrid"])
    assert r.exit_code == 2 and "dataflow" in r.output


def test_yaml_and_exported_csv_agree_in_compat(tmp_path):
    """`run net.yaml` in compat mode = `run exported.csv` (grouped convs as their groups)."""
    csv = tmp_path / "a.csv"
    runner = CliRunner()
    assert runner.invoke(main, ["export", str(ROOT / "networks/alexnet.yaml"), "--to",
                                "scalesim", "-o", str(csv)]).exit_code == 0
    args = ["-a", str(SYS32), "--set", "scalesim_compat=true", "-f", "json", "-d", "ws"]
    a = json.loads(runner.invoke(main, ["run", str(ROOT / "networks/alexnet.yaml"), *args])
                   .stdout)
    b = json.loads(runner.invoke(main, ["run", str(csv), *args]).stdout)
    per_csv: dict[str, int] = {}
    for x in b["layers"]:
        per_csv[x["name"].split("_g")[0]] = per_csv.get(x["name"].split("_g")[0], 0) + \
            x["cycles"]
    per_yaml = {x["name"]: x["cycles"] for x in a["layers"] if x["dataflow"] != "skipped"}
    assert per_yaml == per_csv
    assert a["summary"]["cycles"] == b["summary"]["cycles"]
