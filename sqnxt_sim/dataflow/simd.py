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
from .base import ArrayCost, Counts, Granularity, inbound, register


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
