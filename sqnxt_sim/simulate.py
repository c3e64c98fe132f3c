"""Network × accelerator → Result.  Hybrid keeps, per layer, the faster dataflow (docs/model.md §8).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from . import __version__
from .dataflow import (  # (register templates)
    output_stationary,
    simd,
    systolic,
    weight_stationary,
)
from .dataflow.base import Counts, template
from .dataflow.workload import Kind, Workload
from .errors import MappingError
from .hardware.accelerator import Accelerator
from .hardware.energy import EYERISS, EnergyTable
from .network.graph import Network
from .network.layers import FC, Add, Conv
from .result import LayerResult, Result
from .tiling import TiledCost, best_tiling


def energy_of(tc: TiledCost, e: EnergyTable) -> dict[str, float]:
    return energy_of_counts(tc.counts, e)


def energy_of_counts(c: Counts, e: EnergyTable) -> dict[str, float]:
    """Σ access counts × unit energy, by level (the only place costs meet counts)."""
    return {
        "energy_mac": (c.macs + c.adds) * e.mac,
        "energy_rf": c.rf_reads * e.rf_read + c.rf_writes * e.rf_write,
        "energy_array": c.array * e.array,
        "energy_sram": c.sram_reads * e.sram_read + c.sram_total_writes * e.sram_write,
        "energy_dram": c.dram_reads * e.dram_read + c.dram_writes * e.dram_write,
    }


def candidates_for(acc: Accelerator, w: Workload | None = None) -> tuple[str, ...]:
    """The dataflows a layer may run in: weightless layers go to the SIMD unit or run in OS on
    the array (docs/model.md §5.1); convolutions in the accelerator's dataflow, or both."""
    if acc.template == "systolic":
        return ("systolic",)
    if w is not None and not w.has_weights:
        return ("simd",) if acc.pooling_unit == "simd" else ("os",)
    return ("os", "ws") if acc.dataflow == "hybrid" else (acc.dataflow,)


@lru_cache(maxsize=4096)
def _mapping_acc(acc: Accelerator) -> Accelerator:
    """The accelerator with the fields that cannot change a mapping normalised away, so results
    are cached across runs that differ only in name, energy table or hybrid rule."""
    return replace(acc, name="", energy=EYERISS, hybrid_objective="time", hybrid_near_tie=0.05,
                   dataflow="hybrid" if acc.template == "squeezelerator" else acc.dataflow)


def _energy(tc: TiledCost, e: EnergyTable) -> float:
    return sum(energy_of(tc, e).values())


def hybrid_key(acc: Accelerator):
    """What the hybrid minimises per layer (docs/model.md §8): time (the papers' rule) then
    energy, energy then time, or energy × delay then time."""
    e = acc.energy
    if acc.hybrid_objective == "energy":
        return lambda tc: (_energy(tc, e), tc.cycles)
    if acc.hybrid_objective == "edp":
        return lambda tc: (_energy(tc, e) * tc.cycles, tc.cycles)
    return lambda tc: (tc.cycles, _energy(tc, e))


@lru_cache(maxsize=65536)
def map_layer(w: Workload, acc: Accelerator) -> tuple[str, TiledCost, dict[str, TiledCost]]:
    """(dataflow, cost, every candidate's cost) for one workload: the candidate that minimises
    the hybrid objective.  Every candidate is searched in full, so the result can say what the
    other dataflow would have cost."""
    mapping_acc = _mapping_acc(acc)
    options = {}
    for name in candidates_for(acc, w):
        tmpl = template(name)
        if tmpl.supports(w):
            options[name] = best_tiling(w, tmpl, mapping_acc)
    if not options:  # a conv under a dataflow that cannot run it (none today)
        raise MappingError("no dataflow of this accelerator can run this layer",
                           field="dataflow")
    best = min(options, key=lambda n: hybrid_key(acc)(options[n]))
    return best, options[best], options


def clear_caches() -> None:
    """Forget every memoised cost (for cold-start benchmarks and bounded memory): every
    lru_cache in the model's modules."""
    from . import tiling
    from .dataflow import base
    for module in (tiling, base, output_stationary, weight_stationary, simd, systolic,
                   globals()):
        names = module if isinstance(module, dict) else vars(module)
        for fn in list(names.values()):
            if callable(getattr(fn, "cache_clear", None)):
                fn.cache_clear()


