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

from ..hardware.parts import ArraySpec
from ..workload import Kind, Workload
from .base import (
    ArrayCost,
    Counts,
    Granularity,
    axis_tiles,
    channel_tiles_bound,
    inbound,
    register,
)


def _folds(total: int, size: int) -> list[tuple[int, int]]:
    """(fold size, how many) covering ``total``."""
    full, rem = divmod(total, size)
    return [(s, n) for s, n in ((size, full), (rem, 1 if rem else 0)) if n]


def tap_pixels(w: Workload) -> tuple[int, ...]:
    """Output pixels streamed in a pass of each tap (r, s), row-major: those whose input at
    that tap lies inside the unpadded map (padding is never streamed, §4)."""
    rows = [inbound(w.P, w.stride_h, 1, w.pad_top - r, w.H) for r in range(w.R)]
    cols = [inbound(w.Q, w.stride_w, 1, w.pad_left - s, w.W) for s in range(w.S)]
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
    # very first preload is exposed whole.
    def exposed(ru: int, hidden: int) -> int:
        return max(0, ru - hidden) if rf >= 2 else ru

    within = lambda ru: sum(exposed(ru, x) for x in xs[:-1])  # noqa: E731
    preload = folds[0][0] - exposed(folds[0][0], xs[-1])
    for ru, _, _, n in folds:
        preload += n * (within(ru) + exposed(ru, xs[-1]))
    n_folds = sum(n for *_, n in folds)
    drain = max(ru for ru, *_ in folds)
    cycles = n_folds * in_px + preload + drain

    macs = rf_w = array = writes = 0.0
    for ru, cu, useful, n in folds:
        macs += n * in_px * useful
        rf_w += n * taps * useful
        array += n * (in_px * ru * cu * 2 + taps * cu * ru * (ru + 1) / 2)  # stream, chain,
        writes += n * in_px * cu                                            # preload
    # input words read: each streamed pixel brings one input per mapped row
    k_folds = 1 if pack > 1 else -(-w.K // cols)
    ifmap = in_px * w.C * w.G * k_folds
    # every output sees a real input at some tap, so its first partial sum reads nothing back
    outputs = w.P * w.Q * w.K * w.G
    psum_reads = writes if psum_in else writes - outputs
    counts = Counts(macs=macs, rf_reads=macs, rf_writes=rf_w, array=array,
                    sram_ifmap_reads=ifmap, sram_weight_reads=rf_w,
                    sram_psum_reads=psum_reads, sram_writes=writes)
    active = max(useful for _, _, useful, _ in folds)
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
        streaming = 0
        for gs, gn in _classes(w.G, sizes["G"], trips["G"]):
            for ks, kn in _classes(w.K, sizes["K"], trips["K"]):
                for cs, cn in _classes(w.C, sizes["C"], trips["C"]):
                    streaming = streaming + gn * kn * cn * _folds_of(gs, cs, ks, array)
        streaming = streaming * sum(tap_pixels(w))
        tiles = trips["G"] * trips["K"] * trips["C"] * trips["P"] * trips["Q"]
        edge_c = (w.C - (trips["C"] - 1) * sizes["C"]).clip(max=array.rows)
        return streaming + 2 * tiles * edge_c

    def channel_bound(self, w: Workload, array: ArraySpec, g: int, k: int, c: int) -> int:
        # row and column tiles keep the streamed total, give each pass fewer pixels to hide
        # the next preload behind and add a first preload and a drain per tile (§6.1)
        return channel_tiles_bound(w, self, array, g, k, c)

    def tiled_cycles(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict,
                     index: dict | None = None):
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

        def places(dim):
            if index is not None:
                return index[dim]
            return np.unique(sizes[dim], return_inverse=True)

        (k_s, ki), (c_s, ci), (p_s, pi), (q_s, qi) = (places(d) for d in "KCPQ")
        rows, cols, double = array.rows, array.cols, array.rf_registers >= 2
        # per K size: Σ ⌈k/N_c⌉ over the filter tiles; per C size: Σ ⌈c/N_r⌉, and the tiles
        # of full size (n_full) and the edge tile (size c_edge, none when c_edge = 0)
        k_folds = (w.K // k_s) * -(-k_s // cols) + -(-(w.K % k_s) // cols)
        n_full, c_edge = w.C // c_s, w.C % c_s
        c_folds = n_full * -(-c_s // rows) + -(-c_edge // rows)
        first_full, first_edge = np.minimum(c_s, rows), np.minimum(c_edge, rows)
        p_tab = _tap_table([_tap_values(w.P, p, w.stride_h, w.R, w.pad_top, w.H)
                            for p in p_s.tolist()])
        q_tab = _tap_table([_tap_values(w.Q, q, w.stride_w, w.S, w.pad_left, w.W)
                            for q in q_s.tolist()])
        (p_n, p_sum, p_x, p_xw, p_l, p_lw), (q_n, q_sum, q_x, q_xw, q_l, q_lw) = p_tab, q_tab
        tiles_pq = p_n[:, None] * q_n[None, :]                       # (P size, Q size)
        n_c = len(c_s)
        if double:
            # E(r_u) for r_u = N_r, then each C size's c mod N_r and c_edge mod N_r
            ru = np.concatenate(([rows], c_s % rows, c_edge % rows))
            e = _weighted(p_x, p_xw, q_x, q_xw, ru, np.subtract)     # (P, Q, len(ru))
            n_rows_folds = n_full * (c_s // rows) + c_edge // rows
            exposed = (n_rows_folds * e[:, :, :1] + n_full * e[:, :, 1:1 + n_c]
                       + e[:, :, 1 + n_c:])                            # (P, Q, C size)
            # Σ min(r_0, x_last) over the row and column tiles, for each C size's r_0
            first = _weighted(p_l, p_lw, q_l, q_lw, np.concatenate((first_full, first_edge)),
                              np.minimum)
            per_tile = (n_full * (first_full * tiles_pq[:, :, None] + first[:, :, :n_c])
                        + (c_edge > 0) * (first_edge * tiles_pq[:, :, None] + first[:, :, n_c:]))
        else:
            # every preload is exposed whole: Σ over the folds of r_u = c, for every tap
            exposed = np.broadcast_to((w.C * w.R * w.S) * tiles_pq[:, :, None],
                                      (*tiles_pq.shape, n_c))
            per_tile = (n_full * first_full + first_edge) * tiles_pq[:, :, None]
        streamed = (p_sum[:, None] * q_sum[None, :])[pi, qi] * c_folds[ci]
        return (w.G * k_folds[ki] * (streamed + exposed[pi, qi, ci])
                + trips["G"] * trips["K"] * per_tile[pi, qi, ci])


def _classes(total: int, size, trips):
    """The full tiles and the edge tile along one dimension, as (size, count) array pairs."""
    import numpy as np  # (with the tiling search, not at import: a faster start)

    edge = total - (trips - 1) * size
    return ((size, trips - 1), (edge, np.ones_like(trips)))


@lru_cache(maxsize=65536)
def _tap_values(out: int, size: int, stride: int, kernel: int, pad_lo: int, extent: int):
    """The tiles of ``size`` output rows (or columns) along one axis, for the WS streams: (how
    many tiles, Σ over them of their in-bound rows at every tap offset, those in-bound counts
    as {value: tiles × offsets having it}, and the same for the last offset alone)."""
    n = total = 0
    values: dict[int, int] = {}
    last: dict[int, int] = {}
    for (o, extent_t, pad_t, _), count in axis_tiles(out, size, stride, kernel, pad_lo, extent):
        n += count
        a = 0
        for r in range(kernel):
            a = inbound(o, stride, 1, pad_t - r, extent_t)
            total += count * a
            values[a] = values.get(a, 0) + count
        last[a] = last.get(a, 0) + count
    return n, total, tuple(values.items()), tuple(last.items())


def _tap_table(per_size):
    """``_tap_values`` of each size as arrays: tiles, Σ, and the (values, weights) pairs padded
    with zero weights to a common width, as (sizes, width) arrays."""
    import numpy as np

    out = [np.array([v[0] for v in per_size], dtype=np.int64),
           np.array([v[1] for v in per_size], dtype=np.int64)]
    for j in (2, 3):
        width = max(len(v[j]) for v in per_size)
        table = np.zeros((len(per_size), width, 2), dtype=np.int64)
        for i, v in enumerate(per_size):
            table[i, :len(v[j])] = v[j]
        out += [table[:, :, 0], table[:, :, 1]]
    return out


def _weighted(a, a_w, b, b_w, ru, op):
    """Σ over the (row value a, column value b) pairs, weighted by their tiles × offsets, of
    max(0, r_u − a·b) (``op`` = subtract) or min(r_u, a·b) (``op`` = minimum), for every
    (row size, column size, r_u): a (rows sizes, column sizes, len(ru)) array."""
    import numpy as np

    x = a[:, None, :, None] * b[None, :, None, :]                   # (P, Q, Wa, Wb)
    wt = a_w[:, None, :, None] * b_w[None, :, None, :]
    x, wt = x.reshape(*x.shape[:2], -1), wt.reshape(*wt.shape[:2], -1)
    v = op(ru[None, None, :, None], x[:, :, None, :])                # (P, Q, len(ru), W)
    if op is np.subtract:
        v = np.maximum(v, 0)
    return (v * wt[:, :, None, :]).sum(axis=3)


def _folds_of(g, c, k, array):
    """Folds of a (g groups, c channels, k filters) tile, as ws_cost maps it (arrays)."""
    import numpy as np

    if array.ws_pack_groups:
        packable = (g > 1) & (c <= array.rows) & (k <= array.cols)
        pack = np.where(packable, np.minimum(np.minimum(g, array.rows // c), array.cols // k), 1)
        return np.where(pack > 1, -(-g // np.maximum(pack, 1)),
                        g * -(-c // array.rows) * -(-k // array.cols))
    return g * -(-c // array.rows) * -(-k // array.cols)
