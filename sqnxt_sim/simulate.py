"""Network × accelerator → Result (docs/model.md §1, §8).

Each compute layer is mapped by the accelerator's machine (machines.py); element-wise adds that
can be fused run in their producer's drain path (§6.4); every row is built by ``layer_row``.
"""

from __future__ import annotations

import weakref
from dataclasses import replace
from functools import lru_cache
from operator import itemgetter

from . import __version__
from .dataflow.base import Counts
from .errors import MappingError
from .frozen import IdentityMemo
from .hardware.accelerator import Accelerator
from .limits import MAX_BATCH
from .machines import LEVELS, LayerCost, level_energies, machine, static_energy
from .network.graph import Network
from .network.layers import FC, Add, Conv
from .operands import Operand
from .result import LayerResult, LazyRows, Result
from .workload import Kind, Workload


def map_layer(w: Workload, acc: Accelerator) -> LayerCost:
    """How ``w`` runs on ``acc``: its machine's mapping (dataflow, cycles, counts)."""
    return machine(acc.template).map(w, acc)


def clear_caches() -> None:
    """Forget every memoised cost (for cold-start benchmarks and bounded memory): every
    lru_cache (or memo with a ``cache_clear``) in the model's modules."""
    from . import machines
    from .dataflow import base, output_stationary, simd, systolic, weight_stationary
    from .tiling import model, search
    for module in (model, search, base, output_stationary, weight_stationary, simd, systolic,
                   machines):
        for fn in list(vars(module).values()):
            if not isinstance(fn, type) and callable(getattr(fn, "cache_clear", None)):
                fn.cache_clear()
    _NODE_FIELDS.clear()
    _PLAN_COLUMNS.clear()
    _COST_FIELDS.clear()
    _TOTALS_FIELDS.clear()
    _FUSED_TOTALS.clear()
    _fused.cache_clear()


def fusions(network: Network) -> dict[str, str]:
    """Element-wise adds fused into the convolution that produces one of their operands
    (docs/model.md §6.4): the producer must be a conv/FC whose only consumer is the add; of
    several, the one computed last, so the other operands already exist.  add → producer."""
    out: dict[str, str] = {}
    order = {n.name: i for i, n in enumerate(network)}
    for node in network:
        if not isinstance(node.layer, Add):
            continue
        producers = [p for p in node.inputs
                     if isinstance(network[p].layer, (Conv, FC)) and network.consumers(p) == 1]
        if producers:
            out[node.name] = max(producers, key=order.__getitem__)
    return out


# the simulation plan of each live Network object (networks compare by content and do not
# hash, so the plan is keyed by identity and dropped when the object goes)
_PLANS: dict[int, list] = {}


def _plan(network: Network) -> list[tuple]:
    """(node, workload with fused residuals, fused-into name or None) per compute node; it
    depends on the network only, so it is worked out once per Network object."""
    plan = _PLANS.get(id(network))
    if plan is None:
        fused = fusions(network)
        residual = {prod: len(network[add].inputs) - 1 for add, prod in fused.items()}
        plan = []
        for node in network.compute_nodes:
            w = node.workload
            if node.name in residual:
                w = replace(w, residual=residual[node.name])
            plan.append((node, w, fused.get(node.name)))
        _PLANS[id(network)] = plan
        weakref.finalize(network, _PLANS.pop, id(network), None)
    return plan


def batched(node, w: Workload, batch: int) -> tuple[Workload, int]:
    """(workload, repeats) of ``node`` for a batch of ``batch`` images (docs/model.md §5.2).

    A layer that multiplies each input row by the same weights — an FC layer, a ``linear``
    layer, any 1×1 stride-1 unpadded convolution on a one-column map — takes the batch's rows
    together, so each weight is delivered once and used ``batch`` times.  A product of two
    activations (``matmul``) has a second operand per image: ``batch`` times the groups.  Every
    other layer (convolutions, pooling, adds) runs once per image: its cost repeats."""
    if batch == 1:
        return w, 1
    if node.type == "matmul":
        return replace(w, G=w.G * batch), 1
    stackable = (w.kind is Kind.CONV and w.R == w.S == 1 and w.Q == 1
                 and w.stride_h == w.stride_w == 1
                 and not (w.pad_top or w.pad_bottom or w.pad_left or w.pad_right))
    if stackable:
        return replace(w, P=w.P * batch, H=w.H * batch, vector_out=False), 1
    return w, batch