def fusions(network: Network) -> dict[str, str]:
    """Element-wise adds fused into the convolution that produces one of their operands
    (docs/model.md §6.4): the producer must be a conv/FC whose only consumer is the add; of
    several, the one computed last, so the other operands already exist.  add → producer."""
    g = network.graph
    out: dict[str, str] = {}
    order = {n.name: i for i, n in enumerate(network)}
    for node in network:
        if not isinstance(node.layer, Add):
            continue
        producers = [p for p in node.inputs
                     if isinstance(network[p].layer, (Conv, FC)) and g.out_degree(p) == 1]
        if producers:
            out[node.name] = max(producers, key=order.__getitem__)
    return out


def _plan(network: Network) -> list[tuple]:
    """(node, workload with fused residuals, fused-into name or None) per compute node; it
    depends on the network only, so it is worked out once per Network object."""
    plan = network.__dict__.get("_simulation_plan")
    if plan is None:
        fused = fusions(network)
        residual = {prod: len(network[add].inputs) - 1 for add, prod in fused.items()}
        plan = []
        for node in network.compute_nodes:
            w = node.workload
            if node.name in residual:
                w = replace(w, residual=residual[node.name])
            plan.append((node, w, fused.get(node.name)))
        network.__dict__["_simulation_plan"] = plan
    return plan


def simulate(network: Network, accelerator: Accelerator) -> Result:
    """Cycles, accesses and energy of every compute layer of ``network`` on ``accelerator``."""
    rows = []
    for node, w, into in _plan(network):
        if accelerator.template == "systolic":
            rows.append(_systolic_row(node, accelerator))
            continue
        if into is not None:
            rows.append(_fused_row(node, into, accelerator))
            continue
        try:
            dataflow, tc, options = map_layer(w, accelerator)
        except MappingError as err:
            err.message = f"layer {node.name!r}: {err.message}"
            raise
        rows.append(_row(node, dataflow, tc, options, accelerator))
    return Result(network.name, accelerator, rows, network_source=network.source,
                  version=__version__)


def _row(node, dataflow: str, tc: TiledCost, options: dict[str, TiledCost],
         acc: Accelerator) -> LayerResult:
    """The per-layer record of a layer mapped on the Squeezelerator (docs/output.md)."""
    e = acc.energy
    parts = energy_of(tc, e)
    total = sum(parts.values())
    norm = 1.0 / e.mac if e.unit == "pJ" else 1.0
    c = tc.counts
    alt = {}
    if len(options) > 1:
        alt = {f"{n}_cycles": o.cycles for n, o in options.items()}
        alt.update({f"{n}_energy": _energy(o, e) * norm for n, o in options.items()})
        cyc = sorted(o.cycles for o in options.values())
        en = sorted(_energy(o, e) for o in options.values())
        alt["near_tie"] = (cyc[-1] - cyc[0] <= acc.hybrid_near_tie * cyc[0]
                           and en[-1] > NEAR_TIE_ENERGY * en[0])
    return LayerResult(
        name=node.name, type=node.type, dataflow=dataflow, macs=node.macs,
        params=node.params, cycles=tc.cycles, compute_cycles=tc.compute_cycles,
        stall_cycles=tc.stall_cycles,
        utilization=c.macs / (tc.cycles * acc.pes) if tc.cycles else 0.0,
        energy=total * norm, **{k: v * norm for k, v in parts.items()},
        dram_read_bytes=tc.dram_read_bytes, dram_write_bytes=tc.dram_write_bytes,
        ops=c.macs, rf_accesses=c.rf_reads + c.rf_writes, array_accesses=c.array,
        sram_reads=c.sram_reads, sram_writes=c.sram_total_writes,
        in_shape=",".join(str(s) for s in node.in_shapes), out_shape=str(node.out_shape),
        tiling=str(tc.tiling), energy_pj=total if e.unit == "pJ" else None,
        sram_ifmap_reads=c.sram_ifmap_reads, sram_weight_reads=c.sram_weight_reads,
        sram_psum_reads=c.sram_psum_reads,
        **{f"dram_{op}_bytes": int(round(words * acc.word_bytes))
           for op, words in zip(("ifmap", "weight", "psum"), tc.dram_operand_words)},
        **alt)


