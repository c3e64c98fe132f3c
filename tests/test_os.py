"""Output-stationary template (sqnxt_sim/dataflow/output_stationary.py): hand-worked cases.

Every expected value is worked out below from the equations of docs/model.md §3, never pasted
from the code's output.  Notation (model.md): an N_r × N_c array, F = rf.registers filters per
PE, T = R·S taps, φ phases, t_r the height of a tile row, f the size of a filter group,
n_Q = ceil(Q / N_c) column tiles, pes = t_r·Q busy PEs summed over the column tiles.

  cycles = Σ_tile rows Σ_filter groups G·n_Q·(b + C·φ·t_r + f·t_r·(2 if psum_in else 1))
  b      = ceil((1 − sparsity)·f·T·C)
  MACs   = (1 − sparsity)·f·C·T·pes ; RF reads = RF writes = MACs
  array  = b·pes + C·max(0, T − φ)·pes + C·φ·t_r(t_r+1)/2·Q + f·t_r(t_r+1)/2·Q (per drain)
  buffer ifmap reads  = G·n_groups·C·Σ rows_in·Σ cols_in  (halo in, padding out)
  buffer weight reads = b per tile row, filter group and column tile
  buffer writes       = f·pes (psum reads the same when psum_in)
"""

from __future__ import annotations

from array_checks import check_counts

from sqnxt_sim.dataflow.output_stationary import os_cost
from sqnxt_sim.dataflow.workload import Kind, Workload


def conv(C, K, P, Q, R=1, S=1, stride=1, pad=0, G=1) -> Workload:
    return Workload(Kind.CONV, G=G, K=K, C=C, P=P, Q=Q, R=R, S=S, stride_h=stride,
                    stride_w=stride, pad_top=pad, pad_bottom=pad, pad_left=pad, pad_right=pad)


check = check_counts


# ---------------------------------------------------------------------------------------------
# A. 3x3 conv, C = 4, K = 6, 5x5 output, pad 1 (input 5x5), 4x4 array, RF 4, sparsity 0.5.
#    T = 9, φ = min(1,3)·min(1,3) = 1.  Filter groups of F = 4: f = 4 and f = 2 (n_groups = 2).
#    Tile rows: t_r = 4 and t_r = 1.  n_Q = ceil(5/4) = 2.
#    b(f=4) = ceil(0.5·4·9·4) = 72, b(f=2) = ceil(0.5·2·9·4) = 36.
A = conv(C=4, K=6, P=5, Q=5, R=3, S=3, pad=1)


def test_small_conv_shape():
    assert (A.H, A.W) == (5, 5)       # (5-1)·1 + 3 - 1 - 1


def test_small_conv():
    # cycles, per (t_r, f): G·n_Q·(b + C·φ·t_r + f·t_r)
    #   t_r=4, f=4: 2·(72 + 16 + 16) = 208      t_r=4, f=2: 2·(36 + 16 + 8) = 120
    #   t_r=1, f=4: 2·(72 +  4 +  4) = 160      t_r=1, f=2: 2·(36 +  4 + 2) =  84
    cycles = 208 + 120 + 160 + 84                                   # 572
    # MACs: pes = 4·5 = 20 and 1·5 = 5 → 25 output pixels; 0.5·(4+2)·4·9·25
    macs = 0.5 * 6 * 4 * 9 * 25                                     # 2700
    # array, per (t_r, f); hops_col = t_r(t_r+1)/2·Q: t_r=4 → 10·5 = 50, t_r=1 → 1·5 = 5
    #   t_r=4, f=4: 72·20 + 4·8·20 + 4·1·50 + 4·50 = 1440 + 640 + 200 + 200 = 2480
    #   t_r=4, f=2: 36·20 + 640 + 200 + 2·50       =  720 + 640 + 200 + 100 = 1660
    #   t_r=1, f=4: 72·5 + 4·8·5 + 4·1·5 + 4·5     =  360 + 160 +  20 +  20 =  560
    #   t_r=1, f=2: 36·5 + 160 + 20 + 2·5          =  180 + 160 +  20 +  10 =  370
    array = 2480 + 1660 + 560 + 370                                 # 5070
    # ifmap: row tiles [0,4) reads input rows -1..4 → 5 in-bound, [4,5) reads 3..5 → 2;
    #   Σ rows_in = 7, Σ cols_in = 7; G·n_groups·C·7·7 = 1·2·4·49
    ifmap = 2 * 4 * 7 * 7                                           # 392
    # weights: n_Q·b per (t_r, f): 2 tile rows · 2 column tiles · (72 + 36)
    weights = 2 * 2 * (72 + 36)                                     # 432
    writes = 6 * 25                                                 # f·pes = K·P·Q = 150
    check(os_cost(A, 4, 4, 4, 0.5), cycles=cycles, macs=macs, array=array, ifmap=ifmap,
          weights=weights, writes=writes)