def simulate(network: Network, accelerator: Accelerator, batch: int = 1) -> Result:
    """Cycles, accesses and energy of every compute layer of ``network`` on ``accelerator``,
    for a batch of ``batch`` images (1: the papers' setting)."""
    check_batch(batch)
    rows: list[tuple] = []        # (node, cost) per compute layer
    fusing = accelerator.template == "squeezelerator"   # the systolic array adds nothing
    mapped: dict[Workload, LayerCost] = {}
    plan = _plan(network)
    for node, w, into in plan:
        if into is not None and fusing:
            cost = _fused(into)
        else:
            w, repeats = batched(node, w if fusing else node.workload, batch)
            cost = mapped.get(w)
            if cost is None:     # each distinct workload mapped once per call
                try:
                    cost = mapped[w] = map_layer(w, accelerator)
                except MappingError as err:
                    err.message = f"layer {node.name!r}: {err.message}"
                    raise
            cost = cost.times(repeats)
        rows.append((node, cost))
    lazy = _lazy_rows(rows, accelerator, batch, _plan_columns(plan, fusing))
    return Result(network.name, accelerator, lazy, network_source=network.source,
                  version=__version__, batch=batch)


# (plan id, fusing) -> (plan, each row's MACs, each row's parameters): what the summary sums of
# the nodes alone, the same for every design point (ints: the order of the sum is immaterial,
# but it is kept anyway); the entry holds the plan, so its id is not reused
_PLAN_COLUMNS: dict = {}


