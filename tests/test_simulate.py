"""Network × accelerator → Result (sqnxt_sim/simulate.py, docs/model.md §7–§8).

* an end-to-end golden case worked by hand (cycles, DRAM, energy by level, hybrid choice);
* invariants over random small networks and accelerators (hypothesis): utilisation in (0, 1],
  cycles ≥ operations ÷ PEs, hybrid never slower than OS or WS, energy linear in the table;
* the dataflow behaviour the SqueezeNext papers report, on the 32x32 Squeezelerator.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqnxt_sim.hardware.accelerator import Accelerator, load_accelerator
from sqnxt_sim.hardware.energy import ACTIONS, EYERISS, HOROWITZ45, EnergyTable
from sqnxt_sim.network.yaml_io import load_network, loads_network
from sqnxt_sim.simulate import map_layer, simulate

ROOT = Path(__file__).resolve().parent.parent
FAST = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SPEC_COLUMNS = ["name", "type", "dataflow", "macs", "params", "cycles", "compute_cycles",
                "stall_cycles", "utilization", "energy", "energy_mac", "energy_rf",
                "energy_array", "energy_sram", "energy_dram", "dram_read_bytes",
                "dram_write_bytes"]
SPEC_SUMMARY = ["cycles", "time_ms", "energy", "macs", "params", "utilization"]


# ---------------------------------------------------------------------------------------------
# End-to-end golden case: one 3x3 conv, C = 4 → K = 6, 5x5 map, pad 1 (the layer of
# tests/test_os.py and tests/test_ws.py, whose array counts are worked out there).
# 4x4 array, RF 4, sparsity 0.5, 128 KB buffer (the layer fits: not tiled), 16 GB/s at 500 MHz
# = 32 B/cycle, latency 100 cycles, 16-bit words.
GOLDEN_NET = """
name: golden
input: [4, 5, 5]
layers:
  - {name: c, type: conv, out: 6, kernel: 3, pad: 1}
