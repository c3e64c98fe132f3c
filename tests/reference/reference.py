"""A slow, deliberately literal reference for the cost model of docs/model.md (§3 OS, §4 WS, §6.3
tiling).

Nothing here calls or copies the model's counting code: only the ``Workload`` value (the layer's
loop bounds) is imported.  Each function walks the loop nest the way the doc says the hardware
executes it — group by group, array tile by array tile, filter group by filter group, channel by
channel, phase by phase, tap by tap, pass by pass, pixel by pixel — and adds one to a counter for
every event.  Closed forms (Σ k, products of trip counts) are deliberately avoided; the only
shortcut is that an event reaching every busy PE adds the length of the enumerated list of busy
PEs instead of looping over it again.

Counts are exact integers, except the expected-value MACs of a sparse OS layer, which are exact
fractions (``fractions.Fraction``).

Domain: padding on each side is smaller than the kernel along that axis (every output pixel sees
at least one real input), as in every layer a network file can produce.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product

from sqnxt_sim.workload import Kind, Workload

COUNT_FIELDS = ("macs", "rf_reads", "rf_writes", "array", "sram_ifmap_reads",
                "sram_weight_reads", "sram_psum_reads", "sram_writes")


@dataclass
class Tally:
    """What a walk counted.  ``macs`` follows the doc's expected-value convention (OS with
    sparsity: (1 − sparsity) per dense MAC); ``macs_pattern`` is what a concrete weight pattern
    with exactly the broadcast non-zeros would perform (OS only; equal to ``macs`` without
    sparsity)."""

    cycles: int = 0
    macs: Fraction = Fraction(0)
    macs_pattern: int = 0
    rf_reads: Fraction = Fraction(0)
    rf_writes: Fraction = Fraction(0)
    array: int = 0
    sram_ifmap_reads: int = 0
    sram_weight_reads: int = 0
    sram_psum_reads: int = 0
    sram_writes: int = 0
    active_pes: int = 0
    # OS only: Σ over (tile row, filter group, column tile) of the busy PEs — the slack the
    # concrete pattern's MACs may exceed the expected-value MACs by (strictly less than this)
    pattern_slack: int = 0

    def __iadd__(self, o: Tally) -> Tally:
        for name in ("cycles", "macs", "macs_pattern", "rf_reads", "rf_writes", "array",
                     "sram_ifmap_reads", "sram_weight_reads", "sram_psum_reads", "sram_writes",
                     "pattern_slack"):
            setattr(self, name, getattr(self, name) + getattr(o, name))
        self.active_pes = max(self.active_pes, o.active_pes)
        return self


@dataclass(frozen=True)
class Box:
    """A block of the layer's iteration space in the layer's own coordinates (half-open)."""

    g: range
    k: range
    c: range
    p: range
    q: range

    @staticmethod
    def whole(w: Workload) -> Box:
        return Box(range(w.G), range(w.K), range(w.C), range(w.P), range(w.Q))


def _chunks(r: range, size: int) -> list[range]:
    """Consecutive pieces of ``size`` (the last may be shorter), in loop order."""
    return [range(a, min(a + size, r.stop)) for a in range(r.start, r.stop, size)]


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _taps(w: Workload) -> list[tuple[int, int]]:
    return [(r, s) for r in range(w.R) for s in range(w.S)]


def _phases(w: Workload) -> list[list[tuple[int, int]]]:
    """Polyphase components (§3): taps r ≡ a (mod s_h), s ≡ b (mod s_w); each phase is a stride-1
    problem whose taps are visited in snake order so consecutive taps are one mesh step apart."""
    out = []
    for a in range(min(w.stride_h, w.R)):
        for b in range(min(w.stride_w, w.S)):
            rows = list(range(a, w.R, w.stride_h))
            cols = list(range(b, w.S, w.stride_w))
            taps = []
            for i, r in enumerate(rows):
                for s in (cols if i % 2 == 0 else reversed(cols)):
                    taps.append((r, s))
            for (r0, s0), (r1, s1) in zip(taps, taps[1:]):   # a mesh shift moves one pixel
                assert abs(r1 - r0) // w.stride_h + abs(s1 - s0) // w.stride_w == 1
                assert (r1 - r0) % w.stride_h == 0 and (s1 - s0) % w.stride_w == 0
            out.append(taps)
    assert sorted(t for ph in out for t in ph) == sorted(_taps(w))
    return out


def _input_coord(w: Workload, p: int, q: int, r: int, s: int) -> tuple[int, int] | None:
    """The unpadded input pixel output (p, q) reads at tap (r, s); None inside padding."""
    h = p * w.stride_h + r - w.pad_top
    x = q * w.stride_w + s - w.pad_left
    if 0 <= h < w.H and 0 <= x < w.W:
        return h, x
    return None


def touched_inputs(w: Workload, prange: range, qrange: range) -> set[tuple[int, int]]:
    """Every unpadded input pixel some output of the block reads (halo included)."""
    taps = [(0, 0)] if w.kind is Kind.ELTWISE else _taps(w)
    out = set()
    for p in prange:
        for q in qrange:
            for r, s in taps:
                xy = _input_coord(w, p, q, r, s)
                if xy is not None:
                    out.add(xy)
    return out


# --------------------------------------------------------------------------------------------
# Output stationary, docs/model.md §3
# --------------------------------------------------------------------------------------------

def walk_os_packed(w: Workload, rows: int, cols: int, box: Box) -> Tally | None:
    """docs/model.md §3.1: a weightless layer whose whole output map fits the array at least
    twice runs several channels side by side, each in its own P×Q block, blocks placed row by
    row; every input value a PE uses enters through the top row (one array row a cycle) and
    travels down to its PE; each PE then drains its one result down its column."""
    P, Q = len(box.p), len(box.q)
    if w.kind is Kind.CONV or P > rows or Q > cols:
        return None
    per_row, per_col = cols // Q, rows // P
    if per_row * per_col < 2:
        return None
    t = Tally()
    channels = list(box.g)
    eltwise = w.kind is Kind.ELTWISE
    taps = [(0, 0)] * w.operands if eltwise else _taps(w)
    while channels:
        batch, channels = channels[:per_row * per_col], channels[per_row * per_col:]
        place = {}                                   # PE (row, col) -> (channel, p, q)
        for i, g in enumerate(batch):
            br, bc = divmod(i, per_row)
            for dp, p in enumerate(box.p):
                for dq, q in enumerate(box.q):
                    place[(br * P + dp, bc * Q + dq)] = (g, p, q)
        used_rows = max(r for r, _ in place) + 1
        t.active_pes = max(t.active_pes, len(place))
        for tap in taps:                             # one load per window element / operand
            for _row in range(used_rows):            # one array row enters per cycle
                t.cycles += 1
            for (r, _c), (_g, p, q) in place.items():
                t.array += r + 1                     # from the top row down to row r
                if eltwise or _input_coord(w, p, q, *tap) is not None:
                    t.sram_ifmap_reads += 1
        ops = (w.operands - 1) if eltwise else len(taps)
        for _pe in place:
            t.macs += ops
            t.macs_pattern += ops
        for _row in range(used_rows):                # drain: one result per PE
            t.cycles += 1
        for (r, _c) in place:
            t.sram_writes += 1
            t.array += used_rows - r                 # down to the bottom row and out
    t.rf_reads = t.macs
    t.rf_writes = t.macs
    return t


def walk_os(w: Workload, rows: int, cols: int, rf: int, sparsity: float, psum_in: bool = False,
            box: Box | None = None, overlap: bool = True, fc_across: bool = True) -> Tally:
    box = box or Box.whole(w)
    packed = walk_os_packed(w, rows, cols, box)
    if packed is not None:
        return packed
    if fc_across and w.vector_out and w.kind is Kind.CONV:
        return walk_os_vector(w, rows, cols, box, psum_in, overlap)
    conv = w.kind is Kind.CONV
    eltwise = w.kind is Kind.ELTWISE
    keep = 1 - Fraction(str(sparsity)) if conv else Fraction(1)
    F = rf if conv else 1
    phases = [[(0, 0)]] if eltwise else _phases(w)
    t = Tally()
    for _g in box.g:
        for prow in _chunks(box.p, rows):                      # tile rows
            tr = len(prow)
            for fgroup in _chunks(box.k, F):                   # filter groups
                f = len(fgroup)
                # expected-value sparsity (§3, §9): of the f·T_u weights of each (channel,
                # phase) unit, exactly b_u = ceil((1 − sparsity)·f·T_u) are non-zero — the
                # first b_u in streaming order
                def unit_nonzero(phase, f=f):
                    if conv:
                        return _ceil(keep * f * len(phase))
                    return f * len(phase)

                for pcol in _chunks(box.q, cols):              # column tiles
                    tc = len(pcol)
                    busy = [(p, q) for p in prow for q in pcol]
                    pes = len(busy)
                    t.active_pes = max(t.active_pes, pes)
                    need = touched_inputs(w, prow, pcol)
                    if psum_in:                                # bring partial sums back first
                        for _f in fgroup:
                            for i in range(tr):                # one value per column per cycle
                                t.cycles += 1
                                for _j in range(tc):
                                    t.sram_psum_reads += 1
                                    t.array += i + 1           # enters the top row, travels down
                    if eltwise:
                        for _op in range(w.operands):          # one preload per operand
                            t.sram_ifmap_reads += len(need)
                            for i in range(tr):
                                t.cycles += 1
                                t.array += (i + 1) * tc
                        for _add in range(w.operands - 1):
                            t.cycles += 1
                            t.array += pes
                            t.macs += pes
                            t.macs_pattern += pes
                    else:
                        # timeline: a unit's inputs are preloaded (one array row a cycle) into
                        # the PEs' shadow registers, then its weights broadcast; with overlap
                        # the next unit's preload starts as soon as this unit starts computing
                        preload_free = t.cycles       # when the preload path may start
                        compute_free = t.cycles       # when the previous unit finished
                        for _c in box.c:                       # channel by channel
                            t.sram_ifmap_reads += len(need)
                            for phase in phases:
                                start = preload_free
                                for i in range(tr):            # preload, one array row a cycle
                                    for _j in range(tc):
                                        t.array += i + 1
                                preloaded = start + tr
                                begin = max(preloaded, compute_free)
                                b_u = unit_nonzero(phase)
                                streamed = 0
                                for n_tap, _tap in enumerate(phase):
                                    if n_tap:                  # mesh shift to the next tap
                                        t.array += pes
                                    for _k in fgroup:          # one weight per filter
                                        t.macs += keep * pes
                                        nonzero = streamed < b_u
                                        streamed += 1
                                        if nonzero:            # broadcast to every busy PE
                                            t.array += pes
                                            t.macs_pattern += pes
                                            if conv:
                                                t.sram_weight_reads += 1
                                assert streamed == f * len(phase)
                                t.pattern_slack += pes
                                compute_free = begin + b_u
                                preload_free = begin if overlap else compute_free
                        t.cycles = compute_free
                    for _f in fgroup:                          # drain down the columns
                        for i in range(tr):
                            t.cycles += 1
                            for _j in range(tc):
                                t.sram_writes += 1
                                t.array += tr - i              # row i leaves after tr − i hops
    t.rf_reads = t.macs                                        # one psum read and write per MAC
    t.rf_writes = t.macs
    return t


def walk_os_vector(w: Workload, rows: int, cols: int, box: Box, psum_in: bool,
                   overlap: bool) -> Tally:
    """docs/model.md §3.2: a layer with a 1×1 output map in OS.  Neurons (output channels) are
    laid row-major on the PEs, rows·cols at a time; for every input element inside the map the
    neurons' weights enter the top row one array row a cycle and shift down to their PEs (into
    a shadow register: with overlap the next element's rows load while this one is used), then
    the input value is broadcast and every PE multiplies and accumulates.  Results drain down
    the columns."""
    t = Tally()
    elems = [(c, r, s) for c in box.c for r in range(w.R) for s in range(w.S)
             if _input_coord(w, 0, 0, r, s) is not None]
    for _g in box.g:
        for chunk in _chunks(box.k, rows * cols):
            place = {n: divmod(i, cols) for i, n in enumerate(chunk)}   # neuron -> (row, col)
            tr = max(r for r, _ in place.values()) + 1
            t.active_pes = max(t.active_pes, len(place))
            clock = t.cycles
            if psum_in:                                  # partial sums back in, row by row
                clock += tr
                for r, _c in place.values():
                    t.sram_psum_reads += 1
                    t.array += r + 1
            preload_free = compute_free = clock
            for _e in elems:
                begin_load = preload_free
                for r, _c in place.values():             # weights shift down to their rows
                    t.sram_weight_reads += 1
                    t.array += r + 1
                loaded = begin_load + tr
                begin = max(loaded, compute_free)
                t.sram_ifmap_reads += 1                  # the input value, broadcast
                for _n in place:
                    t.array += 1
                    t.macs += 1
                    t.macs_pattern += 1
                compute_free = begin + 1
                preload_free = begin if overlap else compute_free
            clock = compute_free
            for r, _c in place.values():                 # drain, one row a cycle
                t.sram_writes += 1
                t.array += tr - r
            t.cycles = clock + tr
    t.rf_reads = t.macs
    t.rf_writes = t.macs
    return t


def walk_simd(w: Workload, lanes: int, box: Box | None = None) -> Tally:
    """docs/model.md §5.1: the SIMD unit reads every in-bound window element (or operand) of
    every output through a ``lanes``-word port, one port-full a cycle, and writes each output."""
    box = box or Box.whole(w)
    t = Tally()
    eltwise = w.kind is Kind.ELTWISE
    taps = [(0, 0)] * w.operands if eltwise else _taps(w)
    queue = 0
    for _g in box.g:
        for p in box.p:
            for q in box.q:
                for tap in taps:
                    if eltwise or _input_coord(w, p, q, *tap) is not None:
                        t.sram_ifmap_reads += 1
                        queue += 1
                        if not eltwise:
                            t.macs += 1
                if eltwise:
                    t.macs += w.operands - 1
                t.sram_writes += 1
    while queue > 0:
        t.cycles += 1
        queue -= lanes
    t.macs_pattern = int(t.macs)
    return t


# --------------------------------------------------------------------------------------------
# Weight stationary, docs/model.md §4
# --------------------------------------------------------------------------------------------

@dataclass
class _Pass:
    row_map: list[tuple[int, int]]          # array row → (group, input channel)
    col_map: list[tuple[int, int]]          # array column → (group, output channel)
    tap: tuple[int, int]


def ws_passes(w: Workload, rows: int, cols: int, box: Box, pack_groups: bool = False
              ) -> list[_Pass]:
    G, C, K = len(box.g), len(box.c), len(box.k)
    pack = 1
    if pack_groups and G > 1 and C <= rows and K <= cols:
        pack = min(G, rows // C, cols // K)
    out = []
    if pack > 1:                             # groups share a pass block-diagonally
        for gs in _chunks(box.g, pack):
            for tap in _taps(w):
                out.append(_Pass([(g, c) for g in gs for c in box.c],
                                 [(g, k) for g in gs for k in box.k], tap))
    else:
        for g in box.g:
            for cf in _chunks(box.c, rows):
                for kf in _chunks(box.k, cols):
                    for tap in _taps(w):
                        out.append(_Pass([(g, c) for c in cf], [(g, k) for k in kf], tap))
    return out


def walk_ws(w: Workload, rows: int, cols: int, rf: int, psum_in: bool = False,
            box: Box | None = None, pack_groups: bool = False) -> Tally:
    box = box or Box.whole(w)
    assert w.kind is Kind.CONV
    t = Tally()
    passes = ws_passes(w, rows, cols, box, pack_groups)
    pixels = [(p, q) for p in box.p for q in box.q]
    written: set = set()
    # timeline: a pass streams when its weights are in; with ≥ 2 RF entries the next pass's
    # weights load into the spare entry while the current pass streams
    preload_done = len(passes[0].row_map)      # the first preload is exposed
    stream_end = 0
    for i, ps in enumerate(passes):
        r_u, c_u = len(ps.row_map), len(ps.col_map)
        assert r_u <= rows and c_u <= cols
        useful = [(a, b) for a, (ga, _) in enumerate(ps.row_map)
                  for b, (gb, _) in enumerate(ps.col_map) if ga == gb]
        t.active_pes = max(t.active_pes, len(useful))
        for a in range(r_u):                   # weight preload through the top row
            for _b in range(c_u):
                t.array += a + 1
        t.rf_writes += len(useful)
        t.sram_weight_reads += len(useful)
        stream_start = max(stream_end, preload_done)
        streamed = 0
        for p, q in pixels:                    # one output pixel per cycle, padding skipped
            if _input_coord(w, p, q, *ps.tap) is None:
                continue
            streamed += 1
            for _row in ps.row_map:            # one input per mapped row from the stream buffer
                t.sram_ifmap_reads += 1
                t.array += c_u                 # it passes along the row
            t.array += r_u * c_u               # each column's partial sum hops down the chain
            t.macs += len(useful)
            for g, k in ps.col_map:            # partial sum to the buffer
                if (g, k, p, q) in written or psum_in:
                    t.sram_psum_reads += 1
                t.sram_writes += 1
                written.add((g, k, p, q))
        stream_end = stream_start + streamed
        if i + 1 < len(passes):
            nxt = len(passes[i + 1].row_map)
            preload_done = (stream_start if rf >= 2 else stream_end) + nxt
    t.cycles = stream_end + max(len(ps.row_map) for ps in passes)   # adder-chain fill/drain
    t.rf_reads = t.macs
    t.macs_pattern = int(t.macs)
    return t


# --------------------------------------------------------------------------------------------
# Global-buffer tiling, docs/model.md §6.2–6.3
# --------------------------------------------------------------------------------------------

RELEVANT = {"ifmap": "CPQ", "weight": "KC", "ofmap": "KPQ"}


@dataclass
class DramTally:
    ifmap: int = 0
    residual: int = 0
    weight: int = 0
    psum_reads: int = 0
    writes: int = 0
    visits: int = 0
    boxes: list = field(default_factory=list)   # (Box, first input-channel slice?) in order


def walk_buffer(w: Workload, tG: int, tK: int, tC: int, tP: int, tQ: int,
                order: tuple[str, ...]) -> DramTally:
    """Run the buffer loop nest (G outermost, then ``order`` outermost first; loops missing
    from ``order`` run innermost) with a buffer that holds one tile per operand, and count the
    DRAM words each operand moves.  An ofmap tile evicted before its last input-channel slice
    is written out as partial sums and read back when it returns."""
    sizes = {"K": (w.K, tK), "C": (w.C, tC), "P": (w.P, tP), "Q": (w.Q, tQ)}
    loops = list(order) + [lp for lp in "KCPQ" if lp not in order]
    tiles = {lp: _chunks(range(n), t) for lp, (n, t) in sizes.items()}
    n_c = len(tiles["C"])
    d = DramTally()
    resident: dict[str, tuple | None] = {"ifmap": None, "weight": None, "ofmap": None}
    slices_done: dict[tuple, int] = defaultdict(int)
    eltwise = w.kind is Kind.ELTWISE
    resident_words = 0

    def ifmap_words(g, c, p, q):
        if eltwise:
            return w.operands * len(g) * len(p) * len(q)
        return len(g) * len(c) * len(touched_inputs(w, p, q))

    def out_words(g, k, p, q):
        return len(g) * len(k) * len(p) * len(q)

    for g in _chunks(range(w.G), tG):
        for idx in product(*(range(len(tiles[lp])) for lp in loops)):
            pick = {lp: tiles[lp][i] for lp, i in zip(loops, idx)}
            k, c, p, q = pick["K"], pick["C"], pick["P"], pick["Q"]
            ci = tiles["C"].index(c)
            d.visits += 1
            key_i, key_w, key_o = (g.start, c.start, p.start, q.start), \
                (g.start, k.start, c.start), (g.start, k.start, p.start, q.start)
            if resident["ifmap"] != key_i:
                d.ifmap += ifmap_words(g, c, p, q)
                resident["ifmap"] = key_i
            if w.has_weights and resident["weight"] != key_w:
                d.weight += len(g) * len(k) * len(c) * w.R * w.S
                resident["weight"] = key_w
            if resident["ofmap"] != key_o:
                if resident["ofmap"] is not None:
                    d.writes += resident_words
                if slices_done[key_o]:
                    d.psum_reads += out_words(g, k, p, q)
                resident["ofmap"] = key_o
                resident_words = out_words(g, k, p, q)
            d.boxes.append((Box(g, k, c, p, q), slices_done[key_o] == 0))
            assert slices_done[key_o] == ci         # slices arrive in order
            slices_done[key_o] += 1
            if slices_done[key_o] == n_c:                 # final value: the fused add reads
                d.residual += w.residual * out_words(g, k, p, q)   # its other operand(s)
    if resident["ofmap"] is not None:
        d.writes += resident_words
    return d
