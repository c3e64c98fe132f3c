"""The machines a layer can run on, and how each maps a layer (docs/architecture.md).

A machine is an accelerator ``template:`` (the Squeezelerator of the SqueezeNext papers, or
SCALE-Sim's systolic array).  It states which ``dataflow:`` values it accepts, which dataflows
its result rows can show, and how one workload maps onto it: ``map(w, acc) -> LayerCost``.
The simulator builds every result row from a ``LayerCost`` in one function, and the CLI
choices, the accelerator validation and the summary/sweep layer counts are derived from this
registry — adding a dataflow to a machine is one template file and its name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from .dataflow import systolic
from .dataflow.base import Counts, template
from .errors import MappingError
from .frozen import IdentityMemo
from .hardware import accelerator as _accelerator
from .hardware.accelerator import Accelerator
from .hardware.energy import EnergyTable
from .operands import Operand
from .tiling import TiledCost, best_tiling
from .workload import Kind, Workload


def _register_templates() -> None:
    """Import every module of the dataflow package: each template registers itself by name
    (``@register``), so a new template is one new file there."""
    import importlib
    import pkgutil

    from . import dataflow
    for info in pkgutil.iter_modules(dataflow.__path__):
        importlib.import_module(f"{dataflow.__name__}.{info.name}")


_register_templates()


@dataclass(frozen=True)
class LayerCost:
    """How one layer ran: what a machine's ``map`` returns, and all a result row needs."""

    dataflow: str
    cycles: int
    compute_cycles: int
    counts: Counts
    dram_read_bytes: int = 0
    dram_write_bytes: int = 0
    dram_operand_bytes: Mapping[Operand, int] = field(default_factory=dict)
    tiling: str = ""
    extras: Mapping[str, object] = field(default_factory=dict)   # machine-specific columns

    @property
    def stall_cycles(self) -> int:
        return self.cycles - self.compute_cycles

    def times(self, n: int) -> LayerCost:
        """The layer run ``n`` times over (once per image of a batch, docs/model.md §5.2)."""
        if n == 1:
            return self
        additive = {k: v * n for k, v in self.extras.items()
                    if k.endswith(("_cycles", "_energy")) and v is not None}
        return LayerCost(self.dataflow, self.cycles * n, self.compute_cycles * n,
                         self.counts.scale(n), self.dram_read_bytes * n,
                         self.dram_write_bytes * n,
                         {op: b * n for op, b in self.dram_operand_bytes.items()},
                         self.tiling + f" ×{n} images", {**self.extras, **additive})


LEVELS = ("energy_mac", "energy_rf", "energy_array", "energy_sram", "energy_dram")


# (counts, table) -> energies by level: a mapping's counts are shared by every design point that
# picks it (only its time differs), so a sweep works out their energy once
_ENERGIES = IdentityMemo(65536)


def level_energies(c: Counts, e: EnergyTable) -> tuple[float, ...]:
    """Σ access counts × unit energy, by level (LEVELS), in the table's unit: the only place
    costs meet counts."""
    return _ENERGIES.get_or(c, e, _level_energies)


def _level_energies(c: Counts, e: EnergyTable) -> tuple[float, ...]:
    return ((c.macs + c.adds) * e.mac,
            c.rf_reads * e.rf_read + c.rf_writes * e.rf_write,
            c.array * e.array,
            c.sram_reads * e.sram_read + c.sram_total_writes * e.sram_write,
            c.dram_reads * e.dram_read + c.dram_writes * e.dram_write)


def total_energy(c: Counts, e: EnergyTable) -> float:
    return sum(level_energies(c, e))


def static_energy(cycles: int, acc: Accelerator) -> float:
    """Leakage power per mm² × area × time (docs/model.md §7.3), in the table's unit."""
    leak = acc.energy.leakage
    return leak * acc.area_mm2 * cycles * 1e3 / acc.clock_mhz if leak else 0.0


def layer_energy(tc, acc: Accelerator) -> float:
    """Dynamic plus static energy of a mapping (what the hybrid's energy objectives weigh)."""
    return total_energy(tc.counts, acc.unit_energy) + static_energy(tc.cycles, acc)


_MACHINES: dict[str, Machine] = {}


def register_machine(cls):
    """Class decorator: one shared instance per machine name; the accelerator schema learns
    the machine's ``dataflow`` values from here."""
    inst = cls()
    _MACHINES[inst.name] = inst
    _accelerator.DATAFLOWS[inst.name] = inst.dataflows
    return cls


def machine(name: str) -> Machine:
    return _MACHINES[name]


def machines() -> dict[str, Machine]:
    return dict(_MACHINES)


def all_dataflows() -> tuple[str, ...]:
    """Every ``dataflow:`` value some machine accepts, in registration order (CLI choices)."""
    return tuple(dict.fromkeys(d for m in _MACHINES.values() for d in m.dataflows))


def row_dataflows() -> tuple[str, ...]:
    """Every dataflow a result row can show for a mapped layer (summary layer counts)."""
    return tuple(dict.fromkeys(d for m in _MACHINES.values() for d in m.row_dataflows))


class Machine:
    name: str
    dataflows: tuple[str, ...]        # what an accelerator's `dataflow:` may say
    row_dataflows: tuple[str, ...]    # what a result row's `dataflow` may say

    def map(self, w: Workload, acc: Accelerator) -> LayerCost:
        raise NotImplementedError