"""
# the goldens check counts × Eyeriss's unit costs, so capacity scaling (docs/model.md §7.1) is off;
# test_capacity_scaling_on_the_golden_layer checks it on the same hand-worked counts
NO_SCALING = replace(EYERISS, capacity_exponent=0.0)
GOLDEN_ACC = Accelerator(name="golden4x4", rows=4, cols=4, rf_registers=4, sparsity=0.5,
                         energy=NO_SCALING)

# DRAM (untiled, docs/model.md §6.3): reads = inputs 4·25 = 100 + weights 6·4·9 = 216 = 316
# words, writes = outputs 6·25 = 150 words: 932 bytes.  Only one array step's transfers are
# exposed (the DMA streams at the array's step):
#   OS step = RF 4 filters × 1 channel × a 4x4 output tile: inputs (3 + 3)∧5 = 5 rows × 5
#   columns = 25 + weights 4·9 = 36 → 61 words in; 4·16 = 64 words out.
#   prologue 100 + 61·2/32; rest (932 − 125·2)/32 = 21.3 < compute; epilogue 64·2/32 = 4.
#   WS step = 4 output × 4 input channels × one pixel: inputs 4·3·3 = 36 + weights 4·4·9 = 144
#   → 180 words in; 4 words out.  prologue 100 + 180·2/32; epilogue 4·2/32.
DRAM_R, DRAM_W = 316, 150
# OS compute 512 cycles (test_os.py::test_small_conv, with preload overlap); WS compute 346
# (test_ws.py::test_small_conv: padding is not streamed).
OS_CYCLES = math.ceil(100 + 61 * 2 / 32 + 512 + 64 * 2 / 32)     # ceil(619.8) = 620
WS_CYCLES = math.ceil(100 + 180 * 2 / 32 + 346 + 4 * 2 / 32)     # ceil(457.5) = 458
# Eyeriss table: MAC 1, RF 1, array 2, buffer 6, DRAM 200 (docs/model.md §7).
#   OS: MACs 2700; RF 2700 + 2700; array 5070; buffer reads ifmap 392 + weights 432 + drain
#   to DRAM 150 = 974, buffer writes 150 results + 316 filled from DRAM = 466.
OS_E = dict(energy_mac=2700, energy_rf=5400, energy_array=2 * 5070,
            energy_sram=6 * (974 + 466), energy_dram=200 * (DRAM_R + DRAM_W))
#   WS: MACs 4056 (169 in-bound pixel-taps × 24 PEs); RF 4056 + 216; array 8652; buffer reads
#   ifmap 1352 + weights 216 + psums 864 + drain 150 = 2582, writes 1014 + 316 = 1330.
WS_E = dict(energy_mac=4056, energy_rf=4272, energy_array=2 * 8652,
            energy_sram=6 * (2582 + 1330), energy_dram=200 * (DRAM_R + DRAM_W))


@pytest.mark.parametrize("dataflow, cycles, compute, energy", [
    ("os", OS_CYCLES, 512, OS_E), ("ws", WS_CYCLES, 346, WS_E),
    ("hybrid", WS_CYCLES, 346, WS_E)])             # hybrid keeps the faster: WS
def test_golden_layer(dataflow, cycles, compute, energy):
    res = simulate(loads_network(GOLDEN_NET), GOLDEN_ACC.with_dataflow(dataflow))
    row = res.layers.iloc[0]
    assert row["dataflow"] == ("ws" if dataflow == "hybrid" else dataflow)
    assert (row["cycles"], row["compute_cycles"]) == (cycles, compute)
    assert row["stall_cycles"] == cycles - compute
    assert row["macs"] == 6 * 4 * 9 * 25 and row["params"] == 216
    assert (row["dram_read_bytes"], row["dram_write_bytes"]) == (2 * DRAM_R, 2 * DRAM_W)
    for k, v in energy.items():
        assert row[k] == pytest.approx(v), k
    assert row["energy"] == pytest.approx(sum(energy.values()))
    ops = 2700 if row["dataflow"] == "os" else 4056      # OS skips the zero weights
    assert row["utilization"] == pytest.approx(ops / (cycles * 16))
    s = res.summary
    assert s["cycles"] == cycles
    assert s["time_ms"] == pytest.approx(cycles / (500 * 1000))
    assert s["utilization"] == pytest.approx(ops / (cycles * 16))
    assert s["energy"] == pytest.approx(sum(energy.values()))


def test_golden_layer_in_picojoules():
    # horowitz45 (pJ): every energy is divided by the MAC energy 0.85, energy_pj is the raw sum
    acc = replace(GOLDEN_ACC.with_dataflow("os"),
                  energy=replace(HOROWITZ45, capacity_exponent=0.0))
    row = simulate(loads_network(GOLDEN_NET), acc).layers.iloc[0]
    pj = (0.85 * 2700 + 0.85 * 5400 + 1.7 * 5070 + 9.5 * (974 + 466)
          + 500.0 * (DRAM_R + DRAM_W))
    assert row["energy_pj"] == pytest.approx(pj)
    assert row["energy"] == pytest.approx(pj / 0.85)
    assert row["energy_dram"] == pytest.approx(500.0 * 466 / 0.85)


# ---------------------------------------------------------------------------------------------
# Python API and result shape.
RESIDUAL_NET = """
name: resnetlet
input: [8, 6, 6]
layers:
  - {name: a, type: conv, out: 8, kernel: 3, pad: 1, bn: true, relu: true}
  - {name: b, type: conv, out: 8, kernel: 1}
  - {name: add, type: add, inputs: [b, a], relu: true}
  - {name: pool, type: maxpool, kernel: 2, stride: 2}
  - {name: gap, type: gap}
  - {name: fc, type: fc, out: 10}
