"""Systolic-array template: closed-form cycle and SRAM-access counts for OS, WS and IS.

The model follows SCALE-Sim's (Samajdar et al.) systolic-array abstraction: a layer is lowered
to a GEMM (im2col), the GEMM's two spatial dimensions (Sr, Sc) are folded onto the R×C array and
the third (T) is streamed through it.  With ``scalesim_compat=True`` the numbers reproduce what
SCALE-Sim 3.0.0 reports, quirks included; with ``scalesim_compat=False`` they are what a correct
count of the same machine gives.  Every formula, and every difference between the two modes, is
listed in docs/systolic.md (section numbers below refer to it).

Everything is integer arithmetic on a handful of values: no per-cycle or per-element loops.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..hardware.parts import ArraySpec
from ..workload import Kind, Workload, ceil_div, fold_padding
from .base import ArrayCost, Counts, Granularity, register

DATAFLOWS = ("os", "ws", "is")

# SCALE-Sim's estimate-bandwidth ("CALC") memory model, docs/systolic.md §6.
_SCALESIM_READ_BACKING_BW = 10      # words/cycle it assumes for ifmap/filter DRAM prefetch
_SCALESIM_SETS_PER_BUFFER = 100     # a read buffer is tracked as 100 equal address sets
_SCALESIM_ACTIVE_SETS = 50          # half of them form the active buffer (active frac 0.5)


@dataclass(frozen=True, slots=True)
class SystolicCounts:
    """Per-layer result of the systolic template (one value for the whole layer, all groups).

    Cycle fields are in array clock cycles; access fields count words (elements).
    """

    dataflow: str
    rows: int
    cols: int
    scalesim_compat: bool
    # GEMM view of one problem (one group; compat: one SCALE-Sim layer), §1–§2
    sr: int                      # spatial extent mapped on array rows
    sc: int                      # spatial extent mapped on array columns
    t: int                       # temporal extent streamed per fold
    row_folds: int
    col_folds: int
    problems: int                # independent GEMMs run back to back (groups × batch in compat)
    macs: int                    # MACs as this mode counts them (compat: SCALE-Sim's num_compute)
    # cycles, §3
    total_cycles: int            # compat: SCALE-Sim COMPUTE_REPORT "Total Cycles"
    compute_cycles: int
    stall_cycles: int
    total_cycles_incl_prefetch: int | None   # compat only, §6; None when not modelled exactly
    # utilisation, §4 (fractions in [0, 1], not percent)
    mapping_efficiency: float
    compute_utilization: float
    overall_utilization: float
    # SRAM traffic between the buffers and the array, §5
    ifmap_sram_reads: int
    filter_sram_reads: int
    ofmap_sram_writes: int
    ofmap_sram_reads: int        # partial sums read back for accumulation (compat: always 0)

    @property
    def folds(self) -> int:
        return self.row_folds * self.col_folds * self.problems


def scalesim_output_size(in_size: int, kernel: int, stride: int) -> int:
    """SCALE-Sim's output extent: ceil((in - k + stride) / stride), no padding (§1)."""
    return ceil_div(in_size - kernel + stride, stride)


