"""The SIMD unit for pooling and unfused adds (docs/model.md §5.1): hand-worked cases.

cycles = ceil(words read / lanes); pooling reads every in-bound window element of every output
(one compare or add each), an add reads every operand of every output (operands − 1 additions);
every output is written once.  No PE, RF or inter-PE traffic.
"""

from __future__ import annotations

import pytest

from sqnxt_sim.dataflow.base import template
from sqnxt_sim.dataflow.simd import simd_cost
from sqnxt_sim.hardware.accelerator import Accelerator
from sqnxt_sim.workload import Kind, Workload


def test_max_pool_2x2_stride_2():
    # 3 channels, 6x6 → 3x3: every window element in bounds, 4 per output: 3·9·4 = 108 words;
    # 4 lanes → 27 cycles; 108 compares; 27 outputs written
    w = Workload(Kind.POOL_MAX, G=3, K=1, C=1, P=3, Q=3, R=2, S=2, stride_h=2, stride_w=2)
    c = simd_cost(w, 4)
    assert c.cycles == 27
    assert (c.counts.macs, c.counts.sram_ifmap_reads, c.counts.sram_writes) == (108, 108, 27)
    assert (c.counts.rf_reads, c.counts.array) == (0, 0)


def test_padded_3x3_pool_skips_padding():
    # 3x3 / 1, pad 1, 4x4 map, 2 channels: in-bound rows per window row r: #{p: 0 ≤ p+r−1 < 4}
    # = 3, 4, 3 → 10 per axis, 100 window elements per channel, 200 words; 32 lanes → 7 cycles
    w = Workload(Kind.POOL_AVG, G=2, K=1, C=1, P=4, Q=4, R=3, S=3, pad_top=1, pad_bottom=1,
                 pad_left=1, pad_right=1)
    c = simd_cost(w, 32)
    assert c.cycles == 7
    assert (c.counts.macs, c.counts.sram_ifmap_reads, c.counts.sram_writes) == (200, 200, 32)


def test_eltwise_add():
    # 3 operands, 2 channels, 3x3: 54 words read, 36 additions, 18 outputs; 8 lanes → 7 cycles
    w = Workload(Kind.ELTWISE, G=2, K=1, C=1, P=3, Q=3, operands=3)
    c = simd_cost(w, 8)
    assert c.cycles == 7
    assert (c.counts.macs, c.counts.sram_ifmap_reads, c.counts.sram_writes) == (36, 54, 18)
    assert (c.counts.rf_reads, c.counts.rf_writes, c.counts.array) == (0, 0, 0)


def test_lanes_default_to_the_array_columns():
    w = Workload(Kind.POOL_MAX, G=3, K=1, C=1, P=3, Q=3, R=2, S=2, stride_h=2, stride_w=2)
    simd = template("simd")
    assert simd.cost(w, Accelerator(rows=4, cols=6).array).cycles == 18          # ceil(108 / 6)
    assert simd.cost(w, Accelerator(rows=4, cols=6, simd_lanes=27).array).cycles == 4
    assert not simd.supports(Workload(Kind.CONV, G=1, K=1, C=1, P=1, Q=1))


@pytest.mark.parametrize("lanes", [1, 5, 64])
def test_more_lanes_never_slower(lanes):
    w = Workload(Kind.POOL_MAX, G=5, K=1, C=1, P=7, Q=7, R=3, S=3, stride_h=2, stride_w=2)
    assert simd_cost(w, lanes + 1).cycles <= simd_cost(w, lanes).cycles
