"""Weight-stationary template (sqnxt_sim/dataflow/weight_stationary.py): hand-worked cases.

Every expected value is worked out below from the equations of docs/model.md §4, never pasted
from the code's output.  Notation (model.md): an N_r × N_c array; a pass fixes one input-channel
fold, one output-channel fold and one tap; X = P·Q pixels streamed per pass; r_u, c_u rows and
columns used, u useful PEs; X_t the pixels a pass of tap t streams — those whose input at that
tap is not padding (padding is never streamed); Σ_t X_t = in-bound pixels of all taps.

  cycles  = Σ_passes X_t + exposed preload + max rows used
            (exposed: the first pass's rows; later passes max(0, rows − X of the pass before)
             with RF ≥ 2, all their rows with RF = 1)
  MACs    = X_t·u per pass; RF reads = MACs; RF writes = u per pass
  array   = X_t·r_u·c_u (inputs along rows) + X_t·r_u·c_u (psums down columns)
            + c_u·r_u(r_u+1)/2 (weight preload), per pass
  buffer weight reads = u per pass; ifmap reads = X_t·r_u per pass
  psums: every pass writes X_t·c_u partial sums; all but each output's first are read back
         (writes − O, O = outputs; all of them when psum_in)
"""

from __future__ import annotations

import pytest
from array_checks import check_counts

from sqnxt_sim.dataflow.weight_stationary import ws_cost
from sqnxt_sim.workload import Kind, Workload


def conv(C, K, P, Q, R=1, S=1, stride=1, pad=0, G=1) -> Workload:
    return Workload(Kind.CONV, G=G, K=K, C=C, P=P, Q=Q, R=R, S=S, stride_h=stride,
                    stride_w=stride, pad_top=pad, pad_bottom=pad, pad_left=pad, pad_right=pad)


check = check_counts


# ---------------------------------------------------------------------------------------------
# A. 3x3 conv, C = 4, K = 6, 5x5 output, pad 1, 4x4 array, RF 4 (sparsity is irrelevant to WS).
#    C folds: one of 4; K folds: 4 and 2; T = 9 → passes (r_u 4, c_u 4) ×9 and (4, 2) ×9 = 18.
#    In-bound output rows per tap row r: #{p: 0 ≤ p + r − 1 < 5} = 4, 5, 4 (columns alike), so
#    X_t = 16 20 16 / 20 25 20 / 16 20 16, Σ = 13·13 = 169 per fold (not 9·25 = 225).
A = conv(C=4, K=6, P=5, Q=5, R=3, S=3, pad=1)


def test_small_conv():
    # cycles: 2·169 + first preload 4 (later ones hidden: every X_t ≥ 16 > 4) + chain fill 4
    cycles = 2 * 169 + 4 + 4                                        # 346
    macs = 169 * (16 + 8)                                           # 4056: padding not MACed
    rf_writes = 9 * 16 + 9 * 8                                      # 216 = every weight once
    # array: 169·4·4·2 + 9·4·(4·5/2) + 169·4·2·2 + 9·2·(4·5/2) = 5768 + 2884
    array = 5768 + 2884                                             # 8652
    ifmap = 169 * 4 * 2                                             # × C × K folds = 1352
    writes = 169 * 4 + 169 * 2                                      # 1014
    check(ws_cost(A, 4, 4, 4), cycles=cycles, macs=macs, rf_writes=rf_writes, array=array,
          ifmap=ifmap, weights=216, writes=writes, psum_reads=writes - 150)


def test_small_conv_psum_in_and_single_register():
    c = ws_cost(A, 4, 4, 4, True)
    assert c.counts.sram_psum_reads == 1014                         # every write reads first
    assert c.cycles == 346                                          # psums come from the buffer
    # RF of 1 entry: no double-buffering, every pass's 4-row preload is exposed
    assert ws_cost(A, 4, 4, 1).cycles == 2 * 169 + 18 * 4 + 4       # 414


# ---------------------------------------------------------------------------------------------
# B. 1x1 conv, C = 6, K = 5, 6x6 map, 4x4 array, RF 4.
#    C folds 4, 2; K folds 4, 1 → passes (4,4,u16), (4,1,u4), (2,4,u8), (2,1,u2); X = 36.
def test_pointwise_conv():
    w = conv(C=6, K=5, P=6, Q=6)
    cycles = 4 * 36 + 4 + 4                                         # 152
    macs = 36 * (16 + 4 + 8 + 2)                                    # 1080
    # array: (4,4): 36·16·2 + 4·10 = 1192; (4,1): 36·4·2 + 1·10 = 298;
    #        (2,4): 36·8·2 + 4·3 = 588;    (2,1): 36·2·2 + 1·3 = 147
    array = 1192 + 298 + 588 + 147                                  # 2225
    ifmap = 36 * 6 * 2                                              # pixels · C · K folds
    # A = ceil(6/4)·1 = 2, O = 5·36 = 180
    check(ws_cost(w, 4, 4, 4), cycles=cycles, macs=macs, rf_writes=30, array=array,
          ifmap=ifmap, weights=30, writes=180 * 2, psum_reads=180)


