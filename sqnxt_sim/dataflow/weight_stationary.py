"""Weight-stationary (WS) mode of the Squeezelerator (docs/model.md §4).

Spatial unrolling: PE row i ↔ input channel, PE column j ↔ output channel, for one filter tap.
Stays in the PE: the weight (the RF double-buffers it, so the next pass's weights load while the
current pass streams, when the RF has at least two entries).

A *pass* is one (input-channel fold, output-channel fold, tap): its weights are preloaded
through the top row (one array row per cycle), then the stream buffer broadcasts one input pixel
of every mapped input channel per cycle (one per row) and each column sums its products down an
adder chain, producing one partial sum per column per cycle at the bottom.  Partial sums of
successive passes accumulate in the global buffer (read, add, write).  Passes stream
back-to-back; the adder-chain pipeline fills once per tile.

A pass streams only the output pixels whose input at its tap lies inside the unpadded map: the
papers' WS repeats "until all the pixels in the input feature maps are accessed", and padding is
not streamed.

Grouped convolutions run one group at a time (the papers' naive WS, which "does not efficiently
accelerate the depthwise convolutions": a depthwise layer uses one PE); ``ws.pack_groups`` packs
small groups block-diagonally instead, for what-if studies.  Pooling and element-wise layers have
no weights and are not supported.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import chain

from ..hardware.parts import ArraySpec
from ..workload import Kind, Workload
from .base import (
    ArrayCost,
    Counts,
    Granularity,
    channel_tiles_bound,
    inbound,
    register,
    tile_class,
    tile_span,
)


def _folds(total: int, size: int) -> list[tuple[int, int]]:
    """(fold size, how many) covering ``total``."""
    full, rem = divmod(total, size)
    return [(s, n) for s, n in ((size, full), (rem, 1 if rem else 0)) if n]


def tap_pixels(w: Workload) -> tuple[int, ...]:
    """Output pixels streamed in a pass of each tap (r, s), row-major: those whose input at
    that tap lies inside the unpadded map (padding is never streamed, §4)."""
    return _tap_products(_tap_inbound(w.P, w.stride_h, w.R, w.pad_top, w.H),
                         _tap_inbound(w.Q, w.stride_w, w.S, w.pad_left, w.W))


@lru_cache(maxsize=65536)   # (a layer's tiles share their rows' and columns' counts)
def _tap_inbound(out: int, stride: int, kernel: int, pad_lo: int, size: int) -> tuple[int, ...]:
    """Per kernel offset along one axis, the output positions whose input lies inside the
    unpadded map."""
    return tuple(inbound(out, stride, 1, pad_lo - r, size) for r in range(kernel))


@lru_cache(maxsize=65536)
def _tap_products(rows: tuple[int, ...], cols: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(a * b for a in rows for b in cols)


def pack_of(w: Workload, rows: int, cols: int, pack_groups: bool) -> int:
    """Groups sharing a pass block-diagonally (1: the papers' naive WS, one group a pass)."""
    if pack_groups and w.G > 1 and w.C <= rows and w.K <= cols:
        return min(w.G, rows // w.C, cols // w.K)
    return 1


@lru_cache(maxsize=65536)
def ws_cost(w: Workload, rows: int, cols: int, rf: int, psum_in: bool = False,
            pack_groups: bool = False) -> ArrayCost:
    xs = tap_pixels(w)
    in_px = sum(xs)                           # pixels streamed by one fold's T passes
    taps = len(xs)
    pack = pack_of(w, rows, cols, pack_groups)
    # folds (every tap of one channel/filter block) as (rows used, cols used, useful PEs,
    # how many), in execution order: groups (or packs), then input then output folds
    folds: list[tuple[int, int, int, int]] = []
    if pack > 1:
        for g, n in _folds(w.G, pack):
            folds.append((g * w.C, g * w.K, g * w.C * w.K, n))
    else:
        for rc, nr in _folds(w.C, rows):
            for kc, nc in _folds(w.K, cols):
                folds.append((rc, kc, rc * kc, nr * nc * w.G))

    # A pass's weights load through the top row while the pass before it streams (RF ≥ 2),
    # so a preload of r_u rows exposes max(0, r_u − pixels the previous pass streamed); the
    # very first preload is exposed whole (its last tap's share is added back).
    first = folds[0][0]
    preload = first - max(0, first - xs[-1]) if rf >= 2 else 0
    n_folds = drain = active = 0
    macs = rf_w = array = writes = 0.0
    for ru, cu, useful, n in folds:
        preload += n * (sum(ru - x for x in xs if x < ru) if rf >= 2 else ru * taps)
        n_folds += n
        drain = max(drain, ru)
        active = max(active, useful)
        macs += n * in_px * useful
        rf_w += n * taps * useful
        array += n * (in_px * ru * cu * 2 + taps * cu * ru * (ru + 1) / 2)  # stream, chain,
        writes += n * in_px * cu                                            # preload
    cycles = n_folds * in_px + preload + drain

    # input words read: each streamed pixel brings one input per mapped row
    k_folds = 1 if pack > 1 else -(-w.K // cols)
    ifmap = in_px * w.C * w.G * k_folds
    # every output sees a real input at some tap, so its first partial sum reads nothing back
    outputs = w.P * w.Q * w.K * w.G
    psum_reads = writes if psum_in else writes - outputs
    counts = Counts(macs=macs, rf_reads=macs, rf_writes=rf_w, array=array,
                    sram_ifmap_reads=ifmap, sram_weight_reads=rf_w,
                    sram_psum_reads=psum_reads, sram_writes=writes)
    return ArrayCost(int(cycles), counts, active)


@register("ws")
class WeightStationary:
    def supports(self, w: Workload) -> bool:
        return w.kind is Kind.CONV

    def granularity(self, w: Workload, array: ArraySpec) -> Granularity:
        return Granularity(K=array.cols if w.G == 1 else 1, C=array.rows if w.G == 1 else 1, P=1)

    def cost(self, w: Workload, array: ArraySpec, psum_in: bool = False) -> ArrayCost:
        return ws_cost(w, array.rows, array.cols, array.rf_registers, psum_in, array.ws_pack_groups)

    def key(self, array: ArraySpec) -> ArraySpec:
        """Only whether the RF can double-buffer a weight (≥ 2 entries) matters, and WS never
        skips zero weights, so design points differing only in larger RFs or in sparsity
        share their WS results."""
        return array.only("rows", "cols", "ws_pack_groups",
                          rf_registers=min(array.rf_registers, 2))

    def compute_bound(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict):
        # The streaming cycles are exact for any tiling: Σ over the (group, filter, channel)
        # tiles of their folds × the in-bound pixels of all taps (row and column tiles split
        # those pixels without changing their total).  On top, every buffer tile exposes its
        # first weight preload and drains its adder chains, each at least the rows its
        # smallest channel tile uses (one, at most N_r).
        edge_c = w.C - (trips["C"] - 1) * sizes["C"]
        if array.ws_pack_groups:
            streaming = 0
            for gs, gn in _classes(w.G, sizes["G"], trips["G"]):
                for ks, kn in _classes(w.K, sizes["K"], trips["K"]):
                    for cs, cn in _classes(w.C, sizes["C"], trips["C"]):
                        streaming = streaming + gn * kn * cn * _folds_of(gs, cs, ks, array)
        else:
            # unpacked, a tile's folds g · ⌈k/N_c⌉ · ⌈c/N_r⌉ separate: the groups add up to G
            rows, cols = array.rows, array.cols
            edge_k = w.K - (trips["K"] - 1) * sizes["K"]
            streaming = (w.G * ((trips["K"] - 1) * -(-sizes["K"] // cols) + -(-edge_k // cols))
                         * ((trips["C"] - 1) * -(-sizes["C"] // rows) + -(-edge_c // rows)))
        streaming = streaming * sum(tap_pixels(w))
        tiles = trips["G"] * trips["K"] * trips["C"] * trips["P"] * trips["Q"]
        # (numpy arrays over candidates, or one candidate's ints: the search asks both ways)
        first = edge_c.clip(max=array.rows) if hasattr(edge_c, "clip") else min(edge_c, array.rows)
        return streaming + 2 * tiles * first

    def channel_bound(self, w: Workload, array: ArraySpec, g: int, k: int, c: int) -> int:
        # row and column tiles keep the streamed total, give each pass fewer pixels to hide
        # the next preload behind and add a first preload and a drain per tile (§6.1)
        return channel_tiles_bound(w, self, array, g, k, c)

    def tiled_cycles(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict,
                     index: dict | None = None, tables=None):
        """The exact array cycles of a convolution under every buffer tiling at once (numpy
        arrays over candidates, as ``compute_bound`` takes them), or None for grouped layers
        packed block-diagonally (``ws.pack_groups``), which only the per-tile sum knows.
        ``index`` may give, per dimension, the distinct sizes and each candidate's place in
        them (the search has them; else they are worked out here).

        ``ws_cost``'s cycles of one (g, k, c) tile whose taps stream x_rs = a_r · b_s pixels
        (a_r the tile's in-bound rows at tap row r, b_s its columns at tap column s) are
        n_f · Σ x + Σ over its folds of Σ_x e(r_u, x) + min(r_0, x_last) · [RF ≥ 2] + r_0,
        with n_f = g · ⌈k/N_c⌉ · ⌈c/N_r⌉ folds, e(r_u, x) = max(0, r_u − x) (all of r_u with
        a 1-entry RF), r_0 = min(c, N_r) and folds using N_r rows (⌊c/N_r⌋ · g · ⌈k/N_c⌉ of
        them) or c mod N_r.  Summed over the buffer tiles the first term is G · Σ⌈k/N_c⌉ ·
        Σ⌈c/N_r⌉ · Σa · Σb over the K, C, row and column tiles; the second needs, per (P size,
        Q size), E(r_u) = Σ over the in-bound products x = a · b of all row and column tiles
        of e(r_u, x), for the at most three r_u of each C size (N_r, c mod N_r, and the edge
        tile's c mod N_r); the third counts once per tile.  A row or column size's a (or b)
        values are few, so E is a small table over the sizes that occur.  Integer arithmetic
        throughout, so the sum equals ``array_cost``'s (tests/test_tiling_search.py)."""
        if w.kind is not Kind.CONV or (array.ws_pack_groups and w.G > 1):
            return None
        import numpy as np  # (with the tiling search, not at import)

        if index is None:
            index = {d: np.unique(sizes[d], return_inverse=True) for d in "KCPQ"}
        if tables is None:
            tables = self.cycle_tables(w, array, {d: index[d][0] for d in "KCPQ"})
        streams, per_tile, k_folds, k_tiles, n_q, n_c = tables
        ki = index["K"][1]
        flat = (index["P"][1] * n_q + index["Q"][1]) * n_c + index["C"][1]
        return (k_folds.take(ki) * streams.take(flat)
                + (k_tiles.take(ki) if w.G == 1 else trips["G"] * trips["K"])
                * per_tile.take(flat))

    def cycle_tables(self, w: Workload, array: ArraySpec, lists: dict):
        """What ``tiled_cycles`` reads, over the distinct K, C, P and Q tile sizes (``lists``),
        whatever the buffer: per (P size, Q size, C size) flattened (C inner), G times the
        streamed and exposed-preload cycles per filter fold and the cycles each buffer tile
        adds; per K size, the filter folds and tiles; the numbers of Q and C sizes.  None
        where ``tiled_cycles`` has no closed form."""
        if w.kind is not Kind.CONV or (array.ws_pack_groups and w.G > 1):
            return None
        k_s, c_s, p_s, q_s = lists["K"], lists["C"], lists["P"], lists["Q"]
        k_folds, k_tiles = _filter_side(w.K, tuple(k_s.tolist()), array.cols)
        # (the rest does not depend on K: layers that differ only in it share it)
        streams, per_tile = _stream_tables(
            w.C, tuple(c_s.tolist()), w.G, array.rows, array.rf_registers >= 2,
            (w.P, tuple(p_s.tolist()), w.stride_h, w.R, w.pad_top, w.H),
            (w.Q, tuple(q_s.tolist()), w.stride_w, w.S, w.pad_left, w.W))
        return streams, per_tile, k_folds, k_tiles, len(q_s), len(c_s)


@lru_cache(maxsize=256)
def _stream_tables(C: int, c_sizes: tuple[int, ...], G: int, rows: int, double: bool,
                   p_axis: tuple, q_axis: tuple):
    """``cycle_tables``' per (P size, Q size, C size) tables, flattened (C inner): G times the
    streamed and exposed-preload cycles per filter fold, and the cycles each buffer tile
    adds; ``double``: the RF holds two weights (a preload hides behind the pass before);
    ``p_axis``/``q_axis``: the arguments of ``_axis_table`` for the rows and the columns."""
    import numpy as np  # (with the tiling search, not at import)

    c_folds, n_full, first_full, first_edge, ru, by_rows, by_first = _channel_side(
        C, c_sizes, rows)
    # per (P size, Q size), flattened (Q inner): buffer tiles, Σa · Σb, and the in-bound
    # products x = a · b with their weights (tiles × taps; tiles at the last tap)
    tiles, sums, x, wt = _pair_table(p_axis, q_axis)
    if double:
        # Σ over the pixel counts x = a · b of the row and column tiles' taps of
        # max(0, r_u − x) for every r_u that occurs, with the weights of every tap
        # (row 0) and of the last tap only (row 1): the exposed preloads of the folds using
        # N_r rows, c mod N_r rows and c_edge mod N_r rows, and each tile's first preload,
        # Σ min(r_0, x_last) = r_0 · tiles − Σ max(0, r_0 − x_last) (the folds of each C
        # size by r_u, ``by_rows``, and the tiles' first folds, ``by_first``, weigh them)
        e = wt @ np.maximum(ru - x, 0)                      # (P × Q, 2, r_u)
        exposed = e[:, 0] @ by_rows                           # (P × Q, C size)
        per_tile = tiles * (2 * (n_full * first_full + first_edge)) - e[:, 1] @ by_first
    else:
        # every preload is exposed whole: Σ over the folds of r_u = c, for every tap
        exposed = (C * p_axis[3] * q_axis[3]) * tiles
        per_tile = (n_full * first_full + first_edge) * tiles
    # (both are (P × Q, C size) already: c_folds, by_rows and by_first have the C sizes)
    streams = (sums * c_folds + exposed).reshape(-1)
    if G > 1:
        streams *= G
    per_tile = per_tile.reshape(-1)
    streams.setflags(write=False)      # (shared by every layer that differs only in K)
    per_tile.setflags(write=False)
    return streams, per_tile


def _classes(total: int, size, trips):
    """The full tiles and the edge tile along one dimension, as (size, count) array pairs."""
    import numpy as np  # (with the tiling search, not at import: a faster start)

    edge = total - (trips - 1) * size
    return ((size, trips - 1), (edge, np.ones_like(trips)))


@lru_cache(maxsize=4096)
def _filter_side(total: int, sizes: tuple[int, ...], cols: int):
    """Per K tile size: Σ ⌈k/N_c⌉ over the filter tiles, and how many tiles (arrays)."""
    import numpy as np

    k = np.array(sizes, dtype=np.int64)
    return (total // k) * -(-k // cols) + -(-(total % k) // cols), -(-total // k)


@lru_cache(maxsize=4096)
def _channel_side(total: int, sizes: tuple[int, ...], rows: int):
    """Per C tile size (arrays): Σ ⌈c/N_r⌉ over the channel tiles; the tiles of full size and
    the first fold's rows of one (min(c, N_r)) and of the edge tile (0: no edge tile); the
    distinct rows a fold uses (r_u: N_r, c mod N_r, the edge tile's c_edge mod N_r, and the
    two first folds'); and, as (r_u, C size) matrices, how many folds of each C size use each
    r_u (``by_rows``) and how many buffer tiles start with a fold of each r_u
    (``by_first``)."""
    import numpy as np

    c = np.array(sizes, dtype=np.int64)
    n_full, edge = total // c, total % c
    first_full, first_edge = np.minimum(c, rows), np.minimum(edge, rows)
    used = np.concatenate((np.full_like(c, rows), c % rows, edge % rows, first_full,
                           first_edge))
    seen = np.zeros(rows + 1, dtype=bool)            # (at most N_r + 1 distinct values)
    seen[used] = True
    at = (np.cumsum(seen)[used] - 1).reshape(5, -1)
    n_rows_folds = n_full * (c // rows) + edge // rows
    ru = np.flatnonzero(seen)
    at_rows, at_full, at_edge, at_first_full, at_first_edge = at
    # (a fold of c mod N_r = 0 rows, or an edge tile that does not exist, sits at r_u = 0,
    # where nothing is exposed: its count does not matter)
    cols = np.arange(len(c))
    by_rows = np.zeros((len(ru), len(c)), dtype=np.int64)
    np.add.at(by_rows, (at_rows, cols), n_rows_folds)
    np.add.at(by_rows, (at_full, cols), n_full)
    np.add.at(by_rows, (at_edge, cols), 1)
    by_first = np.zeros((len(ru), len(c)), dtype=np.int64)
    np.add.at(by_first, (at_first_full, cols), n_full)
    np.add.at(by_first, (at_first_edge, cols), 1)
    return (n_full * -(-c // rows) + -(-edge // rows), n_full, first_full, first_edge, ru,
            by_rows, by_first)


@lru_cache(maxsize=65536)
def _tap_values(out: int, size: int, stride: int, kernel: int, pad_lo: int, extent: int):
    """The tiles of ``size`` output rows (or columns) along one axis, for the WS streams: (how
    many tiles, Σ over them of their in-bound rows at every tap offset, and those in-bound
    counts as {value: (tiles × offsets having it, tiles having it at the last offset)})."""
    n_tiles, first, last = tile_span(out, size, stride, kernel, pad_lo, extent)
    values: dict[int, list[int]] = {}
    total = 0
    if first <= last:
        # the tiles inside the map read every tap of each of their rows
        inner = last - first + 1
        total = inner * size * kernel
        values[size] = [inner * kernel, inner]
        edges = chain(range(first), range(last + 1, n_tiles))
    else:
        edges = range(n_tiles)
    for i in edges:       # (the few at either end, one by one)
        o, extent_t, pad_t, _ = tile_class(i, out, size, stride, kernel, pad_lo, extent)
        per_tap = _tap_inbound(o, stride, kernel, pad_t, extent_t)
        total += sum(per_tap)
        for a in per_tap:
            values.setdefault(a, [0, 0])[0] += 1
        values[per_tap[-1]][1] += 1
    return n_tiles, total, tuple((a, *ws) for a, ws in values.items())


@lru_cache(maxsize=1024)
def _axis_table(out: int, sizes: tuple[int, ...], stride: int, kernel: int, pad_lo: int,
                extent: int):
    """``_tap_values`` of each tile size as arrays: tiles (sizes,), Σ (sizes,), the in-bound
    counts (sizes, width) and their two weights (sizes, width, 2), padded with zero weights
    to a common width."""
    import numpy as np

    per = [_tap_values(out, s, stride, kernel, pad_lo, extent) for s in sizes]
    width = max(len(v[2]) for v in per)
    table = np.zeros((len(per), width, 3), dtype=np.int64)
    for i, v in enumerate(per):
        table[i, :len(v[2])] = v[2]
    n, total = np.array([v[:2] for v in per], dtype=np.int64).T
    return n, total, table[:, :, 0], table[:, :, 1:]


@lru_cache(maxsize=256)   # (a network needs under 20; entries are up to ~120 KB)
def _pair_table(rows: tuple, cols: tuple):
    """For every (row tile size, column tile size), ``rows`` and ``cols`` being the arguments
    of ``_axis_table``, flattened (column sizes inner): the buffer tiles and Σ a · Σ b, as
    (pairs, 1) arrays, the products x = a · b of their in-bound counts (pairs, width, 1) and
    the products of their weights (pairs, 2, width) — shaped so a pair's weights multiply its
    max(0, r_u − x) as one small matrix product."""
    p_n, p_sum, p_x, p_w = _axis_table(*rows)
    q_n, q_sum, q_x, q_w = _axis_table(*cols)
    pairs = len(p_n) * len(q_n)
    x = (p_x[:, None, :, None] * q_x[None, :, None, :]).reshape(pairs, -1, 1)
    p_w, q_w = p_w.transpose(0, 2, 1), q_w.transpose(0, 2, 1)        # (sizes, 2, width)
    wt = (p_w[:, None, :, :, None] * q_w[None, :, :, None, :]).reshape(pairs, 2, -1)
    return ((p_n[:, None] * q_n[None, :]).reshape(pairs, 1),
            (p_sum[:, None] * q_sum[None, :]).reshape(pairs, 1), x, wt)


def _folds_of(g, c, k, array):
    """Folds of a (g groups, c channels, k filters) tile, as ws_cost maps it (arrays)."""
    import numpy as np

    if array.ws_pack_groups:
        packable = (g > 1) & (c <= array.rows) & (k <= array.cols)
        pack = np.where(packable, np.minimum(np.minimum(g, array.rows // c), array.cols // k), 1)
        return np.where(pack > 1, -(-g // np.maximum(pack, 1)),
                        g * -(-c // array.rows) * -(-k // array.cols))
    return g * -(-c // array.rows) * -(-k // array.cols)