# a near-tie is flagged when the two dataflows' energies differ by more than this factor
NEAR_TIE_ENERGY = 1.2


def _fused_row(node, into: str, acc: Accelerator) -> LayerResult:
    """An add executed in the drain path of ``into``: its cost is counted there."""
    return LayerResult(
        name=node.name, type=node.type, dataflow="fused", macs=0, params=0, cycles=0,
        compute_cycles=0, stall_cycles=0, utilization=0.0, energy=0.0, energy_mac=0.0,
        energy_rf=0.0, energy_array=0.0, energy_sram=0.0, energy_dram=0.0,
        dram_read_bytes=0, dram_write_bytes=0, ops=0.0, rf_accesses=0.0, array_accesses=0.0,
        sram_reads=0.0, sram_writes=0.0,
        in_shape=",".join(str(s) for s in node.in_shapes), out_shape=str(node.out_shape),
        tiling=f"fused into {into}", energy_pj=0.0 if acc.energy.unit == "pJ" else None)


def _systolic_row(node, acc: Accelerator) -> LayerResult:
    """``template: systolic`` (docs/systolic.md §8): a conv/FC layer runs whole on the array
    (``systolic_counts``; compat: SCALE-Sim's total cycles for the layer with its padding folded
    into the input, stall 0).  DRAM is not modelled.  Pooling and adds are not mapped: the row
    says so, with zero cost, and the summary counts them as ``layers_skipped``."""
    e = acc.energy
    shapes = dict(in_shape=",".join(str(s) for s in node.in_shapes),
                  out_shape=str(node.out_shape))
    w = node.workload
    if w.kind is not Kind.CONV:
        return LayerResult(
            name=node.name, type=node.type, dataflow="skipped", macs=node.macs,
            params=node.params, cycles=0, compute_cycles=0, stall_cycles=0, utilization=0.0,
            energy=0.0, energy_mac=0.0, energy_rf=0.0, energy_array=0.0, energy_sram=0.0,
            energy_dram=0.0, dram_read_bytes=0, dram_write_bytes=0, ops=0.0, rf_accesses=0.0,
            array_accesses=0.0, sram_reads=0.0, sram_writes=0.0, **shapes,
            tiling="not mapped: a systolic array only does MACs (no SCALE-Sim equivalent)",
            energy_pj=0.0 if e.unit == "pJ" else None)
    try:
        sc = systolic.layer_counts(w, acc)
    except ValueError as err:
        raise MappingError(f"layer {node.name!r}: {err}", field="scalesim_compat") from None
    c = systolic.access_counts(sc)
    parts = energy_of_counts(c, e)
    total = sum(parts.values())
    norm = 1.0 / e.mac if e.unit == "pJ" else 1.0
    folds = f"folds {sc.row_folds}x{sc.col_folds}" + (f"x{sc.problems}" if sc.problems > 1
                                                       else "")
    return LayerResult(
        name=node.name, type=node.type, dataflow=sc.dataflow, macs=node.macs,
        params=node.params, cycles=sc.total_cycles, compute_cycles=sc.compute_cycles,
        stall_cycles=sc.stall_cycles, utilization=c.macs / (sc.total_cycles * acc.pes),
        energy=total * norm, **{k: v * norm for k, v in parts.items()},
        dram_read_bytes=0, dram_write_bytes=0, ops=c.macs,
        rf_accesses=c.rf_reads + c.rf_writes, array_accesses=c.array,
        sram_reads=c.sram_reads, sram_writes=c.sram_total_writes, **shapes,
        tiling=f"Sr{sc.sr} Sc{sc.sc} T{sc.t} {folds}",
        energy_pj=total if e.unit == "pJ" else None,
        mapping_efficiency=sc.mapping_efficiency, compute_utilization=sc.compute_utilization)
