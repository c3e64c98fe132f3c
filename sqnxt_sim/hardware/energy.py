"""Unit-energy tables: what one action costs at each level (docs/model.md §7).

Access counts are produced by the dataflow and tiling code; only this module knows what an
action costs, so a new technology is a new table, never a code change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import AcceleratorError
from ..limits import MAX_UNIT_ENERGY

ACTIONS = ("mac", "rf_read", "rf_write", "array", "sram_read", "sram_write", "dram_read",
           "dram_write")


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

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Eyeriss (Chen, Emer, Sze, ISCA 2016, Table of normalised energy costs, 65 nm): DRAM 200,
# global buffer 6, inter-PE array 2, RF 1, MAC 1 — per 16-bit access, normalised to one MAC.
EYERISS = EnergyTable("eyeriss", "mac", mac=1.0, rf_read=1.0, rf_write=1.0, array=2.0,
                      sram_read=6.0, sram_write=6.0, dram_read=200.0, dram_write=200.0)

# Picojoules at 45 nm, derived in docs/model.md §7 from Horowitz, "Computing's energy problem",
# ISSCC 2014: 16-bit integer MAC ≈ 0.85 pJ (8-bit mult 0.2 pJ scaled quadratically, plus an add);
# 128 KB SRAM ≈ 9.5 pJ per 16-bit word (between the 32 KB and 1 MB 64-bit read figures, per
# word); DRAM ≈ 500 pJ per 16-bit word (2 nJ per 64 bits); RF and inter-PE hop take Eyeriss's
# ratios to the MAC (1× and 2×) since Horowitz gives no register-file figure.
HOROWITZ45 = EnergyTable("horowitz45", "pJ", mac=0.85, rf_read=0.85, rf_write=0.85, array=1.7,
                         sram_read=9.5, sram_write=9.5, dram_read=500.0, dram_write=500.0)

PRESETS: dict[str, EnergyTable] = {t.name: t for t in (EYERISS, HOROWITZ45)}


def energy_table(spec) -> EnergyTable:
    """A preset name, or a mapping ``{preset: NAME, <action>: value, …}`` (overrides a preset;
    without ``preset`` every action must be given, plus ``unit``)."""
    if isinstance(spec, EnergyTable):
        return spec
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise AcceleratorError(f"unknown energy preset {spec!r} (known: "
                                   f"{', '.join(sorted(PRESETS))})", field="energy")
        return PRESETS[spec]
    if not isinstance(spec, dict):
        raise AcceleratorError("energy must be a preset name or a mapping of actions to unit "
                               "energies", field="energy")
    known = set(ACTIONS) | {"preset", "unit", "name", "sram", "dram", "rf"}
    for k in spec:
        if k not in known:
            raise AcceleratorError(f"unknown energy field {k!r} (allowed: "
                                   f"{', '.join(sorted(known))})", field=f"energy.{k}")
    base = energy_table(spec["preset"]) if "preset" in spec else None
    values = base.as_dict() if base else {"name": "custom", "unit": spec.get("unit", "mac")}
    # shorthands: one value for both read and write
    for short in ("rf", "sram", "dram"):
        if short in spec:
            values[f"{short}_read"] = values[f"{short}_write"] = spec[short]
    for k, v in spec.items():
        if k in ACTIONS or k in ("unit", "name"):
            values[k] = v
    if base and "name" not in spec:
        values["name"] = f"{base.name}+custom" if set(spec) - {"preset"} else base.name
    missing = [a for a in ACTIONS if a not in values]
    if missing:
        raise AcceleratorError(f"energy table misses {', '.join(missing)} (give a preset or "
                               f"every action)", field="energy")
    return EnergyTable(**values)
