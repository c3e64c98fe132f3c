"""The 1-D SIMD unit that runs pooling and unfused element-wise adds (docs/model.md §5.1).

The papers describe no pooling on the Squeezelerator's array and note that other accelerators
process such layers "in a 1-D SIMD manner".  The unit sits beside the global buffer: each cycle
it reads ``lanes`` words through the buffer port, compares or adds them into its accumulators,
and writes each finished output back.  Window elements inside padding are generated, not read.
No PE, register file or inter-PE link is used.
"""

from __future__ import annotations

from functools import lru_cache

from ..hardware.parts import ArraySpec
from ..workload import Kind, Workload, ceil_div
from .base import ArrayCost, Counts, Granularity, axis_tiles, inbound, register


def simd_reads(w: Workload) -> int:
    """Words the unit reads: every in-bound window element of every output (pooling), or every
    operand of every output (element-wise add)."""
    if w.kind is Kind.ELTWISE:
        return w.operands * w.G * w.P * w.Q
    return w.G * inbound(w.P, w.stride_h, w.R, w.pad_top, w.H) * \
        inbound(w.Q, w.stride_w, w.S, w.pad_left, w.W)


@lru_cache(maxsize=65536)
def simd_cost(w: Workload, lanes: int) -> ArrayCost:
    reads = simd_reads(w)
    outputs = w.G * w.P * w.Q
    ops = outputs * (w.operands - 1) if w.kind is Kind.ELTWISE else reads
    counts = Counts(macs=float(ops), sram_ifmap_reads=float(reads), sram_writes=float(outputs))
    return ArrayCost(ceil_div(reads, lanes), counts, 0)


@register("simd")
class Simd:
    def supports(self, w: Workload) -> bool:
        return w.kind is not Kind.CONV

    def key(self, array: ArraySpec) -> ArraySpec:
        return array.only(simd_lanes=array.lanes)

    def granularity(self, w: Workload, array: ArraySpec) -> Granularity:
        return Granularity()

    def cost(self, w: Workload, array: ArraySpec, psum_in: bool = False) -> ArrayCost:
        return simd_cost(w, array.lanes)

    def compute_bound(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict):
        # tiles split the words read without changing their total; each tile rounds up
        return ceil_div(simd_reads(w), array.lanes)

    def tiled_cycles(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict,
                     index: dict | None = None):
        """The exact cycles under every buffer tiling at once (numpy arrays over candidates):
        Σ over the tiles of ⌈words read / lanes⌉, a tile's words being its groups × the
        in-bound rows × the in-bound columns its windows read (or its operands' words) — the
        tiles taken by class, as ``array_cost`` sums them."""
        import numpy as np  # (with the tiling search, not at import)

        lanes = array.lanes
        eltwise = w.kind is Kind.ELTWISE
        rows = _axis_reads(eltwise, sizes["P"], w.stride_h, w.R, w.pad_top, w.H, w.P,
                           index and index["P"])
        cols = _axis_reads(eltwise, sizes["Q"], w.stride_w, w.S, w.pad_left, w.W, w.Q,
                           index and index["Q"])
        # (candidates, row classes, column classes): tiles of each class pair, words per group
        count = rows[0][:, :, None] * cols[0][:, None, :]
        words = rows[1][:, :, None] * cols[1][:, None, :]
        if eltwise:
            words = words * w.operands
        g = sizes["G"]
        total = 0
        for gs, gn in ((g, w.G // g), (w.G % g, (w.G % g > 0).astype(np.int64))):
            per = -(-(np.asarray(gs)[:, None, None] * words) // lanes)
            total = total + np.asarray(gn) * (count * per).sum(axis=(1, 2))
        return total


def _axis_reads(eltwise: bool, size, stride: int, kernel: int, pad_lo: int, extent: int,
                out: int, index=None):
    """Per candidate tile size along one axis: (tiles of each class, in-bound rows a tile of
    that class reads) as two (candidates, classes) arrays, classes padded with empty ones.
    ``index``: the distinct sizes and each candidate's place in them, when known."""
    import numpy as np

    uniq, inv = index or np.unique(size, return_inverse=True)
    tiles, reads = _reads_table(eltwise, out, tuple(uniq.tolist()), stride, kernel, pad_lo,
                                extent)
    return tiles.take(inv, axis=0), reads.take(inv, axis=0)


@lru_cache(maxsize=1024)   # (a square map's rows and columns share it)
def _reads_table(eltwise: bool, out: int, sizes: tuple[int, ...], stride: int, kernel: int,
                 pad_lo: int, extent: int):
    """``_axis_reads`` over the distinct sizes: (sizes, classes) arrays."""
    import numpy as np

    per_size = []
    for s in sizes:
        classes = axis_tiles(out, s, stride, kernel, pad_lo, extent)
        if eltwise:
            per_size.append([(n, cls[0]) for cls, n in classes])
        else:
            per_size.append([(n, inbound(cls[0], stride, kernel, cls[2], cls[1]))
                             for cls, n in classes])
    width = max(len(c) for c in per_size)
    table = np.zeros((len(sizes), width, 2), dtype=np.int64)
    for i, c in enumerate(per_size):
        table[i, :len(c)] = c
    return table[:, :, 0], table[:, :, 1]