def test_small_conv_psum_in():
    # a later input-channel slice: every drain term doubles (psums come back in first)
    #   t_r=4, f=4: 2·(72 + 16 + 32) = 240      t_r=4, f=2: 2·(36 + 16 + 16) = 136
    #   t_r=1, f=4: 2·(72 +  4 +  8) = 168      t_r=1, f=2: 2·(36 +  4 +  4) =  88
    cycles = 240 + 136 + 168 + 88                                   # 632
    # array: one more f·hops_col per (t_r, f): 4·50 + 2·50 + 4·5 + 2·5 = 330
    array = 5070 + 330
    check(os_cost(A, 4, 4, 4, 0.5, True), cycles=cycles, macs=2700, array=array, ifmap=392,
          weights=432, writes=150, psum_reads=150)


def test_small_conv_dense_and_whole_rf():
    # sparsity 0 and RF 8: one filter group f = 6; b = 6·9·4 = 216
    #   t_r=4: 2·(216 + 16 + 24) = 512      t_r=1: 2·(216 + 4 + 6) = 452
    cost = os_cost(A, 4, 4, 8, 0.0)
    assert cost.cycles == 512 + 452
    assert cost.counts.macs == 6 * 4 * 9 * 25                       # every MAC is performed
    assert cost.counts.sram_ifmap_reads == 1 * 4 * 7 * 7            # one filter group
    assert cost.counts.sram_weight_reads == 2 * 2 * 216


# ---------------------------------------------------------------------------------------------
# B. 1x1 conv, C = 6, K = 5, 6x6 map, 4x4 array, RF 4, sparsity 0.4.
#    T = 1, φ = 1; f = 4 and 1; t_r = 4 and 2; n_Q = 2.
#    b(4) = ceil(0.6·4·1·6) = ceil(14.4) = 15, b(1) = ceil(0.6·1·1·6) = ceil(3.6) = 4.
def test_pointwise_conv():
    w = conv(C=6, K=5, P=6, Q=6)
    #   t_r=4, f=4: 2·(15 + 24 + 16) = 110     t_r=4, f=1: 2·(4 + 24 + 4) = 64
    #   t_r=2, f=4: 2·(15 + 12 +  8) =  70     t_r=2, f=1: 2·(4 + 12 + 2) = 36
    cycles = 110 + 64 + 70 + 36                                     # 280
    macs = 0.6 * 5 * 6 * 36                                         # 648
    # array: t_r=4: pes 24, hops_col 10·6 = 60; t_r=2: pes 12, hops_col 3·6 = 18; T − φ = 0
    #   t_r=4, f=4: 15·24 + 0 + 6·60 + 4·60 = 360 + 360 + 240 = 960
    #   t_r=4, f=1:  4·24 + 0 + 6·60 + 1·60 =  96 + 360 +  60 = 516
    #   t_r=2, f=4: 15·12 + 0 + 6·18 + 4·18 = 180 + 108 +  72 = 360
    #   t_r=2, f=1:  4·12 + 0 + 6·18 + 1·18 =  48 + 108 +  18 = 174
    array = 960 + 516 + 360 + 174                                   # 2010
    ifmap = 2 * 6 * (4 + 2) * (4 + 2)                               # n_groups·C·Σrows·Σcols
    weights = 2 * 2 * (15 + 4)                                      # 76
    check(os_cost(w, 4, 4, 4, 0.4), cycles=cycles, macs=macs, array=array, ifmap=ifmap,
          weights=weights, writes=5 * 36)


