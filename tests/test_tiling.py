"""Global-buffer tiling (sqnxt_sim/tiling/, docs/model.md §6).

Golden cases work the §6.3 reuse-factor formula and the cycle formula out by hand for chosen
tilings and loop orders; a brute-force walk of the tiled loop nest (one resident tile per
operand, refetched whenever it changes) checks the closed form on random layers and tilings;
invariants check the search (fits the buffer, compulsory traffic, bandwidth monotonicity).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import product
from math import ceil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqnxt_sim.simulate  # noqa: F401  (registers the os / ws templates)
from sqnxt_sim.dataflow.base import template
from sqnxt_sim.errors import MappingError
from sqnxt_sim.hardware.accelerator import Accelerator
from sqnxt_sim.tiling import (
    LOOPS,
    Tiling,
    best_tiling,
    dram_words,
    evaluate,
    objective,
    working_set,
)
from sqnxt_sim.workload import Kind, Workload

OS = template("os")
WS = template("ws")
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def conv(C, K, P, Q, R=1, S=1, stride=1, pad=0, G=1, H=0, W=0) -> Workload:
    return Workload(Kind.CONV, G=G, K=K, C=C, P=P, Q=Q, R=R, S=S, stride_h=stride,
                    stride_w=stride, H=H, W=W, pad_top=pad, pad_bottom=pad, pad_left=pad,
                    pad_right=pad)


# ---------------------------------------------------------------------------------------------
# Golden case 1: 1x1 conv, C = K = 8, 4x4 map.  Whole working set 8·16 + 64 + 8·16 = 320 words,
# double-buffered 640 > a 0.5 KB buffer (256 words), so it must be tiled.
# Tiling K = 4, C = 4, P = 2, Q = 4 (whole): trips n_K = n_C = n_P = 2, n_Q = 1.
# Working set of one tile: ifmap 4·2·4 = 32, weights 4·4 = 16, outputs 4·2·4 = 32 → 80 words
# (160 double-buffered ≤ 256).  Base traffic: ifmap 128, weights 64, outputs 128 words.
L1 = conv(C=8, K=8, P=4, Q=4)
T_KCP = Tiling(1, 4, 4, 2, 4, ("K", "C", "P"))
T_PKC = Tiling(1, 4, 4, 2, 4, ("P", "K", "C"))


def acc_for(bw_gbps=1.0, latency=10, kb=0.5, **kw) -> Accelerator:
    # 500 MHz: 1 GB/s → 2 bytes/cycle, 3 GB/s → 6, 16 GB/s → 32; 16-bit words (2 bytes)
    return Accelerator(rows=4, cols=4, rf_registers=4, sparsity=0.5, buffer_kb=kb,
                       dram_bandwidth_gbps=bw_gbps, dram_latency_cycles=latency,
                       clock_mhz=500.0, **kw)


def test_golden_working_set_and_fit():
    acc = acc_for()
    assert acc.buffer_words == 256
    assert working_set(L1, 1, 8, 8, 4, 4) == 320 and 2 * 320 > 256
    assert working_set(L1, 1, 4, 4, 2, 4) == 32 + 16 + 32


def test_golden_dram_words_two_orders():
    # order K > C > P (outermost first):
    #   ifmap {C,P,Q}: innermost relevant tiled loop P; outside it K (not relevant) → factor 2
    #   weight {K,C}: innermost relevant C; outside it K (relevant)               → factor 1
    #   ofmap {K,P,Q}: innermost relevant P; outside it K (rel.), C (not rel.)     → factor 2
    #   psum reads = output writes − outputs = 256 − 128
    assert dram_words(L1, T_KCP) == (128 * 2, 64 * 1, 256 - 128, 128 * 2)
    # order P > K > C:
    #   ifmap: innermost relevant C; outside P (rel.), K (not rel.)                → factor 2
    #   weight: innermost relevant C; outside P (not rel.), K (rel.)               → factor 2
    #   ofmap: innermost relevant K; outside P (rel.)                              → factor 1
    assert dram_words(L1, T_PKC) == (128 * 2, 64 * 2, 0, 128)


def test_golden_compute_cycles_of_the_tiling():
    # OS tile K4 C4 P2 Q4 on 4x4, RF 4, sparsity 0.5: f = 4, one tile row t_r = 2, n_Q = 1,
    # b_u = ceil(0.5·4·1) = 2 broadcasts per channel, so with preload overlap each channel
    # takes max(2, t_r) = 2 after the first preload: 2 + 4·2 = 10 steps.  First C slice:
    # 10 + drain 4·2 = 18; later slice (psum_in): 10 + 2·4·2 = 26.
    # (P tiles 2) × (K tiles 2) × (18 + 26) = 176.  Without overlap: C·(t_r + b_u) = 16 steps,
    # 24 and 32, → 224.
    tc = evaluate(L1, OS, acc_for(), T_KCP)
    assert tc.compute_cycles == 4 * (18 + 26)
    assert evaluate(L1, OS, acc_for(os_preload_overlap=False), T_KCP).compute_cycles == 224


@pytest.mark.parametrize("bw, tiling, cycles", [
    # B = 2 bytes/word.  Exposed transfers (§6.3) are one array step's, whatever the tiling:
    # OS steps are k = RF = 4 filters, c = 1 channel, a 4x4 output tile: inputs 1·4·4 = 16 +
    # weights 4·1 = 4 → first input 20 words; outputs of the last step 4·4·4 = 64 words.
    # K>C>P at 2 B/cycle: traffic (256 + 64 + 128 + 256)·2 = 1408 B;
    #   prologue 10 + 20·2/2 = 30; rest (1408 − (20 + 64)·2)/2 = 620 > compute 176;
    #   epilogue 64·2/2 = 64 → 30 + 620 + 64 = 714 (DRAM-bound: latency + all traffic)
    (1.0, T_KCP, 30 + 620 + 64),
    # P>K>C at 2 B/cycle: traffic (256 + 128 + 0 + 128)·2 = 1024 B; rest (1024 − 168)/2 = 428
    (1.0, T_PKC, 30 + 428 + 64),
    # K>C>P at 32 B/cycle: prologue 10 + 40/32 = 11.25; rest 1240/32 = 38.75 < compute 176;
    #   epilogue 128/32 = 4 → ceil(191.25) = 192 (compute-bound)
    (16.0, T_KCP, 192),
    # K>C>P at 6 B/cycle: prologue 10 + 40/6; rest 1240/6 = 206.7 > compute 176; epilogue
    #   128/6 → 10 + (40 + 1240 + 128)/6 = 244.7 → 245 (DRAM-bound now)
    (3.0, T_KCP, 245),
])
def test_golden_cycles(bw, tiling, cycles):
    tc = evaluate(L1, OS, acc_for(bw_gbps=bw), tiling)
    assert tc.cycles == cycles
    assert tc.stall_cycles == cycles - 176


def test_golden_counts_and_bytes():
    tc = evaluate(L1, OS, acc_for(), T_KCP)
    reads, writes = 256 + 64 + 128, 256
    assert (tc.dram_read_bytes, tc.dram_write_bytes) == (2 * reads, 2 * writes)
    c = tc.counts
    assert (c.dram_reads, c.dram_writes) == (reads, writes)
    # the buffer is written once per word fetched and read once per word sent to DRAM
    assert (c.sram_fill_writes, c.sram_drain_reads) == (reads, writes)
    # the on-array counts are the template's, summed over tiles: 16 outputs per K-tile·P-tile,
    # written once per C slice (2 slices): 4 · 32 · 2
    assert c.sram_writes == 4 * 32 * 2


# Golden case 2: the halo.  3x3 conv, pad 1, C = 4, K = 6, 5x5 map (input 5x5).
# P tiles of 2 read input rows [-1,3) → 3, [1,5) → 4, [3,6) → 2 in-bound: Σ = 9 (vs 5 untiled);
# Q whole: 5 columns.  Base ifmap = C·9·5 = 180; weights 6·4·9 = 216; outputs 6·25 = 150.
L2 = conv(C=4, K=6, P=5, Q=5, R=3, S=3, pad=1)


def test_golden_halo_two_orders():
    # K tiled by 4 (n_K = 2), P by 2 (n_P = 3), C and Q whole
    # K > P: ifmap factor n_K = 2 (K outside P, not relevant); weights 1; outputs 1
    assert dram_words(L2, Tiling(1, 4, 4, 2, 5, ("K", "P"))) == (180 * 2, 216, 0, 150)
    # P > K: ifmap 1; weights: innermost relevant K, P outside and not relevant → n_P = 3
    assert dram_words(L2, Tiling(1, 4, 4, 2, 5, ("P", "K"))) == (180, 216 * 3, 0, 150)


def test_operand_with_no_tiled_loop_is_fetched_once():
    # Regression: with P and Q tiled and K, C whole, the weights are one resident tile and are
    # read once, whatever the order (the factor used to be Π order[:-1] = n_P or n_Q).
    w = conv(C=4, K=4, P=8, Q=8, R=3, S=3, pad=1)
    for order in (("P", "Q"), ("Q", "P")):
        assert dram_words(w, Tiling(1, 4, 4, 4, 4, order))[1] == w.weight_elems


# ---------------------------------------------------------------------------------------------
# Brute force: walk the loop nest tile by tile.
def _touched_range(start, count, stride, kernel, pad, size):
    rows = {p * stride + r - pad for p in range(start, start + count) for r in range(kernel)}
    return len(rows & set(range(size)))


def _inbound(start, count, stride, kernel, pad, size):
    """Input rows some window of output rows start … start+count−1 covers (padding never read;
    with stride > kernel the rows between windows are not needed either)."""
    return _touched_range(start, count, stride, kernel, pad, size)


def brute_force_dram(w: Workload, t: Tiling) -> tuple[int, int, int, int]:
    """G outermost, then ``t.order``, then the untiled loops (one trip each).  Each operand
    keeps one resident tile and fetches a tile whenever the indices it depends on change; an
    output tile that leaves is written, and read back (a partial sum) if it comes again."""
    def runs(total, size):
        return [(s, min(size, total - s)) for s in range(0, total, size)]

    dims = {"G": runs(w.G, t.G), "K": runs(w.K, t.K), "C": runs(w.C, t.C),
            "P": runs(w.P, t.P), "Q": runs(w.Q, t.Q)}
    order = ("G", *t.order, *(lp for lp in LOOPS if lp not in t.order))
    uses = {"ifmap": ("G", "C", "P", "Q"), "weight": ("G", "K", "C"),
            "ofmap": ("G", "K", "P", "Q")}

    def words(op, it):
        g, k, c = dims["G"][it["G"]][1], dims["K"][it["K"]][1], dims["C"][it["C"]][1]
        (p0, p), (q0, q) = dims["P"][it["P"]], dims["Q"][it["Q"]]
        if op == "ifmap":
            return (g * c * _inbound(p0, p, w.stride_h, w.R, w.pad_top, w.H)
                    * _inbound(q0, q, w.stride_w, w.S, w.pad_left, w.W))
        if op == "weight":
            return g * k * c * w.R * w.S
        return g * k * p * q

    resident: dict = {}
    written: set = set()
    ifm = wts = psum = out = 0
    last = None
    for idx in product(*(range(len(dims[lp])) for lp in order)):
        it = dict(zip(order, idx))
        for op, rel in uses.items():
            key = tuple(it[lp] for lp in rel)
            if resident.get(op, (None,))[0] == key:
                continue
            if op == "ifmap":
                ifm += words(op, it)
            elif op == "weight":
                wts += words(op, it)
            else:
                if op in resident:
                    prev_key, prev_it = resident[op]
                    out += words(op, prev_it)
                    written.add(prev_key)
                if key in written:
                    psum += words(op, it)
            resident[op] = (key, it)
        last = it
    out += words("ofmap", resident["ofmap"][1])
    assert last is not None
    return ifm, wts, psum, out


@st.composite
def conv_and_tiling(draw):
    R, S = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(0, 1))
    H, W = draw(st.integers(max(1, R - 2 * pad), 9)), draw(st.integers(max(1, S - 2 * pad), 9))
    P, Q = (H + 2 * pad - R) // stride + 1, (W + 2 * pad - S) // stride + 1
    G, K, C = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    w = conv(C=C, K=K, P=P, Q=Q, R=R, S=S, stride=stride, pad=pad, G=G, H=H, W=W)
    sizes = {d: draw(st.integers(1, getattr(w, d))) for d in "GKCPQ"}
    tiled = [lp for lp in LOOPS if sizes[lp] < getattr(w, lp)]
    order = tuple(draw(st.permutations(tiled)))
    return w, Tiling(sizes["G"], sizes["K"], sizes["C"], sizes["P"], sizes["Q"], order)


@settings(max_examples=150, deadline=None)
@given(conv_and_tiling())
def test_dram_words_match_brute_force(case):
    w, t = case
    assert dram_words(w, t) == brute_force_dram(w, t)


# ---------------------------------------------------------------------------------------------
# The search.
@st.composite
def layer_and_acc(draw):
    R = draw(st.sampled_from([1, 3]))
    stride = draw(st.integers(1, 2))
    pad = draw(st.sampled_from([0, R // 2]))
    H = draw(st.integers(R, 12))
    P = (H + 2 * pad - R) // stride + 1
    if draw(st.booleans()):
        G = 1
        C, K = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    else:                                   # depthwise
        G, C, K = draw(st.integers(2, 8)), 1, 1
    w = conv(C=C, K=K, P=P, Q=P, R=R, S=R, stride=stride, pad=pad, G=G, H=H, W=H)
    acc = Accelerator(rows=draw(st.sampled_from([2, 4, 8])),
                      cols=draw(st.sampled_from([2, 4, 8])),
                      rf_registers=draw(st.sampled_from([1, 2, 4, 8])),
                      buffer_kb=draw(st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0])),
                      dram_bandwidth_gbps=draw(st.sampled_from([1.0, 4.0, 16.0])),
                      dram_latency_cycles=draw(st.sampled_from([0, 10, 100])),
                      sparsity=draw(st.sampled_from([0.0, 0.4, 0.5])))
    return w, acc, draw(st.sampled_from([OS, WS]))


def _best_or_none(w, tmpl, acc):
    try:
        return best_tiling(w, tmpl, acc)
    except MappingError:
        return None


def _touched(out, stride, kernel, pad, size):
    return _touched_range(0, out, stride, kernel, pad, size)


@FAST
@given(layer_and_acc())
def test_search_fits_and_moves_at_least_the_compulsory_traffic(case):
    w, acc, tmpl = case
    tc = _best_or_none(w, tmpl, acc)
    if tc is None:
        return
    t = tc.tiling
    assert 2 * working_set(w, t.G, t.K, t.C, t.P, t.Q) <= acc.buffer_words
    if 2 * working_set(w, w.G, w.K, w.C, w.P, w.Q) <= acc.buffer_words:
        # the untiled layer moves the least data and computes least; exposed transfers do not
        # depend on the tiling (§6.3), so nothing beats it (an equal tiling may be chosen)
        whole = evaluate(w, tmpl, acc, Tiling(w.G, w.K, w.C, w.P, w.Q, ()))
        assert objective(tc, acc.buffer) == objective(whole, acc.buffer)
    # every weight and every input element some output needs is read at least once (padding
    # is never read), every output written at least once; nothing is reused across layers
    inputs = (w.G * w.C * _touched(w.P, w.stride_h, w.R, w.pad_top, w.H)
              * _touched(w.Q, w.stride_w, w.S, w.pad_left, w.W))
    wb = acc.word_bytes
    assert tc.dram_read_bytes >= (w.weight_elems + inputs) * wb
    assert tc.dram_write_bytes >= w.ofmap_elems * wb
    assert tc.cycles >= tc.compute_cycles >= 0
    assert tc.cycles >= acc.dram_latency_cycles


@FAST
@given(layer_and_acc())
def test_more_bandwidth_is_never_slower(case):
    w, acc, tmpl = case
    tc = _best_or_none(w, tmpl, acc)
    if tc is None:
        return
    faster = best_tiling(w, tmpl, replace(acc, dram_bandwidth_gbps=acc.dram_bandwidth_gbps * 2))
    assert faster.cycles <= tc.cycles
    # and lower latency is never slower either
    assert best_tiling(w, tmpl, replace(acc, dram_latency_cycles=0)).cycles <= tc.cycles


# A bigger buffer only adds candidates (§6.1).  Time-first: never slower; and when the smaller
# buffer's mapping is DRAM-bound its cycles are latency + all traffic / bandwidth, so the bigger
# buffer's (no slower) mapping cannot move more data, but for the ceiling of one cycle.  When
# the smaller buffer's mapping is compute-bound, a bigger buffer may buy speed with traffic
# (e.g. no partial-sum spills but narrower filter tiles): that is what "fastest first" means;
# with tiling.objective: traffic the bigger buffer never moves more data.
@FAST
@given(layer_and_acc())
def test_bigger_buffer_is_never_slower(case):
    w, acc, tmpl = case
    small = _best_or_none(w, tmpl, acc)
    if small is None:
        return
    big = best_tiling(w, tmpl, replace(acc, buffer_kb=acc.buffer_kb * 2))
    assert big.cycles <= small.cycles
    traffic = lambda tc: tc.dram_read_bytes + tc.dram_write_bytes  # noqa: E731
    bw = acc.dram_bytes_per_cycle
    if small.cycles == ceil(acc.dram_latency_cycles + traffic(small) / bw - 1e-9):  # DRAM-bound
        assert traffic(big) <= traffic(small) + bw


@FAST
@given(layer_and_acc())
def test_bigger_buffer_never_more_traffic_when_traffic_first(case):
    w, acc, tmpl = case
    acc = replace(acc, tiling_objective="traffic")
    small = _best_or_none(w, tmpl, acc)
    if small is None:
        return
    big = best_tiling(w, tmpl, replace(acc, buffer_kb=acc.buffer_kb * 2))
    assert (big.dram_read_bytes + big.dram_write_bytes
            <= small.dram_read_bytes + small.dram_write_bytes)
    # the compulsory traffic is the floor either way
    assert big.dram_read_bytes >= w.weight_elems * acc.word_bytes


# Shrunk examples found while the model still broke monotonicity (kept as regressions): a
# layer that fitted was not tiled, so none of its traffic overlapped compute (37 → 53 cycles);
# only the widest Q was kept; finer-than-array tiles were tried only when nothing else fitted.
TINY = conv(C=1, K=1, P=4, Q=4)                       # 16 MACs


def test_bigger_buffer_never_slower_regression():
    acc = Accelerator(rows=2, cols=2, rf_registers=2, sparsity=0.0, buffer_kb=0.125,
                      dram_bandwidth_gbps=1.0, dram_latency_cycles=0)
    small = best_tiling(TINY, OS, acc)
    big = best_tiling(TINY, OS, replace(acc, buffer_kb=0.25))
    assert big.cycles <= small.cycles


@pytest.mark.parametrize("w, fields, kb", [
    (conv(C=1, K=3, P=4, Q=4), dict(rows=2, cols=2, rf_registers=2, sparsity=0.0,
                                    dram_bandwidth_gbps=16.0, dram_latency_cycles=0), 0.125),
    (conv(C=1, K=3, P=8, Q=8), dict(rows=4, cols=8, rf_registers=1, sparsity=0.0,
                                    dram_bandwidth_gbps=1.0, dram_latency_cycles=0), 0.25),
], ids=["widest-Q-pruning", "granularity-fallback"])
def test_bigger_buffer_never_more_dram_traffic_regression(w, fields, kb):
    acc = Accelerator(buffer_kb=kb, **fields)
    small = best_tiling(w, OS, acc)
    big = best_tiling(w, OS, replace(acc, buffer_kb=kb * 2))
    assert (big.dram_read_bytes + big.dram_write_bytes
            <= small.dram_read_bytes + small.dram_write_bytes)


def test_buffer_too_small_names_the_field():
    acc = Accelerator(rows=4, cols=4, buffer_kb=0.001)
    with pytest.raises(MappingError) as e:
        best_tiling(L2, OS, acc)
    assert e.value.field == "global_buffer.kb"
    # smallest tile G = K = C = P = Q = 1: ifmap 3·3 + weights 9 + output 1 = 19 words, ×2 ×2 B
    assert f"{2 * 19 * 2 / 1024:.1f} KB" in str(e.value)