def _plan_columns(plan: list, fusing: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    hit = _PLAN_COLUMNS.get((id(plan), fusing))
    if hit is not None and hit[0] is plan:
        return hit[1]
    if len(_PLAN_COLUMNS) >= 1024:
        _PLAN_COLUMNS.clear()
    fields = [(0, 0) if into is not None and fusing else _node_fields(node)[:2]
              for node, _, into in plan]
    columns = (tuple(f[0] for f in fields), tuple(f[1] for f in fields))
    _PLAN_COLUMNS[(id(plan), fusing)] = (plan, columns)
    return columns


# the row fields the summary adds up (_totals_fields gives every one of them for every row)
_TOTALS_KEYS = frozenset((
    "dataflow", "cycles", "compute_cycles", "stall_cycles", "energy", "energy_mac", "energy_rf",
    "energy_array", "energy_sram", "energy_dram", "energy_static", "dram_read_bytes",
    "dram_write_bytes", "ops", "energy_pj", "near_tie"))


def _lazy_rows(rows: list[tuple], acc: Accelerator, batch: int,
               node_columns: tuple[tuple[int, ...], tuple[int, ...]]) -> LazyRows:
    """The rows ``layer_row`` builds, readable a column at a time without building them (the
    same values in the same order, so the summary's sums are the same); ``node_columns``: the
    rows' MACs and parameters (``_plan_columns``)."""
    by_id: dict[int, dict] = {}    # (layers sharing a workload share one cost)
    costs = [by_id.get(id(cost)) or by_id.setdefault(id(cost), _totals_fields(cost, acc))
             for _, cost in rows]

    built: list[list[LayerResult]] = []

    def build() -> list[LayerResult]:
        if not built:
            built.append([layer_row(node, cost, acc, batch) for node, cost in rows])
        return built[0]

    def column(key: str):
        if key == "params":
            return iter(node_columns[1])
        if key == "macs":
            return iter(node_columns[0]) if batch == 1 else (m * batch for m in node_columns[0])
        if key in _TOTALS_KEYS:
            return map(itemgetter(key), costs)
        return (getattr(r, key) for r in build())

    return LazyRows(column, build)


@lru_cache(maxsize=4096)
def _fused(into: str) -> LayerCost:
    """The cost row of an add fused into ``into`` (one shared value per producer name)."""
    return LayerCost("fused", 0, 0, Counts(), tiling=f"fused into {into}")


def check_batch(batch) -> None:
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise MappingError(f"batch must be an integer from 1 to {MAX_BATCH:,}, got {batch!r}",
                           field="batch")


_DRAM_FIELDS = tuple((f"dram_{op.value}_bytes", op)
                     for op in (Operand.IFMAP, Operand.WEIGHT, Operand.PSUM))


# node id -> (node, its row fields): by identity, as hashing a node hashes its whole layer; the
# entry holds the node, so the id cannot be reused while it is here
_NODE_FIELDS: dict[int, tuple] = {}


def _node_fields(node) -> tuple[int, int, str, str]:
    """What a row takes from its node alone (a sweep builds the same node's row per point)."""
    hit = _NODE_FIELDS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    if len(_NODE_FIELDS) >= 65536:
        _NODE_FIELDS.clear()
    _COST_FIELDS.clear()
    _TOTALS_FIELDS.clear()
    _FUSED_TOTALS.clear()
    _fused.cache_clear()
    fields = (node.macs, node.params, ",".join(str(s) for s in node.in_shapes),
              str(node.out_shape))
    _NODE_FIELDS[id(node)] = (node, fields)
    return fields


def layer_row(node, cost: LayerCost, acc: Accelerator, batch: int = 1) -> LayerResult:
    """The one place a result row is built (docs/output.md): energy by level from the counts
    and the energy table at this design's sizes, plus static energy (leakage power × area ×
    the layer's time); normalised to MAC units when the table is in picojoules (SPEC §3)."""
    macs, params, in_shape, out_shape = _node_fields(node)
    fused = cost.dataflow == "fused"
    return LayerResult(
        name=node.name, type=node.type,
        macs=macs * batch if not fused else 0, params=params if not fused else 0,
        in_shape=in_shape, out_shape=out_shape, **_cost_fields(cost, acc))


# (cost, accelerator) -> fields: the layers of a network that share a workload share one
# LayerCost, so a simulation works out each cost's fields once
_COST_FIELDS = IdentityMemo(4096)
_TOTALS_FIELDS = IdentityMemo(4096)
_FUSED_TOTALS = IdentityMemo(4096)
_ENERGY_KEYS = (*LEVELS, "energy_static")


def _totals_fields(cost: LayerCost, acc: Accelerator) -> dict:
    """The fields of a cost's row that the summary adds up (a sweep point needs only these)."""
    if cost.cycles == 0 and cost.dataflow == "fused":
        # A fused add's row takes no time, so of the accelerator only its energy table
        # matters (static energy is leakage × area × 0 cycles): design points sharing the
        # table share the row's fields.
        return _FUSED_TOTALS.get_or(cost, acc.unit_energy,
                                    lambda cost, _: _make_totals_fields(cost, acc))
    return _TOTALS_FIELDS.get_or(cost, acc, _make_totals_fields)


def _make_totals_fields(cost: LayerCost, acc: Accelerator) -> dict:
    e = acc.unit_energy
    parts = (*level_energies(cost.counts, e), static_energy(cost.cycles, acc))
    total = sum(parts)
    norm = 1.0 / e.mac if e.unit == "pJ" else 1.0
    c = cost.counts
    return dict(
        dataflow=cost.dataflow,
        cycles=cost.cycles, compute_cycles=cost.compute_cycles, stall_cycles=cost.stall_cycles,
        energy=total * norm, **{k: v * norm for k, v in zip(_ENERGY_KEYS, parts)},
        dram_read_bytes=cost.dram_read_bytes, dram_write_bytes=cost.dram_write_bytes,
        ops=c.macs, energy_pj=total if e.unit == "pJ" else None,
        near_tie=cost.extras.get("near_tie") if cost.dataflow not in ("fused", "skipped")
        else None)


def _cost_fields(cost: LayerCost, acc: Accelerator) -> dict:
    """Every field of a cost's row."""
    return _COST_FIELDS.get_or(cost, acc, _make_cost_fields)


def _make_cost_fields(cost: LayerCost, acc: Accelerator) -> dict:
    c = cost.counts
    mapped = cost.dataflow not in ("fused", "skipped")
    return dict(
        _totals_fields(cost, acc),
        utilization=c.macs / (cost.cycles * acc.pes) if cost.cycles else 0.0,
        rf_accesses=c.rf_reads + c.rf_writes, array_accesses=c.array,
        sram_reads=c.sram_reads, sram_writes=c.sram_total_writes,
        tiling=cost.tiling,
        sram_ifmap_reads=c.sram_ifmap_reads, sram_weight_reads=c.sram_weight_reads,
        sram_psum_reads=c.sram_psum_reads,
        **{name: cost.dram_operand_bytes.get(op, 0) for name, op in _DRAM_FIELDS},
        **(cost.extras if mapped else {}))
