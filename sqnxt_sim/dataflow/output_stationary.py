"""Output-stationary (OS) mode of the Squeezelerator (docs/model.md §3).

Spatial unrolling: PE (i, j) owns output pixel (p0 + i, q0 + j) of an output tile of at most
rows × cols pixels.  Stays in the PE: partial sums, for up to ``rf.registers`` filters at once.

Per (output tile, group of f ≤ RF filters) the work is a sequence of (input channel, phase)
units.  A stride-s convolution is run as its polyphase components (min(s, R)·min(s, S) stride-1
problems), each preloaded separately, because a one-step mesh shift moves an input by one pixel
while PEs sit s pixels apart.  Per unit:
* preload — the unit's input block is pushed in through the top row, one array row per cycle
  (tile-rows cycles).  With ``os.preload_overlap`` a shadow input register per PE takes the next
  unit's block while the current unit computes, so only a tile's first preload is exposed;
* compute — the stream buffer broadcasts the unit's f × T_u weights one per cycle, skipping zero
  weights (fraction ``sparsity``, rounded up per unit); between taps every PE passes its input to
  its neighbour (mesh shift, overlapped with the broadcasts);
then, per (output tile, filter group), write-back: each PE drains its f results down its column
and out through the bottom row, one value per column per cycle (f × tile-rows cycles, exposed).

A layer whose output map is 1×1 (FC) puts one output neuron on each PE instead (§3.2).  Pooling
on the array runs the same way with its window as the "taps" and nothing to skip; element-wise
add preloads each operand and adds in place.  Padding is generated at the array edge, never read.
"""

from __future__ import annotations

from functools import lru_cache
from math import ceil

from ..hardware.parts import ArraySpec
from ..workload import Kind, Workload
from .base import (
    ArrayCost,
    Counts,
    Granularity,
    channel_tiles_bound,
    footprint,
    inbound,
    register,
)


def _splits(total: int, size: int) -> list[tuple[int, int, int]]:
    """(start, length, count) runs covering ``total`` in pieces of ``size``."""
    full, rem = divmod(total, size)
    out = []
    if full:
        out.append((0, size, full))
    if rem:
        out.append((full * size, rem, 1))
    return out


def packing(w: Workload, rows: int, cols: int) -> tuple[int, int]:
    """(blocks per column, blocks per row) when a weightless layer's whole output map fits the
    array at least twice, so several channels run side by side (docs/model.md §3.1); else
    (0, 0)."""
    if w.kind is Kind.CONV or w.P > rows or w.Q > cols:
        return (0, 0)
    per_col, per_row = rows // w.P, cols // w.Q
    return (per_col, per_row) if per_col * per_row >= 2 else (0, 0)


