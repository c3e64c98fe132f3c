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

Grouped convolutions with few channels per group are packed block-diagonally (several groups per
pass); a depthwise layer therefore uses one PE per row at best — the utilisation loss the papers
report.  Pooling and element-wise layers have no weights and are not supported (run in OS).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from .base import ArrayCost, Counts, Granularity, inbound, register
from .workload import Kind, Workload


def _folds(total: int, size: int) -> list[tuple[int, int]]:
    """(fold size, how many) covering ``total``."""
    full, rem = divmod(total, size)
    return [(s, n) for s, n in ((size, full), (rem, 1 if rem else 0)) if n]


@lru_cache(maxsize=65536)
def ws_cost(w: Workload, rows: int, cols: int, rf: int, psum_in: bool = False) -> ArrayCost:
    pixels = w.P * w.Q
    taps = w.R * w.S
    pack = 1
    if w.G > 1 and w.C <= rows and w.K <= cols:
        pack = min(w.G, rows // w.C, cols // w.K)
    # passes as (rows used, cols used, useful MACs per pixel, how many)
    passes: list[tuple[int, int, int, int]] = []
    if pack > 1:
        for g, n in _folds(w.G, pack):
            passes.append((g * w.C, g * w.K, g * w.C * w.K, n * taps))
        c_folds_per_output = taps
    else:
        for rc, nr in _folds(w.C, rows):
            for kc, nc in _folds(w.K, cols):
                passes.append((rc, kc, rc * kc, nr * nc * taps * w.G))
        c_folds_per_output = -(-w.C // rows) * taps

    n_passes = sum(n for *_, n in passes)
    cycles = n_passes * pixels
    first_preload = passes[0][0]
    exposed = 0
    for ru, _, _, n in passes:
        hidden = pixels if rf >= 2 else 0
        exposed += n * max(0, ru - hidden)
    # the first pass's preload is exposed in full; the others overlap the pass before them
    exposed = exposed - max(0, first_preload - (pixels if rf >= 2 else 0)) + first_preload
    drain = max(ru for ru, *_ in passes)
    cycles += exposed + drain

    macs = rf_w = array = wreads = 0.0
    for ru, cu, useful, n in passes:
        macs += n * pixels * useful
        rf_w += n * useful
        array += n * (pixels * ru * cu * 2 + cu * ru * (ru + 1) / 2)  # broadcast, chain, preload
        wreads += n * useful
    # input words read: per tap, in-bound pixels × mapped channels, for every output fold
    in_px = inbound(w.P, w.stride_h, w.R, w.pad_top, w.H) * \
        inbound(w.Q, w.stride_w, w.S, w.pad_left, w.W)
    k_folds = 1 if pack > 1 else -(-w.K // cols)
    ifmap = in_px * w.C * w.G * k_folds
    outputs = pixels * w.K * w.G
    psum_reads = outputs * (c_folds_per_output - 1 + (1 if psum_in else 0))
    writes = outputs * c_folds_per_output
    counts = Counts(macs=macs, rf_reads=macs, rf_writes=rf_w, array=array,
                    sram_ifmap_reads=ifmap, sram_weight_reads=wreads,
                    sram_psum_reads=psum_reads, sram_writes=writes)
    active = max(useful for _, _, useful, _ in passes)
    return ArrayCost(int(cycles), counts, active)


def w_dim(w: Workload, d: str) -> int:
    return getattr(w, d)


def _classes(total: int, size, trips):
    """The full tiles and the edge tile along one dimension, as (size, count) array pairs."""
    edge = total - (trips - 1) * size
    return ((size, trips - 1), (edge, np.ones_like(trips)))


def _passes(g, c, k, acc, taps: int):
    """Passes of a (g groups, c channels, k filters) tile, as ws_cost maps it (arrays)."""
    packable = (g > 1) & (c <= acc.rows) & (k <= acc.cols)
    pack = np.where(packable, np.minimum(np.minimum(g, acc.rows // c), acc.cols // k), 1)
    packed = pack > 1
    return np.where(packed, -(-g // np.maximum(pack, 1)) * taps,
                    g * -(-c // acc.rows) * -(-k // acc.cols) * taps)


@register("ws")
class WeightStationary:
    def supports(self, w: Workload) -> bool:
        return w.kind is Kind.CONV

    def granularity(self, w: Workload, acc) -> Granularity:
        return Granularity(K=acc.cols if w.G == 1 else 1, C=acc.rows if w.G == 1 else 1, P=1)

    def cost(self, w: Workload, acc, psum_in: bool = False) -> ArrayCost:
        return ws_cost(w, acc.rows, acc.cols, acc.rf_registers, psum_in)

    def canonical(self, acc):
        """The accelerator as far as WS can tell: only whether the RF can double-buffer a weight
        (≥ 2 entries) matters, and WS never skips zero weights, so design points differing only
        in larger RFs or in sparsity share their WS results."""
        rf = min(acc.rf_registers, 2)
        if rf == acc.rf_registers and acc.sparsity == 0.0:
            return acc
        return replace(acc, rf_registers=rf, sparsity=0.0)

    def compute_bound(self, w: Workload, acc, sizes: dict, trips: dict):
        # The streaming cycles alone — one cycle per output pixel per pass — are exact for any
        # tiling: Σ over the (group, filter, channel) tiles of their passes × P·Q.
        streaming = 0
        for gs, gn in _classes(w.G, sizes["G"], trips["G"]):
            for ks, kn in _classes(w.K, sizes["K"], trips["K"]):
                for cs, cn in _classes(w.C, sizes["C"], trips["C"]):
                    streaming = streaming + gn * kn * cn * _passes(gs, cs, ks, acc, w.R * w.S)
        streaming = streaming * (w.P * w.Q)
        if w.G > 1:
            # smaller tiles of a grouped layer may pack more (or fewer, shorter-to-load) groups
            # per pass than the whole layer, so the untiled cycles are no bound there
            return streaming
        # Otherwise tiling only adds passes (finer folds, fewer groups per pack), and each
        # extra buffer tile pays its own adder-chain drain (the rows it uses: at least one
        # group's input channels of the tile, up to N_r) and, when the RF double-buffers
        # weights, the part of its first preload that the untiled layer hid behind the pass
        # before (at most that tile's pixels); bounded with the smallest tile.
        tiles = trips["G"] * trips["K"] * trips["C"] * trips["P"] * trips["Q"]
        edge = lambda d: w_dim(w, d) - (trips[d] - 1) * sizes[d]  # noqa: E731
        rows_used = edge("C").clip(max=acc.rows)
        extra = rows_used
        if acc.rf_registers >= 2:
            extra = extra + (edge("P") * edge("Q")).clip(max=rows_used)
        return np.maximum(self.cost(w, acc, False).cycles + (tiles - 1) * extra, streaming)
