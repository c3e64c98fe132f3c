"""The accelerator description: one schema for reading, validating, overriding and writing.

Every field has a dotted YAML key (``pe_array.rows``), a type, a default, a check and a one-line
meaning.  ``--set KEY=VALUE`` overrides go through the same schema, so a misspelt key is an error,
never silently ignored.  ``load(dump(x)) == x``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

import yaml

from ..errors import AcceleratorError
from ..frozen import cached_hash, hash_field
from ..limits import (
    BANDWIDTH_GBPS,
    CLOCK_MHZ,
    MAX_ARRAY_DIM,
    MAX_BUFFER_KB,
    MAX_DRAM_LATENCY,
    MAX_RF_REGISTERS,
)
from .area import Area, AreaTable, area_of, area_table
from .energy import EnergyTable, energy_table
from .parts import ArraySpec, BufferSpec, DramSpec

# template → the dataflow values it accepts; filled by machines.register_machine (the package
# imports the machines before anyone can load an accelerator)
DATAFLOWS: dict[str, tuple[str, ...]] = {}


def _pos(v):
    return None if 0 < v < float("inf") else ("must be finite" if v > 0 else "must be positive")


def _at_most(limit):
    """Positive and at most ``limit`` (docs/errors.md)."""
    def check(v):
        return _pos(v) or (None if v <= limit else
                           f"is above the limit of {limit:,g} (docs/errors.md)")
    return check


def _within(lo, hi):
    def check(v):
        return _pos(v) or (None if lo <= v <= hi else
                           f"is outside the supported range {lo:g} to {hi:g} (docs/errors.md)")
    return check


def _frac(v):
    return None if 0 <= v < 1 else "must be in [0, 1)"


def _word(v):
    return None if v in (8, 16, 32) else "must be 8, 16 or 32"


def _one_of(*allowed):
    def check(v):
        return None if v in allowed else f"must be {', '.join(allowed[:-1])} or {allowed[-1]}"
    return check


def _spec(key: str, doc: str, default, check=None, kind=None):
    """A schema field: its dotted YAML key, meaning and check live with its one default."""
    return field(default=default, metadata={"key": key, "doc": doc, "check": check,
                                            "kind": kind})


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an accelerator's fields came from: its file and the line of each key there, and
    the keys ``--set`` gave.  An error found later (e.g. a buffer too small for a layer, which
    names only its field) is located with it (``locate``)."""

    file: str | None = None
    lines: tuple[tuple[str, int], ...] = ()
    set_keys: tuple[str, ...] = ()

    def locate(self, e) -> None:
        """Give a field's error the file and line, or the ``--set``, it came from."""
        if e.file is not None or e.field not in BY_KEY:
            return
        if e.field in self.set_keys:
            if not e.message.startswith("--set "):
                e.message = f"--set {e.field}: {e.message}"
        elif self.file is not None:
            e.file = self.file
            e.line = dict(self.lines).get(e.field)


# -- the accelerator: one flat record, one field per YAML key ---------------------------------
_PARTS: dict = {}


def _part(cls, *values):
    """The typed part ``cls(*values)``, one shared object per distinct value (a sweep makes a
    new accelerator per design point, mostly with parts equal to earlier ones').  Values of
    different types that compare equal (1 and 1.0) are kept apart."""
    key = (cls, *((type(v), v) for v in values))
    part = _PARTS.get(key)
    if part is None:
        if len(_PARTS) >= 4096:
            _PARTS.clear()
        part = _PARTS[key] = cls(*values)
    return part


