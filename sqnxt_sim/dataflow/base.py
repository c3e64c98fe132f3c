"""What every dataflow template returns, and the registry templates join by name.

A template maps one workload tile onto the PE array and counts, in closed form, the cycles and
the actions at the levels inside the global buffer (MACs, RF reads/writes, inter-PE deliveries,
global-buffer reads/writes per operand).  DRAM traffic belongs to the tiler.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import chain
from typing import Protocol

from ..errors import AcceleratorError
from ..frozen import cached_hash, hash_field
from ..hardware.parts import ArraySpec
from ..workload import Workload, ceil_div


@dataclass(frozen=True, slots=True)
class Counts:
    """Actions counted by the model (docs/model.md §5). All values are word/operation counts."""

    macs: float = 0.0            # multiply-accumulates actually performed (zeros skipped in OS)
    adds: float = 0.0            # additions of fused element-wise adds, in the drain path
    rf_reads: float = 0.0
    rf_writes: float = 0.0
    array: float = 0.0           # inter-PE transfers and broadcast deliveries
    sram_ifmap_reads: float = 0.0
    sram_weight_reads: float = 0.0
    sram_psum_reads: float = 0.0
    sram_writes: float = 0.0     # partial sums and outputs written back by the array
    sram_fill_writes: float = 0.0  # words written into the buffer from DRAM
    sram_drain_reads: float = 0.0  # words read from the buffer to go to DRAM
    dram_reads: float = 0.0      # words
    dram_writes: float = 0.0

    def __add__(self, o: Counts) -> Counts:
        return Counts(*map(operator.add, _values(self), _values(o)))

    def scale(self, k: float) -> Counts:
        return Counts(*(v * k for v in _values(self)))

    def values(self) -> tuple[float, ...]:
        return _values(self)

    @property
    def sram_reads(self) -> float:
        return (self.sram_ifmap_reads + self.sram_weight_reads + self.sram_psum_reads
                + self.sram_drain_reads)

    @property
    def sram_total_writes(self) -> float:
        return self.sram_writes + self.sram_fill_writes


_values = operator.attrgetter(*(f.name for f in fields(Counts)))


@dataclass(frozen=True, slots=True)
class ArrayCost:
    """The cost of one workload tile on the array (no DRAM)."""

    cycles: int
    counts: Counts
    active_pes: int               # PEs the mapping uses at best (for mapping efficiency)

    def __add__(self, o: ArrayCost) -> ArrayCost:
        return ArrayCost(self.cycles + o.cycles, self.counts + o.counts,
                         max(self.active_pes, o.active_pes))

    def times(self, n: int) -> ArrayCost:
        return ArrayCost(self.cycles * n, self.counts.scale(n), self.active_pes)


@cached_hash
@dataclass(frozen=True, slots=True)
class Granularity:
    """Tile sizes the buffer tiler should use so array tiles stay whole (multiples of these)."""

    K: int = 1
    C: int = 1
    P: int = 1
    Q: int = 1
    _hash: int = hash_field()      # (see frozen.py)


class Template(Protocol):
    name: str

    def supports(self, w: Workload) -> bool: ...

    def key(self, array: ArraySpec) -> ArraySpec:
        """``array`` as far as this template can tell — the fields it does not read at fixed
        values — so results are cached and shared across design points that differ only in
        those.  Every cost below is called with a key."""
        ...

    def granularity(self, w: Workload, array: ArraySpec) -> Granularity: ...

    def cost(self, w: Workload, array: ArraySpec, psum_in: bool = False) -> ArrayCost:
        """Cost of running tile ``w``; ``psum_in``: partial sums of an earlier input-channel
        slice must be brought back into the array first."""
        ...

    def compute_bound(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict):
        """A lower bound (a number, or a numpy array over candidates) on the array cycles of
        ``w`` under every buffer tiling given by ``sizes``/``trips`` (which map G, K, C, P, Q
        to arrays of tile sizes and trip counts, or to one candidate's ints); 0 is always
        valid.  Used only to prune the tiling search, which tests/test_tiling_search.py
        checks against exhaustive search, and to break its ties."""
        ...

    # Optional: ``tiled_cycles(w, array, sizes, trips, index=None)`` -> the exact array cycles
    # of every candidate tiling at once (same arguments as ``compute_bound``; ``index`` maps
    # each dimension to (its distinct sizes, each candidate's place in them)), or None for
    # workloads it cannot sum in closed form.  With it the search needs no bounded walk
    # (docs/model.md §6.1; tests/test_tiling_search.py checks it against the per-tile sum).
    # Optional with it: ``cycle_tables(w, array, lists)`` -> what ``tiled_cycles`` reads that
    # depends only on the distinct tile sizes of each dimension (``lists``), not on which
    # candidates a buffer admits, passed back as ``tiled_cycles(..., index, tables)``; the
    # search works it out once per layer, array and granularity for every buffer size.


_REGISTRY: dict[str, Template] = {}


def register(name: str):
    """Class decorator: one shared (stateless) instance per template name."""
    def deco(cls):
        cls.name = name
        _REGISTRY[name] = cls()
        return cls
    return deco


def template(name: str) -> Template:
    if name not in _REGISTRY:
        raise AcceleratorError(f"unknown dataflow {name!r} (known: {', '.join(sorted(_REGISTRY))})",
                               field="dataflow")
    return _REGISTRY[name]


def inbound(extent_out: int, stride: int, kernel: int, pad_lo: int, size: int) -> int:
    """Σ over kernel offsets of the number of output positions whose input lies inside the
    unpadded input (padding is generated, never read).  Exact, O(kernel)."""
    total = 0
    for r in range(kernel):
        # positions p with 0 <= p*stride + r - pad_lo < size
        lo = max(0, ceil_div(pad_lo - r, stride))
        hi = min(extent_out - 1, (size - 1 + pad_lo - r) // stride)
        total += max(0, hi - lo + 1)
    return total


@lru_cache(maxsize=65536)
def footprint(out: int, size: int, stride: int, kernel: int, pad_lo: int, extent: int) -> int:
    """Σ over the tiles of ``size`` output rows (or columns) along one axis of the input rows
    each tile reads: halo included, padding excluded (it is generated at the array edge)."""
    if stride > kernel:
        # (the windows do not touch, so a tile reads its windows' in-bound rows and nothing
        # between them: over all the tiles, every window's, whatever the size)
        return inbound(out, stride, kernel, pad_lo, extent)
    # A tile's windows touch, so it reads one run of rows: its span, less the padding it sees
    # at either end (nothing when all of it is padding).  The spans add up to (out − n)·stride
    # + n·kernel over the n tiles; only the tiles at either end can see padding, and they are
    # corrected one by one (a tile's start and end only grow along the axis).
    n = -(-out // size)
    total = (out - n) * stride + n * kernel

    def correction(i: int) -> int:
        lo = i * size * stride - pad_lo
        hi = lo + (min(size, out - i * size) - 1) * stride + kernel
        return max(0, min(hi, extent) - max(lo, 0)) - (hi - lo)

    first = 0
    while first < n and first * size * stride < pad_lo:
        total += correction(first)
        first += 1
    last = n - 1
    while last >= first and ((min(out, (last + 1) * size) - 1) * stride - pad_lo + kernel
                             > extent):
        total += correction(last)
        last -= 1
    return total


def tile_span(out: int, size: int, stride: int, kernel: int, pad_lo: int, extent: int
              ) -> tuple[int, int, int]:
    """(tiles of ``size`` output rows or columns along one axis, the first and the last of
    those that are full and read inside the map, with no padding): the tiles from ``first``
    to ``last`` are all alike (none when first > last); only the others need a look."""
    step = size * stride
    return (-(-out // size), -(-pad_lo // step),
            min(out // size - 1, (extent + pad_lo - kernel - (size - 1) * stride) // step))


def tile_class(i: int, out: int, size: int, stride: int, kernel: int, pad_lo: int,
               extent: int) -> tuple[int, int, int, int]:
    """Tile ``i`` of ``size`` output rows (or columns) along one axis as (out, in, pad_lo,
    pad_hi): its rows, the input rows inside the map it reads, the padding it sees."""
    p0 = i * size
    n = min(size, out - p0)
    lo = p0 * stride - pad_lo
    hi = (p0 + n - 1) * stride - pad_lo + kernel
    return n, max(1, min(hi, extent) - max(lo, 0)), max(0, -lo), max(0, hi - extent)


@lru_cache(maxsize=65536)
def axis_tiles(out: int, size: int, stride: int, kernel: int, pad_lo: int, extent: int
               ) -> tuple[tuple[tuple[int, int, int, int], int], ...]:
    """Tiles of ``size`` output rows (or columns) as classes (out, in, pad_lo, pad_hi) → count:
    the input each tile reads (padding excluded) and the padding it sees; in the order the
    tiles first show them.  The full tiles whose input lies inside the map are all alike and
    counted at once rather than visited."""
    n_tiles, first, last = tile_span(out, size, stride, kernel, pad_lo, extent)
    c: dict = {}
    # (the tiles before the first inner one, then the inner ones at once — marked -1 — then
    # those after the last)
    for i in (chain(range(first), (-1,), range(last + 1, n_tiles)) if first <= last
              else range(n_tiles)):
        if i < 0:
            c[(size, (size - 1) * stride + kernel, 0, 0)] = last - first + 1
            continue
        cls = tile_class(i, out, size, stride, kernel, pad_lo, extent)
        c[cls] = c.get(cls, 0) + 1
    return tuple(c.items())


def rows_needed(out: int, stride: int, kernel: int, size: int) -> int:
    """Input rows a tile of ``out`` output rows holds at most (padding ignored)."""
    return min(size, (out - 1) * min(stride, kernel) + kernel)


def channel_tiles_bound(w: Workload, tmpl, array: ArraySpec, g: int, k: int, c: int) -> int:
    """The template's array cycles of ``w`` cut into (group, filter, channel) buffer tiles of
    g × k × c, each spanning the whole output map; later input-channel slices bring their
    partial sums back.  For a template whose cost only grows when the map is cut into row and
    column tiles (more tile rows, more column tiles, fewer pixels to hide a preload behind),
    this bounds the array cycles of every tiling with those channel tiles — exactly when P and
    Q are whole.  The tiling search asks for it only for candidates that survive the cheaper
    vectorised ``compute_bound``."""
    return _channel_tiles_cycles(w, tmpl, array, g, k, c)


@lru_cache(maxsize=262144)
def _channel_tiles_cycles(w: Workload, tmpl, array: ArraySpec, g: int, k: int, c: int) -> int:
    n_c = -(-w.C // c)
    edge = w.C - (n_c - 1) * c
    total = 0
    for gs, gn in _edge_runs(w.G, g):
        for ks, kn in _edge_runs(w.K, k):
            def cost(cs, psum_in, gs=gs, ks=ks):
                return tmpl.cost(_channel_tile(w, gs, ks, cs), array, psum_in).cycles
            if n_c == 1:
                per = cost(w.C, False)
            else:
                per = cost(c, False) + (n_c - 2) * cost(c, True) + cost(edge, True)
            total += gn * kn * per
    return total


@lru_cache(maxsize=262144)
def _channel_tile(w: Workload, g: int, k: int, c: int) -> Workload:
    return Workload.tile_of(w, g, k, c, w.P, w.Q, w.H, w.W, w.pad_top, w.pad_bottom,
                            w.pad_left, w.pad_right)


def _edge_runs(total: int, size: int) -> list[tuple[int, int]]:
    full, rem = divmod(total, size)
    return [(s, n) for s, n in ((size, full), (rem, 1 if rem else 0)) if n]
