"""The traffic and time model of a buffer tiling (docs/model.md §6.2–6.3).

Which operand a loop indexes is data (``RELEVANT``), so one formula counts the DRAM traffic of
every loop order: an operand's tile is fetched again each time a loop outside its innermost
relevant loop advances, unless that loop also indexes it.  Partial sums whose input-channel
loop is not innermost among the loops that index the outputs go to DRAM and come back.  The
array cycles are the template's, summed over the buffer tiles; the time is ``layer_time``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from math import ceil

from ..dataflow.base import ArrayCost, Counts, axis_tiles, footprint, rows_needed
from ..frozen import cached_hash, hash_field
from ..hardware.accelerator import Accelerator, ArraySpec, BufferSpec, DramSpec
from ..operands import Operand
from ..workload import Kind, Workload

LOOPS = ("K", "C", "P", "Q")
RELEVANT = {"ifmap": {"C", "P", "Q"}, "weight": {"K", "C"}, "ofmap": {"K", "P", "Q"}}


@cached_hash
@dataclass(frozen=True, slots=True)
class Tiling:
    G: int
    K: int
    C: int
    P: int
    Q: int
    order: tuple[str, ...]          # tiled buffer loops, outermost first (G is outermost)
    _hash: int = hash_field()      # (see frozen.py)

    def __str__(self) -> str:
        return (f"G{self.G} K{self.K} C{self.C} P{self.P} Q{self.Q} "
                f"{'>'.join(self.order) or '-'}")


@dataclass(frozen=True, slots=True)
class TiledCost:
    """A layer on the accelerator under one tiling."""

    tiling: Tiling
    cycles: int
    compute_cycles: int
    array: ArrayCost
    counts: Counts                  # array counts + DRAM and buffer fill/drain
    dram_read_bytes: int
    dram_write_bytes: int
    dram_operand_words: Mapping[Operand, float] = field(default_factory=dict)  # words read

    @property
    def stall_cycles(self) -> int:
        return self.cycles - self.compute_cycles


def _runs(total: int, size: int) -> list[tuple[int, int]]:
    full, rem = divmod(total, size)
    return [(s, n) for s, n in ((size, full), (rem, 1 if rem else 0)) if n]


@lru_cache(maxsize=262144)
def _tile(w: Workload, g: int, k: int, c: int, rows, cols) -> Workload:
    p, h, pt, pb = rows
    q, wd, pl, pr = cols
    return Workload.tile_of(w, g, k, c, p, q, h, wd, pt, pb, pl, pr)
    # (``residual`` is left out: a fused add costs nothing inside the array; evaluate() counts
    # its DRAM and buffer traffic once per output)


@lru_cache(maxsize=4096)
def array_key(tmpl, array: ArraySpec) -> ArraySpec:
    """``tmpl.key(array)``, memoised (a sweep asks for it once per layer and point)."""
    return tmpl.key(array)


def working_set(w: Workload, g: int, k: int, c: int, p: int, q: int) -> int:
    """Words of one tile of every operand."""
    if w.kind is Kind.ELTWISE:
        return g * p * q * (w.operands + 1)
    rows_in = rows_needed(p, w.stride_h, w.R, w.H)
    cols_in = rows_needed(q, w.stride_w, w.S, w.W)
    ifm = g * c * rows_in * cols_in
    wts = g * k * c * w.R * w.S if w.has_weights else 0
    return ifm + wts + g * k * p * q * (1 + w.residual)


def dram_words(w: Workload, t: Tiling) -> tuple[float, float, float, float]:
    """(ifmap reads, weight reads, psum reads, output writes) in words for tiling ``t``."""
    trips = {"K": -(-w.K // t.K), "C": -(-w.C // t.C), "P": -(-w.P // t.P),
             "Q": -(-w.Q // t.Q)}
    if w.kind is Kind.ELTWISE:
        ifmap, weights = w.operands * w.G * w.P * w.Q, 0
    else:
        rows_in = footprint(w.P, t.P, w.stride_h, w.R, w.pad_top, w.H)
        cols_in = footprint(w.Q, t.Q, w.stride_w, w.S, w.pad_left, w.W)
        ifmap, weights = w.G * w.C * rows_in * cols_in, w.weight_elems
    outs = w.ofmap_elems
    f_ifmap, f_weight, f_ofmap = _refetch_factors(t.order, trips)
    writes = outs * f_ofmap
    # a fused add reads its other operand(s) once, as the final outputs drain
    return (ifmap * f_ifmap + w.residual * outs, weights * f_weight, writes - outs, writes)


def _refetch_factors(order: tuple[str, ...], trips: dict) -> list[int]:
    """How many times the ifmap, the weights and the outputs are each fetched under the loop
    order ``order`` (outermost first): an operand's tile is fetched again each time a loop
    outside its innermost relevant tiled loop advances, unless that loop also indexes it."""
    mask = sum(1 << i for i, lp in enumerate(order) if trips[lp] > 1)
    key = (order, mask)
    loops = _REFETCHED.get(key)
    if loops is None:
        loops = []
        for rel in (RELEVANT["ifmap"], RELEVANT["weight"], RELEVANT["ofmap"]):
            inner = max((i for i, lp in enumerate(order) if lp in rel and mask >> i & 1),
                        default=0)   # no tiled loop indexes it: fetched once
            loops.append(tuple(lp for lp in order[:inner] if lp not in rel))
        loops = _REFETCHED[key] = tuple(loops)
    out = []
    for outer in loops:
        f = 1
        for lp in outer:
            f *= trips[lp]
        out.append(f)
    return out


# (loop order, which of its loops have more than one trip) -> the loops whose trips multiply
# each operand's fetches (once per process: at most a few hundred orders, not a cost memo)
_REFETCHED: dict[tuple, tuple] = {}


_N_COUNTS = len(Counts().values())


@lru_cache(maxsize=262144)
def array_cost(w: Workload, tmpl, array: ArraySpec, g: int, k: int, c: int, p: int, q: int
               ) -> ArrayCost:
    """Σ over the buffer tiles of the template's cost (identical tiles counted once); ``array``
    is the template's key (``tmpl.key``), so equal keys share the result."""
    cost = tmpl.cost
    g_runs, k_runs, c_runs = _runs(w.G, g), _runs(w.K, k), _runs(w.C, c)
    pieces = []          # (a tile's cost, how many times it runs)
    for (rows, rcount), (cols, qcount) in product(
            axis_tiles(w.P, p, w.stride_h, w.R, w.pad_top, w.H),
            axis_tiles(w.Q, q, w.stride_w, w.S, w.pad_left, w.W)):
        for gs, gn in g_runs:
            for ks, kn in k_runs:
                mult = rcount * qcount * gn * kn
                for i, (cs, cn) in enumerate(c_runs):
                    tile = _tile(w, gs, ks, cs, rows, cols)
                    if i == 0:   # the first input-channel slice starts from zero
                        pieces.append((cost(tile, array, False), mult))
                        cn -= 1
                    if cn > 0:   # later slices bring the partial sums back first
                        pieces.append((cost(tile, array, True), mult * cn))
    if len(pieces) == 1 and pieces[0][1] == 1:
        return pieces[0][0]      # (one tile, run once: its own cost, the same sums)
    cycles = active = 0
    total = [0.0] * _N_COUNTS
    for piece, n in pieces:
        cycles += piece.cycles * n
        active = max(active, piece.active_pes)
        total = [t + v * n for t, v in zip(total, piece.counts.values())]   # (same sums)
    return ArrayCost(cycles, Counts(*total), active)