@cached_hash
@dataclass(frozen=True, slots=True)
class Accelerator:
    """Every field of an accelerator file.  The record is flat because the YAML keys, ``--set``
    and sweep axes all address it field by field; the model reads the typed parts ``array``,
    ``buffer`` and ``dram`` derived from it (cached, excluded from equality)."""

    name: str = _spec("name", "display name", "accelerator")
    template: str = _spec(
        "template", "array model: squeezelerator (OS/WS mesh of the SqueezeNext papers) or "
        "systolic (SCALE-Sim's array)", "squeezelerator")
    dataflow: str = _spec(
        "dataflow", "squeezelerator: os, ws or hybrid (best per layer); systolic: os, ws or is",
        "hybrid")
    rows: int = _spec("pe_array.rows", "PE rows", 32, _at_most(MAX_ARRAY_DIM))
    cols: int = _spec("pe_array.cols", "PE columns", 32, _at_most(MAX_ARRAY_DIM))
    rf_registers: int = _spec(
        "rf.registers", "register-file entries per PE (OS: partial sums of this many filters; "
        "WS: double-buffers the stationary weight when ≥ 2)", 16,
        _at_most(MAX_RF_REGISTERS))
    word_bits: int = _spec("word_bits", "data word width in bits", 16, _word)
    buffer_kb: float = _spec("global_buffer.kb", "on-chip global buffer, KiB", 128.0,
                             _at_most(MAX_BUFFER_KB))
    dram_bandwidth_gbps: float = _spec(
        "dram.bandwidth_gbps", "effective DRAM bandwidth, GB/s (1e9 bytes/s)", 16.0,
        _within(*BANDWIDTH_GBPS))
    dram_latency_cycles: int = _spec(
        "dram.latency_cycles", "DRAM latency paid once per layer before the first tile (later "
        "transfers are double-buffered)", 100,
        lambda v: "must be non-negative" if v < 0 else (
            None if v <= MAX_DRAM_LATENCY else
            f"is above the limit of {MAX_DRAM_LATENCY:,} (docs/errors.md)"))
    clock_mhz: float = _spec("clock_mhz", "array clock, MHz", 500.0, _within(*CLOCK_MHZ))
    sparsity: float = _spec(
        "sparsity", "fraction of zero weights; OS broadcasts only non-zero weights, WS cannot "
        "skip", 0.4, _frac)
    energy: EnergyTable = _spec(
        "energy", "unit-energy table: a preset (eyeriss, horowitz45), a table file "
        "(accelerators/energy/*.yaml format, or an Accelergy ERT via accelergy:) or a mapping "
        "of actions; buffer/RF energies scale with capacity (docs/model.md §7.1)",
        energy_table("eyeriss"))
    area: AreaTable = _spec(
        "area", "unit-area table: a preset (accelergy40), a table file (accelerators/area/*.yaml "
        "format, or an Accelergy ART via accelergy:) or a mapping (docs/model.md §7.2)",
        area_table("accelergy40"))
    scalesim_compat: bool = _spec(
        "scalesim_compat", "systolic only: reproduce SCALE-Sim's reporting conventions", False)
    os_preload_overlap: bool = _spec(
        "os.preload_overlap", "OS: a shadow register per PE takes the next channel's (FC: the "
        "next weight row's) preload while the current one computes; only a tile's first "
        "preload is exposed (docs/model.md §3)", True)
    os_fc_across_pes: bool = _spec(
        "os.fc_across_pes", "OS: a layer with a 1x1 output map (FC) puts one output neuron on "
        "each PE, weights entering through the preload path, the input broadcast "
        "(docs/model.md §3.2); false: the whole layer on one PE, as a 1x1 output tile", True)
    ws_pack_groups: bool = _spec(
        "ws.pack_groups", "WS: place several small groups of a grouped/depthwise layer side by "
        "side (block-diagonal); false is the papers' naive WS, one group at a time (§4)", False)
    hybrid_objective: str = _spec(
        "hybrid.objective", "hybrid: keep per layer the dataflow with the least time (the "
        "papers' rule), energy, or energy x delay (edp); ties go to the other criterion (§8)",
        "time", _one_of("time", "energy", "edp"))
    hybrid_near_tie: float = _spec(
        "hybrid.near_tie", "hybrid: flag a layer whose two dataflows' cycles differ by at most "
        "this fraction while their energies differ by more than 20 % (§8)", 0.05, _frac)
    pooling_unit: str = _spec(
        "pooling.unit", "where pooling and unfused element-wise adds run: simd (a 1-D vector "
        "unit beside the buffer, docs/model.md §5.1) or array (OS mode on the PE array)",
        "simd", _one_of("simd", "array"))
    simd_lanes: int = _spec(
        "pooling.simd_lanes", "SIMD unit width in words per cycle; 0 = as many as the array "
        "has columns", 0, lambda v: "must be non-negative" if v < 0 else (
            None if v <= MAX_ARRAY_DIM else
            f"is above the limit of {MAX_ARRAY_DIM:,} (docs/errors.md)"))
    tiling_objective: str = _spec(
        "tiling.objective", "what the buffer-tiling search minimises first: time (the papers' "
        "choice; then DRAM traffic) or traffic (then time)", "time", _one_of("time", "traffic"))
    origin: Origin = field(default=Origin(), repr=False, compare=False)
    array: ArraySpec = field(init=False, repr=False, compare=False)
    buffer: BufferSpec = field(init=False, repr=False, compare=False)
    dram: DramSpec = field(init=False, repr=False, compare=False)
    # the energy table at this design's buffer and RF sizes (docs/model.md §7.1)
    unit_energy: EnergyTable = field(init=False, repr=False, compare=False)
    # the hash, worked out once: the accelerator is part of the key of every layer's mapping,
    # looked up per layer and design point (see frozen.py)
    _hash: int = hash_field()

    def __post_init__(self) -> None:
        # (equal parts are one object, so the model's memos keyed by them match by identity)
        object.__setattr__(self, "array", _part(
            ArraySpec, self.rows, self.cols, self.rf_registers, self.sparsity,
            self.os_preload_overlap, self.os_fc_across_pes, self.ws_pack_groups,
            self.simd_lanes, self.dataflow, self.scalesim_compat))
        object.__setattr__(self, "buffer", _part(BufferSpec, self.buffer_kb, self.word_bits,
                                                 self.tiling_objective))
        object.__setattr__(self, "dram", _part(DramSpec, self.dram_bandwidth_gbps,
                                               self.dram_latency_cycles, self.clock_mhz))
        object.__setattr__(self, "unit_energy", self.energy.at(self.buffer_kb, self.rf_registers)
                           if isinstance(self.energy, EnergyTable) else self.energy)

    # -- derived -------------------------------------------------------------------------------
    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @property
    def area_parts(self) -> Area:
        return area_of(self.area, self.rows, self.cols, self.rf_registers, self.word_bits,
                       self.buffer_kb)

    @property
    def area_mm2(self) -> float:
        return self.area_parts.total_mm2

    @property
    def word_bytes(self) -> int:
        return self.word_bits // 8

    @property
    def buffer_words(self) -> int:
        return self.buffer.words

    @property
    def dram_bytes_per_cycle(self) -> float:
        return self.dram.bytes_per_cycle

    def with_dataflow(self, dataflow: str) -> Accelerator:
        return validate(replace(self, dataflow=dataflow))

    def to_dict(self) -> dict:
        """The nested YAML mapping (inverse of ``from_dict``)."""
        out: dict = {}
        for f in SCHEMA:
            v = getattr(self, f.attr)
            if isinstance(v, EnergyTable):
                v = v.name if v.name in _presets() and _presets()[v.name] == v else {
                    k: val for k, val in v.as_dict().items()}
            elif isinstance(v, AreaTable):
                v = v.name if v.name in _area_presets() and _area_presets()[v.name] == v else \
                    v.as_dict()
            node = out
            *parents, leaf = f.key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = v
        return out


