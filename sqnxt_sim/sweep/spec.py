"""Sweep specification files: the YAML format of a design space (docs/sweeps.md), parsed and
validated whole — every axis value, every combination of template and dataflow, the sample —
before the first point runs.  Every error is a located one-line :class:`SweepError`
(``sweeps/x.yaml:7: grid.pe_array.rows: ...``).  The space itself is space.py.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import AcceleratorError, SweepError
from ..expr import ExprError, evaluate
from ..hardware.accelerator import BY_KEY, _coerce, flatten, from_flat
from ..limits import MAX_AXIS_VALUES, MAX_BATCH, MAX_SPACE_POINTS
from .space import Axis, SweepSpec, _freeze, _thaw, filter_scope, format_value

TOP_KEYS = ("name", "description", "accelerator", "networks", "grid", "zip", "sample",
            "filters", "layers", "batch")
SAMPLE_KEYS = ("n", "seed")
RANGE_KEYS = ("start", "stop", "step", "factor")


def load_sweep(path: str | os.PathLike) -> SweepSpec:
    from ..source import read_source
    path, text = read_source(path, SweepError, "sweep")
    return loads_sweep(text, path)


def loads_sweep(text: str, source: str | None = None) -> SweepSpec:
    from ..source import read_yaml

    doc = read_yaml(text, source, SweepError)
    return _Parser(source).parse(doc)


class _Parser:
    def __init__(self, source: str | None) -> None:
        self.source = source
        # a relative path is taken from the spec's own directory when it exists there, else
        # from the current directory (so repository-root paths work when run from the root)
        self.base_dir = os.path.dirname(source) if source else ""

    def err(self, msg: str, d: Any = None, key: Any = None, field: str | None = None):
        from ..source import line_of
        raise SweepError(msg, file=self.source, line=line_of(d, key) if d is not None else 1,
                         field=field if field is not None else (None if key is None
                                                                else str(key)))

    def path(self, p: Any, d: Any, key: Any, field: str) -> str:
        if not isinstance(p, str) or not p.strip():
            self.err(f"{field} must be a file path, got {p!r}", d, key, field)
        resolved = p
        if not os.path.isabs(p) and self.base_dir:
            beside = os.path.normpath(os.path.join(self.base_dir, p))
            if os.path.exists(beside):
                resolved = beside
        if not os.path.isfile(resolved):
            self.err(f"{field}: no such file {p!r}", d, key, field)
        return resolved

    def parse(self, doc: Any) -> SweepSpec:
        from ..source import line_of

        if not isinstance(doc, dict):
            raise SweepError("a sweep file must be a mapping (accelerator, networks, grid, "
                             "zip, sample, filters)", file=self.source,
                             line=line_of(doc) or 1)
        for k in doc:
            if k not in TOP_KEYS:
                self.err(f"unknown key {k!r} (allowed: {', '.join(TOP_KEYS)})", doc, k, str(k))
        name = doc.get("name", os.path.splitext(os.path.basename(self.source or "sweep"))[0])
        if not isinstance(name, str):
            self.err(f"name must be a string, got {name!r}", doc, "name")
        description = doc.get("description", "")
        if not isinstance(description, str):
            self.err("description must be a string", doc, "description")

        acc_path = None
        base_flat: dict = {}
        base_lines: dict = {}
        if doc.get("accelerator") is not None:
            acc_path = self.path(doc["accelerator"], doc, "accelerator", "accelerator")
            base_flat, base_lines = _read_accelerator(acc_path)
        self.base = (acc_path, base_flat, base_lines)

        nets = doc.get("networks")
        if nets is None:
            self.err("networks is required (a list of network files)", doc, None, "networks")
        if isinstance(nets, str):
            nets = [nets]
        if not isinstance(nets, list) or not nets:
            self.err("networks must be a non-empty list of network files", doc, "networks")
        networks = []
        for i, n in enumerate(nets):
            p = self.path(n, nets, None, f"networks[{i}]")
            if p in networks:
                self.err(f"network {n!r} is listed twice", nets, None, f"networks[{i}]")
            networks.append(p)

        axes: list[Axis] = []
        seen: dict[str, str] = {}
        # axes in the order the file lists grid and zip (the first is outermost: list the
        # fields that change the array first, so consecutive points share array costs)
        for section in [k for k in doc if k in ("grid", "zip")]:
            if doc[section] is not None:
                adder = self.grid_axes if section == "grid" else self.zip_axes
                axes += adder(doc, doc[section], seen)

        sample_n, seed = None, 0
        sample = doc.get("sample")
        if sample is not None:
            if not isinstance(sample, dict):
                self.err("sample must be a mapping with n (points) and seed", doc, "sample")
            for k in sample:
                if k not in SAMPLE_KEYS:
                    self.err(f"unknown key {k!r} (allowed: n, seed)", sample, k,
                             f"sample.{k}")
            sample_n = sample.get("n")
            if isinstance(sample_n, bool) or not isinstance(sample_n, int) or sample_n < 1:
                self.err(f"sample.n must be a positive integer, got {sample_n!r}", sample,
                         "n" if "n" in sample else None, "sample.n")
            seed = sample.get("seed", 0)
            if isinstance(seed, bool) or not isinstance(seed, int):
                self.err(f"sample.seed must be an integer, got {seed!r}", sample, "seed",
                         "sample.seed")
            if not axes:
                self.err("sample draws points from the grid and zip axes; give at least one",
                         doc, "sample", "sample")

        filters = []
        flt = doc.get("filters")
        if flt is not None:
            items = [flt] if isinstance(flt, str) else flt
            if not isinstance(items, list):
                self.err("filters must be a list of expressions", doc, "filters")
            for i, f in enumerate(items):
                line = line_of(items) if isinstance(flt, list) else line_of(doc, "filters")
                if not isinstance(f, str) or not f.strip():
                    self.err(f"filters[{i}] must be an expression string, got {f!r}", doc,
                             "filters", f"filters[{i}]")
                filters.append((f.strip(), line or 1))

        layers = doc.get("layers") or []
        if isinstance(layers, str):
            layers = [layers]
        if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
            self.err("layers must be a list of layer names", doc, "layers")
        if len(set(layers)) != len(layers):
            self.err("layers lists a layer twice", doc, "layers")

        batch = doc.get("batch", 1)
        if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
            self.err(f"batch must be an integer from 1 to {MAX_BATCH:,}, got {batch!r}", doc,
                     "batch")

        spec = SweepSpec(name=name, source=self.source, accelerator_path=acc_path,
                         networks=tuple(networks), axes=tuple(axes), filters=tuple(filters),
                         base_flat=tuple(base_flat.items()),
                         base_lines=tuple(base_lines.items()),
                         sample_n=sample_n, sample_seed=seed, description=description,
                         layers=tuple(layers), layers_line=line_of(doc, "layers"),
                         sample_line=line_of(doc, "sample") if sample is not None else None,
                         batch=batch)
        self.check_semantics(spec, doc)
        return spec

    def grid_axes(self, doc: dict, grid: Any, seen: dict) -> list[Axis]:
        if not isinstance(grid, dict):
            self.err("grid must be a mapping of accelerator field to a list of values",
                     doc, "grid")
        axes = []
        for key, vals in grid.items():
            self.check_key(key, grid, "grid", seen)
            values = self.values(key, vals, grid, f"grid.{key}")
            axes.append(Axis((key,), tuple((v,) for v in values)))
        return axes

    def zip_axes(self, doc: dict, zips: Any, seen: dict) -> list[Axis]:
        """One axis per group of lists advanced together (``zip`` may list several groups)."""
        groups = zips if isinstance(zips, list) else [zips]
        axes = []
        for gi, group in enumerate(groups):
            where = "zip" if not isinstance(zips, list) else f"zip[{gi}]"
            if not isinstance(group, dict) or not group:
                self.err(f"{where} must be a mapping of accelerator field to a list of values "
                         "(all lists the same length)", doc if group is zips else zips,
                         "zip" if group is zips else None, where)
            cols, length, first = [], None, None
            for key, vals in group.items():
                self.check_key(key, group, where, seen)
                values = self.values(key, vals, group, f"{where}.{key}")
                if length is None:
                    length, first = len(values), key
                elif len(values) != length:
                    self.err(f"zipped lists must have the same length: {key} has "
                             f"{len(values)} values, {first} has {length}", group, key,
                             f"{where}.{key}")
                cols.append(values)
            axes.append(Axis(tuple(group.keys()), tuple(zip(*cols))))
        return axes

    def check_key(self, key: Any, d: Any, where: str, seen: dict) -> None:
        if not isinstance(key, str) or key not in BY_KEY:
            known = ", ".join(BY_KEY)
            self.err(f"unknown accelerator field {key!r} (known: {known})", d, key,
                     f"{where}.{key}")
        if key in ("name",):
            self.err("name cannot be swept (it does not change a result)", d, key,
                     f"{where}.{key}")
        if key in seen:
            self.err(f"{key} is swept twice (also in {seen[key]})", d, key, f"{where}.{key}")
        seen[key] = where

    def values(self, key: str, vals: Any, d: Any, field: str) -> list:
        if isinstance(vals, dict):
            vals = self.range(vals, d, key, field)
        if not isinstance(vals, list) or not vals:
            self.err(f"{field} must be a non-empty list of values or a range "
                     "{start, stop, step|factor}", d, key, field)
        if len(vals) > MAX_AXIS_VALUES:
            self.err(f"{field} has {len(vals):,} values, above the limit of "
                     f"{MAX_AXIS_VALUES:,} (docs/errors.md)", d, key, field)
        out = []
        seen: set = set()      # a set, not a list: a 100,000-value axis parses in linear time
        for v in vals:
            if isinstance(v, (dict, list)) and key != "energy":
                self.err(f"{field}: value {v!r} must be a scalar", d, key, field)
            try:
                frozen = _freeze(v)
                # 1 and 1.0 (and true) are the same value to Python; keep them distinct
                ident = (type(v).__name__, frozen)
                twice = ident in seen
            except TypeError:          # an unhashable value inside an energy mapping
                self.err(f"{field}: value {v!r} must be a scalar or a mapping of scalars",
                         d, key, field)
            if twice:
                self.err(f"{field}: value {v!r} is listed twice", d, key, field)
            seen.add(ident)
            out.append(frozen)
        # each value must be valid for the field (type and range), located at the axis; the
        # cross-field rules (template, dataflow, scalesim_compat) are checked over the whole
        # space once the axes are known (check_space)
        fld = BY_KEY[key]
        for v in out:
            try:
                _coerce(fld, _thaw(v), None, None)
            except AcceleratorError as e:
                self.err(f"{format_value(v)}: {e.message}", d, key, field)
        return out

    def range(self, r: dict, d: Any, key: str, field: str) -> list:
        for k in r:
            if k not in RANGE_KEYS:
                self.err(f"unknown range key {k!r} (allowed: {', '.join(RANGE_KEYS)})",
                         r, k, f"{field}.{k}")
        for k in ("start", "stop"):
            if k not in r:
                self.err("a range needs start and stop (and step or factor)", d, key, field)
            if isinstance(r[k], bool) or not isinstance(r[k], (int, float)):
                self.err(f"range {k} must be a number, got {r[k]!r}", r, k, f"{field}.{k}")
        if ("step" in r) == ("factor" in r):
            self.err("a range needs exactly one of step (arithmetic) or factor (geometric)",
                     d, key, field)
        start, stop = r["start"], r["stop"]
        grow = r.get("step", r.get("factor"))
        if isinstance(grow, bool) or not isinstance(grow, (int, float)):
            self.err(f"range step/factor must be a number, got {grow!r}", d, key, field)
        if ("step" in r and grow <= 0) or ("factor" in r and grow <= 1):
            self.err("range step must be > 0 and factor > 1", d, key, field)
        out, v = [], start
        while v <= stop * (1 + 1e-12):
            out.append(int(v) if isinstance(v, float) and v.is_integer() else v)
            if len(out) > MAX_AXIS_VALUES:
                self.err(f"range has more than {MAX_AXIS_VALUES} values", d, key, field)
            v = v + grow if "step" in r else v * grow
            if isinstance(v, float):
                v = round(v, 12)
        return out

    def check_space(self, spec: SweepSpec, doc: dict) -> None:
        """Every point of the space must build, before the first one runs: each value was
        checked alone; what remains are the cross-field rules, which involve only the
        template, dataflow and scalesim_compat axes, so every combination of those axes'
        values is built (a handful), with the other fields at their first value."""
        from ..hardware.accelerator import validate

        cross = ("template", "dataflow", "scalesim_compat")
        involved = [a for a in spec.axes if any(k in cross for k in a.keys)]
        first = tuple(a.values[0] for a in spec.axes)
        base = dict(zip((k for a in spec.axes for k in a.keys),
                        (v for vals in first for v in vals)))
        combos = 1
        for a in involved:
            combos *= len(a)
        if combos > MAX_AXIS_VALUES:
            raise SweepError(f"{combos:,} combinations of template, dataflow and "
                             f"scalesim_compat values: above the limit of {MAX_AXIS_VALUES:,}",
                             file=self.source, line=1, field="grid")
        from itertools import product

        for picks in product(*(a.values for a in involved)):
            values = dict(base)
            for a, vals in zip(involved, picks):
                values.update(zip(a.keys, vals))
            flat = {**dict(spec.base_flat), **{k: _thaw(v) for k, v in values.items()}}
            try:
                acc = from_flat(flat, None, {})
                validate(acc)
            except AcceleratorError as e:
                where = ", ".join(f"{k}={format_value(values[k])}"
                                  for a in involved for k in a.keys)
                key = e.field if e.field in values else next(
                    (k for a in involved for k in a.keys), None)
                section = next((sec for sec in ("grid", "zip") if isinstance(doc.get(sec),
                                (dict, list)) and key in _section_keys(doc.get(sec))), "grid")
                from ..source import line_of
                holder = doc.get(section)
                line = None
                if isinstance(holder, dict):
                    line = line_of(holder, key)
                elif isinstance(holder, list):
                    line = next((line_of(g, key) for g in holder
                                 if isinstance(g, dict) and key in g), None)
                raise SweepError(f"design point {where}: {e.message} (every combination of "
                                 f"the axes must be valid; zip the axes that go together)",
                                 file=self.source, line=line or 1,
                                 field=f"{section}.{key}") from None

    def check_semantics(self, spec: SweepSpec, doc: dict) -> None:
        """Cross-field rules: the base and the first point build; filters parse and name known
        variables."""
        if spec.space_size > MAX_SPACE_POINTS:
            raise SweepError(f"the design space has {spec.space_size:,} points, above the "
                             f"limit of {MAX_SPACE_POINTS:,} (docs/errors.md)",
                             file=self.source, line=1, field="grid")
        base = spec.accelerator_with(())
        self.check_space(spec, doc)
        if spec.axes:
            base = spec.accelerator_for(spec.point(0))
        scope = filter_scope(base)
        for text, line in spec.filters:
            try:
                evaluate(text, scope)
            except ExprError as e:
                raise SweepError(f"{e} (names: accelerator fields such as rows, cols, "
                                 "rf_registers, buffer_kb, dram_bandwidth_gbps, pes)",
                                 file=self.source, line=line, field="filters") from None
            except RecursionError:
                raise SweepError("expression too deep", file=self.source, line=line,
                                 field="filters") from None


def _section_keys(section: Any) -> set:
    if isinstance(section, dict):
        return set(section)
    return {k for g in section if isinstance(g, dict) for k in g}


def _read_accelerator(path: str) -> tuple[dict, dict]:
    from ..source import read_source, read_yaml

    path, text = read_source(path, AcceleratorError, "accelerator")
    flat, lines = flatten(read_yaml(text, path, AcceleratorError), path)
    from_flat(flat, path, lines)   # the base alone must be valid (errors in its own file)
    return flat, lines