def evaluate(w: Workload, tmpl, acc: Accelerator, t: Tiling) -> TiledCost:
    """Cost of workload ``w`` under tiling ``t`` on ``acc``."""
    return _evaluate(w, tmpl, acc.array, acc.buffer, acc.dram, t)


def layer_time(array_cycles: float, words: float, first_in: int, last_out: int,
               buffer: BufferSpec, dram: DramSpec) -> int:
    """docs/model.md §6.3: the latency and the first step's inputs exposed, the rest of the
    traffic overlapped with the array's cycles, the last step's outputs exposed."""
    wb, bw = buffer.word_bytes, dram.bytes_per_cycle
    prologue = dram.latency_cycles + first_in * wb / bw
    rest = max(0.0, (words - first_in - last_out) * wb) / bw
    return ceil(prologue + max(array_cycles, rest) + last_out * wb / bw - 1e-9)


def _evaluate(w: Workload, tmpl, array: ArraySpec, buffer: BufferSpec, dram: DramSpec,
              t: Tiling) -> TiledCost:
    """Cost of workload ``w`` under tiling ``t`` (compute from the template, DRAM from here)."""
    key = array_key(tmpl, array)
    cost, _, ifm, wts, psum_r, out_w = _tiled_counts(w, tmpl, key, t)
    first_in, last_out = exposed_words(w, tmpl, array)
    cycles = layer_time(cost.cycles, ifm + wts + psum_r + out_w, first_in, last_out, buffer,
                        dram)
    return timed_cost(w, tmpl, key, buffer, t, cycles)


