"""Output-stationary template (sqnxt_sim/dataflow/output_stationary.py): hand-worked cases.

Every expected value is worked out below from the equations of docs/model.md §3, never pasted
from the code's output.  Notation (model.md): an N_r × N_c array, F = rf.registers filters per
PE, T = R·S taps, φ phases, t_r the height of a tile row, f the size of a filter group,
n_Q = ceil(Q / N_c) column tiles, pes = t_r·Q busy PEs summed over the column tiles.

  b_u    = ceil((1 − sparsity)·f·T_u) broadcasts of one (channel, phase) unit of T_u taps
  b      = C·Σ_phases b_u
  cycles = Σ_tile rows Σ_filter groups G·n_Q·(steps + f·t_r·(2 if psum_in else 1))
  steps  = C·Σ_u (t_r + b_u)                                   without preload overlap
         = t_r + C·Σ_u max(b_u, t_r) − max(b_last, t_r) + b_last with it (the default)
  MACs   = (1 − sparsity)·f·C·T·pes ; RF reads = RF writes = MACs
  array  = b·pes + C·max(0, T − φ)·pes + C·φ·t_r(t_r+1)/2·Q + f·t_r(t_r+1)/2·Q (per drain)
  buffer ifmap reads  = G·n_groups·C·Σ rows_in·Σ cols_in  (halo in, padding out)
  buffer weight reads = b per tile row, filter group and column tile
  buffer writes       = f·pes (psum reads the same when psum_in)
"""

from __future__ import annotations

from array_checks import check_counts

from sqnxt_sim.dataflow.output_stationary import os_cost
from sqnxt_sim.workload import Kind, Workload


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
    # b_u = ceil(0.5·f·9): 18 (f=4), 9 (f=2); ×C = 72, 36 — as b above.
    # Without overlap, cycles per (t_r, f): G·n_Q·(b + C·φ·t_r + f·t_r)
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
    check(os_cost(A, 4, 4, 4, 0.5, overlap=False), cycles=cycles, macs=macs, array=array,
          ifmap=ifmap, weights=weights, writes=writes)
    # with overlap every b_u ≥ t_r, so each unit's broadcasts hide the next preload and
    # steps = t_r + C·b_u:  t_r=4: 2·(4 + 72 + 16) + 2·(4 + 36 + 8) = 184 + 96;
    #                       t_r=1: 2·(1 + 72 + 4) + 2·(1 + 36 + 2) = 154 + 78
    check(os_cost(A, 4, 4, 4, 0.5), cycles=184 + 96 + 154 + 78, macs=macs, array=array,
          ifmap=ifmap, weights=weights, writes=writes)


def test_small_conv_psum_in():
    # a later input-channel slice: every drain term doubles (psums come back in first)
    #   t_r=4, f=4: 2·(72 + 16 + 32) = 240      t_r=4, f=2: 2·(36 + 16 + 16) = 136
    #   t_r=1, f=4: 2·(72 +  4 +  8) = 168      t_r=1, f=2: 2·(36 +  4 +  4) =  88
    cycles = 240 + 136 + 168 + 88                                   # 632
    # array: one more f·hops_col per (t_r, f): 4·50 + 2·50 + 4·5 + 2·5 = 330
    array = 5070 + 330
    check(os_cost(A, 4, 4, 4, 0.5, True, overlap=False), cycles=cycles, macs=2700,
          array=array, ifmap=392,
          weights=432, writes=150, psum_reads=150)


def test_small_conv_dense_and_whole_rf():
    # sparsity 0 and RF 8: one filter group f = 6; b = 6·9·4 = 216
    #   t_r=4: 2·(216 + 16 + 24) = 512      t_r=1: 2·(216 + 4 + 6) = 452
    cost = os_cost(A, 4, 4, 8, 0.0, overlap=False)
    assert cost.cycles == 512 + 452
    assert cost.counts.macs == 6 * 4 * 9 * 25                       # every MAC is performed
    assert cost.counts.sram_ifmap_reads == 1 * 4 * 7 * 7            # one filter group
    assert cost.counts.sram_weight_reads == 2 * 2 * 216