@dataclass(frozen=True, slots=True)
class Field:
    key: str            # dotted YAML key
    attr: str           # Accelerator attribute
    kind: type
    default: Any
    doc: str
    check: Callable[[Any], str | None] | None = None


_KINDS = {"str": str, "int": int, "float": float, "bool": bool, "EnergyTable": EnergyTable,
          "AreaTable": AreaTable}
SCHEMA: tuple[Field, ...] = tuple(
    Field(f.metadata["key"], f.name, _KINDS[f.type], f.default, f.metadata["doc"],
          f.metadata["check"])
    for f in fields(Accelerator) if "key" in f.metadata)
BY_KEY = {f.key: f for f in SCHEMA}
SECTIONS = {f.key.split(".")[0] for f in SCHEMA if "." in f.key}


def _presets():
    from .energy import PRESETS
    return PRESETS


def _area_presets():
    from .area import PRESET_NAMES, preset
    return {n: preset(n) for n in PRESET_NAMES}


def validate(acc: Accelerator, source: str | None = None, lines: dict | None = None
             ) -> Accelerator:
    """Cross-field rules (phase two, after each field was type-checked)."""
    lines = lines or {}
    if acc.template not in DATAFLOWS:
        raise AcceleratorError(f"unknown template {acc.template!r} (known: "
                               f"{', '.join(DATAFLOWS)})", file=source,
                               line=lines.get("template"), field="template")
    if acc.dataflow not in DATAFLOWS[acc.template]:
        raise AcceleratorError(f"dataflow {acc.dataflow!r} is not one of "
                               f"{', '.join(DATAFLOWS[acc.template])} for template "
                               f"{acc.template}", file=source, line=lines.get("dataflow"),
                               field="dataflow")
    if acc.scalesim_compat and acc.template != "systolic":
        raise AcceleratorError("scalesim_compat applies to template: systolic only",
                               file=source, line=lines.get("scalesim_compat"),
                               field="scalesim_compat")
    return acc


_EXPONENT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+\Z")