def timed_cost(w: Workload, tmpl, key: ArraySpec, buffer: BufferSpec, t: Tiling,
               cycles: int) -> TiledCost:
    """The TiledCost of tiling ``t`` once its time (``layer_time``) is known; ``key`` is the
    template's key of the array."""
    return TiledCost(t, cycles, *_untimed(w, tmpl, key, buffer.word_bytes, t))


@lru_cache(maxsize=65536)
def _untimed(w: Workload, tmpl, key: ArraySpec, wb: int, t: Tiling) -> tuple:
    """Every field of ``timed_cost`` but the time: design points that differ only in the DRAM
    timing share them (one operand-words mapping per tiling, not one per point)."""
    cost, counts, ifm, wts, psum_r, out_w = _tiled_counts(w, tmpl, key, t)
    return (cost.cycles, cost, counts, int(round((ifm + wts + psum_r) * wb)),
            int(round(out_w * wb)), {Operand.IFMAP: ifm, Operand.WEIGHT: wts, Operand.PSUM: psum_r})


@lru_cache(maxsize=65536)
def _tiled_counts(w: Workload, tmpl, key: ArraySpec, t: Tiling):
    """What a tiling costs whatever the DRAM timing: the array's cost, every count, and the
    DRAM words by operand (a sweep over bandwidth or clock asks for it once)."""
    cost = array_cost(w, tmpl, key, t.G, t.K, t.C, t.P, t.Q)
    ifm, wts, psum_r, out_w = dram_words(w, t)
    reads = ifm + wts + psum_r
    fused = w.residual * w.ofmap_elems
    counts = cost.counts + Counts(adds=fused, sram_psum_reads=fused, dram_reads=reads,
                                  dram_writes=out_w, sram_fill_writes=reads,
                                  sram_drain_reads=out_w)
    return cost, counts, ifm, wts, psum_r, out_w


@lru_cache(maxsize=65536)
def granularity(w: Workload, tmpl, array: ArraySpec):
    """``tmpl.granularity(w, array)``, memoised (the search and ``exposed_words`` ask for it
    per layer)."""
    return tmpl.granularity(w, array)


@lru_cache(maxsize=65536)
def exposed_words(w: Workload, tmpl, array: ArraySpec) -> tuple[int, int]:
    """Words that cannot overlap compute: the inputs and weights of the first array step and
    the outputs of the last (docs/model.md §6.3).  The DMA streams at the array's step, whatever
    the buffer tiling, so these do not depend on the tiling."""
    gran = granularity(w, tmpl, array)
    k, c, p, q = (min(gran.K, w.K), min(gran.C, w.C), min(gran.P, w.P), min(gran.Q, w.Q))
    out = k * p * q
    return working_set(w, 1, k, c, p, q) - out * (1 + w.residual), out