# ---------------------------------------------------------------------------------------------
# C. Depthwise 3x3, 6 channels (G = 6, C = K = 1), 5x5 map, pad 1, 4x4 array, RF 4, sp. 0.5.
#    One filter per group: f = 1 (the RF cannot help); t_r = 4 and 1; n_Q = 2; T = 9, φ = 1.
#    b = ceil(0.5·1·9·1) = ceil(4.5) = 5.
def test_depthwise_conv():
    w = conv(C=1, K=1, P=5, Q=5, R=3, S=3, pad=1, G=6)
    assert w.is_depthwise
    # G·n_Q·Σ_t_r (b + C·φ·t_r + f·t_r) = 6·2·((5 + 4 + 4) + (5 + 1 + 1))
    cycles = 6 * 2 * (13 + 7)                                       # 240
    macs = 0.5 * 9 * 25 * 6                                         # 675
    # array per group: t_r=4: 5·20 + 1·8·20 + 1·1·50 + 1·50 = 100 + 160 + 50 + 50 = 360
    #                  t_r=1: 5·5 + 1·8·5 + 1·1·5 + 1·5     =  25 +  40 +  5 +  5 =  75
    array = 6 * (360 + 75)                                          # 2610
    ifmap = 6 * 1 * 1 * 7 * 7                                       # G·n_groups·C·Σrows·Σcols
    weights = 6 * 2 * (5 + 5)                                       # G·n_Q·b per tile row
    check(os_cost(w, 4, 4, 4, 0.5), cycles=cycles, macs=macs, array=array, ifmap=ifmap,
          weights=weights, writes=6 * 25)


# ---------------------------------------------------------------------------------------------
# D. Stride-2 3x3 conv, pad 1, C = 2, K = 3, input 9x9 → P = Q = (9 + 2 − 3)//2 + 1 = 5,
#    4x4 array, RF 2, sparsity 0.5.  φ = min(2,3)·min(2,3) = 4 polyphase preloads; T = 9.
#    f = 2 and 1; t_r = 4 and 1; n_Q = 2; b(2) = ceil(0.5·2·9·2) = 18, b(1) = 9.
def test_stride2_conv():
    w = conv(C=2, K=3, P=5, Q=5, R=3, S=3, stride=2, pad=1)
    assert (w.H, w.W) == (9, 9)
    #   t_r=4, f=2: 2·(18 + 2·4·4 + 2·4) = 2·58 = 116    t_r=4, f=1: 2·(9 + 32 + 4) = 90
    #   t_r=1, f=2: 2·(18 + 2·4·1 + 2·1) = 2·28 =  56    t_r=1, f=1: 2·(9 +  8 + 1) = 36
    cycles = 116 + 90 + 56 + 36                                     # 298
    macs = 0.5 * 3 * 2 * 9 * 25                                     # 675
    # array: C·(T − φ)·pes = 2·5·pes; C·φ·hops_col = 2·4·hops_col
    #   t_r=4 (pes 20, hops 50), f=2: 18·20 + 200 + 400 + 2·50 = 1060
    #                            f=1:  9·20 + 200 + 400 + 1·50 =  830
    #   t_r=1 (pes 5, hops 5),   f=2: 18·5 + 50 + 40 + 2·5     =  190
    #                            f=1:  9·5 + 50 + 40 + 1·5     =  140
    array = 1060 + 830 + 190 + 140                                  # 2220
    # rows_in: tile [0,4) reads input rows -1..7 → in-bound 0..7 = 8; tile [4,5) reads 7..9 → 2
    ifmap = 2 * 2 * (8 + 2) * (8 + 2)                               # n_groups·C·Σrows·Σcols
    weights = 2 * 2 * (18 + 9)                                      # 108
    check(os_cost(w, 4, 4, 2, 0.5), cycles=cycles, macs=macs, array=array, ifmap=ifmap,
          weights=weights, writes=3 * 25)


# ---------------------------------------------------------------------------------------------
# E. Fully connected 10 → 6 (a 1x1 conv on a 1x1 map): OS uses one PE.  4x4 array, RF 4,
#    sparsity 0.4.  f = 4 and 2; t_r = 1; n_Q = 1; b(4) = ceil(0.6·4·10) = 24, b(2) = 12.
def test_fully_connected():
    w = conv(C=10, K=6, P=1, Q=1)
    cycles = (24 + 10 + 4) + (12 + 10 + 2)                          # 62
    macs = 0.6 * 6 * 10                                             # 36
    # array: pes 1, hops_col 1: f=4: 24 + 0 + 10 + 4 = 38; f=2: 12 + 0 + 10 + 2 = 24
    array = 38 + 24
    check(os_cost(w, 4, 4, 4, 0.4), cycles=cycles, macs=macs, array=array, ifmap=2 * 10,
          weights=24 + 12, writes=6)
    assert os_cost(w, 4, 4, 4, 0.4).active_pes == 1


