"""The analytical model against the brute-force walk of tests/reference/reference.py (issue 6).

The reference walks the loop nests of docs/model.md event by event and shares no counting code
with sqnxt_sim; here hypothesis draws small random layers and arrays and demands that both give
the same numbers.

Equality is exact for every count and for cycles, with one stated exception: with sparsity > 0
the OS MACs (and the RF reads/writes, one each per MAC) follow the doc's expected-value
convention, MACs = (1 − sparsity) · dense MACs (§3, §9), a fraction the model computes in
floating point; they are compared to the exact fraction within a relative 1e-12.  The reference
also runs a concrete weight pattern with exactly b = ceil((1 − sparsity)·f·T·C) non-zero weights
per tile row and filter group (the broadcasts the model counts), and the test checks the bound
the expected-value MACs guarantee against it: expected ≤ pattern < expected + Σ busy PEs over
(tile row, filter group, column tile), because b exceeds (1 − sparsity)·f·T·C by less than one
broadcast, and a broadcast feeds every busy PE.

Domain: kernels 1–5 per axis (1×3 and 3×1 included), strides 1–2, padding 0…kernel−1 per side,
groups (dense, grouped, depthwise), 1–40 input and output channels, input maps 1–20, arrays
2×2…8×8, RF 1–16, sparsity 0 or 0.4, with and without partial sums coming in; pooling and
element-wise adds in OS; for tiling, random tile sizes along G, K, C, P, Q, every loop order and
fused residual adds.  Layers are shrunk to a walk budget so the file runs in 10–20 s.

Open findings are isolated, not hidden: the counts they affect are checked on the rest of the
domain, every other count on the whole domain, and their minimal cases are strict xfails at the
end of the file (they turn into failures, to be un-marked, once the code is fixed).
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqnxt_sim.dataflow.base import template
from sqnxt_sim.dataflow.output_stationary import os_cost
from sqnxt_sim.dataflow.simd import simd_cost
from sqnxt_sim.dataflow.weight_stationary import ws_cost
from sqnxt_sim.hardware.accelerator import Accelerator
from sqnxt_sim.tiling import Tiling, array_cost, dram_words
from sqnxt_sim.workload import Kind, Workload

from .reference import COUNT_FIELDS, Tally, walk_buffer, walk_os, walk_simd, walk_ws

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- layers -----------------------------------------------------------------------------------

def _shrink(G, K, C, H, W, R, S, budget):
    """Deterministically shrink a drawn layer until its dense MACs fit the walk budget."""
    while G * K * C * R * S * H * W > budget:
        if K * C > 4:
            K, C = (max(1, K // 2), C) if K >= C else (K, max(1, C // 2))
        elif H * W > 16:
            H, W = (max(1, H // 2), W) if H >= W else (H, max(1, W // 2))
        elif G > 1:
            G = max(1, G // 2)
        else:
            break
    return G, K, C, H, W


def make_conv(G, K, C, H, W, R, S, sh, sw, pads, residual=0) -> Workload:
    pt, pb, pl, pr = pads
    H = max(H, R - pt - pb)            # at least one output row / column
    W = max(W, S - pl - pr)
    P = (H + pt + pb - R) // sh + 1
    Q = (W + pl + pr - S) // sw + 1
    return Workload(Kind.CONV, G=G, K=K, C=C, P=P, Q=Q, R=R, S=S, stride_h=sh, stride_w=sw,
                    H=H, W=W, pad_top=pt, pad_bottom=pb, pad_left=pl, pad_right=pr,
                    residual=residual)


@st.composite
def conv_layers(draw, max_channels=40, max_map=20, budget=60_000, residual=False,
                sparse_stride=None):
    """``sparse_stride``: None — any stride 1–2; False — stride ≤ kernel on both axes;
    True — stride > kernel on at least one axis (a 1×1 stride-2 axis: the inputs between two
    output pixels are never read, finding 1 below)."""
    R, S = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    if sparse_stride:
        if draw(st.booleans()):
            R, sh = 1, 2
        else:
            S, sw = 1, 2
    elif sparse_stride is False:
        sh, sw = min(sh, R), min(sw, S)
    pads = (draw(st.integers(0, R - 1)), draw(st.integers(0, R - 1)),
            draw(st.integers(0, S - 1)), draw(st.integers(0, S - 1)))
    shape = draw(st.sampled_from(["dense", "grouped", "depthwise"]))
    if shape == "dense":
        G = 1
        C, K = draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    elif shape == "grouped":
        G = draw(st.integers(2, 8))
        per = max(1, max_channels // G)
        C, K = draw(st.integers(1, per)), draw(st.integers(1, per))
    else:
        G, C, K = draw(st.integers(2, max_channels)), 1, 1
    H, W = draw(st.integers(1, max_map)), draw(st.integers(1, max_map))
    G, K, C, H, W = _shrink(G, K, C, H, W, R, S, budget)
    res = draw(st.integers(0, 2)) if residual else 0
    return make_conv(G, K, C, H, W, R, S, sh, sw, pads, res)


@st.composite
def pool_or_add_layers(draw):
    if draw(st.booleans()):
        R, S = draw(st.integers(1, 5)), draw(st.integers(1, 5))
        sh, sw = min(R, draw(st.integers(1, 2))), min(S, draw(st.integers(1, 2)))
        pads = (draw(st.integers(0, R - 1)), draw(st.integers(0, R - 1)),
                draw(st.integers(0, S - 1)), draw(st.integers(0, S - 1)))
        conv = make_conv(draw(st.integers(1, 12)), 1, 1, draw(st.integers(1, 20)),
                         draw(st.integers(1, 20)), R, S, sh, sw, pads)
        kind = draw(st.sampled_from([Kind.POOL_MAX, Kind.POOL_AVG]))
        return Workload(kind, G=conv.G, K=1, C=1, P=conv.P, Q=conv.Q, R=R, S=S, stride_h=sh,
                        stride_w=sw, H=conv.H, W=conv.W, pad_top=pads[0], pad_bottom=pads[1],
                        pad_left=pads[2], pad_right=pads[3])
    P, Q = draw(st.integers(1, 20)), draw(st.integers(1, 20))
    return Workload(Kind.ELTWISE, G=draw(st.integers(1, 12)), K=1, C=1, P=P, Q=Q,
                    operands=draw(st.integers(2, 4)))


arrays = st.tuples(st.integers(2, 8), st.integers(2, 8), st.integers(1, 16),
                   st.sampled_from([0.0, 0.4]))


# -- comparison -------------------------------------------------------------------------------

def mismatches(cost, ref: Tally, fractional_macs: bool, skip=()) -> dict:
    got = {"cycles": cost.cycles, "active_pes": cost.active_pes,
           **{f: getattr(cost.counts, f) for f in COUNT_FIELDS}}
    want = {"cycles": ref.cycles, "active_pes": ref.active_pes,
            **{f: getattr(ref, f) for f in COUNT_FIELDS}}
    bad = {}
    for name, v in want.items():
        if name in skip:
            continue
        if fractional_macs and name in ("macs", "rf_reads", "rf_writes"):
            ok = math.isclose(got[name], float(v), rel_tol=1e-12, abs_tol=1e-9)
        else:
            ok = got[name] == v
        if not ok:
            bad[name] = (got[name], v if not isinstance(v, Fraction) else float(v))
    return bad


def check_os(w: Workload, rows, cols, rf, sp, psum_in, skip=(), overlap=True, fc_across=True):
    ref = walk_os(w, rows, cols, rf, sp, psum_in, overlap=overlap, fc_across=fc_across)
    bad = mismatches(os_cost(w, rows, cols, rf, sp, psum_in, overlap, fc_across), ref, sp > 0,
                     skip)
    assert not bad, f"{w} on {rows}x{cols} rf={rf} sparsity={sp} psum_in={psum_in} " \
                    f"overlap={overlap}: (model, reference) = {bad}"
    # the bound the expected-value MACs guarantee against the concrete weight pattern: each
    # (channel, phase) unit broadcasts less than one weight more than its expected non-zeros,
    # and a broadcast feeds every busy PE
    assert ref.macs <= ref.macs_pattern
    assert ref.macs_pattern - ref.macs < ref.pattern_slack or ref.macs == ref.macs_pattern
    if sp == 0:
        assert ref.macs == ref.macs_pattern


def check_ws(w: Workload, rows, cols, rf, psum_in, pack_groups=False):
    ref = walk_ws(w, rows, cols, rf, psum_in, pack_groups=pack_groups)
    bad = mismatches(ws_cost(w, rows, cols, rf, psum_in, pack_groups), ref, False)
    assert not bad, f"{w} on {rows}x{cols} rf={rf} psum_in={psum_in} pack={pack_groups}: " \
                    f"(model, reference) = {bad}"


# Finding 1 (fixed): when the stride exceeds the kernel along an axis (1×1 stride 2 —
# SqueezeNext's projection shortcuts and the first 1×1 of stages 2–4) the inputs between two
# output pixels are never used; the model once counted the whole span of a tile's input rows.
# The stride > kernel domain keeps its own tests and the minimal cases below.


# -- §3 output stationary ---------------------------------------------------------------------

@settings(max_examples=200, **SETTINGS)
@given(conv_layers(sparse_stride=False), arrays, st.booleans(), st.booleans())
def test_os_conv_matches_reference(w, arr, psum_in, overlap):
    check_os(w, *arr, psum_in, overlap=overlap)


@settings(max_examples=60, **SETTINGS)
@given(conv_layers(sparse_stride=True), arrays, st.booleans(), st.booleans())
def test_os_conv_stride_over_kernel_matches_reference(w, arr, psum_in, overlap):
    check_os(w, *arr, psum_in, overlap=overlap)


@settings(max_examples=80, **SETTINGS)
@given(pool_or_add_layers(), arrays, st.booleans(), st.booleans())
def test_os_pool_and_add_match_reference(w, arr, psum_in, overlap):
    check_os(w, *arr, psum_in, overlap=overlap)


@st.composite
def vector_layers(draw):
    """Layers with a 1×1 output map: FC (a 1×1 kernel on a 1×1 map) or a conv reducing its
    whole (possibly padded) input, dense or grouped."""
    G = draw(st.sampled_from([1, 1, 2, 3]))
    K, C = draw(st.integers(1, 80)), draw(st.integers(1, 12))
    R, S = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pt, pl = draw(st.integers(0, R - 1)), draw(st.integers(0, S - 1))
    return Workload(Kind.CONV, G=G, K=K, C=C, P=1, Q=1, R=R, S=S, H=R - pt, W=S - pl,
                    pad_top=pt, pad_left=pl, vector_out=True)


@settings(max_examples=80, **SETTINGS)
@given(vector_layers(), arrays, st.booleans(), st.booleans(), st.booleans())
def test_os_vector_layer_matches_reference(w, arr, psum_in, overlap, fc_across):
    check_os(w, *arr, psum_in, overlap=overlap, fc_across=fc_across)


@settings(max_examples=80, **SETTINGS)
@given(pool_or_add_layers(), st.integers(1, 40))
def test_simd_matches_reference(w, lanes):
    ref = walk_simd(w, lanes)
    bad = mismatches(simd_cost(w, lanes), ref, False, skip=("active_pes",))
    assert not bad, f"{w} on {lanes} lanes: (model, reference) = {bad}"


def test_os_hand_worked_layer():
    """A 3×3 pad-1 conv, C=3, K=5, 7×6 map on a 4×4 array, RF 2, 40 % zero weights, by hand:
    tile rows 4+3, column tiles 4+2 (n_Q = 2); filter groups 2, 2, 1; T = 9, φ = 1, so one
    (channel, phase) unit per channel with b = ceil(0.6·f·9) broadcasts: 11 (f=2), 6 (f=1).

    With overlap (a shadow input register): t + C·max(b, t) − max(b, t) + b, then f·t drain:
    t=4: f=2 4+33−11+11+8 = 45, f=1 4+18−6+6+4 = 26;  t=3: f=2 3+33−11+11+6 = 42,
    f=1 3+18−6+6+3 = 24  →  2·((45·2 + 26) + (42·2 + 24)) = 448.
    Without: C·(t + b) + f·t: t=4: 53, 34; t=3: 48, 30  →  2·(53·2 + 34 + 48·2 + 30) = 532.
    Weight reads = C·b per tile row, group and column tile = 2·2·(33+33+18) = 336."""
    w = make_conv(1, 5, 3, 7, 6, 3, 3, 1, 1, (1, 1, 1, 1))
    c = os_cost(w, 4, 4, 2, 0.4)
    assert (c.cycles, c.counts.sram_weight_reads) == (448, 336)
    assert os_cost(w, 4, 4, 2, 0.4, overlap=False).cycles == 532
    check_os(w, 4, 4, 2, 0.4, False)
    check_os(w, 4, 4, 2, 0.4, False, overlap=False)


def test_os_hand_worked_fc_layer():
    """FC 100 → 70 on a 4×8 array (32 PEs), overlap on: chunks of 32, 32, 6 neurons using
    4, 4 and 1 rows.  Per chunk E·t_r + 1 cycles of weight rows and broadcasts (E = 100
    inputs), then t_r drain: (400+1+4)·2 + (100+1+1) = 912.  Without overlap E·(t_r + 1) + t_r:
    (500+4)·2 + (200+1) = 1,209.  Weight reads: every weight once, 7,000; input reads: once per
    chunk, 300."""
    w = Workload(Kind.CONV, G=1, K=70, C=100, P=1, Q=1, vector_out=True)
    c = os_cost(w, 4, 8, 16, 0.4)
    assert (c.cycles, c.counts.sram_weight_reads, c.counts.sram_ifmap_reads) == (912, 7000, 300)
    assert os_cost(w, 4, 8, 16, 0.4, overlap=False).cycles == 1209
    check_os(w, 4, 8, 16, 0.4, False)


# -- §4 weight stationary (every stride: WS reads exactly the in-bound pixels of each tap) ----

@settings(max_examples=200, **SETTINGS)
@given(conv_layers(), arrays, st.booleans())
def test_ws_conv_matches_reference(w, arr, psum_in):
    rows, cols, rf, _ = arr
    check_ws(w, rows, cols, rf, psum_in)


@settings(max_examples=80, **SETTINGS)
@given(conv_layers(), arrays, st.booleans())
def test_ws_packed_groups_match_reference(w, arr, psum_in):
    rows, cols, rf, _ = arr
    check_ws(w, rows, cols, rf, psum_in, pack_groups=True)


# -- §6 tiling: DRAM words for every loop order -----------------------------------------------

@st.composite
def tilings(draw, layers=None, max_visits=300):
    if layers is None:
        layers = conv_layers(max_channels=16, max_map=14, budget=40_000, residual=True,
                             sparse_stride=False)
    w = draw(layers)
    dims = {"G": w.G, "K": w.K, "C": w.C, "P": w.P, "Q": w.Q}
    size = {d: draw(st.integers(1, n)) for d, n in dims.items()}
    while math.prod(-(-dims[d] // size[d]) for d in dims) > max_visits:
        d = max(dims, key=lambda d: -(-dims[d] // size[d]))
        size[d] = min(dims[d], size[d] * 2)
    return w, size


def _orders(w, size):
    """Every order of the tiled loops (what the search tries), and every order of all four."""
    tiled = [lp for lp, n in (("K", w.K), ("C", w.C), ("P", w.P), ("Q", w.Q)) if size[lp] < n]
    yield from permutations(tiled)
    yield from permutations("KCPQ")


def check_dram(w, size, skip_ifmap=False):
    for order in _orders(w, size):
        t = Tiling(size["G"], size["K"], size["C"], size["P"], size["Q"], tuple(order))
        ref = walk_buffer(w, t.G, t.K, t.C, t.P, t.Q, t.order)
        want = (ref.ifmap + ref.residual, ref.weight, ref.psum_reads, ref.writes)
        got = dram_words(w, t)
        if skip_ifmap:
            got, want = got[1:], want[1:]
        assert got == want, f"{w}, tiling {t} ({order}): (ifmap, weight, psum, out) " \
                            f"model {got} != reference {want}"


@settings(max_examples=150, **SETTINGS)
@given(tilings())
def test_dram_words_match_buffer_walk(ws):
    check_dram(*ws)


@settings(max_examples=40, **SETTINGS)
@given(tilings(conv_layers(max_channels=16, max_map=14, budget=40_000, residual=True,
                           sparse_stride=True)))
def test_dram_words_stride_over_kernel_match(ws):
    check_dram(*ws)


@st.composite
def add_tilings(draw):
    w = Workload(Kind.ELTWISE, G=draw(st.integers(1, 6)), K=1, C=1, P=draw(st.integers(1, 12)),
                 Q=draw(st.integers(1, 12)), operands=draw(st.integers(2, 3)))
    return draw(tilings(layers=st.just(w)))


@settings(max_examples=40, **SETTINGS)
@given(add_tilings())
def test_dram_words_match_buffer_walk_add(ws):
    check_dram(*ws)


# -- §6.2 the array cost of a tiled layer is the sum over its buffer tiles --------------------

def check_tiled_array(w, size, arr, dataflow, skip=()):
    rows, cols, rf, sp = arr
    acc = Accelerator(rows=rows, cols=cols, rf_registers=rf, sparsity=sp)
    walk = walk_buffer(w, size["G"], size["K"], size["C"], size["P"], size["Q"], ())
    ref = Tally()
    for box, first in walk.boxes:      # later input-channel slices bring partial sums in
        ref += (walk_os(w, rows, cols, rf, sp, not first, box) if dataflow == "os"
                else walk_ws(w, rows, cols, rf, not first, box))
    tmpl = template(dataflow)
    got = array_cost(w, tmpl, tmpl.key(acc.array), size["G"], size["K"], size["C"], size["P"],
                     size["Q"])
    bad = mismatches(got, ref, dataflow == "os" and sp > 0, skip)
    assert not bad, f"{w}, {dataflow} tiles {size} on {rows}x{cols} rf={rf} sp={sp}: " \
                    f"(model, reference) = {bad}"


@settings(max_examples=100, **SETTINGS)
@given(tilings(conv_layers(max_channels=16, max_map=14, budget=20_000), max_visits=40), arrays,
       st.sampled_from(["os", "ws"]))
def test_tiled_array_cost_matches_walk(ws, arr, dataflow):
    w, size = ws
    check_tiled_array(w, size, arr, dataflow)


# -- findings: minimal cases (strict xfails while open) ---------------------------------------

@pytest.mark.parametrize("w, arr", [
    # 1×1 stride 2 on 3 input rows: outputs read rows 0 and 2 (2 words), not row 1
    (Workload(Kind.CONV, G=1, K=1, C=1, P=2, Q=1, R=1, S=1, stride_h=2, H=3, W=1),
     (2, 2, 1, 0.0)),
    # a SqueezeNext stage-entry 1×1 stride 2 (64 → 32 channels, 55×55 → 28×28) on 32×32:
    # the reference reads 64·28·28 = 50,176 words per filter group, not 64·55·55
    (Workload(Kind.CONV, G=1, K=32, C=64, P=28, Q=28, R=1, S=1, stride_h=2, stride_w=2,
              H=55, W=55), (32, 32, 16, 0.4)),
], ids=["minimal", "sqnxt-1x1-s2"])
def test_finding1_os_ifmap_reads_stride_over_kernel(w, arr):
    check_os(w, *arr, False)


def test_finding1_dram_ifmap_stride_over_kernel():
    w = Workload(Kind.CONV, G=1, K=1, C=1, P=2, Q=1, R=1, S=1, stride_h=2, H=3, W=1)
    assert dram_words(w, Tiling(1, 1, 1, 2, 1, ()))[0] == 2      # rows 0 and 2


@pytest.mark.xfail(strict=True, reason=(
    "finding 2: a buffer tile whose outputs see only padding (padding ≥ kernel) is given one "
    "input row (tiling.axis_tiles max(1, …), because Workload.H = 0 means 'derive H'), so its "
    "ifmap reads are counted as 1 row instead of 0"))
@pytest.mark.parametrize("dataflow", ["os", "ws"])
def test_finding2_padding_only_tile(dataflow):
    # 1×1 conv on a 1-row input with pad_bottom 1: output row 1 is pure padding
    w = Workload(Kind.CONV, G=1, K=1, C=1, P=2, Q=1, R=1, S=1, H=1, W=1, pad_bottom=1)
    check_tiled_array(w, dict(G=1, K=1, C=1, P=1, Q=1), (2, 2, 1, 0.0), dataflow)
