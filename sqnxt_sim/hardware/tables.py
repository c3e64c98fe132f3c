"""Technology tables as data: reading the YAML files of unit energies and areas, and the
Accelergy formats (ERT: component → action → energy in pJ; ART: component → area in µm²).

Shared by ``energy.py`` and ``area.py``; only ``source.py`` opens files.  Every error names the
file, the line and the field.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from ..errors import AcceleratorError

# the bundled presets (also linked from accelerators/energy/ and accelerators/area/)
PRESET_DIR = Path(__file__).resolve().parent / "presets"


def is_path(spec: str) -> bool:
    return spec.endswith((".yaml", ".yml")) or "/" in spec or os.sep in spec


def resolve(spec: str, base: str | None) -> str:
    """A table file named in an accelerator file is relative to that file's folder."""
    if os.path.isabs(spec) or base is None:
        return spec
    return os.path.join(os.path.dirname(base) or ".", spec)


def read_table(path: str, what: str) -> tuple[str, Any]:
    """(path, parsed YAML with line numbers) of a table file."""
    from ..source import read_source, read_yaml

    path, text = read_source(path, AcceleratorError, what)
    doc = read_yaml(text, path, AcceleratorError)
    if not isinstance(doc, dict):
        raise AcceleratorError(f"a{'n' if what[0] in 'aeiou' else ''} {what} file must be a "
                               f"mapping", file=path, line=1)
    return path, doc


def line(doc: Any, key: str | None = None) -> int | None:
    from ..source import line_of
    return line_of(doc, key)


def number(v: Any, field: str, *, lo: float = 0.0, hi: float = math.inf, positive=False,
           file: str | None = None, at: int | None = None) -> float:
    """A finite number in [lo, hi] (or (0, hi] when ``positive``), else a located error."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise AcceleratorError(f"{field} must be a finite number, got {v!r}", file=file,
                               line=at, field=field)
    if positive and v <= 0:
        raise AcceleratorError(f"{field} must be positive, got {v!r}", file=file, line=at,
                               field=field)
    if not lo <= v <= hi:
        raise AcceleratorError(f"{field} must be between {lo:g} and {hi:g}, got {v!r}",
                               file=file, line=at, field=field)
    return float(v)


def accelergy_entries(doc: Any, kind: str, file: str) -> list[tuple[str, Any, int | None]]:
    """The ``tables`` of an Accelergy ``ERT``/``ERT_summary`` (kind "ERT") or ``ART``/
    ``ART_summary`` (kind "ART") document: (component name, entry, line)."""
    if not isinstance(doc, dict):
        raise AcceleratorError(f"not an Accelergy {kind}: expected a mapping", file=file, line=1)
    top = next((k for k in (kind, f"{kind}_summary") if k in doc), None)
    if top is None:
        raise AcceleratorError(f"not an Accelergy {kind}: no top-level {kind} or "
                               f"{kind}_summary key", file=file, line=1, field=kind)
    body = doc[top]
    key = "tables" if isinstance(body, dict) and "tables" in body else "table_summary"
    tables = body.get(key) if isinstance(body, dict) else None
    if not isinstance(tables, list):
        raise AcceleratorError(f"{top} must have a list of tables", file=file,
                               line=line(doc, top), field=f"{top}.tables")
    out = []
    for t in tables:
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise AcceleratorError(f"every {top} table needs a name", file=file,
                                   line=line(t) or line(doc, top), field=f"{top}.tables")
        out.append((t["name"], t, line(t)))
    return out


def find_component(entries, component: str, kind: str, file: str, field: str):
    """The entry whose name is ``component`` or ends with ``.component`` (Accelergy names are
    dotted paths such as ``system.PE[0..255].mac``); exactly one must match."""
    hits = [(n, t, ln) for n, t, ln in entries
            if n == component or n.endswith("." + component)]
    if not hits:
        known = ", ".join(n.rsplit(".", 1)[-1] for n, _, _ in entries)
        raise AcceleratorError(f"component {component!r} is not in the {kind} (it has: "
                               f"{known})", file=file, field=field)
    if len(hits) > 1:
        raise AcceleratorError(f"component {component!r} matches several {kind} entries: "
                               f"{', '.join(n for n, _, _ in hits)}", file=file, field=field)
    return hits[0]


def check_mapping(spec: dict, known: set[str], prefix: str, kind: str) -> None:
    """The rules every table mapping shares: known keys only, ``preset`` or ``accelergy`` (not
    both), ``components`` only with ``accelergy``.  ``kind`` is the Accelergy format (ERT, ART)."""
    for k in spec:
        if k not in known:
            raise AcceleratorError(f"unknown {prefix} field {k!r} (allowed: "
                                   f"{', '.join(sorted(known))})", field=f"{prefix}.{k}")
    if "preset" in spec and "accelergy" in spec:
        raise AcceleratorError("give either preset or accelergy, not both", field=prefix)
    if "components" in spec and "accelergy" not in spec:
        raise AcceleratorError(f"components names entries of an Accelergy {kind}: give "
                               f"accelergy: {kind}.yaml too", field=f"{prefix}.components")


def load_file(path: str, base: str | None, what: str, prefix: str, parse):
    """``parse(mapping, file)`` of a table file, its errors located at the offending key."""
    path, doc = read_table(resolve(path, base), what)
    try:
        return parse(doc, path)
    except AcceleratorError as e:
        key = (e.field or "").removeprefix(f"{prefix}.").split(".")[0]
        raise e.located(file=path, line=line(doc, key) if key in doc else 1) from None


def open_accelergy(path, components, base: str | None, kind: str, prefix: str,
                   names: tuple[str, ...], what: str):
    """(file, entries, components) of the Accelergy ``kind`` (ERT, ART) named under
    ``prefix.accelergy``, with ``components`` checked to name only ``names`` (our ``what``)."""
    if not isinstance(path, str):
        raise AcceleratorError(f"{prefix}.accelergy must be the path of an {kind} .yaml file",
                               field=f"{prefix}.accelergy")
    file, doc = read_table(resolve(path, base), f"Accelergy {kind}")
    entries = accelergy_entries(doc, kind, file)
    if components is not None and not isinstance(components, dict):
        raise AcceleratorError(f"{prefix}.components must map our {what}s to {kind} entries",
                               field=f"{prefix}.components")
    for k in components or {}:
        if k not in names:
            raise AcceleratorError(f"{prefix}.components: unknown {what} {k!r} (allowed: "
                                   f"{', '.join(names)})", field=f"{prefix}.components.{k}")
    return file, entries, components or {}