def _covered(in_size: int, kernel: int, stride: int, out_size: int,
             pad: int = 0) -> tuple[int, int]:
    """(distinct in-range input positions touched, in-range (output, tap) pairs) along one axis.

    Windows start at o*stride - pad for o in [0, out_size) and span ``kernel`` positions;
    positions outside [0, in_size) are padding or SCALE-Sim's ragged edge and are never fetched.
    """
    pairs = 0
    for r in range(kernel):                # kernel is tiny (<= 11): a loop over taps, not pixels
        lo = max(0, ceil_div(pad - r, stride))              # 0 <= o*stride + r - pad
        hi = min(out_size - 1, (in_size - 1 + pad - r) // stride)   # ... < in_size
        if hi >= lo:
            pairs += hi - lo + 1
    if stride >= kernel:                   # windows are disjoint: distinct = sum of clipped spans
        distinct = pairs
    else:                                  # windows overlap into one contiguous run
        first = max(0, -pad)
        last = min(in_size - 1, (out_size - 1) * stride - pad + kernel - 1)
        distinct = max(0, last - first + 1)
    return distinct, pairs


def _gemm_dims(dataflow: str, m: int, k: int, window: int) -> tuple[int, int, int]:
    """(Sr, Sc, T) for a GEMM of M output pixels × K filters × window-long dot products (§2)."""
    if dataflow == "os":
        return m, k, window
    if dataflow == "ws":
        return window, k, m
    return window, m, k                      # "is"


def _fold_lines(dataflow: str, rows: int, cols: int, t: int) -> int:
    """Cycles one fold occupies in SCALE-Sim's demand matrices (§3)."""
    if dataflow == "os":
        return t + rows + cols - 2
    return 2 * rows + cols + t - 2


def systolic_counts(w: Workload, rows: int, cols: int, dataflow: str,
                    scalesim_compat: bool = False, *,
                    ifmap_sram_kb: int = 256, filter_sram_kb: int = 256,
                    ofmap_sram_kb: int = 128) -> SystolicCounts:
    """Cycles, utilisation and SRAM accesses of one conv/FC layer on a rows×cols systolic array.

    ``dataflow`` is "os", "ws" or "is"; anything else raises ValueError.  The SRAM sizes only
    affect ``total_cycles_incl_prefetch`` (SCALE-Sim's DRAM-prefetch estimate, §6).
    """
    if dataflow not in DATAFLOWS:
        raise ValueError(f"unknown systolic dataflow {dataflow!r}; expected one of {DATAFLOWS}")
    if not (isinstance(rows, int) and isinstance(cols, int) and rows >= 1 and cols >= 1):
        raise ValueError(f"array must be at least 1x1, got {rows!r}x{cols!r}")
    if w.kind is not Kind.CONV:
        raise ValueError(f"the systolic template maps conv/FC layers only, not {w.kind.value}")

    window = w.R * w.S * w.C

    if scalesim_compat:
        # §1: output size from the unpadded input with SCALE-Sim's ceil rule; §7: every group
        # and every batch image is its own SCALE-Sim layer (batch is fixed at 1 there).
        if w.H < w.R or w.W < w.S:
            raise ValueError(f"SCALE-Sim rejects a {w.R}x{w.S} filter on a {w.H}x{w.W} input "
                             "(it ignores padding)")
        p = scalesim_output_size(w.H, w.R, w.stride_h)
        q = scalesim_output_size(w.W, w.S, w.stride_w)
        m = p * q
        problems = w.N * w.G
        pad_t = pad_l = 0
    else:
        p, q = w.P, w.Q
        m = w.N * p * q                       # batch folds into the GEMM's M dimension
        problems = w.G
        pad_t, pad_l = w.pad_top, w.pad_left

    sr, sc, t = _gemm_dims(dataflow, m, w.K, window)
    fr = ceil_div(sr, rows)
    fc = ceil_div(sc, cols)
    folds = fr * fc
    lines = _fold_lines(dataflow, rows, cols, t)
    useful = sr * sc * t                      # MACs of one problem (= m * K * window)

    # §3 cycles
    if scalesim_compat:
        per_problem = folds * lines - 1       # SCALE-Sim reports the last cycle index
        if per_problem == 0:
            # one MAC on a 1x1 array: SCALE-Sim reports 0 cycles and then divides by it
            raise ValueError("SCALE-Sim cannot simulate a single-cycle layer "
                             "(it reports 0 cycles and fails computing utilisation)")
    else:
        per_problem = folds * lines
    compute_cycles = per_problem * problems
    stall_cycles = 0
    total_cycles = compute_cycles + stall_cycles

    # §4 utilisation
    pe = rows * cols
    mapping_efficiency = (sr * sc) / (folds * pe)
    if scalesim_compat:
        util_den = lines if dataflow == "os" else 2 * rows + 2 * cols + t - 3
        compute_utilization = useful / (folds * pe * util_den)
        overall_utilization = useful / (per_problem * pe)
    else:
        compute_utilization = useful / (per_problem * pe)
        overall_utilization = compute_utilization
    macs = useful * problems

    # §5 SRAM accesses, one problem first
    ifmap_passes = 1 if dataflow == "is" else fc
    if scalesim_compat:
        ifmap_entries = m * window                     # every im2col entry, ragged edge included
    else:
        _, pairs_h = _covered(w.H, w.R, w.stride_h, p, pad_t)
        _, pairs_w = _covered(w.W, w.S, w.stride_w, q, pad_l)
        ifmap_entries = w.N * w.C * pairs_h * pairs_w  # padding taps are generated, not read
    ifmap_reads = ifmap_passes * ifmap_entries
    if dataflow == "os":
        filter_reads = fr * sc * t
        ofmap_writes = sr * sc
        ofmap_reads = 0
        if scalesim_compat:
            ofmap_writes += folds * (rows + cols)      # §5: SCALE-Sim's extra per-fold count
    elif dataflow == "ws":
        filter_reads = sr * sc
        ofmap_writes = fr * t * sc
        ofmap_reads = 0 if scalesim_compat else (fr - 1) * t * sc
    else:
        filter_reads = fc * sr * t
        ofmap_writes = fr * sc * t
        ofmap_reads = 0 if scalesim_compat else (fr - 1) * sc * t

    incl_prefetch = None
    if scalesim_compat:
        incl_prefetch = _scalesim_incl_prefetch(
            w, p, q, dataflow, cols, per_problem,
            ofmap_valid_writes=sr * sc if dataflow == "os" else ofmap_writes,
            ifmap_sram_kb=ifmap_sram_kb, filter_sram_kb=filter_sram_kb,
            ofmap_sram_kb=ofmap_sram_kb)
        if incl_prefetch is not None:
            incl_prefetch *= problems

    return SystolicCounts(
        dataflow=dataflow, rows=rows, cols=cols, scalesim_compat=scalesim_compat,
        sr=sr, sc=sc, t=t, row_folds=fr, col_folds=fc, problems=problems, macs=macs,
        total_cycles=total_cycles, compute_cycles=compute_cycles, stall_cycles=stall_cycles,
        total_cycles_incl_prefetch=incl_prefetch,
        mapping_efficiency=mapping_efficiency, compute_utilization=compute_utilization,
        overall_utilization=overall_utilization,
        ifmap_sram_reads=ifmap_reads * problems, filter_sram_reads=filter_reads * problems,
        ofmap_sram_writes=ofmap_writes * problems, ofmap_sram_reads=ofmap_reads * problems,
    )


def _scalesim_incl_prefetch(w: Workload, p: int, q: int, dataflow: str, cols: int,
                            last_cycle: int, *, ofmap_valid_writes: int, ifmap_sram_kb: int,
                            filter_sram_kb: int, ofmap_sram_kb: int) -> int | None:
    """SCALE-Sim's "Total Cycles (incl. prefetch)" for one layer, §6.

    Exact only while no DRAM prefetch or write-back happens in the middle of the layer (the
    distinct ifmap and filter addresses fit the active half of their buffers and the ofmap
    writes fit the drain half of its buffer); outside that regime None is returned.
    """
    items_i = (ifmap_sram_kb * 1024) // _SCALESIM_SETS_PER_BUFFER
    items_f = (filter_sram_kb * 1024) // _SCALESIM_SETS_PER_BUFFER
    ofmap_elems = ofmap_sram_kb * 1024
    ofmap_drain_half = ofmap_elems - ceil_div(ofmap_elems, 2)
    if items_i < 1 or items_f < 1:
        return None

    rows_touched, _ = _covered(w.H, w.R, w.stride_h, p)
    cols_touched, _ = _covered(w.W, w.S, w.stride_w, q)
    distinct_ifmap = rows_touched * cols_touched * w.C
    distinct_filter = w.R * w.S * w.C * w.K
    if (distinct_ifmap >= _SCALESIM_ACTIVE_SETS * items_i
            or distinct_filter >= _SCALESIM_ACTIVE_SETS * items_f
            or ofmap_valid_writes > ofmap_drain_half):
        return None

    def prefetch_lead(distinct: int, items: int) -> int:
        sets = ceil_div(distinct, items)
        return ceil_div(sets * items, _SCALESIM_READ_BACKING_BW)

    lead = max(prefetch_lead(distinct_ifmap, items_i), prefetch_lead(distinct_filter, items_f))
    writeback = ceil_div(ofmap_valid_writes, cols)   # ofmap drains `cols` words per cycle
    return lead + last_cycle + writeback - 1


# -- the simulator's view: padding as SCALE-Sim is given it, access counts, the template --------

def access_counts(sc: SystolicCounts) -> Counts:
    """The template's actions in the project's vocabulary (docs/systolic.md §8).

    SRAM counts are §5's.  Inside the array every MAC takes one operand from its neighbour and
    passes one partial sum (WS, IS) or second operand (OS) on: two inter-PE transfers per MAC.
    The register holding the stationary value is read once per MAC; it is written once per MAC
    (OS accumulator) or once per stationary load (WS weights, IS inputs).
    """
    macs = float(sc.macs)
    if sc.dataflow == "os":
        rf_writes = macs
    elif sc.dataflow == "ws":
        rf_writes = float(sc.filter_sram_reads)
    else:
        rf_writes = float(sc.ifmap_sram_reads)
    return Counts(macs=macs, rf_reads=macs, rf_writes=rf_writes, array=2.0 * macs,
                  sram_ifmap_reads=float(sc.ifmap_sram_reads),
                  sram_weight_reads=float(sc.filter_sram_reads),
                  sram_psum_reads=float(sc.ofmap_sram_reads),
                  sram_writes=float(sc.ofmap_sram_writes))


def layer_counts(w: Workload, array: ArraySpec) -> SystolicCounts:
    """``systolic_counts`` for one layer on the array ``array`` (template: systolic).  In
    compat mode the layer is first written as SCALE-Sim is given it (``fold_padding``)."""
    if array.scalesim_compat:
        w = fold_padding(w)
    return systolic_counts(w, array.rows, array.cols, array.dataflow, array.scalesim_compat)


@register("systolic")
class Systolic:
    """``template: systolic`` as a registered Template (docs/systolic.md §8).

    The simulator runs it on whole layers, without the buffer tiler (the systolic template
    models the array and its SRAM buffers, as SCALE-Sim does; DRAM is not modelled), but the
    Template interface is complete so a tiler can cost tiles with it.
    """

    def supports(self, w: Workload) -> bool:
        return w.kind is Kind.CONV

    def key(self, array: ArraySpec) -> ArraySpec:
        return array.only("rows", "cols", "dataflow", "scalesim_compat")

    def granularity(self, w: Workload, array: ArraySpec) -> Granularity:
        # K runs along the array's columns in OS and WS (docs/systolic.md §2)
        return Granularity(K=array.cols if array.dataflow in ("os", "ws") else 1)

    def cost(self, w: Workload, array: ArraySpec, psum_in: bool = False) -> ArrayCost:
        sc = layer_counts(w, array)
        counts = access_counts(sc)
        cycles = sc.total_cycles
        if psum_in:
            # an earlier input-channel slice left partial sums in the buffer: they are read
            # back (and, in OS, loaded into the accumulators through the top edge, `rows`
            # cycles per fold, like a WS weight preload)
            psums = w.N * w.G * w.K * w.P * w.Q
            counts = counts + Counts(sram_psum_reads=float(psums))
            if array.dataflow == "os":
                cycles += sc.folds * array.rows
        return ArrayCost(cycles, counts, min(sc.sr, array.rows) * min(sc.sc, array.cols))

    def compute_bound(self, w: Workload, array: ArraySpec, sizes: dict, trips: dict):
        return 0