"""


def test_api_frame_and_summary():
    res = simulate(loads_network(RESIDUAL_NET), Accelerator(rows=4, cols=4))
    assert isinstance(res.layers, pd.DataFrame)
    assert list(res.layers.columns[:len(SPEC_COLUMNS)]) == SPEC_COLUMNS
    assert "energy_pj" not in res.layers.columns
    assert set(SPEC_SUMMARY) <= set(res.summary)
    assert list(res.layers["name"]) == ["a", "b", "add", "pool", "gap", "fc"]
    L = res.layers
    # the add is fused into b (its only consumer is the add): a zero-cost row (model.md §6.4)
    add = L.set_index("name").loc["add"]
    assert add["dataflow"] == "fused" and add["cycles"] == 0 and add["energy"] == 0
    # pooling has no weights: the SIMD unit by default (model.md §5.1), OS on the array if asked
    assert L.set_index("name").loc["pool", "dataflow"] == "simd"
    on_array = simulate(loads_network(RESIDUAL_NET),
                        Accelerator(rows=4, cols=4, pooling_unit="array")).layers
    assert on_array.set_index("name").loc["pool", "dataflow"] == "os"
    s = res.summary
    assert s["cycles"] == L["cycles"].sum()
    assert s["macs"] == L["macs"].sum()
    assert s["params"] == L["params"].sum()
    assert s["energy"] == pytest.approx(L["energy"].sum())
    parts = ["energy_mac", "energy_rf", "energy_array", "energy_sram", "energy_dram"]
    assert (L[parts].sum(axis=1) - L["energy"]).abs().max() < 1e-6 * L["energy"].max()
    assert (L["cycles"] == L["compute_cycles"] + L["stall_cycles"]).all()


def test_fused_add_is_costed_in_its_producer():
    # b's workload gets residual = 1: the other operand (a's 8·36 outputs) is read from DRAM
    # once, and 8·36 additions are counted as MAC energy
    net = loads_network(RESIDUAL_NET)
    acc = Accelerator(rows=4, cols=4).with_dataflow("os")
    b = net["b"].workload
    plain = map_layer(b, acc)
    fused = map_layer(replace(b, residual=1), acc)
    assert fused.counts.dram_reads - plain.counts.dram_reads == 8 * 36
    assert fused.counts.adds == 8 * 36
    row = simulate(net, acc).layers.set_index("name").loc["b"]
    assert row["dram_read_bytes"] == 2 * fused.counts.dram_reads


def test_deterministic_json():
    net = loads_network(RESIDUAL_NET)
    acc = Accelerator(rows=4, cols=4)
    assert simulate(net, acc).to_json() == simulate(loads_network(RESIDUAL_NET), acc).to_json()


# ---------------------------------------------------------------------------------------------
# Invariants over random small networks and accelerators.
@st.composite
def net_and_acc(draw):
    C, H = draw(st.integers(1, 8)), draw(st.integers(3, 12))
    R = draw(st.sampled_from([1, 3]))
    stride = draw(st.integers(1, 2))
    pad = draw(st.sampled_from([0, R // 2]))
    dw = draw(st.booleans()) and C > 1
    K = C if dw else draw(st.integers(1, 12))
    layers = [{"name": "conv", "type": "conv", "out": K, "kernel": R, "stride": stride,
               "pad": pad, "groups": C if dw else 1}]
    if (H + 2 * pad - R) // stride + 1 >= 2 and draw(st.booleans()):
        layers.append({"name": "pool", "type": "maxpool", "kernel": 2, "stride": 2,
                       "ceil": True})
    if draw(st.booleans()):
        layers.append({"name": "fc", "type": "fc", "out": draw(st.integers(1, 10))})
    net = loads_network(yaml.safe_dump({"name": "rand", "input": [C, H, H], "layers": layers}))
    acc = Accelerator(rows=draw(st.sampled_from([2, 3, 4, 8])),
                      cols=draw(st.sampled_from([2, 4, 5, 8])),
                      rf_registers=draw(st.sampled_from([1, 2, 4, 16])),
                      buffer_kb=draw(st.sampled_from([1.0, 2.0, 8.0, 128.0])),
                      dram_bandwidth_gbps=draw(st.sampled_from([2.0, 16.0])),
                      dram_latency_cycles=draw(st.sampled_from([0, 100])),
                      sparsity=draw(st.sampled_from([0.0, 0.4, 0.7])))
    return net, acc


@FAST
@given(net_and_acc())
def test_utilisation_and_ideal_cycles(case):
    net, acc = case
    res = simulate(net, acc)
    for r in res.records:
        if r.ops == 0:
            continue
        assert 0 < r.utilization <= 1 + 1e-12, r.name
        assert r.cycles >= r.ops / acc.pes, r.name            # no more than one op per PE-cycle
        assert r.compute_cycles >= r.ops / acc.pes, r.name
        if r.dataflow == "ws":               # WS performs every MAC but those on padding
            assert r.ops <= r.macs
        elif r.type in ("conv", "fc") and r.out_shape.endswith("x1x1"):
            # OS with the neurons across the PEs: zero weights are delivered like the rest
            assert r.ops <= r.macs
        elif r.type in ("conv", "fc"):       # OS skips the zero weights
            assert r.ops == pytest.approx(r.macs * (1 - acc.sparsity))
    assert 0 < res.summary["utilization"] <= 1 + 1e-12


@FAST
@given(net_and_acc())
def test_hybrid_never_slower_than_either_dataflow(case):
    net, acc = case
    rows = {df: simulate(net, acc.with_dataflow(df)).layers.set_index("name")
            for df in ("os", "ws", "hybrid")}
    h, o, w = rows["hybrid"], rows["os"], rows["ws"]
    assert (h["cycles"] <= o["cycles"]).all()
    assert (h["cycles"] <= w["cycles"]).all()
    for name in h.index:                      # and it is one of them, with that one's energy
        pick = rows[h.loc[name, "dataflow"]] if h.loc[name, "dataflow"] in rows else o
        assert h.loc[name, "cycles"] == pick.loc[name, "cycles"]
        assert h.loc[name, "energy"] == pytest.approx(pick.loc[name, "energy"])


def _table(values, unit="mac", name="t"):
    return EnergyTable(name, unit, **dict(zip(ACTIONS, values)))


ENERGY_COLS = ["energy", "energy_mac", "energy_rf", "energy_array", "energy_sram",
               "energy_dram"]
unit_costs = st.lists(st.floats(0.01, 500.0), min_size=len(ACTIONS), max_size=len(ACTIONS))


@FAST
@given(net_and_acc(), unit_costs, unit_costs, st.floats(0.1, 10.0),
       st.sampled_from(["os", "ws"]))
def test_energy_is_linear_in_the_table(case, a, b, k, dataflow):
    net, acc = case
    acc = acc.with_dataflow(dataflow)      # a fixed dataflow: the table cannot change a choice

    def energies(values):
        return simulate(net, replace(acc, energy=_table(values))).layers[ENERGY_COLS]

    ea, eb = energies(a), energies(b)
    scaled = energies([k * x for x in a])
    summed = energies([x + y for x, y in zip(a, b)])
    tol = 1e-9 * (ea.abs().max().max() + eb.abs().max().max() + 1)
    assert ((scaled - k * ea).abs() <= k * tol).all().all()
    assert ((summed - (ea + eb)).abs() <= tol).all().all()


@FAST
@given(net_and_acc(), st.floats(0.1, 10.0))
def test_picojoule_energy_scales_and_normalises(case, k):
    net, acc = case
    base = simulate(net, replace(acc, energy=HOROWITZ45)).layers
    scaled_table = _table([k * getattr(HOROWITZ45, x) for x in ACTIONS], unit="pJ")
    scaled = simulate(net, replace(acc, energy=scaled_table)).layers
    # energy_pj scales by k; MAC-normalised energy does not change (both numerator and the MAC
    # energy scale); cycles and choices do not depend on the table
    assert scaled["energy_pj"].tolist() == pytest.approx((k * base["energy_pj"]).tolist())
    assert scaled["energy"].tolist() == pytest.approx(base["energy"].tolist())
    assert scaled["cycles"].tolist() == base["cycles"].tolist()


def test_energy_table_does_not_change_cycles():
    net = loads_network(RESIDUAL_NET)
    acc = Accelerator(rows=4, cols=4)
    a = simulate(net, acc).layers
    b = simulate(net, replace(acc, energy=_table([2 * getattr(EYERISS, x) for x in ACTIONS])))
    assert a["cycles"].tolist() == b.layers["cycles"].tolist()
    assert (2 * a["energy"]).tolist() == pytest.approx(b.layers["energy"].tolist())


@FAST
@given(net_and_acc())
def test_more_bandwidth_never_slower_network(case):
    net, acc = case
    slow = simulate(net, acc).summary["cycles"]
    fast = simulate(net, replace(acc, dram_bandwidth_gbps=acc.dram_bandwidth_gbps * 4))
    assert fast.summary["cycles"] <= slow


# ---------------------------------------------------------------------------------------------
# What the papers report, on the 32x32 Squeezelerator (RF 16, 128 KB, 40 % zero weights).
@pytest.fixture(scope="module")
def sq32():
    acc = load_accelerator(ROOT / "accelerators" / "squeezelerator_32x32.yaml")
    return acc.with_dataflow("os"), acc.with_dataflow("ws")


@pytest.fixture(scope="module")
def sqnxt23():
    return load_network(ROOT / "networks" / "sqnxt23.yaml")


def _cycles(w, os_acc, ws_acc):
    return map_layer(w, os_acc).cycles, map_layer(w, ws_acc).cycles


def test_rgb_first_layer_faster_in_os(sq32, sqnxt23):
    # 7x7/2 conv, 3 → 64 channels: WS maps 3 input channels on 32 rows (≤ 3/32 of the array)
    w = sqnxt23["conv1"].workload
    assert (w.C, w.K, w.R, w.stride_h) == (3, 64, 7, 2)
    os_c, ws_c = _cycles(w, *sq32)
    assert os_c < ws_c
    assert ws_c / os_c > 3            # the model gives ≈ 7.4x


def test_squeezenext_pointwise_layers_faster_in_ws(sq32, sqnxt23):
    pointwise = [n for n in sqnxt23.compute_nodes if n.type == "conv"
                 and n.workload.R == n.workload.S == 1 and n.workload.G == 1]
    assert len(pointwise) > 50
    ratios = [(n.name, *_cycles(n.workload, *sq32)) for n in pointwise]
    slower_ws = [r for r in ratios if r[2] > r[1]]
    assert not slower_ws                            # no 1x1 layer is faster in OS
    # on the array itself WS wins nearly everywhere; the stage-1 layers (55x55 maps, 8–64
    # channels) and the 16-filter reductions of stage 2 are DRAM-bound in both dataflows (the
    # same traffic), so their total cycles tie
    compute = [(map_layer(n.workload, sq32[0]).compute_cycles,
                map_layer(n.workload, sq32[1]).compute_cycles) for n in pointwise]
    assert sum(ws < os_ for os_, ws in compute) >= 0.9 * len(compute)
    for (name, os_c, ws_c), n in zip(ratios, pointwise):
        if os_c == ws_c:
            assert map_layer(n.workload, sq32[1]).stall_cycles > 0, name
    assert sum(r[2] < r[1] for r in ratios) >= 0.6 * len(ratios)


def test_depthwise_layers_faster_in_os(sq32):
    # MobileNet v1: the papers' naive WS maps one group (one channel) at a time, so a depthwise
    # pass uses one PE of 1024, streaming every in-bound pixel of every tap: G·Σ X_t cycles.
    # conv2_1/dw (32 channels, 112x112, 3x3 pad 1): Σ X_t = (111 + 112 + 111)² = 111,556 per
    # channel → 32·111,556 = 3,569,792 streaming cycles alone; OS tiles the map.
    mb = load_network(ROOT / "networks" / "mobilenet_v1.yaml")
    dw = [n for n in mb.compute_nodes if n.workload is not None and n.workload.is_depthwise]
    assert len(dw) == 13
    by = {n.name: _cycles(n.workload, *sq32) for n in dw}
    assert by["conv2_1/dw"][1] >= 32 * 334 ** 2
    for name, (os_c, ws_c) in by.items():        # every depthwise layer is far faster in OS
        assert ws_c > 5 * os_c, name
    # with ws.pack_groups (block-diagonal, up to 32 channels a pass) WS comes much closer
    packed = replace(sq32[1], ws_pack_groups=True)
    w = next(n.workload for n in dw if n.name == "conv2_1/dw")
    assert map_layer(w, packed).cycles * 10 < by["conv2_1/dw"][1]


def test_per_operand_columns_add_up(sq32, sqnxt23):
    """The per-operand buffer reads and DRAM bytes split the totals (up to byte rounding)."""
    res = simulate(sqnxt23, sq32[0].with_dataflow("hybrid"))
    for r in res.records:
        if r.dataflow == "fused":
            continue
        operands = r.dram_ifmap_bytes + r.dram_weight_bytes + r.dram_psum_bytes
        assert abs(operands - r.dram_read_bytes) <= 3, r.name
        by_array = r.sram_ifmap_reads + r.sram_weight_reads + r.sram_psum_reads
        assert by_array <= r.sram_reads + 1e-6, r.name
        assert r.dram_ifmap_bytes > 0 and (r.dram_weight_bytes > 0) == (r.params > 0), r.name


# ---------------------------------------------------------------------------------------------
# The hybrid's rule (docs/model.md §8) on the golden layer, by hand.  Eyeriss energies:
#   OS: 2700 + 5400 + 2·5070 + 6·(974 + 466) + 200·466 = 120,080
#   WS: 4056 + 4272 + 2·8652 + 6·(2582 + 1330) + 200·466 = 142,304
OS_TOTAL = 2700 + 5400 + 2 * 5070 + 6 * (974 + 466) + 200 * 466
WS_TOTAL = 4056 + 4272 + 2 * 8652 + 6 * (2582 + 1330) + 200 * 466


@pytest.mark.parametrize("objective, flow", [
    ("time", "ws"),        # 458 < 620 cycles
    ("energy", "os"),      # 120,080 < 142,304
    # energy × cycles: OS 120,080·620 = 74.4 M, WS 142,304·458 = 65.2 M
    ("edp", "ws"),
])
def test_hybrid_objective_on_the_golden_layer(objective, flow):
    acc = replace(GOLDEN_ACC, hybrid_objective=objective)
    row = simulate(loads_network(GOLDEN_NET), acc).records[0]
    assert row.dataflow == flow
    assert (row.os_cycles, row.ws_cycles) == (OS_CYCLES, WS_CYCLES)
    assert row.os_energy == pytest.approx(OS_TOTAL)
    assert row.ws_energy == pytest.approx(WS_TOTAL)
    assert row.near_tie is False          # 35 % apart in cycles: no near-tie at 5 %


def test_near_tie_flag():
    # Without DRAM energy the two differ by 26,880 (OS) vs 49,104 (WS): 1.83× > 1.2; their
    # cycles 620 vs 458 are (620 − 458)/458 = 35 % apart, a near-tie under a 40 % margin only.
    energy = {"preset": "eyeriss", "dram": 0.0, "capacity_exponent": 0}   # goldens: no scaling
    net = loads_network(GOLDEN_NET)
    for margin, flagged in ((0.40, True), (0.30, False)):
        acc = load_accelerator(None, {"pe_array.rows": 4, "pe_array.cols": 4,
                                      "rf.registers": 4, "sparsity": 0.5, "energy": energy,
                                      "hybrid.near_tie": margin})
        res = simulate(net, acc)
        row = res.records[0]
        assert (row.os_energy, row.ws_energy) == (pytest.approx(26880), pytest.approx(49104))
        assert row.near_tie is flagged
        assert res.summary.get("layers_near_tie", 0) == (1 if flagged else 0)


def test_single_dataflow_rows_carry_no_alternative():
    row = simulate(loads_network(GOLDEN_NET), GOLDEN_ACC.with_dataflow("os")).records[0]
    assert (row.os_cycles, row.ws_cycles, row.near_tie) == (None, None, None)


@pytest.mark.parametrize("net, acc, batch", [
    ("sqnxt23.yaml", {}, 1),
    ("resnet18.yaml", {"energy": HOROWITZ45}, 1),            # fused adds, pJ table
    ("alexnet.yaml", {"dataflow": "ws", "rf_registers": 1}, 4),
    ("mobilenet_v1.yaml", {"template": "systolic", "dataflow": "os"}, 1),
])
def test_summary_without_records_equals_the_records_summary(net, acc, batch):
    """simulate() hands its rows over lazily and the summary adds up the rows' cost fields
    without building the records; it must be exactly (bit for bit) the summary of the records
    themselves."""
    from sqnxt_sim.result import Result

    root = Path(__file__).resolve().parent.parent
    accel = replace(load_accelerator(str(root / "accelerators" / "squeezelerator_32x32.yaml")),
                    **acc)
    res = simulate(load_network(str(root / "networks" / net)), accel, batch)
    lazy = res.summary
    records = res.records
    again = Result(res.network, accel, list(records), batch=batch).summary
    assert lazy == again
    assert lazy.as_dict() == again.as_dict()
    assert res.records is records        # built once


def test_a_result_pickles_with_its_records():
    """A result hands its rows over lazily (closures); pickled, it carries its records."""
    import pickle

    root = Path(__file__).resolve().parent.parent
    res = simulate(load_network(str(root / "networks" / "alexnet.yaml")),
                   load_accelerator(str(root / "accelerators" / "squeezelerator_32x32.yaml")))
    back = pickle.loads(pickle.dumps(res))
    assert back.summary == res.summary
    assert back.records == res.records
    assert back.to_csv() == res.to_csv()
