"""Silicon area of an accelerator, from a table of per-unit areas (docs/model.md §7.2).

  area = PEs · (MAC · (word_bits/16)² + RF bit · registers · word_bits + network per PE)
         + RF bit · word_bits · 2 · (rows + cols)        (stream and preload buffers)
         + buffer per KiB · global-buffer KiB

Tables are data like the energy tables: the preset is a YAML file
(``accelerators/area/accelergy40.yaml``), a user's copy is named by path, and an Accelergy area
reference table (ART, µm² per component) can be read directly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache, lru_cache

from ..errors import AcceleratorError
from . import tables

UNITS = ("mac", "rf_bit", "network_pe", "buffer_kb")
MAX_UNIT_AREA = 1e12      # µm²; keeps every total finite


@dataclass(frozen=True, slots=True)
class AreaTable:
    """Areas in µm²: a 16-bit MAC unit, one bit of register file, the inter-PE network's share
    per PE, one KiB of global buffer."""

    name: str
    node: str            # process the figures belong to, e.g. "40 nm"
    mac: float
    rf_bit: float
    network_pe: float
    buffer_kb: float
    source: str = ""

    def __post_init__(self) -> None:
        for k in UNITS:
            tables.number(getattr(self, k), f"area.{k}", hi=MAX_UNIT_AREA)
        for k in ("name", "node", "source"):
            if not isinstance(getattr(self, k), str):
                raise AcceleratorError(f"area.{k} must be a string", field=f"area.{k}")

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Area:
    """An accelerator's area by component, µm² (``total_mm2`` for reports)."""

    macs: float
    register_files: float
    network: float
    stream_preload: float
    global_buffer: float

    @property
    def total_um2(self) -> float:
        return (self.macs + self.register_files + self.network + self.stream_preload
                + self.global_buffer)

    @property
    def total_mm2(self) -> float:
        return self.total_um2 / 1e6

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) / 1e6 for f in fields(self)}


@lru_cache(maxsize=4096)
def area_of(t: AreaTable, rows: int, cols: int, rf_registers: int, word_bits: int,
            buffer_kb: float) -> Area:
    pes = rows * cols
    width = word_bits / 16
    return Area(
        macs=pes * t.mac * width * width,            # a multiplier grows as its width squared
        register_files=pes * t.rf_bit * rf_registers * word_bits,
        network=pes * t.network_pe,
        # double-buffered: one word per column (preload) and one per row (stream)
        stream_preload=t.rf_bit * word_bits * 2 * (rows + cols),
        global_buffer=t.buffer_kb * buffer_kb)


PRESET_NAMES = ("accelergy40",)


@cache
def preset(name: str) -> AreaTable:
    return load_area_table(str(tables.PRESET_DIR / "area" / f"{name}.yaml"))


KNOWN = set(UNITS) | {"name", "node", "source", "preset", "accelergy", "components"}


def load_area_table(path: str, base: str | None = None) -> AreaTable:
    return tables.load_file(path, base, "area table", "area", _from_mapping)


def area_table(spec, base: str | None = None) -> AreaTable:
    """A preset name, a YAML file's path, a mapping (``preset:`` plus overrides, or every
    unit), or ``{accelergy: ART.yaml, components: …}``."""
    if isinstance(spec, AreaTable):
        return spec
    if isinstance(spec, str):
        if spec in PRESET_NAMES:
            return preset(spec)
        if tables.is_path(spec):
            return load_area_table(spec, base)
        raise AcceleratorError(f"unknown area preset {spec!r} (known: "
                               f"{', '.join(PRESET_NAMES)}; or the path of a .yaml table)",
                               field="area")
    if not isinstance(spec, dict):
        raise AcceleratorError("area must be a preset name, a table file or a mapping",
                               field="area")
    return _from_mapping(spec, base)


def _from_mapping(spec: dict, base: str | None) -> AreaTable:
    tables.check_mapping(spec, KNOWN, "area", "ART")
    if "preset" in spec:
        start = area_table(spec["preset"], base)
        values = start.as_dict()
        if set(spec) - {"preset"}:
            values["name"] = f"{start.name}+custom"
    elif "accelergy" in spec:
        values = from_art(spec["accelergy"], spec.get("components"), base)
    else:
        values = {"name": "custom", "node": "", "source": ""}
    for k, v in spec.items():
        if k in UNITS or k in ("name", "node", "source"):
            values[k] = v
    missing = [u for u in UNITS if u not in values]
    if missing:
        raise AcceleratorError(f"area table misses {', '.join(missing)} (give a preset or "
                               f"every unit: {', '.join(UNITS)})", field="area")
    return AreaTable(**values)


# Accelergy ART: which component gives each unit, and the size that component has (to turn
# its area into a per-unit area).  These defaults are what ``to_art`` writes.
DEFAULT_COMPONENTS = {"mac": ("mac", 1.0), "rf_bit": ("rf_bit", 1.0),
                      "network_pe": ("network_pe", 1.0), "buffer_kb": ("buffer_kb", 1.0)}
_SIZE = {"mac": "units", "rf_bit": "bits", "network_pe": "pes", "buffer_kb": "kb"}


def from_art(path, components, base: str | None) -> dict:
    """Per-unit areas (µm²) from an Accelergy ART or ART_summary: each unit names an entry and
    that entry's size, e.g. ``rf_bit: {component: psum_spad, bits: 256}`` (16 × 16-bit) or
    ``buffer_kb: {component: shared_glb, kb: 100}``."""
    file, entries, components = tables.open_accelergy(path, components, base, "ART", "area",
                                                       UNITS, "unit")
    values: dict = {"name": f"accelergy:{path}", "node": "", "source": f"Accelergy ART {path}"}
    for unit in UNITS:
        field = f"area.components.{unit}"
        given = components.get(unit)
        if given is None:
            comp, size = DEFAULT_COMPONENTS[unit]
        elif isinstance(given, str):
            comp, size = given, 1.0
        elif isinstance(given, dict) and isinstance(given.get("component"), str):
            extra = set(given) - {"component", _SIZE[unit]}
            if extra:
                raise AcceleratorError(f"{field}: unknown key {sorted(extra)[0]!r} (allowed: "
                                       f"component, {_SIZE[unit]})", file=file, field=field)
            comp = given["component"]
            size = tables.number(given.get(_SIZE[unit], 1), f"{field}.{_SIZE[unit]}",
                                 hi=1e12, positive=True, file=file)
        else:
            raise AcceleratorError(f"{field} must be a component name or {{component: NAME, "
                                   f"{_SIZE[unit]}: N}}, got {given!r}", file=file, field=field)
        _, entry, at = tables.find_component(entries, comp, "ART", file, field)
        a = tables.number(entry.get("area"), f"{comp}.area", hi=MAX_UNIT_AREA, file=file, at=at)
        values[unit] = a / size
    return values


def to_art(t: AreaTable, prefix: str = "sqnxt") -> dict:
    """The table as an Accelergy ART document (µm²; one entry per unit, each of size one), so
    ``from_art`` reads the same areas back."""
    return {"ART": {"version": 0.3, "tables": [
        {"name": f"{prefix}.{DEFAULT_COMPONENTS[u][0]}", "area": getattr(t, u)} for u in UNITS]}}
