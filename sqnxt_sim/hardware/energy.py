"""Unit-energy tables: what one action costs at each level (docs/model.md §7).

Access counts are produced by the dataflow and tiling code; only this module knows what an
action costs, so a new technology is a new table, never a code change.  Tables are data: the
presets are YAML files (``accelerators/energy/*.yaml``), a user's copy is named by path, and an
Accelergy energy reference table (ERT) can be read directly.

Global-buffer and register-file energies per access grow with capacity (docs/model.md §7.1):
a table states the sizes its numbers hold at (``ref_buffer_kb``, ``ref_rf_registers``) and
``capacity_exponent`` e; at other sizes an access costs (size / reference)^e times as much
(0 turns scaling off).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cache, lru_cache

from ..errors import AcceleratorError
from ..limits import MAX_BUFFER_KB, MAX_RF_REGISTERS, MAX_UNIT_ENERGY
from . import tables

ACTIONS = ("mac", "rf_read", "rf_write", "array", "sram_read", "sram_write", "dram_read",
           "dram_write")
SCALING = ("ref_buffer_kb", "ref_rf_registers", "capacity_exponent", "leakage")
MAX_EXPONENT = 2.0


@dataclass(frozen=True, slots=True)
class EnergyTable:
    """Energy per action; per 16-bit word for memory actions, per hop/delivery for ``array``.

    ``unit`` is ``"mac"`` (normalised so a MAC costs 1) or ``"pJ"``.
    """

    name: str
    unit: str
    mac: float
    rf_read: float
    rf_write: float
    array: float
    sram_read: float
    sram_write: float
    dram_read: float
    dram_write: float
    ref_buffer_kb: float = 128.0     # the global-buffer size the sram_* figures hold at
    ref_rf_registers: int = 16       # the RF size the rf_* figures hold at
    capacity_exponent: float = 0.5   # per-access energy ∝ capacity^e (0: no scaling)
    leakage: float = 0.0             # static power per mm²: table units per ns (pJ/ns = mW)
    source: str = ""

    def __post_init__(self) -> None:
        if self.unit not in ("mac", "pJ"):
            raise AcceleratorError(f"energy unit must be 'mac' or 'pJ', got {self.unit!r}",
                                   field="energy.unit")
        for a in ACTIONS:
            v = getattr(self, a)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
                raise AcceleratorError(f"energy.{a} must be a non-negative number, got {v!r}",
                                       field=f"energy.{a}")
            if v > MAX_UNIT_ENERGY:   # totals (counts up to ~10¹⁶) must stay finite
                raise AcceleratorError(f"energy.{a} {v:g} is above the limit of "
                                       f"{MAX_UNIT_ENERGY:g} (docs/errors.md)",
                                       field=f"energy.{a}")
        if self.mac <= 0:
            raise AcceleratorError("energy.mac must be positive (energies are normalised to it)",
                                   field="energy.mac")
        tables.number(self.ref_buffer_kb, "energy.ref_buffer_kb", hi=MAX_BUFFER_KB,
                      positive=True)
        if (isinstance(self.ref_rf_registers, bool) or not isinstance(self.ref_rf_registers, int)
                or not 1 <= self.ref_rf_registers <= MAX_RF_REGISTERS):
            raise AcceleratorError(f"energy.ref_rf_registers must be an integer from 1 to "
                                   f"{MAX_RF_REGISTERS:,}, got {self.ref_rf_registers!r}",
                                   field="energy.ref_rf_registers")
        tables.number(self.capacity_exponent, "energy.capacity_exponent", hi=MAX_EXPONENT)
        tables.number(self.leakage, "energy.leakage", hi=MAX_UNIT_ENERGY)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def at(self, buffer_kb: float, rf_registers: int) -> EnergyTable:
        """The per-access energies of a design with this buffer and RF (docs/model.md §7.1);
        the table itself at its reference sizes, so the papers' figures are unchanged."""
        return _at(self, float(buffer_kb), int(rf_registers))