# ---------------------------------------------------------------------------------------------
# C. Depthwise 3x3, G = 6 (C = K = 1), 5x5 map, pad 1, 4x4 array, RF 4; Σ X_t = 169 (as A).
#    The papers' naive WS: one group at a time, one PE (r_u = c_u = u = 1), T = 9 passes each.
def test_depthwise_conv():
    w = conv(C=1, K=1, P=5, Q=5, R=3, S=3, pad=1, G=6)
    # 6 folds · 169 + first preload 1 + chain fill 1
    cost = ws_cost(w, 4, 4, 4)
    check(cost, cycles=6 * 169 + 1 + 1, macs=6 * 169, rf_writes=54,
          array=6 * (169 * 2 + 9 * 1), ifmap=6 * 169, weights=54, writes=6 * 169,
          psum_reads=6 * 169 - 150)
    assert cost.active_pes == 1


def test_depthwise_conv_packed():
    # ws.pack_groups: g_p = min(6, 4//1, 4//1) = 4 → packs of 4 and 2 groups, block-diagonal:
    # folds (r_u 4, c_u 4, u 4) and (2, 2, u 2), T = 9 passes each
    w = conv(C=1, K=1, P=5, Q=5, R=3, S=3, pad=1, G=6)
    cycles = 2 * 169 + 4 + 4                                        # 346
    macs = 169 * (4 + 2)                                            # 1014
    # array counts the whole r_u × c_u block (idle off-diagonal PEs pass values on too):
    #   169·16·2 + 9·4·10 + 169·4·2 + 9·2·3 = 5768 + 1406
    array = 5768 + 1406                                             # 7174
    cost = ws_cost(w, 4, 4, 4, pack_groups=True)
    check(cost, cycles=cycles, macs=macs, rf_writes=54, array=array, ifmap=169 * 6,
          weights=54, writes=169 * 4 + 169 * 2, psum_reads=1014 - 150)
    assert cost.active_pes == 4


# ---------------------------------------------------------------------------------------------
# D. Stride-2 3x3 conv, pad 1, C = 2, K = 3, 9x9 input → 5x5 output, 4x4 array, RF 2.
#    One pass per tap: (r_u 2, c_u 3, u 6) ×9.  In-bound output rows per tap row: r=0:
#    p·2 − 1 ∈ [0,9) → p = 1..4 (4); r=1: p = 0..4 (5); r=2: p·2 + 1 < 9 → p = 0..3 (4);
#    Σ X_t = 13·13 = 169.
def test_stride2_conv():
    w = conv(C=2, K=3, P=5, Q=5, R=3, S=3, stride=2, pad=1)
    cycles = 169 + 2 + 2                                            # 173
    macs = 169 * 6                                                  # 1014
    array = 169 * 6 * 2 + 9 * 3 * 3                                 # 2109
    ifmap = 169 * 2                                                 # × C, one K fold
    check(ws_cost(w, 4, 4, 2), cycles=cycles, macs=macs, rf_writes=54, array=array,
          ifmap=ifmap, weights=54, writes=169 * 3, psum_reads=169 * 3 - 75)


# ---------------------------------------------------------------------------------------------
# E. Fully connected 10 → 6 on a 4x4 array, RF 4: X = 1, so weight preload dominates.
#    C folds 4, 4, 2; K folds 4, 2 → passes in order (4,4,u16)×2, (4,2,u8)×2, (2,4,u8),
#    (2,2,u4): 6 passes.
def test_fully_connected():
    w = conv(C=10, K=6, P=1, Q=1)
    # preload: first pass 4 exposed; later: max(0, rows − 1): 3 + 3 + 3 + 1 + 1
    cycles = 6 * 1 + (4 + 3 + 3 + 3 + 1 + 1) + 4                   # 25
    macs = 2 * 16 + 2 * 8 + 8 + 4                                   # 60 = every weight once
    # array: (4,4): 2·(16·2 + 4·10) = 144; (4,2): 2·(8·2 + 2·10) = 72;
    #        (2,4): 8·2 + 4·3 = 28;        (2,2): 4·2 + 2·3 = 14
    array = 144 + 72 + 28 + 14                                      # 258
    # A = ceil(10/4) = 3, O = 6
    check(ws_cost(w, 4, 4, 4), cycles=cycles, macs=macs, rf_writes=60, array=array,
          ifmap=10 * 2, weights=60, writes=6 * 3, psum_reads=6 * 2)


def test_template_wrapper():
    from sqnxt_sim.dataflow.base import template
    from sqnxt_sim.hardware.accelerator import Accelerator

    acc = Accelerator(rows=4, cols=4, rf_registers=4, sparsity=0.5)
    ws = template("ws")
    assert ws.cost(A, acc.array) == ws_cost(A, 4, 4, 4)
    assert ws.supports(A)
    assert not ws.supports(Workload(Kind.POOL_MAX, G=2, K=1, C=1, P=2, Q=2, R=2, S=2))
    assert not ws.supports(Workload(Kind.ELTWISE, G=2, K=1, C=1, P=2, Q=2))
    g = ws.granularity(A, acc.array)
    assert (g.K, g.C) == (4, 4)


def test_unknown_template_raises():
    from sqnxt_sim.dataflow.base import template
    from sqnxt_sim.errors import AcceleratorError

    with pytest.raises(AcceleratorError, match="unknown dataflow 'rs'"):
        template("rs")