# ---------------------------------------------------------------------------------------------
# B. 1x1 conv, C = 6, K = 5, 6x6 map, 4x4 array, RF 4, sparsity 0.4.
#    T = 1, φ = 1; f = 4 and 1; t_r = 4 and 2; n_Q = 2.
#    b_u(4) = ceil(0.6·4·1) = ceil(2.4) = 3, b_u(1) = ceil(0.6) = 1 per channel:
#    b(4) = 6·3 = 18, b(1) = 6·1 = 6 (each channel's non-zero weights rounded up).
def test_pointwise_conv():
    w = conv(C=6, K=5, P=6, Q=6)
    # overlap: steps = t_r + C·max(b_u, t_r) − max(b_u, t_r) + b_u, then f·t_r drain
    #   t_r=4, f=4: 4 + 24 − 4 + 3 + 16 = 43      t_r=4, f=1: 4 + 24 − 4 + 1 + 4 = 29
    #   t_r=2, f=4: 2 + 18 − 3 + 3 +  8 = 28      t_r=2, f=1: 2 + 12 − 2 + 1 + 2 = 15
    cycles = 2 * (43 + 29 + 28 + 15)                                # 230
    macs = 0.6 * 5 * 6 * 36                                         # 648
    # array: t_r=4: pes 24, hops_col 10·6 = 60; t_r=2: pes 12, hops_col 3·6 = 18; T − φ = 0
    #   t_r=4, f=4: 18·24 + 0 + 6·60 + 4·60 = 432 + 360 + 240 = 1032
    #   t_r=4, f=1:  6·24 + 0 + 6·60 + 1·60 = 144 + 360 +  60 =  564
    #   t_r=2, f=4: 18·12 + 0 + 6·18 + 4·18 = 216 + 108 +  72 =  396
    #   t_r=2, f=1:  6·12 + 0 + 6·18 + 1·18 =  72 + 108 +  18 =  198
    array = 1032 + 564 + 396 + 198                                  # 2190
    ifmap = 2 * 6 * (4 + 2) * (4 + 2)                               # n_groups·C·Σrows·Σcols
    weights = 2 * 2 * (18 + 6)                                      # 96
    check(os_cost(w, 4, 4, 4, 0.4), cycles=cycles, macs=macs, array=array, ifmap=ifmap,
          weights=weights, writes=5 * 36)
    # without overlap: C·(t_r + b_u) + f·t_r: t_r=4: 6·7 + 16 = 58, 6·5 + 4 = 34;
    #                                         t_r=2: 6·5 + 8 = 38, 6·3 + 2 = 20
    assert os_cost(w, 4, 4, 4, 0.4, overlap=False).cycles == 2 * (58 + 34 + 38 + 20)


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
#    4x4 array, RF 2, sparsity 0.5.  φ = min(2,3)·min(2,3) = 4 polyphase units per channel,
#    of 4, 2, 2 and 1 taps (rows {0,2}×cols {0,2}, {0,2}×{1}, {1}×{0,2}, {1}×{1}); T = 9.
#    f = 2 and 1; t_r = 4 and 1; n_Q = 2.
#    b_u(f=2) = ceil(0.5·2·(4, 2, 2, 1)) = 4, 2, 2, 1 → b = 2·9 = 18;
#    b_u(f=1) = ceil(0.5·(4, 2, 2, 1))   = 2, 1, 1, 1 → b = 2·5 = 10.
def test_stride2_conv():
    w = conv(C=2, K=3, P=5, Q=5, R=3, S=3, stride=2, pad=1)
    assert (w.H, w.W) == (9, 9)
    # overlap: t_r + C·Σ max(b_u, t_r) − max(b_last, t_r) + b_last, then f·t_r drain
    #   t_r=4, f=2: Σ max = 16: 4 + 32 − 4 + 1 + 8 = 41     f=1: Σ max = 16: 4 + 32 − 4 + 1 + 4 = 37
    #   t_r=1, f=2: Σ max = 9:  1 + 18 − 1 + 1 + 2 = 21     f=1: Σ max = 5:  1 + 10 − 1 + 1 + 1 = 12
    cycles = 2 * (41 + 37 + 21 + 12)                                # 222
    macs = 0.5 * 3 * 2 * 9 * 25                                     # 675
    # array: C·(T − φ)·pes = 2·5·pes; C·φ·hops_col = 2·4·hops_col
    #   t_r=4 (pes 20, hops 50), f=2: 18·20 + 200 + 400 + 2·50 = 1060
    #                            f=1: 10·20 + 200 + 400 + 1·50 =  850
    #   t_r=1 (pes 5, hops 5),   f=2: 18·5 + 50 + 40 + 2·5     =  190
    #                            f=1: 10·5 + 50 + 40 + 1·5     =  145
    array = 1060 + 850 + 190 + 145                                  # 2245
    # rows_in: tile [0,4) reads input rows -1..7 → in-bound 0..7 = 8; tile [4,5) reads 7..9 → 2
    ifmap = 2 * 2 * (8 + 2) * (8 + 2)                               # n_groups·C·Σrows·Σcols
    weights = 2 * 2 * (18 + 10)                                     # 112
    check(os_cost(w, 4, 4, 2, 0.5), cycles=cycles, macs=macs, array=array, ifmap=ifmap,
          weights=weights, writes=3 * 25)