@lru_cache(maxsize=4096)
def _at(t: EnergyTable, buffer_kb: float, rf_registers: int) -> EnergyTable:
    e = t.capacity_exponent
    if e == 0 or (buffer_kb == t.ref_buffer_kb and rf_registers == t.ref_rf_registers):
        return t
    s = (buffer_kb / t.ref_buffer_kb) ** e
    r = (rf_registers / t.ref_rf_registers) ** e
    return replace(t, sram_read=t.sram_read * s, sram_write=t.sram_write * s,
                   rf_read=t.rf_read * r, rf_write=t.rf_write * r,
                   ref_buffer_kb=buffer_kb, ref_rf_registers=rf_registers)


PRESET_NAMES = ("eyeriss", "horowitz45")


@cache
def preset(name: str) -> EnergyTable:
    """A bundled table, read from its YAML file (``accelerators/energy/NAME.yaml``)."""
    path = tables.PRESET_DIR / "energy" / f"{name}.yaml"
    return load_energy_table(str(path))


class _Presets(dict):
    """name → table, read on first use (the YAML files are the single source)."""

    def __missing__(self, name):
        if name not in PRESET_NAMES:
            raise KeyError(name)
        self[name] = t = preset(name)
        return t

    def __contains__(self, name):
        return name in PRESET_NAMES

    def __iter__(self):
        return iter(PRESET_NAMES)

    def __len__(self):
        return len(PRESET_NAMES)

    def keys(self):
        return list(PRESET_NAMES)

    def values(self):
        return [self[n] for n in PRESET_NAMES]

    def items(self):
        return [(n, self[n]) for n in PRESET_NAMES]


PRESETS = _Presets()

_SHORT = ("rf", "sram", "dram")
KNOWN = set(ACTIONS) | set(SCALING) | set(_SHORT) | {"preset", "unit", "name", "source",
                                                    "accelergy", "components"}


def load_energy_table(path: str, base: str | None = None) -> EnergyTable:
    """A table from a YAML file (a preset's format: ``name``, ``unit``, the actions, the
    scaling fields; or ``preset:`` plus overrides; or ``accelergy: ERT.yaml``)."""
    return tables.load_file(path, base, "energy table", "energy", _from_mapping)


def energy_table(spec, base: str | None = None) -> EnergyTable:
    """A preset name, a YAML file's path (relative to ``base``, the accelerator file), or a
    mapping ``{preset: NAME, <action>: value, …}`` (overrides a preset; without ``preset`` every
    action must be given, plus ``unit``), or ``{accelergy: ERT.yaml, components: …}``."""
    if isinstance(spec, EnergyTable):
        return spec
    if isinstance(spec, str):
        if spec in PRESET_NAMES:
            return PRESETS[spec]
        if tables.is_path(spec):
            return load_energy_table(spec, base)
        raise AcceleratorError(f"unknown energy preset {spec!r} (known: "
                               f"{', '.join(PRESET_NAMES)}; or the path of a .yaml table)",
                               field="energy")
    if not isinstance(spec, dict):
        raise AcceleratorError("energy must be a preset name or a mapping of actions to unit "
                               "energies, or a table file's path", field="energy")
    return _from_mapping(spec, base)


def _from_mapping(spec: dict, base: str | None) -> EnergyTable:
    tables.check_mapping(spec, KNOWN, "energy", "ERT")
    if "preset" in spec:
        base_table = energy_table(spec["preset"], base)
        values = base_table.as_dict()
    elif "accelergy" in spec:
        base_table = None
        values = from_ert(spec["accelergy"], spec.get("components"), base)
    else:
        base_table = None
        values = {"name": "custom", "unit": spec.get("unit", "mac")}
    # shorthands: one value for both read and write
    for short in _SHORT:
        if short in spec:
            values[f"{short}_read"] = values[f"{short}_write"] = spec[short]
    for k, v in spec.items():
        if k in ACTIONS or k in SCALING or k in ("unit", "name", "source"):
            values[k] = v
    if base_table is not None and "name" not in spec:
        changed = set(spec) - {"preset"}
        values["name"] = f"{base_table.name}+custom" if changed else base_table.name
    missing = [a for a in ACTIONS if a not in values]
    if missing:
        raise AcceleratorError(f"energy table misses {', '.join(missing)} (give a preset or "
                               f"every action)", field="energy")
    for k in ("name", "source"):
        if k in values and not isinstance(values[k], str):
            raise AcceleratorError(f"energy.{k} must be a string", field=f"energy.{k}")
    return EnergyTable(**values)


