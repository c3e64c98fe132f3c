"""The fast tiling search must find what the definition finds: min(candidates, key=objective).

The definition (tiling.exhaustive_best) evaluates every candidate; the search prunes with
vectorised traffic and a compute lower bound.  Any pruning that is not a true bound shows up
here as a different objective value.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sqnxt_sim.dataflow.base import template
from sqnxt_sim.hardware.accelerator import Accelerator
from sqnxt_sim.simulate import map_layer  # noqa: F401  (registers the templates)
from sqnxt_sim.tiling import exhaustive_best, objective
from sqnxt_sim.tiling.search import _search
from sqnxt_sim.workload import Kind, Workload


@st.composite
def layers(draw):
    r = draw(st.integers(1, 5))
    s = draw(st.sampled_from([r, 1, 3]))
    stride = draw(st.integers(1, 2))
    pad = draw(st.integers(0, max(0, min(r, s) - 1)))
    # enough output rows and columns that the input is at least one row and column once the
    # padding is taken off ((p − 1)·stride + r − 2·pad ≥ 1)
    p = max(draw(st.integers(1, 24)), 1 - (-(2 * pad + 1 - r) // stride))
    q = max(draw(st.integers(1, 24)), 1 - (-(2 * pad + 1 - s) // stride))
    kind = draw(st.sampled_from([Kind.CONV, Kind.CONV, Kind.CONV, Kind.POOL_MAX, Kind.ELTWISE]))
    if kind is Kind.ELTWISE:
        return Workload(kind, G=draw(st.integers(1, 48)), K=1, C=1, P=p, Q=q)
    if kind is Kind.POOL_MAX:
        return Workload(kind, G=draw(st.integers(1, 48)), K=1, C=1, P=p, Q=q, R=r, S=s,
                        stride_h=stride, stride_w=stride)
    shape = draw(st.sampled_from(["dense", "depthwise", "grouped", "fc"]))
    if shape == "fc":            # a 1×1 output map: OS may spread the neurons over the PEs
        return Workload(Kind.CONV, G=draw(st.sampled_from([1, 1, 2])), K=draw(st.integers(1, 300)),
                        C=draw(st.integers(1, 64)), P=1, Q=1, R=r, S=r,
                        pad_top=pad, pad_left=pad, vector_out=True,
                        residual=draw(st.integers(0, 1)))
    if shape == "depthwise":
        g, c, k = draw(st.integers(2, 48)), 1, 1
    elif shape == "grouped":
        g, c, k = draw(st.integers(2, 4)), draw(st.integers(1, 16)), draw(st.integers(1, 16))
    else:
        g, c, k = 1, draw(st.integers(1, 48)), draw(st.integers(1, 48))
    return Workload(Kind.CONV, G=g, K=k, C=c, P=p, Q=q, R=r, S=s, stride_h=stride,
                    stride_w=stride, pad_top=pad, pad_bottom=pad, pad_left=pad, pad_right=pad,
                    residual=draw(st.integers(0, 1)))


@st.composite
def accelerators(draw):
    n = draw(st.sampled_from([2, 4, 8]))
    return Accelerator(rows=n, cols=draw(st.sampled_from([n, 2 * n])),
                       rf_registers=draw(st.sampled_from([1, 2, 4, 8])),
                       buffer_kb=draw(st.sampled_from([0.5, 1.0, 2.0, 4.0, 16.0])),
                       dram_bandwidth_gbps=draw(st.sampled_from([1.0, 4.0, 16.0])),
                       sparsity=draw(st.sampled_from([0.0, 0.4])),
                       tiling_objective=draw(st.sampled_from(["time", "traffic"])))


@settings(max_examples=150, deadline=None)
@given(layers(), accelerators(), st.sampled_from(["os", "ws"]))
def test_search_agrees_with_exhaustive(w, acc, dataflow):
    if w.kind is not Kind.CONV:
        dataflow = "os" if dataflow == "os" else "simd"   # no weights: WS cannot run it
    tmpl = template(dataflow)
    gran = tmpl.granularity(w, acc.array)
    fast = _search(w, tmpl, tmpl.key(acc.array), acc.buffer, acc.dram, gran)
    slow = exhaustive_best(w, tmpl, acc, gran)
    assert (fast is None) == (slow is None)
    if fast is not None:
        assert objective(fast, acc.buffer) == objective(slow, acc.buffer)


@settings(max_examples=150, deadline=None)
@given(layers(), accelerators(), st.booleans(), st.sampled_from(["os", "ws", "simd"]))
def test_vectorised_cycles_equal_the_per_tile_sum(w, acc, overlap, dataflow):
    """A template's ``tiled_cycles`` (every candidate at once) must equal ``array_cost``'s sum
    over the buffer tiles of the template's cost, candidate by candidate; where it gives None
    the search walks with bounds instead."""
    if (dataflow == "simd") == (w.kind is Kind.CONV):
        dataflow = "os"
    # (``overlap`` is OS's shadow input register, and for WS whether groups are packed)
    _check_tiled_cycles(w, dataflow, Accelerator(
        rows=acc.array.rows, cols=acc.array.cols, rf_registers=acc.array.rf_registers,
        sparsity=acc.array.sparsity, buffer_kb=acc.buffer.kb, os_preload_overlap=overlap,
        ws_pack_groups=overlap and dataflow == "ws"))


@settings(max_examples=150, deadline=None)
@given(layers(), accelerators(), st.sampled_from([1, 2]), st.booleans())
def test_ws_vectorised_cycles_equal_the_per_tile_sum(w, acc, rf, pack):
    """The same for WS convolutions alone, with and without the RF double-buffering weights
    (every preload exposed, or only what the pass before cannot hide) and packed groups."""
    assume(w.kind is Kind.CONV)
    _check_tiled_cycles(w, "ws", Accelerator(
        rows=acc.array.rows, cols=acc.array.cols, rf_registers=rf, buffer_kb=acc.buffer.kb,
        ws_pack_groups=pack))


def test_ws_layers_differing_only_in_k_share_their_stream_tables():
    """WS's per (P, Q, C size) tables do not depend on K: two layers that differ only in it
    read the same arrays (shared, so read-only), and each one's cycles are still the per-tile
    sum of its own tiles."""
    from dataclasses import replace

    from sqnxt_sim.tiling.search import _layout

    acc = Accelerator(rows=8, cols=8, rf_registers=2, buffer_kb=4.0)
    tmpl = template("ws")
    array = tmpl.key(acc.array)
    w1 = Workload(Kind.CONV, G=1, K=12, C=20, P=9, Q=7, R=3, S=3, pad_top=1, pad_bottom=1,
                  pad_left=1, pad_right=1)
    w2 = replace(w1, K=40)
    tables = []
    for w in (w1, w2):
        lists = _layout(w, tmpl.granularity(w, array)).lists
        tables.append(tmpl.cycle_tables(w, array, dict(zip("GKCPQ", lists))))
        _check_tiled_cycles(w, "ws", acc)
    (streams1, per_tile1, k_folds1, *_), (streams2, per_tile2, k_folds2, *_) = tables
    assert streams1 is streams2 and per_tile1 is per_tile2
    assert not streams1.flags.writeable and not per_tile1.flags.writeable
    assert k_folds1.tolist() != k_folds2.tolist()     # (K's own side is the layer's)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 80), st.data(), st.integers(1, 4), st.integers(1, 11), st.integers(0, 6),
       st.integers(-2, 200))
def test_axis_tiles_counts_the_alike_middle_tiles_at_once(out, data, stride, kernel, pad,
                                                          extent):
    """``axis_tiles`` counts the full tiles inside the map at once instead of visiting them;
    its classes, counts and their order (the order the tiles first show them: ``array_cost``
    adds the classes' counts in it) must be those of visiting every tile."""
    from sqnxt_sim.dataflow.base import axis_tiles

    size = data.draw(st.integers(1, out))
    walked: dict = {}
    for p0 in range(0, out, size):
        n = min(size, out - p0)
        lo = p0 * stride - pad
        hi = (p0 + n - 1) * stride - pad + kernel
        cls = (n, max(1, min(hi, extent) - max(lo, 0)), max(0, -lo), max(0, hi - extent))
        walked[cls] = walked.get(cls, 0) + 1
    assert axis_tiles.__wrapped__(out, size, stride, kernel, pad, extent) == \
        tuple(walked.items())


def _check_tiled_cycles(w: Workload, dataflow: str, acc: Accelerator) -> None:
    import numpy as np

    from sqnxt_sim.tiling.model import array_cost
    from sqnxt_sim.tiling.search import _fit

    tmpl = template(dataflow)
    array = tmpl.key(acc.array)
    fit = _fit(w, tmpl.granularity(w, array), acc.buffer.words)
    if fit is None:
        return
    sizes = {d: s[i] for d, s, i in zip("GKCPQ", fit.sizes, fit.idx)}
    trips = {d: -(-getattr(w, d) // sizes[d]) for d in "GKCPQ"}
    exact = tmpl.tiled_cycles(w, array, sizes, trips)
    index = {d: (s, i) for d, s, i in zip("GKCPQ", fit.sizes, fit.idx)}
    with_index = tmpl.tiled_cycles(w, array, sizes, trips, index)
    assert (exact is None) == (with_index is None)
    if exact is not None:
        assert np.array_equal(np.broadcast_to(exact, fit.idx[0].shape),
                              np.broadcast_to(with_index, fit.idx[0].shape))
    if exact is None:
        if dataflow == "ws":   # only grouped layers packed block-diagonally are left out
            assert array.ws_pack_groups and w.G > 1
        else:
            assert w.kind is not Kind.CONV
        return
    exact = np.broadcast_to(exact, fit.idx[0].shape)
    for j in range(len(exact)):
        tile = [int(sizes[d][j]) for d in "GKCPQ"]
        assert int(exact[j]) == array_cost(w, tmpl, array, *tile).cycles, tile


@settings(max_examples=150, deadline=None)
@given(layers(), accelerators(), st.sampled_from(["os", "ws", "simd"]))
def test_exact_front_chooses_what_the_bounded_walk_chooses(w, acc, dataflow):
    """With every candidate's cycles known the front is built without bounds; it must choose
    the very tiling (loop order included) the bounded walk chooses, ties and all."""
    from sqnxt_sim.tiling import search

    if (dataflow == "simd") == (w.kind is Kind.CONV):
        dataflow = "os"
    tmpl = template(dataflow)
    array = tmpl.key(acc.array)
    gran = tmpl.granularity(w, array)
    args = (w, tmpl, array, acc.buffer, acc.dram, gran)
    search.clear_fronts()
    fast = search._search(*args)
    search.clear_fronts()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(type(tmpl), "tiled_cycles", lambda *a: None)
        walked = search._search(*args)
    search.clear_fronts()
    assert fast == walked


def _candidates(w: Workload, acc: Accelerator, dataflow: str):
    """The search's candidates of ``w`` in ``dataflow`` on ``acc``'s buffer (a weightless
    layer asked for WS takes the SIMD unit), or None when no tile fits."""
    from sqnxt_sim.tiling.search import _fit, _vector_candidates

    if w.kind is not Kind.CONV:
        dataflow = "simd" if dataflow == "ws" else dataflow
    tmpl = template(dataflow)
    array = tmpl.key(acc.array)
    fit = _fit(w, tmpl.granularity(w, array), acc.buffer.words)
    return None if fit is None else _vector_candidates(w, tmpl, array, fit)


@settings(max_examples=100, deadline=None)
@given(layers(), accelerators(), st.sampled_from(["os", "ws", "simd"]), st.data())
def test_least_traffic_and_its_order_are_the_definitions(w, acc, dataflow, data):
    """Each candidate's DRAM words are the least over every order of its tiled loops, by
    ``dram_words`` (the scalar definition), and its order is the first such order of
    ``permutations(LOOPS)`` — the vectorised figures and the one-candidate order search must
    both agree with it."""
    from itertools import permutations

    from sqnxt_sim.tiling import LOOPS, Tiling, dram_words

    cands = _candidates(w, acc, dataflow)
    if cands is None:
        return
    for i in data.draw(st.lists(st.integers(0, len(cands.words) - 1), min_size=1, max_size=8)):
        t = cands.tilings(i)
        tiled = [lp for lp in LOOPS if getattr(t, lp) < getattr(w, lp)]
        traffic = [(sum(dram_words(w, Tiling(t.G, t.K, t.C, t.P, t.Q,
                                             tuple(lp for lp in perm if lp in tiled)))), perm)
                   for perm in permutations(LOOPS)]
        least = min(words for words, _ in traffic)
        first = next(perm for words, perm in traffic if words == least)
        assert cands.words[i] == least
        assert t.order == tuple(lp for lp in first if lp in tiled)


@settings(max_examples=100, deadline=None)
@given(layers(), accelerators(), st.sampled_from(["os", "ws", "simd"]), st.data())
def test_bound_of_a_few_candidates_is_their_bound_among_all(w, acc, dataflow, data):
    """A tie run's bound is worked out candidate by candidate with Python ints (few), a
    larger selection's with arrays: both must be what the bound of every candidate gives
    them (ties are broken by it, so the tiling a report shows depends on it)."""
    import numpy as np

    from sqnxt_sim.tiling.search import _FEW

    cands = _candidates(w, acc, "os" if w.kind is Kind.CONV and dataflow == "simd"
                        else dataflow)
    if cands is None:
        return
    every = cands.bound()
    n = len(every)
    for size in (1, min(n, _FEW), min(n, _FEW + 3)):
        sel = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=size,
                                                 max_size=size))), dtype=np.int64)
        assert np.array_equal(cands.bound(sel), every[sel])