# ---------------------------------------------------------------------------------------------
# E. Fully connected 10 → 6 on a 4x4 array, RF 4, sparsity 0.4.
#    As a layer with a 1×1 output map (vector_out, §3.2) its 6 neurons sit on PEs row-major:
#    row 0 holds 4, row 1 holds 2 → one chunk, t_r = 2; E = 10 input elements.
def test_fully_connected_across_pes():
    w = Workload(Kind.CONV, G=1, K=6, C=10, P=1, Q=1, vector_out=True)
    # overlap: E·t_r weight-row cycles + 1 last broadcast, then t_r drain: 20 + 1 + 2
    # without: E·(t_r + 1) + t_r = 30 + 2
    # array per element: weight hops Σ(row+1) = 4·1 + 2·2 = 8, input broadcast to 6 PEs;
    # drain Σ(t_r − row) = 4·2 + 2·1 = 10:  10·(8 + 6) + 10 = 150
    # zero weights are delivered like the others: MACs = 6·10 dense; each weight read once,
    # each input once per chunk
    check(os_cost(w, 4, 4, 4, 0.4), cycles=23, macs=60, array=150, ifmap=10, weights=60,
          writes=6)
    assert os_cost(w, 4, 4, 4, 0.4, overlap=False).cycles == 32
    assert os_cost(w, 4, 4, 4, 0.4).active_pes == 6


def test_fully_connected_on_one_pe():
    # The same layer with os.fc_across_pes off (or a conv tile that happens to be 1×1): one
    # 1×1 output tile, f = 4 and 2, t_r = 1, n_Q = 1, φ = 1.
    # b_u(4) = ceil(0.6·4) = 3 per channel → b = 30; b_u(2) = ceil(1.2) = 2 → b = 20.
    w = conv(C=10, K=6, P=1, Q=1)
    # overlap: 1 + C·max(b_u, 1) − max(b_u, 1) + b_u + f: f=4: 1 + 30 − 3 + 3 + 4 = 35;
    #                                                    f=2: 1 + 20 − 2 + 2 + 2 = 23
    cycles = 35 + 23                                                # 58
    macs = 0.6 * 6 * 10                                             # 36
    # array: pes 1, hops_col 1: f=4: 30 + 0 + 10 + 4 = 44; f=2: 20 + 0 + 10 + 2 = 32
    array = 44 + 32
    check(os_cost(w, 4, 4, 4, 0.4), cycles=cycles, macs=macs, array=array, ifmap=2 * 10,
          weights=30 + 20, writes=6)
    assert os_cost(w, 4, 4, 4, 0.4).active_pes == 1
    vec = Workload(Kind.CONV, G=1, K=6, C=10, P=1, Q=1, vector_out=True)
    assert os_cost(vec, 4, 4, 4, 0.4, fc_across=False) == os_cost(w, 4, 4, 4, 0.4)


# ---------------------------------------------------------------------------------------------
# Layers without weights run on OS with nothing to skip, F = 1.
def test_max_pool_ignores_sparsity_and_rf():
    # 2x2 / 2 max pool, 3 channels, 6x6 → 3x3 map, 4x4 array: one 3x3 block fits, not two
    # (⌊4/3⌋·⌊4/3⌋ = 1), so channels run one after another (§3).  G = 3, C = K = 1, T = 4,
    # φ = min(2,2)·min(2,2) = 4 units of one tap each; one tile row of t_r = 3; n_Q = 1;
    # b_u = 1 (nothing skipped), b = 4.  Overlap: 3 + Σ max(1, 3) − 3 + 1, drain 3 → 16.
    w = Workload(Kind.POOL_MAX, G=3, K=1, C=1, P=3, Q=3, R=2, S=2, stride_h=2, stride_w=2)
    cost = os_cost(w, 4, 4, 16, 0.4)
    assert cost.cycles == 3 * (3 + 4 * 3 - 3 + 1 + 3)               # 48
    assert os_cost(w, 4, 4, 16, 0.4, overlap=False).cycles == 3 * (4 + 4 * 3 + 3)   # 57
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
    assert os_t.cost(A, acc.array) == os_cost(A, 4, 4, 4, 0.5)
    g = os_t.granularity(A, acc.array)
    assert (g.K, g.C, g.P, g.Q) == (4, 1, 4, 4)
    assert os_t.supports(Workload(Kind.POOL_AVG, G=2, K=1, C=1, P=2, Q=2, R=2, S=2))