# Accelergy: which (component, action) of an ERT gives each of our actions, and how many
# 16-bit words one action moves (a 64-bit SRAM read is 4 words).  These defaults are the names
# ``to_ert`` writes, so a table round-trips; a foreign ERT names its own in ``components``.
DEFAULT_COMPONENTS = {
    "mac": ("mac", "mac", 1), "rf_read": ("rf", "read", 1), "rf_write": ("rf", "write", 1),
    "array": ("array", "transfer", 1), "sram_read": ("global_buffer", "read", 1),
    "sram_write": ("global_buffer", "write", 1), "dram_read": ("dram", "read", 1),
    "dram_write": ("dram", "write", 1)}


def _component_spec(action: str, v, file):
    """``[component, action]``, ``[component, action, words]`` or a mapping of those."""
    field = f"energy.components.{action}"
    if isinstance(v, dict):
        v = [v.get("component"), v.get("action"), v.get("words", 1)]
    if (not isinstance(v, list) or len(v) not in (2, 3) or not isinstance(v[0], str)
            or not isinstance(v[1], str)):
        raise AcceleratorError(f"{field} must be [component, action] or [component, action, "
                               f"words per action], got {v!r}", file=file, field=field)
    words = tables.number(v[2] if len(v) == 3 else 1, field, hi=1e6, positive=True)
    return v[0], v[1], words


def from_ert(path, components, base: str | None) -> dict:
    """Our actions' energies (pJ per 16-bit word or per MAC) read from an Accelergy ERT or
    ERT_summary file; several entries of one action (Accelergy's argument variants) average."""
    file, entries, components = tables.open_accelergy(path, components, base, "ERT", "energy",
                                                       ACTIONS, "action")
    values: dict = {"name": f"accelergy:{path}", "unit": "pJ",
                    "source": f"Accelergy ERT {path}"}
    for action in ACTIONS:
        given = components.get(action)
        comp, act, words = (_component_spec(action, given, file) if given is not None
                            else DEFAULT_COMPONENTS[action])
        _, entry, at = tables.find_component(entries, comp, "ERT", file,
                                             f"energy.components.{action}")
        acts = entry.get("actions")
        if not isinstance(acts, list):
            raise AcceleratorError(f"ERT component {comp!r}: actions must be a list", file=file,
                                   line=at, field=f"energy.components.{action}")
        hits = [a for a in acts if isinstance(a, dict) and a.get("name") == act]
        if not hits:
            have = ", ".join(str(a.get("name")) for a in acts if isinstance(a, dict))
            raise AcceleratorError(f"ERT component {comp!r} has no action {act!r} (it has: "
                                   f"{have})", file=file, line=at,
                                   field=f"energy.components.{action}")
        energies = []
        for a in hits:
            v = a.get("energy", a.get("average_energy"))
            energies.append(tables.number(v, f"{comp}.{act}.energy", hi=MAX_UNIT_ENERGY,
                                          file=file, at=tables.line(a)))
        values[action] = sum(energies) / len(energies) / words
    return values


def to_ert(t: EnergyTable, prefix: str = "sqnxt") -> dict:
    """The table as an Accelergy ERT document (pJ; component and action names as in
    ``DEFAULT_COMPONENTS``, so ``from_ert`` reads the same unit energies back)."""
    if t.unit != "pJ":
        raise AcceleratorError(f"an Accelergy ERT is in picojoules; the {t.name!r} table is "
                               f"in {t.unit} units (use a pJ table, e.g. horowitz45)",
                               field="energy")
    by_comp: dict[str, list] = {}
    for action, (comp, act, _) in DEFAULT_COMPONENTS.items():
        by_comp.setdefault(comp, []).append({"name": act, "arguments": None,
                                             "energy": getattr(t, action)})
    return {"ERT": {"version": 0.3, "tables": [
        {"name": f"{prefix}.{comp}", "actions": acts} for comp, acts in by_comp.items()]}}


def __getattr__(name: str):
    # EYERISS and HOROWITZ45: the bundled tables, read from their YAML files on first use
    if name in ("EYERISS", "HOROWITZ45"):
        return preset(name.lower())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