def test_exact_front_breaks_ties_by_the_bound_then_the_place():
    """Of candidates equal in traffic and array cycles the walk keeps the one with the least
    bound (then the first); the front built without a walk works the bound out only for such
    runs and must keep the same one."""
    import numpy as np

    from sqnxt_sim.tiling import Tiling
    from sqnxt_sim.tiling.search import _Candidates, _exact_front

    def front(words, cycles, lower):
        cands = _Candidates(lambda i: Tiling(1, i + 1, 1, 1, 1, ()), np.array(words, float),
                            lambda sel=None: np.array(lower, float)[
                                slice(None) if sel is None else sel], np.array(cycles))
        return [(t.K - 1, c, w) for t, c, w in _exact_front(cands)]

    # runs of equal (words, cycles): {0, 2} and {1, 3}; index 4 is beaten
    words, cycles = [5, 9, 5, 9, 7], [30, 10, 30, 10, 40]
    assert front(words, cycles, [8, 2, 3, 1, 0]) == [(2, 30, 5.0), (3, 10, 9.0)]
    assert front(words, cycles, [3, 1, 3, 2, 0]) == [(0, 30, 5.0), (1, 10, 9.0)]
    assert front(words, cycles, [0, 0, 0, 0, 0]) == [(0, 30, 5.0), (1, 10, 9.0)]
    assert front([4], [7], [7]) == [(0, 7, 4.0)]
    # a front of one (no candidate is faster than the least-traffic ones): 1, 2 and 5 tie in
    # both (4 has as little traffic but is slower); the least bound wins, then the place
    words, cycles = [6, 5, 5, 8, 5, 5], [20, 20, 20, 20, 25, 20]
    assert front(words, cycles, [0, 4, 5, 0, 9, 3]) == [(5, 20, 5.0)]
    assert front(words, cycles, [0, 3, 5, 0, 9, 3]) == [(1, 20, 5.0)]
    assert front(words, cycles, [0, 9, 9, 0, 0, 9]) == [(1, 20, 5.0)]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 80), st.data(), st.integers(1, 4), st.integers(1, 11), st.integers(0, 6),
       st.integers(1, 200))
def test_footprint_is_the_sum_over_the_tiles_of_the_rows_each_reads(out, data, stride, kernel,
                                                                    pad, extent):
    """``footprint`` (the input rows all the tiles of one size read, halos included, padding
    not) takes alike tiles at once; it must equal the sum over every tile of the rows inside
    the map that some window of the tile covers, counted row by row here."""
    from sqnxt_sim.dataflow.base import footprint

    size = data.draw(st.integers(1, out))
    total = 0
    for p0 in range(0, out, size):
        rows = {p * stride - pad + r for p in range(p0, min(out, p0 + size))
                for r in range(kernel)}
        total += sum(1 for x in rows if 0 <= x < extent)
    assert footprint(out, size, stride, kernel, pad, extent) == total