def packed_cost(w: Workload, rows: int, cols: int) -> ArrayCost:
    """Channels packed as P×Q blocks, row-major: a pass loads every input value each PE uses
    through the top row (the blocks' edges belong to other channels, so no mesh-shift reuse),
    one array row per cycle, and drains one result per PE."""
    per_col, per_row = packing(w, rows, cols)
    pack = per_col * per_row
    loads = w.operands if w.kind is Kind.ELTWISE else w.R * w.S
    ops_per_output = (w.operands - 1) if w.kind is Kind.ELTWISE else w.R * w.S
    if w.kind is Kind.ELTWISE:
        reads_per_channel = w.operands * w.P * w.Q
    else:
        reads_per_channel = (inbound(w.P, w.stride_h, w.R, w.pad_top, w.H)
                             * inbound(w.Q, w.stride_w, w.S, w.pad_left, w.W))
    cycles = 0
    hops = 0.0
    for start in range(0, w.G, pack):
        n = min(pack, w.G - start)
        block_rows = -(-n // per_row)
        used = block_rows * w.P
        cycles += loads * used + used            # loads, then one result per PE drains
        # a loaded value travels from the top row down to its row r (r + 1 hops); a result
        # drains from row r down and out of the bottom row (used − r hops)
        for b in range(block_rows):
            m = per_row if b < block_rows - 1 or n % per_row == 0 else n % per_row
            down = sum(b * w.P + i + 1 for i in range(w.P))
            hops += m * w.Q * (loads * down + (w.P * used - down + w.P))
    outputs = w.G * w.P * w.Q
    ops = float(outputs * ops_per_output)
    counts = Counts(macs=ops, rf_reads=ops, rf_writes=ops, array=hops,
                    sram_ifmap_reads=w.G * reads_per_channel, sram_writes=outputs)
    return ArrayCost(cycles, counts, min(pack, w.G) * w.P * w.Q)


def phase_taps(w: Workload) -> tuple[int, ...]:
    """Taps of each polyphase component (§3): phase (a, b) holds the taps r ≡ a (mod s_h),
    s ≡ b (mod s_w)."""
    return _phase_taps(w.R, w.S, w.stride_h, w.stride_w)


@lru_cache(maxsize=4096)
def _phase_taps(R: int, S: int, sh: int, sw: int) -> tuple[int, ...]:
    return tuple(-(-(R - a) // sh) * -(-(S - b) // sw)
                 for a in range(min(sh, R)) for b in range(min(sw, S)))


def unit_broadcasts(w: Workload, f: int, sparsity: float) -> tuple[int, ...]:
    """Broadcast cycles of one (channel, phase) unit for a group of ``f`` filters, per phase:
    the unit's f·T_phase weights, of which the non-zero ones, rounded up, are sent (§3)."""
    if w.kind is not Kind.CONV:           # pooling: every window element, one filter
        return phase_taps(w)
    return _broadcasts(phase_taps(w), f, sparsity)


@lru_cache(maxsize=65536)
def _broadcasts(taps: tuple[int, ...], f: int, sparsity: float) -> tuple[int, ...]:
    return tuple(ceil((1.0 - sparsity) * f * t - 1e-9) for t in taps)


def stream_cycles(bcasts: tuple[int, ...], channels: int, rows: int, overlap: bool) -> int:
    """Preload and broadcast cycles of one (tile row, filter group): ``channels`` × the phase
    units, each preloaded through the top row (``rows`` cycles) and then broadcast.  With a
    shadow input register a unit's preload runs while the unit before it broadcasts, so only
    the first preload is exposed and each later unit takes max(broadcasts, preload) (§3)."""
    if not overlap:
        return channels * (len(bcasts) * rows + sum(bcasts))
    per_channel = sum(max(b, rows) for b in bcasts)
    return rows + channels * per_channel - max(bcasts[-1], rows) + bcasts[-1]


def vector_cost(w: Workload, rows: int, cols: int, overlap: bool,
                psum_in: bool = False) -> ArrayCost:
    """A layer with a 1×1 output map (FC) in OS, §3.2: PE (i, j) owns output neuron
    i·cols + j of a chunk of up to rows·cols neurons.  For every input element the chunk's
    weights enter through the preload path, one array row per cycle, and the input value is
    broadcast to every PE, which multiplies and accumulates.  With a shadow weight register the
    next element's weight rows load while the current one is used.  Zero weights are delivered
    like any other (the preload path moves whole rows), and inputs inside padding are never
    sent.  Each chunk ends with its results drained down the columns."""
    elems = w.C * inbound(1, w.stride_h, w.R, w.pad_top, w.H) * \
        inbound(1, w.stride_w, w.S, w.pad_left, w.W)
    refill = 2 if psum_in else 1
    cycles = 0
    array = 0.0
    chunks = 0
    for _, k, n in _splits(w.K, rows * cols):
        full, rem = divmod(k, cols)
        tr = full + (1 if rem else 0)
        down = cols * full * (full + 1) // 2 + rem * (full + 1)        # Σ (row + 1) per PE
        out = cols * (tr * full - full * (full - 1) // 2) + rem * (tr - full)   # Σ (tr − row)
        per = (elems * tr + 1) if overlap else elems * (tr + 1)
        cycles += n * (per + tr * refill)
        array += n * (elems * (down + k) + out + (down if psum_in else 0))
        chunks += n
    macs = float(w.G * w.K * elems)
    outputs = w.G * w.K
    counts = Counts(macs=macs, rf_reads=macs, rf_writes=macs, array=w.G * array,
                    sram_ifmap_reads=w.G * chunks * elems, sram_weight_reads=macs,
                    sram_psum_reads=outputs if psum_in else 0.0, sram_writes=outputs)
    return ArrayCost(w.G * cycles, counts, min(w.K, rows * cols))


@lru_cache(maxsize=65536)
def os_cost(w: Workload, rows: int, cols: int, rf: int, sparsity: float,
            psum_in: bool = False, overlap: bool = True, fc_across: bool = True) -> ArrayCost:
    if packing(w, rows, cols)[0]:
        return packed_cost(w, rows, cols)
    if fc_across and w.vector_out and w.kind is Kind.CONV:
        return vector_cost(w, rows, cols, overlap, psum_in)
    conv = w.kind is Kind.CONV
    eltwise = w.kind is Kind.ELTWISE
    sp = sparsity if conv else 0.0
    taps = 1 if eltwise else w.R * w.S
    preloads = w.operands if eltwise else min(w.stride_h, w.R) * min(w.stride_w, w.S)
    F = rf if conv else 1
    kgroups = _splits(w.K, F)
    n_kgroups = sum(n for _, _, n in kgroups)
    n_qtiles = -(-w.Q // cols)
    refill = 2 if psum_in else 1                  # drain, plus psum refill for later C slices

    cycles = 0
    macs = array = wreads = pes_f = 0.0
    for _, tr, pcount in _splits(w.P, rows):
        pes = tr * w.Q                            # PEs busy, summed over the column tiles
        hops_col = tr * (tr + 1) / 2 * w.Q        # a value pushed through tr rows, per column
        for _, f, fcount in kgroups:
            n = pcount * fcount * w.G             # identical (tile row, filter group) units
            if eltwise:                           # each operand preloaded, then the additions
                bcast = w.operands - 1
                steps = w.operands * tr + bcast
            else:
                units = unit_broadcasts(w, f, sp)
                bcast = w.C * sum(units)
                steps = stream_cycles(units, w.C, tr, overlap)
            cycles += n * n_qtiles * (steps + f * tr * refill)
            dense = (w.operands - 1) * pes if eltwise else f * w.C * taps * pes
            macs += n * dense * (1.0 - sp)
            array += n * (bcast * pes                              # broadcast deliveries
                          + w.C * max(0, taps - preloads) * pes    # mesh shifts between taps
                          + w.C * preloads * hops_col              # preload shifts
                          + f * hops_col * refill)                 # drain (and psum refill)
            wreads += n * n_qtiles * (bcast if conv else 0)
            pes_f += n * f * pes
    rows_in = footprint(w.P, rows, w.stride_h, w.R, w.pad_top, w.H)
    cols_in = footprint(w.Q, cols, w.stride_w, w.S, w.pad_left, w.W)
    ifmap = w.G * n_kgroups * w.C * rows_in * cols_in * (w.operands if eltwise else 1)
    counts = Counts(macs=macs, rf_reads=macs, rf_writes=macs, array=array,
                    sram_ifmap_reads=ifmap, sram_weight_reads=wreads,
                    sram_psum_reads=pes_f if psum_in else 0.0, sram_writes=pes_f)
    return ArrayCost(int(cycles), counts, min(w.P, rows) * min(w.Q, cols))


@lru_cache(maxsize=4096)   # (a network's layers share most of their K and P sides)
def _counts_by_size(total: int, sizes: tuple[int, ...], unit: int):
    """For each buffer tile size along a dimension of ``total`` (K or P), how many array
    pieces of each size its buffer tiles make when cut into pieces of ``unit`` (RF filter
    groups or array tile rows): full pieces of the full tiles and of the edge tile, each full
    tile's remainder and the edge tile's remainder.  As an int64 array, one row per tile size
    over the piece sizes that occur, sorted (zero when a tile size has no remainder), and
    those sizes (an array)."""
    import numpy as np

    per = []
    for size in sizes:
        full, rem = divmod(total, size)
        per.append(((unit, full * (size // unit) + rem // unit),
                    (size % unit, full * (size % unit > 0)), (rem % unit, int(rem % unit > 0))))
    vals = sorted({v for row in per for v, _ in row})
    at = {v: i for i, v in enumerate(vals)}
    table = []
    for row in per:
        counts = [0] * len(vals)
        for v, n in row:
            counts[at[v]] += n
        table.append(counts)
    out = np.array(table, dtype=np.int64), np.array(vals, dtype=np.int64)
    for a in out:
        a.setflags(write=False)
    return out


@lru_cache(maxsize=4096)
def _column_tiles(total: int, sizes: tuple[int, ...], cols: int):
    """Per buffer tile size along Q, the array column tiles of all its buffer tiles."""
    import numpy as np

    q = np.array(sizes, dtype=np.int64)
    tiles = (total // q) * -(-q // cols) + -(-(total % q) // cols)
    tiles.setflags(write=False)
    return tiles


@register("os")
class OutputStationary:
    def supports(self, w: Workload) -> bool:
        return True

    def key(self, array: ArraySpec) -> ArraySpec:
        return array.only("rows", "cols", "rf_registers", "sparsity", "os_preload_overlap",
                          "os_fc_across_pes")

    def granularity(self, w: Workload, array: ArraySpec) -> Granularity:
        if self._vector(w, array):
            return Granularity(K=array.cols, C=1, P=1, Q=1)
        return Granularity(K=array.rf_registers if w.kind is Kind.CONV else 1, C=1, P=array.rows,
                           Q=array.cols)

    @staticmethod
    def _vector(w: Workload, array) -> bool:
        return array.os_fc_across_pes and w.vector_out and w.kind is Kind.CONV

    def cost(self, w: Workload, array: ArraySpec, psum_in: bool = False) -> ArrayCost:
        return os_cost(w, array.rows, array.cols, array.rf_registers, array.sparsity, psum_in,
                       array.os_preload_overlap, array.os_fc_across_pes)

    def compute_bound(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict):
        if w.kind is not Kind.CONV:
            # A weightless tile either streams every window element / operand through the top
            # row (T + 1 row-cycles per output row of N_c, §3.1) or preloads φ phases and
            # drains (≥ φ + 1 row-cycles per output row, §3, with or without overlap):
            # whatever the tiling, the outputs need (min(φ, T) + 1) · outputs / N_c cycles.
            eltwise = w.kind is Kind.ELTWISE
            loads = w.operands if eltwise else w.R * w.S
            phases = w.operands if eltwise else min(w.stride_h, w.R) * min(w.stride_w, w.S)
            return ceil((min(phases, loads) + 1) * w.ofmap_elems / array.cols - 1e-9)
        untiled = self.cost(w, array, False).cycles
        if self._vector(w, array):
            # Cutting K only adds chunks and rows (Σ ceil(k/N_c) ≥ ceil(K/N_c)); every later
            # input-channel slice refills each chunk's partial sums, one row per cycle.
            return untiled + (trips["C"] - 1) * w.G * -(-w.K // array.cols)
        # Tiling only adds to the untiled layer's cycles (more tile rows and column tiles, more
        # filter groups; with overlap each unit's max(b, t_r) only grows when split), and
        # every input-channel slice after the first refills each PE's f partial sums:
        # Σ over tile rows, filter groups and column tiles of f·t_r = G·K·P·ceil(Q/N_c).
        n_qt = -(-w.Q // array.cols)
        return untiled + (trips["C"] - 1) * w.G * w.K * w.P * n_qt

    @staticmethod
    def _vector_tiled_cycles(w: Workload, array: ArraySpec, sizes: dict, trips: dict):
        """``tiled_cycles`` of a layer with a 1×1 output map spread over the PEs (§3.2): a
        chunk of k′ ≤ N_r·N_c neurons takes e·c·t + 1 cycles with overlap (e·c·(t + 1)
        without) plus t·refill, t = ⌈k′/N_c⌉ its rows and e·c the input elements of c
        channels; so over the tiles the channels add up to C (n_c slices, the first without a
        refill), and a K tile contributes its chunk rows T and its chunks N."""
        chunk, cols = array.rows * array.cols, array.cols
        e = inbound(1, w.stride_h, w.R, w.pad_top, w.H) * inbound(1, w.stride_w, w.S,
                                                                  w.pad_left, w.W)

        def rows_chunks(k):
            full, rem = k // chunk, k % chunk
            return full * array.rows + -(-rem // cols), full + (rem > 0)

        K = sizes["K"]
        t_full, n_full = rows_chunks(K)
        t_edge, n_edge = rows_chunks(w.K % K)
        k_full = w.K // K
        t, n = k_full * t_full + t_edge, k_full * n_full + n_edge
        n_c = trips["C"]
        if array.os_preload_overlap:
            per = e * w.C * t + n_c * n
        else:
            per = e * w.C * (t + n)
        return w.G * (per + (2 * n_c - 1) * t)

    def channel_bound(self, w: Workload, array: ArraySpec, g: int, k: int, c: int) -> int:
        # more tile rows or column tiles only add preloads, broadcasts and drains (a unit's
        # max(b, t_r) is superadditive in t_r), so the map may be taken whole (§6.1)
        return channel_tiles_bound(w, self, array, g, k, c)

    def tiled_cycles(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict,
                     index: dict | None = None, tables=None):
        """The exact array cycles of a convolution under every buffer tiling at once (numpy
        arrays over candidates, as ``compute_bound`` takes them), or None where only the
        per-tile sum is known (pooling and element-wise adds on the array).
        ``index`` may give, per dimension, the distinct sizes and each candidate's place in
        them (the search has them; else they are worked out here).

        ``os_cost``'s cycles of one tile are g · ⌈q/N_c⌉ · Σ over its tile rows t_r and filter
        groups f of (c · A(f, t_r) + B(f, t_r) + f · t_r · refill), where A is one channel's
        stream cycles per phase unit (Σ max(b_i, t_r) with overlap, φ·t_r + Σ b_i without)
        and B what the first preload and the last unit add (min(b_last, t_r) with overlap, 0
        without).  Summed over the buffer tiles the groups add up to G, the column tiles to
        Σ⌈q/N_c⌉, the channels to C (n_c slices, the first without a partial-sum refill) and
        f · t_r to K · P, while Σ n_f · n_t · A(f, t_r) over the filter groups (at most three
        sizes per K tile size) and tile rows (three per P tile size) is a product of three
        small matrices: filter groups by size × A over the sizes that occur × tile rows by
        size.  Integer arithmetic throughout, so the sum equals ``array_cost``'s
        (tests/test_tiling_search.py)."""
        if w.kind is not Kind.CONV:
            return None
        import numpy as np  # (with the tiling search, not at import)

        if self._vector(w, array):
            return self._vector_tiled_cycles(w, array, sizes, trips)
        if index is None:
            index = {d: np.unique(sizes[d], return_inverse=True) for d in "KPQ"}
        if tables is None:
            tables = self.cycle_tables(w, array, {d: index[d][0] for d in "KPQ"})
        per_kp, per_kp_c, col_tiles, n_p = tables
        kp = index["K"][1] * n_p + index["P"][1]
        return col_tiles.take(index["Q"][1]) * (per_kp.take(kp)
                                                + trips["C"] * per_kp_c.take(kp))

    def cycle_tables(self, w: Workload, array: ArraySpec, lists: dict):
        """What ``tiled_cycles`` reads, over the distinct K, P and Q tile sizes (``lists``),
        whatever the buffer: per (K size, P size), G · (C · ΣA − K · P) and G · (ΣB + 2 · K ·
        P), the cycles' parts without and with a factor n_c (flattened, K outer); per Q size,
        the column tiles; and the number of P sizes.  None where ``tiled_cycles`` has no
        closed form or needs no table."""
        if w.kind is not Kind.CONV or self._vector(w, array):
            return None
        import numpy as np  # (with the tiling search, not at import)

        k_s, p_s, q_s = lists["K"], lists["P"], lists["Q"]
        rf, rows, cols = array.rf_registers, array.rows, array.cols
        # per K tile size, the filter groups of every buffer tile as {group size: how many}
        # (full groups of RF filters, each tile's last partial group, the edge tile's); per P
        # tile size, the tile rows likewise.  The lists are short (tens of sizes, three kinds
        # each), so they are counted in Python and only the products are arrays.
        by_f, f_vals = _counts_by_size(w.K, tuple(k_s.tolist()), rf)     # K size × group size
        by_t, t_vals = _counts_by_size(w.P, tuple(p_s.tolist()), rows)   # P size × tile rows
        by_t = by_t.T
        scale = 1.0 - array.sparsity
        b = np.array([[ceil(scale * f * tap - 1e-9) for f in f_vals.tolist()]  # phase ×
                      for tap in phase_taps(w)], dtype=np.int64)                # group size
        t_row = t_vals[None, :]
        kp = w.K * w.P
        if array.os_preload_overlap:
            a = np.maximum(b[:, :, None], t_row).sum(axis=0)
            sum_b = by_f @ np.minimum(b[-1][:, None], t_row) @ by_t
        else:
            a = len(b) * t_row + b.sum(axis=0)[:, None]
            sum_b = 0
        sum_a = by_f @ a @ by_t
        per_c = w.G * (sum_b + 2 * kp)     # (a matrix like sum_a's with overlap, else a number)
        return ((w.G * (w.C * sum_a - kp)).ravel(),
                per_c.ravel() if array.os_preload_overlap else np.full(sum_a.size, per_c),
                _column_tiles(w.Q, tuple(q_s.tolist()), cols), len(p_s))