# ---------------------------------------------------------------------------------------------
# Layers without weights run on OS with nothing to skip, F = 1.
def test_max_pool_ignores_sparsity_and_rf():
    # 2x2 / 2 max pool, 3 channels, 6x6 → 3x3 map, 4x4 array: one 3x3 block fits, not two
    # (⌊4/3⌋·⌊4/3⌋ = 1), so channels run one after another (§3).  G = 3, C = K = 1, T = 4,
    # φ = min(2,2)·min(2,2) = 4; one tile row of t_r = 3; n_Q = 1; b = 4 (nothing skipped).
    w = Workload(Kind.POOL_MAX, G=3, K=1, C=1, P=3, Q=3, R=2, S=2, stride_h=2, stride_w=2)
    cost = os_cost(w, 4, 4, 16, 0.4)
    assert cost.cycles == 3 * (4 + 1 * 4 * 3 + 1 * 3)               # 57
    assert cost.counts.macs == 3 * 4 * 9                            # window ops: G·T·pes
    assert cost.counts.sram_weight_reads == 0
    assert cost.counts.sram_ifmap_reads == 3 * 6 * 6                # each input read once
    # array: b·pes + C·max(0, T − φ)·pes + C·φ·hops + f·hops, hops = (1+2+3)·3 = 18
    assert cost.counts.array == 3 * (4 * 9 + 0 + 4 * 18 + 18)


def test_small_pool_runs_channels_side_by_side():
    # §3.1: the same pool on a 4x4 input (2x2 map) fits the 4x4 array ⌊4/2⌋·⌊4/2⌋ = 4 times,
    # so the 3 channels share one pass: blocks 0,1 in array rows 0-1, block 2 in rows 2-3;
    # used = ⌈3/2⌉·2 = 4 rows; T = 4 loads of 4 rows each, then 4 rows drain.
    w = Workload(Kind.POOL_MAX, G=3, K=1, C=1, P=2, Q=2, R=2, S=2, stride_h=2, stride_w=2)
    cost = os_cost(w, 4, 4, 16, 0.4)
    assert cost.cycles == 4 * 4 + 4                                  # 20
    assert cost.counts.macs == 3 * 4 * 4                            # G·P·Q outputs × T
    assert cost.counts.sram_ifmap_reads == 3 * 4 * 4                # each input read once
    assert cost.counts.sram_writes == 3 * 4
    # hops: block row 0 spans 4 columns, rows 0-1: loads 4·(1+2) each, drains (4-0)+(4-1);
    # block row 1 spans 2 columns, rows 2-3: loads 4·(3+4) each, drains (4-2)+(4-3)
    assert cost.counts.array == 4 * (4 * 3 + 7) + 2 * (4 * 7 + 3)    # 138
    assert cost.active_pes == 3 * 4


def test_eltwise_add():
    # 3 operands, 2 channels, 3x3 map, 4x4 array: φ = 3 preloads, b = operands − 1 = 2
    w = Workload(Kind.ELTWISE, G=2, K=1, C=1, P=3, Q=3, operands=3)
    cost = os_cost(w, 4, 4, 16, 0.4)
    assert cost.cycles == 2 * (2 + 1 * 3 * 3 + 1 * 3)               # 28
    assert cost.counts.macs == 2 * 2 * 9                            # (operands − 1)·pes·G
    assert cost.counts.sram_ifmap_reads == 3 * 2 * 9                # every operand read once
    assert cost.counts.sram_writes == 2 * 9


def test_template_wrapper_uses_accelerator_fields():
    from sqnxt_sim.dataflow.base import template
    from sqnxt_sim.hardware.accelerator import Accelerator

    acc = Accelerator(rows=4, cols=4, rf_registers=4, sparsity=0.5)
    os_t = template("os")
    assert os_t.cost(A, acc) == os_cost(A, 4, 4, 4, 0.5)
    g = os_t.granularity(A, acc)
    assert (g.K, g.C, g.P, g.Q) == (4, 1, 4, 4)
    assert os_t.supports(Workload(Kind.POOL_AVG, G=2, K=1, C=1, P=2, Q=2, R=2, S=2))