def _coerce(f: Field, v: Any, source, line) -> Any:
    def bad(msg):
        return AcceleratorError(msg, file=source, line=line, field=f.key)

    if f.kind in (EnergyTable, AreaTable):
        try:
            return (energy_table if f.kind is EnergyTable else area_table)(v, source)
        except AcceleratorError as e:
            raise e.located(file=source, line=line) from None
    if f.kind is bool:
        if not isinstance(v, bool):
            raise bad(f"{f.key} must be true or false, got {v!r}")
        return v
    if f.kind in (int, float) and isinstance(v, str) and _EXPONENT.match(v):
        # YAML 1.1 reads 1e3 (no dot, or no sign in the exponent) as a string: a number is meant
        v = float(v)
    if f.kind is int:
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer() and abs(v) < 2**63:
                v = int(v)
            elif isinstance(v, float) and v.is_integer():
                raise bad(f"{f.key} {v:g} is above the limit (docs/errors.md)")
            else:
                raise bad(f"{f.key} must be an integer, got {v!r}")
    elif f.kind is float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise bad(f"{f.key} must be a number, got {v!r}")
        v = float(v)
    elif f.kind is str and not isinstance(v, str):
        raise bad(f"{f.key} must be a string, got {v!r}")
    if f.check and (msg := f.check(v)):
        raise bad(f"{f.key} {msg}, got {v!r}")
    return v


def flatten(doc: dict, source: str | None = None) -> tuple[dict, dict]:
    """Nested mapping → ({dotted key: value}, {dotted key: line}); unknown keys are errors."""
    from ..source import line_of

    flat, lines = {}, {}
    if not isinstance(doc, dict):
        raise AcceleratorError("an accelerator file must be a mapping of fields", file=source,
                               line=line_of(doc) or 1)
    for k, v in doc.items():
        line = line_of(doc, k)
        if k in SECTIONS:
            if not isinstance(v, dict):
                raise AcceleratorError(f"{k} must be a mapping", file=source, line=line, field=k)
            for sub, sv in v.items():
                key = f"{k}.{sub}"
                if key not in BY_KEY:
                    allowed = sorted(x.split(".", 1)[1] for x in BY_KEY if x.startswith(k + "."))
                    raise AcceleratorError(f"unknown field {key!r} (allowed under {k}: "
                                           f"{', '.join(allowed)})", file=source,
                                           line=line_of(v, sub), field=key)
                flat[key], lines[key] = sv, line_of(v, sub)
        elif k in BY_KEY:
            flat[k], lines[k] = v, line
        else:
            top = sorted(SECTIONS | {f.key for f in SCHEMA if "." not in f.key})
            raise AcceleratorError(f"unknown field {k!r} (allowed: {', '.join(top)})",
                                   file=source, line=line, field=str(k))
    return flat, lines


def from_flat(flat: dict, source: str | None = None, lines: dict | None = None) -> Accelerator:
    lines = lines or {}
    kwargs = {}
    for f in SCHEMA:
        v = flat.get(f.key, f.default)
        kwargs[f.attr] = _coerce(f, v, source, lines.get(f.key))
    return validate(Accelerator(**kwargs), source, lines)


def parse_value(key: str, text: str) -> Any:
    """A ``--set`` value: YAML scalar syntax (16, 0.5, true, os)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def load_accelerator(path: str | os.PathLike | None = None,
                     overrides: dict[str, Any] | None = None) -> Accelerator:
    """Load an accelerator file (None: all defaults) and apply dotted-key overrides."""
    from ..source import read_source, read_yaml

    source = None
    flat, lines = {}, {}
    if path is not None:
        source, text = read_source(path, AcceleratorError, "accelerator")
        flat, lines = flatten(read_yaml(text, source, AcceleratorError), source)
    for key, v in (overrides or {}).items():
        if key not in BY_KEY:
            raise AcceleratorError(f"--set {key}: unknown accelerator field (known: "
                                   f"{', '.join(f.key for f in SCHEMA)})", field=key)
        flat[key] = v
        lines[key] = None
    try:
        acc = from_flat(flat, source, lines)
        return replace(acc, origin=Origin(source, tuple((k, n) for k, n in lines.items()
                                                         if n is not None),
                                          tuple(overrides or ())))
    except AcceleratorError as e:
        set_key = next((k for k in (overrides or {}) if e.field == k
                        or (e.field or "").startswith(k + ".")), None)
        if set_key is not None and e.line is None:
            e.message = f"--set {set_key}: {e.message}"
            e.file = None
        raise


def loads_accelerator(text: str, source: str | None = None) -> Accelerator:
    from ..source import read_yaml
    flat, lines = flatten(read_yaml(text, source, AcceleratorError), source)
    return replace(from_flat(flat, source, lines),
                   origin=Origin(source, tuple((k, n) for k, n in lines.items() if n)))


def dump_accelerator(acc: Accelerator) -> str:
    return yaml.safe_dump(acc.to_dict(), sort_keys=False)


def describe_fields() -> list[tuple[str, str, str]]:
    return [(f.key, str(f.default), f.doc) for f in SCHEMA]

