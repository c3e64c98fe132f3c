"""The search for the best buffer tiling (docs/model.md §6.1).

When a layer's working set does not fit the global buffer — twice, because transfers are
double-buffered — the groups (G), output channels (K), input channels (C), output rows (P) and
output columns (Q) are tiled, in multiples of the template's granularity so array tiles stay
whole.  The search is one ``min(candidates, key=objective)``: fastest first, then least DRAM
traffic (or, with ``tiling.objective: traffic``, least traffic first, then fastest), computed
without evaluating every candidate (a Pareto front and two lower bounds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations, product
from typing import TYPE_CHECKING

from ..dataflow.base import Granularity, footprint, rows_needed
from ..errors import MappingError
from ..hardware.accelerator import Accelerator, ArraySpec, BufferSpec, DramSpec
from ..workload import Kind, Workload

if TYPE_CHECKING:
    import numpy as np

# numpy is imported where the search runs, not with the module: commands that never simulate
# (show, --help) start without it
from .model import (
    LOOPS,
    RELEVANT,
    TiledCost,
    Tiling,
    array_cost,
    array_key,
    evaluate,
    exposed_words,
    granularity,
    layer_time,
    timed_cost,
    working_set,
)

_STEPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def _sizes(total: int, gran: int, finer: bool = False) -> list[int]:
    """Candidate tile sizes along one dimension: multiples of ``gran`` (or the whole), and with
    ``finer`` also gran/2, gran/4, … (a partly used RF or array beats a tile that overflows)."""
    out = {total}
    if finer:
        f = gran // 2
        while f >= 1:
            if f < total:
                out.add(f)
            f //= 2
    for m in _STEPS:
        t = gran * m
        if t >= total:
            break
        out.add(t)
    return sorted(out)


@lru_cache(maxsize=4096)   # (a network's layers share most of their extents)
def _size_array(total: int, gran: int, finer: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``_sizes`` and each size's trip count along the dimension, as read-only int64 arrays."""
    import numpy as np

    sizes = _sizes(total, gran, finer)
    a = np.array(sizes, dtype=np.int64)
    trips = np.array([-(-total // s) for s in sizes], dtype=np.int64)
    a.setflags(write=False)
    trips.setflags(write=False)
    return a, trips


def _fits(w: Workload, cap: int, g: int, k: int, c: int, p: int, q: int) -> bool:
    return 2 * working_set(w, g, k, c, p, q) <= cap


def candidates(w: Workload, tmpl, buffer: BufferSpec, gran):
    """Tilings that fit the buffer twice over (the untiled layer among them when it fits, so a
    bigger buffer only adds candidates).  A tile that can grow along Q without overflowing is
    never worse for a layer with weights (fewer refetches, fewer per-tile overheads, the same
    exposed transfers), so for each (G, K, C, P) only the widest fitting Q is kept; every order
    of the tiled loops is tried."""
    cap = buffer.words
    q_sizes = _sizes(w.Q, gran.Q, True)
    for g, k, c, p in product(_sizes(w.G, 1), _sizes(w.K, gran.K, True),
                              _sizes(w.C, gran.C, True), _sizes(w.P, gran.P, True)):
        fitting = [q for q in q_sizes if _fits(w, cap, g, k, c, p, q)]
        # (weightless layers pack more channels into the array when the map is narrower, so
        # for them a wider tile is not always better: keep every width)
        for q in (fitting if not w.has_weights else fitting[-1:]):
            yield from _orders(w, g, k, c, p, q)


def _orders(w: Workload, g: int, k: int, c: int, p: int, q: int):
    """The tiling with every order of its tiled loops."""
    tiled = [lp for lp, size, tot in (("K", k, w.K), ("C", c, w.C), ("P", p, w.P),
                                      ("Q", q, w.Q)) if size < tot]
    for order in (permutations(tiled) if len(tiled) > 1 else (tuple(tiled),)):
        yield Tiling(g, k, c, p, q, tuple(order))


def best_tiling(w: Workload, tmpl, acc: Accelerator) -> TiledCost:
    """The best tiling of ``w`` for template ``tmpl`` on ``acc`` (cached by the parts it reads:
    the template's key of the array, the buffer and the DRAM)."""
    return _best(w, tmpl, array_key(tmpl, acc.array), acc.buffer, acc.dram)


def objective(tc: TiledCost, buffer: BufferSpec | None = None) -> tuple[int, int, int]:
    """Fastest first (as the papers choose tilings), then least DRAM traffic; or the other way
    round when the accelerator asks for ``tiling.objective: traffic``.  Remaining ties go to
    the fewest array cycles (a DRAM-bound layer keeps the mapping that leaves the array most
    idle), so the choice never depends on the order candidates are visited in."""
    traffic = tc.dram_read_bytes + tc.dram_write_bytes
    if buffer is not None and buffer.objective == "traffic":
        return (traffic, tc.cycles, tc.compute_cycles)
    return (tc.cycles, traffic, tc.compute_cycles)


def exhaustive_best(w: Workload, tmpl, acc: Accelerator, gran=None) -> TiledCost | None:
    """The definition: ``min(candidates, key=objective)``, evaluating every candidate.
    Slow; the search below must agree with it (tests/test_tiling_search.py)."""
    gran = gran or tmpl.granularity(w, acc.array)
    return min((evaluate(w, tmpl, acc, t) for t in candidates(w, tmpl, acc.buffer, gran)),
               key=lambda tc: objective(tc, acc.buffer), default=None)


@lru_cache(maxsize=16384)
def _best(w: Workload, tmpl, array: ArraySpec, buffer: BufferSpec, dram: DramSpec
          ) -> TiledCost:
    found = _buffer_front(w, tmpl, array, buffer)
    if found is None:
        need = 2 * working_set(w, 1, 1, 1, 1, 1)
        raise MappingError(f"global buffer of {buffer.kb:g} KB is too small for any tile of "
                           f"this layer (the smallest double-buffered tile needs "
                           f"{need * buffer.word_bytes / 1024:.1f} KB)", field="global_buffer.kb")
    return _pick(w, tmpl, array, buffer, dram, *found)


@lru_cache(maxsize=16384)
def _buffer_front(w: Workload, tmpl, array: ArraySpec, buffer: BufferSpec):
    """(front, words exposed first, words exposed last) for ``_pick`` on this buffer — the
    front of array-aligned tiles or, when none fits, of tiles smaller than the array — or
    None; every DRAM setting of a sweep shares it."""
    for gran in (granularity(w, tmpl, array), Granularity()):
        front = _front(w, tmpl, array, buffer.words, gran)
        if front:
            return (front, *exposed_words(w, tmpl, array))
    return None


_PERMS = tuple(permutations(LOOPS))
_BIT = {lp: 1 << i for i, lp in enumerate(LOOPS)}


def _least_traffic_order(ifmap: int, weights: int, outs: int, t_k: int, t_c: int, t_p: int,
                         t_q: int) -> tuple[str, ...]:
    """The tiled loops in the first order (of ``permutations(LOOPS)``) that moves the least
    traffic (§6.2), for one candidate: ``ifmap``, ``weights`` and ``outs`` are the words each
    operand moves when fetched once, ``t_k`` … ``t_q`` the trips of each loop."""
    mask = (t_k > 1) | (t_c > 1) << 1 | (t_p > 1) << 2 | (t_q > 1) << 3   # (LOOPS' bits)
    best = best_order = None
    # (orders that refetch alike move the same traffic: only the first of each is tried)
    for order, (k, p, q, c) in _distinct_orders(mask):
        traffic = (ifmap * (t_k if k else 1) + weights * (t_p if p else 1) * (t_q if q else 1)
                   + outs * (2 * (t_c if c else 1) - 1))
        if best is None or traffic < best:
            best, best_order = traffic, order
    return best_order


_DISTINCT: dict[int, tuple] = {}   # mask -> orders (once per process: not a cost memo that
                                   # clear_caches empties)


def _distinct_orders(mask: int) -> tuple:
    """(first order, what it refetches) for each distinct refetch pattern among the orders, in
    order of ``permutations(LOOPS)``, for one set of tiled loops (``mask`` has bit i set when
    LOOPS[i] is tiled); an order is given by its tiled loops only.  What an order refetches
    (§6.2): whether K's trips multiply the ifmap, P's and Q's the weights and C's the partial
    sums — true when the loop does not index the operand and comes before (outside) a tiled
    loop that does."""
    hit = _DISTINCT.get(mask)
    if hit is None:
        def refetched(perm, x, op):
            return any(mask & _BIT[y] for y in perm[perm.index(x) + 1:] if y in RELEVANT[op])

        seen: dict = {}
        for perm in _PERMS:
            seen.setdefault((refetched(perm, "K", "ifmap"), refetched(perm, "P", "weight"),
                             refetched(perm, "Q", "weight"), refetched(perm, "C", "ofmap")),
                            tuple(lp for lp in perm if mask & _BIT[lp]))
        hit = _DISTINCT[mask] = tuple((order, pattern) for pattern, order in seen.items())
    return hit


@lru_cache(maxsize=1024)
def _grid(n_g: int, n_k: int, n_c: int, n_p: int) -> tuple[np.ndarray, ...]:
    """Index arrays of every (G, K, C, P) size choice, G outermost (as a meshgrid "ij")."""
    import numpy as np

    return tuple(a.ravel() for a in np.indices((n_g, n_k, n_c, n_p)))


@dataclass(frozen=True, eq=False)
class _Layout:
    """What a layer's candidates are whatever the buffer's size, for one granularity: a sweep
    over buffer sizes works it out once and each size only reads off which candidates fit.

    ``lists`` are the G, K, C, P, Q tile-size lists (arrays) and ``trips`` each size's trip
    count along its dimension; ``grid`` the places in them of every (G, K, C, P) choice (and
    of every width, for a weightless layer, which keeps them all); ``need`` twice the working
    set of each choice (weightless), or None; ``terms`` what twice a weighted choice's working
    set at width q is made of, (x, y, z, input columns, widths): x · columns[q] + y + z ·
    widths[q], x, y and z broadcasting over the (G, K, C, P) sizes (``_widths_need`` works it
    out for every width and choice when a buffer needs it); ``whole`` twice the working set
    of the whole layer (weighted: the largest, so a buffer it fits takes every choice at its
    full width); ``rows_in``/``cols_in`` the input rows (columns) all the tiles of each P (Q)
    size read (None for an element-wise add)."""

    lists: tuple
    trips: tuple
    grid: tuple
    need: np.ndarray | None
    terms: tuple | None
    whole: int
    rows_in: np.ndarray | None
    cols_in: np.ndarray | None


# (a network needs two per distinct layer and array; entries are up to a few hundred KB)
@lru_cache(maxsize=256)
def _layout(w: Workload, gran) -> _Layout:
    import numpy as np

    lists, trips = zip(_size_array(w.G, 1), _size_array(w.K, gran.K, True),
                       _size_array(w.C, gran.C, True), _size_array(w.P, gran.P, True),
                       _size_array(w.Q, gran.Q, True))
    g_s, k_s, c_s, p_s, q_s = lists
    rows_need, rows_in = _axis_arrays(w.P, gran.P, w.stride_h, w.R, w.pad_top, w.H)
    cols_need, cols_in = _axis_arrays(w.Q, gran.Q, w.stride_w, w.S, w.pad_left, w.W)
    need = terms = None
    if not w.has_weights:        # every width is a candidate (see candidates())
        grid = gi, ki, ci, pi, qi = tuple(a.ravel() for a in np.indices(
            (len(g_s), len(k_s), len(c_s), len(p_s), len(q_s))))
        G, P, Q = g_s[gi], p_s[pi], q_s[qi]
        need = 2 * (G * P * Q * (w.operands + 1) if w.kind is Kind.ELTWISE
                    else G * c_s[ci] * rows_need[pi] * cols_need[qi] + G * k_s[ki] * P * Q)
    else:
        grid = _grid(len(g_s), len(k_s), len(c_s), len(p_s))
        # twice a choice's working set at width q: its ifmap, weight and ofmap tiles (the
        # factor 2 on the small factors), each growing with every tile size
        G2 = 2 * g_s[:, None, None, None]
        K, C = k_s[None, :, None, None], c_s[None, None, :, None]
        gk = G2 * K
        terms = (G2 * C * rows_need,                  # (G, 1, C, P) × the width's columns
                 gk * C * (w.R * w.S),                # (G, K, C, 1)
                 gk * p_s * (1 + w.residual),         # (G, K, 1, P) × the width
                 cols_need, q_s)
    if w.kind is Kind.ELTWISE:
        rows_in = cols_in = None
    whole = 2 * working_set(w, w.G, w.K, w.C, w.P, w.Q)
    return _Layout(lists, trips, grid, need, terms, whole, rows_in, cols_in)


@lru_cache(maxsize=256)
def _widths_need(lay: _Layout) -> np.ndarray:
    """Twice the working set of every width × every choice of a weighted layer, as a (widths,
    choices) array, the choices in the grid's order (a buffer's fit then adds up rows, not
    strided columns); it grows with the width, so the widths that fit a buffer are a prefix.
    Worked out only for a buffer the whole layer does not fit."""
    x, y, z, cols_need, q_s = lay.terms
    n_q = len(q_s)
    return (x * cols_need.reshape(n_q, 1, 1, 1, 1) + y
            + z * q_s.reshape(n_q, 1, 1, 1, 1)).reshape(n_q, -1)


@lru_cache(maxsize=4096)   # (a network's layers share most of their axes)
def _axis_arrays(out: int, gran: int, stride: int, kernel: int, pad_lo: int, extent: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """For each tile size along one axis (``_size_array(out, gran, True)``): the input rows
    (or columns) a tile holds at most, and those all its tiles read (``footprint``)."""
    import numpy as np

    sizes = _size_array(out, gran, True)[0].tolist()
    need = np.array([rows_needed(s, stride, kernel, extent) for s in sizes], dtype=np.int64)
    read = np.array([footprint(out, s, stride, kernel, pad_lo, extent) for s in sizes],
                    dtype=np.int64)
    need.setflags(write=False)
    read.setflags(write=False)
    return need, read


@dataclass(frozen=True)
class _Candidates:
    """Every candidate tiling of one layer on one buffer, each with its least-traffic order."""

    tilings: Callable[[int], Tiling]   # candidate index -> its tiling (built on demand)
    words: np.ndarray        # DRAM words moved, per candidate (integers)
    bound: Callable[..., np.ndarray]  # (candidate indices, default all) -> a lower bound on
                                       # their array cycles
    cycles: np.ndarray | None   # the exact array cycles, per candidate, where the template
                                # gives them all at once (``tiled_cycles``)


@dataclass(frozen=True, eq=False)
class _Fit:
    """The candidate tile sizes that fit one buffer: index arrays into the per-dimension size
    lists, and ``key``, bytes that name the set (for one layer and granularity, equal keys mean
    equal candidates — so buffers of different sizes that admit the same tilings share a
    front, as every larger buffer does once the whole layer fits)."""

    idx: tuple                # gi, ki, ci, pi, qi of each fitting candidate
    key: bytes
    layout: _Layout
    gran: Granularity

    @property
    def sizes(self) -> tuple:
        """The G, K, C, P, Q size lists (arrays)."""
        return self.layout.lists


def _fit(w: Workload, gran, cap: int) -> _Fit | None:
    """Which candidates of ``candidates()`` fit ``cap`` words twice over (numpy)."""
    import numpy as np

    lay = _layout(w, gran)
    if not w.has_weights:
        keep = lay.need <= cap
        key = np.packbits(keep).tobytes()
        gi, ki, ci, pi, qi = lay.grid
    else:
        gi, ki, ci, pi = lay.grid
        if lay.whole <= cap:
            # the whole layer fits, so every choice does at its full width (named by the
            # empty key, which no other candidate set of a weighted layout has)
            return _Fit((gi, ki, ci, pi, np.full(len(gi), len(lay.lists[4]) - 1)), b"", lay,
                        gran)
        # the widest fitting width of each choice is the count of those that fit − 1
        qi = (_widths_need(lay) <= cap).sum(axis=0) - 1
        key = qi.astype(np.int16).tobytes()    # (short keys: a size list is far shorter than 2**15)
        if qi.min() >= 0:                      # (every choice fits at some width)
            return _Fit((gi, ki, ci, pi, qi), key, lay, gran)
        keep = qi >= 0
    if not keep.any():
        return None
    if not keep.all():
        gi, ki, ci, pi, qi = gi[keep], ki[keep], ci[keep], pi[keep], qi[keep]
    return _Fit((gi, ki, ci, pi, qi), key, lay, gran)


class _PerCandidate(dict):
    """Tile sizes (or trip counts) by dimension, per candidate, each gathered from the
    per-size list on first use (a template reads few of them)."""

    def __init__(self, lists: tuple, idx: tuple, **known) -> None:
        super().__init__(known)
        self.lists, self.idx = lists, idx

    def __missing__(self, dim: str):
        i = "GKCPQ".index(dim)
        value = self[dim] = self.lists[i].take(self.idx[i])
        return value


class _OneCandidate(dict):
    """One candidate's tile sizes (or trip counts) by dimension, as Python ints, each looked
    up on first use."""

    def __init__(self, lists: tuple, idx: tuple, i: int) -> None:
        self.lists, self.idx, self.i = lists, idx, i

    def __missing__(self, dim: str) -> int:
        j = "GKCPQ".index(dim)
        value = self[dim] = self.lists[j].item(self.idx[j].item(self.i))
        return value


@lru_cache(maxsize=256)
def _cycle_tables(w: Workload, tmpl, array: ArraySpec, gran):
    """The template's tables of array cycles over the layer's tile-size lists (shared by every
    buffer size), or None."""
    lists = _layout(w, gran).lists
    return tmpl.cycle_tables(w, array, dict(zip("GKCPQ", lists)))


_FEW = 8     # candidates whose bound is worked out one at a time


def _vector_candidates(w: Workload, tmpl, array: ArraySpec, fit: _Fit) -> _Candidates:
    """The candidates of ``candidates()`` that fit (``fit``), with their DRAM traffic, all at
    once (numpy).

    The best order of each tile-size choice is the one with least traffic: its compute does not
    depend on the order and its time cannot grow with less traffic.  The array-cycle bound is
    the untiled layer's array cycles plus what the template proves tiling must add (partial-sum
    refills, per-tile pipeline fills); a weightless layer, whose packing may change from tile to
    tile, gets what its outputs need whatever the tiling."""
    import numpy as np

    lay = fit.layout
    lists, idx = lay.lists, fit.idx
    gi, ki, ci, pi, qi = idx
    t_k, t_c = lay.trips[1].take(ki), lay.trips[2].take(ci)
    t_pq = lay.trips[3].take(pi) * lay.trips[4].take(qi)
    outs = w.ofmap_elems
    if lay.rows_in is None:
        base_i = np.full(len(gi), w.operands * w.G * w.P * w.Q, dtype=np.int64)
    else:
        base_i = (w.G * w.C) * lay.rows_in.take(pi) * lay.cols_in.take(qi)
    # The least traffic over every loop order (§6.2).  Whatever the order, the innermost tiled
    # loop decides it: K innermost fetches the ifmap once but the weights for every row and
    # column tile and the partial sums for every channel slice; C innermost keeps the partial
    # sums and pays the ifmap per filter tile; P or Q innermost, with both after K and C, keeps
    # the weights.  Each order moves at least its innermost loop's figure, and each figure is
    # reached (a loop that is not tiled has one trip, so a figure that names it is only ever
    # above one that is reached): the least is the least of the three.
    weights = w.weight_elems
    psums = outs * (2 * t_c - 1)
    ifmap_k = base_i * t_k
    refetch_w = weights * t_pq
    # (min(a + r, b + r) = min(a, b) + r: the weights' refetch is added once)
    words = np.minimum(np.minimum(base_i + psums, ifmap_k + outs) + refetch_w,
                       ifmap_k + weights + psums)
    if w.residual:
        words = words + w.residual * outs     # (int64: a front's member takes it as a float)
    sizes = _PerCandidate(lists, idx)
    trips = _PerCandidate(lay.trips, idx, K=t_k, C=t_c)

    def bound(sel=None) -> np.ndarray:
        if sel is None:
            lower = tmpl.compute_bound(w, array, sizes, trips)
            shape = words.shape
        elif len(sel) <= _FEW:
            # a few candidates (a tie run): one at a time with Python ints, cheaper than the
            # template's array operations on a few elements
            return np.array([float(tmpl.compute_bound(w, array, _OneCandidate(lists, idx, i),
                                                      _OneCandidate(lay.trips, idx, i)))
                             for i in sel.tolist()])
        else:
            sub = tuple(i.take(sel) for i in idx)
            lower = tmpl.compute_bound(w, array, _PerCandidate(lists, sub),
                                       _PerCandidate(lay.trips, sub))
            shape = (len(sel),)
        if isinstance(lower, np.ndarray) and lower.shape == shape:
            return lower.astype(np.float64)
        return np.broadcast_to(np.asarray(lower, dtype=np.float64), shape)

    cycles = None
    exact = getattr(tmpl, "tiled_cycles", None)
    if exact is not None:
        index = {"G": (lists[0], gi), "K": (lists[1], ki), "C": (lists[2], ci),
                 "P": (lists[3], pi), "Q": (lists[4], qi)}
        tables = (_cycle_tables(w, tmpl, array, fit.gran) if hasattr(tmpl, "cycle_tables")
                  else None)
        cycles = (exact(w, array, sizes, trips, index) if tables is None
                  else exact(w, array, sizes, trips, index, tables))
        if cycles is not None and not (isinstance(cycles, np.ndarray)
                                       and cycles.dtype == np.int64
                                       and cycles.shape == words.shape):
            cycles = np.broadcast_to(np.asarray(cycles, dtype=np.int64), words.shape)

    g_s, k_s, c_s, p_s, q_s = lists
    _, k_t, c_t, p_t, q_t = lay.trips

    def tiling(i: int) -> Tiling:
        # (``.item`` gives the Python int directly, faster than int(array[i]))
        g, k, c, p, q = gi.item(i), ki.item(i), ci.item(i), pi.item(i), qi.item(i)
        order = _least_traffic_order(base_i.item(i), weights, outs, k_t.item(k), c_t.item(c),
                                     p_t.item(p), q_t.item(q))
        return Tiling(g_s.item(g), k_s.item(k), c_s.item(c), p_s.item(p), q_s.item(q), order)

    return _Candidates(tiling, words, bound, cycles)


class _Bounded(dict):
    """A memo that forgets everything when full (``cache_clear`` like an lru_cache's, so
    ``simulate.clear_caches`` finds it)."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def put(self, key, value):
        if len(self) >= self.maxsize:
            self.clear()
        self[key] = value
        return value

    cache_clear = dict.clear


_FRONTS = _Bounded(16384)    # (layer, template, array key, granularity, candidate set) -> front


def clear_fronts() -> None:
    """Forget every memoised front (tests compare two ways of building one)."""
    _FRONTS.cache_clear()
    _front.cache_clear()
    _buffer_front.cache_clear()


@lru_cache(maxsize=16384)
def _front(w: Workload, tmpl, array: ArraySpec, cap: int, gran
           ) -> tuple[tuple[Tiling, int, float], ...]:
    """The front of the candidates that fit ``cap`` words, shared by every buffer size that
    admits the same candidates."""
    fit = _fit(w, gran, cap)
    if fit is None:
        return ()
    key = (w, tmpl, array, gran, fit.key)
    front = _FRONTS.get(key)
    if front is None:
        front = _FRONTS.put(key, _front_of(w, tmpl, array, fit))
    return front


def _front_of(w: Workload, tmpl, array: ArraySpec, fit: _Fit
              ) -> tuple[tuple[Tiling, int, float], ...]:
    """The candidates not beaten on both array cycles and DRAM words by another (one per
    distinct pair).  A layer's time only grows with each (§6.3), so for every bandwidth,
    latency and clock the best tiling under either objective is among them: the search for a
    new DRAM or clock setting evaluates these few.  Walked in order of traffic, a candidate
    whose cycle bound is no better than the least array cycles seen so far cannot join."""
    import numpy as np

    cands = _vector_candidates(w, tmpl, array, fit)
    if cands.cycles is not None:
        return _exact_front(cands)
    arr = array
    front: list[tuple[Tiling, int, float]] = []
    least = float("inf")
    # a tighter, per-candidate bound for those the vectorised one lets through (optional)
    channel_bound = getattr(tmpl, "channel_bound", None) if w.has_weights else None
    whole_g: dict = {}
    lower = cands.bound()
    walk = np.lexsort((lower, cands.words))
    bounds = lower[walk]
    # the least bound from each position of the walk on: once the array cycles found reach
    # it, no later candidate can join, and the walk stops (what is left would all be skipped)
    rest = np.minimum.accumulate(bounds[::-1])[::-1].tolist()
    for i, bound, floor in zip(walk.tolist(), bounds.tolist(), rest):
        if floor >= least:
            break
        if bound >= least:
            continue
        t = cands.tilings(i)
        if channel_bound is not None and channel_bound(w, arr, t.G, t.K, t.C) >= least:
            continue
        if not w.has_weights and t.G < w.G:
            # Weightless channels are independent: cutting G never saves array cycles (passes
            # of packed channels only round up more), so the same map tiles with every channel
            # in one tile bound this candidate.
            key = (t.P, t.Q)
            if key not in whole_g:
                whole_g[key] = array_cost(w, tmpl, arr, w.G, t.K, t.C, t.P, t.Q).cycles
            if whole_g[key] >= least:
                continue
        cycles = array_cost(w, tmpl, arr, t.G, t.K, t.C, t.P, t.Q).cycles
        if cycles < least:
            front.append((t, cycles, float(cands.words[i])))
            least = cycles
    return tuple(front)


def _exact_front(cands: _Candidates) -> tuple[tuple[Tiling, int, float], ...]:
    """The front when every candidate's array cycles are known: the walk of ``_front_of``
    without bounds — in order of traffic, then cycles, then the bound and the candidate's
    place (so of candidates equal in both the walk's first is kept), each that beats the
    least array cycles before it."""
    import numpy as np

    # The walk's first candidate has the least traffic (then cycles, then place); after it
    # only candidates with fewer cycles can join, and only its run can tie with it: the rest
    # of the walk is left out (it is usually most of the candidates).
    words, cycles = cands.words, cands.cycles
    at_least = (words == words.min()).nonzero()[0]
    c_least = cycles.take(at_least)
    least = c_least.min()
    head = at_least[c_least == least]          # (in place order)
    rest = (cycles < least).nonzero()[0]
    if not len(rest):
        # (the usual case: the least-traffic candidates are also the fastest, so the front is
        # the first of them by the bound, then the place — what the walk below would keep)
        if len(head) > 1:
            head = head[np.lexsort((head, cands.bound(head)))]
        i = head.item(0)
        return ((cands.tilings(i), cycles.item(i), float(words.item(i))),)
    rest = rest[np.lexsort((cycles.take(rest), words.take(rest)))]  # (stable: ties keep their
    walk = np.concatenate((head, rest))                              # place)
    cycles, words = cycles.take(walk), words.take(walk)
    joins = np.empty(len(walk), dtype=bool)
    joins[:1] = True
    np.less(cycles[1:], np.minimum.accumulate(cycles)[:-1], out=joins[1:])
    members = walk[joins]
    # A member heads its run of candidates equal in traffic and cycles; the walk visits such a
    # run in order of the bound, so where a run has more than one candidate the bound (worked
    # out only then) picks its member, then the place.
    same = np.zeros(len(walk), dtype=bool)
    np.logical_and(words[1:] == words[:-1], cycles[1:] == cycles[:-1], out=same[:-1])
    if same[joins].any():
        members = members.copy()
        for j, pos in enumerate(np.flatnonzero(joins).tolist()):
            if same[pos]:
                end = pos + 1
                while same[end]:
                    end += 1
                run = walk[pos:end + 1]
                members[j] = run[np.lexsort((run, cands.bound(run)))[0]]
    return tuple((cands.tilings(i), cands.cycles.item(i), float(cands.words.item(i)))
                 for i in members.tolist())


def _search(w: Workload, tmpl, array: ArraySpec, buffer: BufferSpec, dram: DramSpec, gran
            ) -> TiledCost | None:
    """``min(candidates, key=objective)`` without evaluating every candidate: the best member
    of the Pareto front of (array cycles, DRAM words), which is cached per array key and buffer
    and shared by every bandwidth, latency and clock."""
    front = _front(w, tmpl, array, buffer.words, gran)
    if not front:
        return None
    return _pick(w, tmpl, array, buffer, dram, front, *exposed_words(w, tmpl, array))


def _pick(w: Workload, tmpl, array: ArraySpec, buffer: BufferSpec, dram: DramSpec, front,
          first_in: int, last_out: int) -> TiledCost:
    # the time of each member by §6.3's formula (exactly what evaluate() computes: a member's
    # words are its least-traffic order's), the first best kept, then its cost in full
    wb, traffic_first = buffer.word_bytes, buffer.objective == "traffic"
    best = best_key = None
    for t, compute, words in front:
        cycles = layer_time(compute, words, first_in, last_out, buffer, dram)
        key = (words * wb, cycles, compute) if traffic_first else (cycles, words * wb, compute)
        if best_key is None or key < best_key:
            best, best_key = (t, cycles), key
    return timed_cost(w, tmpl, array, buffer, best[0], best[1])
