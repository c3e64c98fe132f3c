"""The accelerator description: one schema for reading, validating, overriding and writing.

Every field has a dotted YAML key (``pe_array.rows``), a type, a default, a check and a one-line
meaning.  ``--set KEY=VALUE`` overrides go through the same schema, so a misspelt key is an error,
never silently ignored.  ``load(dump(x)) == x``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import yaml

from ..errors import AcceleratorError
from ..limits import (
    BANDWIDTH_GBPS,
    CLOCK_MHZ,
    MAX_ARRAY_DIM,
    MAX_BUFFER_KB,
    MAX_DRAM_LATENCY,
    MAX_RF_REGISTERS,
)
from .energy import EnergyTable, energy_table

DATAFLOWS = {"squeezelerator": ("os", "ws", "hybrid"), "systolic": ("os", "ws", "is")}


@dataclass(frozen=True, slots=True)
class Field:
    key: str            # dotted YAML key
    attr: str           # Accelerator attribute
    kind: type
    default: Any
    doc: str
    check: Callable[[Any], str | None] | None = None


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


SCHEMA: tuple[Field, ...] = (
    Field("name", "name", str, "accelerator", "display name"),
    Field("template", "template", str, "squeezelerator",
          "array model: squeezelerator (OS/WS mesh of the SqueezeNext papers) or systolic "
          "(SCALE-Sim's array)"),
    Field("dataflow", "dataflow", str, "hybrid",
          "squeezelerator: os, ws or hybrid (best per layer); systolic: os, ws or is"),
    Field("pe_array.rows", "rows", int, 32, "PE rows", _at_most(MAX_ARRAY_DIM)),
    Field("pe_array.cols", "cols", int, 32, "PE columns", _at_most(MAX_ARRAY_DIM)),
    Field("rf.registers", "rf_registers", int, 16,
          "register-file entries per PE (OS: partial sums of this many filters; WS: "
          "double-buffers the stationary weight when ≥ 2)", _at_most(MAX_RF_REGISTERS)),
    Field("word_bits", "word_bits", int, 16, "data word width in bits", _word),
    Field("global_buffer.kb", "buffer_kb", float, 128.0, "on-chip global buffer, KiB",
          _at_most(MAX_BUFFER_KB)),
    Field("dram.bandwidth_gbps", "dram_bandwidth_gbps", float, 16.0,
          "effective DRAM bandwidth, GB/s (1e9 bytes/s)", _within(*BANDWIDTH_GBPS)),
    Field("dram.latency_cycles", "dram_latency_cycles", int, 100,
          "DRAM latency paid once per layer before the first tile (later transfers are "
          "double-buffered)", lambda v: "must be non-negative" if v < 0 else (
              None if v <= MAX_DRAM_LATENCY else
              f"is above the limit of {MAX_DRAM_LATENCY:,} (docs/errors.md)")),
    Field("clock_mhz", "clock_mhz", float, 500.0, "array clock, MHz", _within(*CLOCK_MHZ)),
    Field("sparsity", "sparsity", float, 0.4,
          "fraction of zero weights; OS broadcasts only non-zero weights, WS cannot skip", _frac),
    Field("energy", "energy", EnergyTable, "eyeriss",
          "unit-energy table: a preset (eyeriss, horowitz45) or a mapping of actions"),
    Field("scalesim_compat", "scalesim_compat", bool, False,
          "systolic only: reproduce SCALE-Sim's reporting conventions"),
    Field("tiling.objective", "tiling_objective", str, "time",
          "what the buffer-tiling search minimises first: time (the papers' choice; then DRAM "
          "traffic) or traffic (then time)",
          lambda v: None if v in ("time", "traffic") else "must be time or traffic"),
)
BY_KEY = {f.key: f for f in SCHEMA}
SECTIONS = {f.key.split(".")[0] for f in SCHEMA if "." in f.key}


@dataclass(frozen=True, slots=True)
class Accelerator:
    name: str = "accelerator"
    template: str = "squeezelerator"
    dataflow: str = "hybrid"
    rows: int = 32
    cols: int = 32
    rf_registers: int = 16
    word_bits: int = 16
    buffer_kb: float = 128.0
    dram_bandwidth_gbps: float = 16.0
    dram_latency_cycles: int = 100
    clock_mhz: float = 500.0
    sparsity: float = 0.4
    energy: EnergyTable = energy_table("eyeriss")
    scalesim_compat: bool = False
    tiling_objective: str = "time"

    # -- derived -------------------------------------------------------------------------------
    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @property
    def word_bytes(self) -> int:
        return self.word_bits // 8

    @property
    def buffer_words(self) -> int:
        return int(self.buffer_kb * 1024) // self.word_bytes

    @property
    def dram_bytes_per_cycle(self) -> float:
        return self.dram_bandwidth_gbps * 1e9 / (self.clock_mhz * 1e6)

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
            node = out
            *parents, leaf = f.key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = v
        return out


def _presets():
    from .energy import PRESETS
    return PRESETS


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

    if f.kind is EnergyTable:
        try:
            return energy_table(v)
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
    from ..network.yaml_io import line_of

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
    from ..network.yaml_io import read_source, read_yaml

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
        return from_flat(flat, source, lines)
    except AcceleratorError as e:
        set_key = next((k for k in (overrides or {}) if e.field == k
                        or (e.field or "").startswith(k + ".")), None)
        if set_key is not None and e.line is None:
            e.message = f"--set {set_key}: {e.message}"
            e.file = None
        raise


def loads_accelerator(text: str, source: str | None = None) -> Accelerator:
    from ..network.yaml_io import read_yaml
    flat, lines = flatten(read_yaml(text, source, AcceleratorError), source)
    return from_flat(flat, source, lines)


def dump_accelerator(acc: Accelerator) -> str:
    return yaml.safe_dump(acc.to_dict(), sort_keys=False)


def field_line(path: str | os.PathLike, key: str) -> int | None:
    """The line of dotted ``key`` in accelerator file ``path`` (None if absent or unreadable)."""
    from ..network.yaml_io import read_source, read_yaml
    try:
        source, text = read_source(path, AcceleratorError, "accelerator")
        _, lines = flatten(read_yaml(text, source, AcceleratorError), source)
    except AcceleratorError:
        return None
    return lines.get(key)


def describe_fields() -> list[tuple[str, str, str]]:
    return [(f.key, str(f.default), f.doc) for f in SCHEMA]