def _tiled_cost(name: str, tc: TiledCost, acc: Accelerator, extras=None) -> LayerCost:
    return LayerCost(
        name, tc.cycles, tc.compute_cycles, tc.counts, tc.dram_read_bytes, tc.dram_write_bytes,
        *_row_parts(tc.dram_operand_words, acc.word_bytes, tc.tiling), extras or {})


# (operand words mapping, tiling) -> (bytes by operand, tiling text): a tiling's words mapping
# is made once per word size (tiling/model.py _untimed) and shared by every design point that
# picks the tiling, so a sweep converts it once
_ROW_PARTS = IdentityMemo(65536)


def _row_parts(words: Mapping, wb: int, tiling) -> tuple[dict, str]:
    return _ROW_PARTS.get_or(words, tiling, lambda words, tiling: (
        {op: int(round(v * wb)) for op, v in words.items()}, str(tiling)))


@register_machine
class Squeezelerator(Machine):
    """The OS/WS mesh of the SqueezeNext papers (docs/model.md): convolutions in the
    accelerator's dataflow or, hybrid, in each of OS and WS with the better kept; weightless
    layers on the SIMD unit or in OS on the array."""

    name = "squeezelerator"
    dataflows = ("os", "ws", "hybrid")
    hybrid = ("os", "ws")
    # rows show the dataflow each layer ran in, or the SIMD unit for weightless layers
    row_dataflows = (*(d for d in dataflows if d != "hybrid"), "simd")

    def candidates(self, w: Workload, acc: Accelerator) -> tuple[str, ...]:
        if not w.has_weights:
            return ("simd",) if acc.pooling_unit == "simd" else ("os",)
        return self.hybrid if acc.dataflow == "hybrid" else (acc.dataflow,)

    def map(self, w: Workload, acc: Accelerator) -> LayerCost:
        return _map_squeezelerator(self, w, acc)    # cached by (workload, accelerator)

    def choose(self, w: Workload, acc: Accelerator) -> LayerCost:
        """Search every candidate dataflow's best tiling and keep the one the hybrid objective
        prefers, recording what each would have cost."""
        options = {n: best_tiling(w, template(n), acc) for n in self.candidates(w, acc)
                   if template(n).supports(w)}
        if not options:
            raise MappingError("no dataflow of this accelerator can run this layer",
                               field="dataflow")
        energies = {n: layer_energy(o, acc) for n, o in options.items()}
        key = hybrid_key(acc)
        best = min(options, key=lambda n: key(options[n], energies[n]))
        extras = {}
        if len(options) > 1:
            norm = _norm(acc.unit_energy)
            extras = {**{f"{n}_cycles": o.cycles for n, o in options.items()},
                      **{f"{n}_energy": v * norm for n, v in energies.items()}}
            cyc = sorted(o.cycles for o in options.values())
            en = sorted(energies.values())
            extras["near_tie"] = (cyc[-1] - cyc[0] <= acc.hybrid_near_tie * cyc[0]
                                  and en[-1] > NEAR_TIE_ENERGY * en[0])
        return _tiled_cost(best, options[best], acc, extras)


@lru_cache(maxsize=65536)
def _map_squeezelerator(m: Squeezelerator, w: Workload, acc: Accelerator) -> LayerCost:
    return m.choose(w, acc)


# a near-tie is flagged when the two dataflows' energies differ by more than this factor
NEAR_TIE_ENERGY = 1.2


def hybrid_key(acc: Accelerator):
    """What the hybrid minimises per layer (docs/model.md §8): time (the papers' rule) then
    energy, energy then time, or energy × delay then time; ``key(tc, energy)`` with the
    mapping's ``layer_energy``."""
    if acc.hybrid_objective == "energy":
        return lambda tc, e: (e, tc.cycles)
    if acc.hybrid_objective == "edp":
        return lambda tc, e: (e * tc.cycles, tc.cycles)
    return lambda tc, e: (tc.cycles, e)


def _norm(e: EnergyTable) -> float:
    return 1.0 / e.mac if e.unit == "pJ" else 1.0


@register_machine
class SystolicArray(Machine):
    """SCALE-Sim's systolic array (docs/systolic.md §8): a conv/FC layer runs whole on the
    array (compat: SCALE-Sim's total cycles, its padding folded into the input, stall 0).
    DRAM is not modelled.  Pooling and adds are not mapped: their row says so, with zero cost,
    and the summary counts them as ``layers_skipped``."""

    name = "systolic"
    dataflows = systolic.DATAFLOWS
    row_dataflows = (*systolic.DATAFLOWS, "skipped")

    def map(self, w: Workload, acc: Accelerator) -> LayerCost:
        if w.kind is not Kind.CONV:
            return LayerCost("skipped", 0, 0, Counts(), tiling="not mapped: a systolic array "
                             "only does MACs (no SCALE-Sim equivalent)")
        return _systolic_cost(w, acc.array)


@lru_cache(maxsize=65536)
def _systolic_cost(w: Workload, array) -> LayerCost:
    try:
        sc = systolic.layer_counts(w, array)
    except ValueError as err:
        raise MappingError(str(err), field="scalesim_compat") from None
    folds = f"folds {sc.row_folds}x{sc.col_folds}" + (f"x{sc.problems}" if sc.problems > 1
                                                       else "")
    return LayerCost(sc.dataflow, sc.total_cycles, sc.compute_cycles,
                     systolic.access_counts(sc), tiling=f"Sr{sc.sr} Sc{sc.sc} T{sc.t} {folds}",
                     extras={"mapping_efficiency": sc.mapping_efficiency,
                             "compute_utilization": sc.compute_utilization})
