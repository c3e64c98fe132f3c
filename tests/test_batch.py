"""Batch size (docs/model.md §5.2): FC and matrix-product layers take the batch's rows
together, so each weight is delivered once and used by every image; other layers run once per
image.  Batch 1 is the papers' setting and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqnxt_sim import load_accelerator, load_network, simulate
from sqnxt_sim.errors import MappingError, SweepError
from sqnxt_sim.hardware.accelerator import Accelerator
from sqnxt_sim.network.yaml_io import loads_network
from sqnxt_sim.simulate import batched
from sqnxt_sim.sweep.spec import loads_sweep

ROOT = Path(__file__).resolve().parents[1]
FC_NET = """
name: fc
input: [10, 1, 1]
layers:
  - {name: fc, type: fc, out: 6, bias: false}
"""
CONV_NET = """
name: convs
input: [4, 9, 9]
layers:
  - {name: a, type: conv, out: 8, kernel: 3, pad: 1}
  - {name: pool, type: maxpool, kernel: 2, stride: 2}
"""


def test_batch_one_changes_nothing():
    net = load_network(ROOT / "networks" / "sqnxt23.yaml")
    acc = load_accelerator(ROOT / "accelerators" / "squeezelerator_16x16.yaml")
    assert simulate(net, acc).records == simulate(net, acc, batch=1).records


def test_ws_fc_reuses_each_weight_across_the_batch():
    # FC 10 → 6 on a 4x4 WS array, RF 4 (tests/test_ws.py case E at batch 1: 25 cycles).
    # At batch 3 it is a 1×1 conv over 3 rows: C folds 4, 4, 2 and K folds 4, 2 give 6 passes
    # of X = 3 pixels (rows used 4, 4, 4, 4, 2, 2): 18 streaming cycles; preloads: the first 4
    # exposed, then max(0, 4 − 3) = 1 three times and max(0, 2 − 3) = 0 twice: 7; chain 4.
    acc = Accelerator(rows=4, cols=4, rf_registers=4, dataflow="ws")
    net = loads_network(FC_NET)
    one = simulate(net, acc).records[0]
    three = simulate(net, acc, batch=3).records[0]
    assert (one.compute_cycles, three.compute_cycles) == (25, 18 + 7 + 4)
    assert three.macs == 3 * 60 and three.params == one.params
    # the weights still come from DRAM once: 60 words, not 180
    assert three.dram_weight_bytes == one.dram_weight_bytes == 60 * 2


def test_other_layers_repeat_per_image():
    acc = Accelerator(rows=4, cols=4, rf_registers=4)
    net = loads_network(CONV_NET)
    one = {r.name: r for r in simulate(net, acc).records}
    four = {r.name: r for r in simulate(net, acc, batch=4).records}
    for name in ("a", "pool"):
        assert four[name].cycles == 4 * one[name].cycles
        assert four[name].energy == pytest.approx(4 * one[name].energy)
        assert four[name].dram_read_bytes == 4 * one[name].dram_read_bytes
    assert four["a"].macs == 4 * one["a"].macs


def test_fc_time_per_image_falls_with_the_batch_until_compute_bound():
    net = load_network(ROOT / "networks" / "alexnet.yaml")
    acc = load_accelerator(ROOT / "accelerators" / "squeezelerator_32x32.yaml")
    per_image = []
    for b in (1, 4, 16, 64):
        fc6 = next(r for r in simulate(net, acc, batch=b).records if r.name == "fc6")
        per_image.append(fc6.cycles / b)
        if b == 1:
            assert fc6.stall_cycles > 0.4 * fc6.cycles     # weight-bound at batch 1
    assert all(a > b for a, b in zip(per_image, per_image[1:]))
    assert per_image[-1] < per_image[0] / 20


def test_matmul_keeps_one_second_operand_per_image():
    net = load_network(ROOT / "networks" / "deit_tiny.yaml")
    node = next(n for n in net.compute_nodes if n.type == "matmul")
    w = node.workload
    w4, repeats = batched(node, w, 4)
    assert (w4.G, w4.P, repeats) == (4 * w.G, w.P, 1)


def test_batch_is_checked():
    net = loads_network(FC_NET)
    with pytest.raises(MappingError, match="batch must be an integer"):
        simulate(net, Accelerator(), batch=0)
    spec = loads_sweep("name: s\nnetworks: [networks/alexnet.yaml]\nbatch: 8\n"
                       "grid: {pe_array.rows: [16]}\n", str(ROOT / "s.yaml"))
    assert spec.batch == 8
    with pytest.raises(SweepError, match="batch"):
        loads_sweep("name: s\nnetworks: [networks/alexnet.yaml]\nbatch: 0\n"
                    "grid: {pe_array.rows: [16]}\n", str(ROOT / "s.yaml"))
