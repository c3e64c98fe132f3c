"""A sweep's design space (docs/sweeps.md): axes over accelerator fields, points decoded from
their index on demand, filters and samples, and the accelerator of each point.

The grid axes and the zipped groups form a mixed-radix index space; a point is decoded from its
index when needed, so a 100,000-point sweep never holds more than the points in flight.  The
base accelerator is given as its (already read) flat fields and lines: nothing here reads a
file.  The YAML format is parsed in spec.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from ..errors import AcceleratorError, SweepError
from ..expr import ExprError, evaluate
from ..hardware.accelerator import BY_KEY, Accelerator, from_flat
from ..limits import MAX_SAMPLE_DRAWS


@dataclass(frozen=True)
class Axis:
    """One dimension of the index space: one key (grid) or several advanced together (zip)."""

    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]     # one tuple of len(keys) per position

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Point:
    """One design point: its index in the full (unfiltered) space and its axis values."""

    index: int
    values: tuple[tuple[str, Any], ...]     # (dotted key, value) in axis-column order

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.values)


@dataclass(frozen=True)
class SweepSpec:
    name: str
    source: str | None
    accelerator_path: str | None
    networks: tuple[str, ...]
    axes: tuple[Axis, ...]
    filters: tuple[tuple[str, int | None], ...]   # (expression, line)
    base_flat: tuple[tuple[str, Any], ...] = ()     # the base accelerator file, flattened
    base_lines: tuple[tuple[str, int | None], ...] = ()
    sample_n: int | None = None
    sample_seed: int = 0
    description: str = ""
    layers: tuple[str, ...] = ()            # layers whose own metrics get columns too
    layers_line: int | None = None
    sample_line: int | None = None
    batch: int = 1                          # images per simulated batch (docs/model.md §5.2)

    # -- the index space -----------------------------------------------------------------
    @property
    def keys(self) -> tuple[str, ...]:
        """Axis columns, in the order the spec lists them."""
        return tuple(k for a in self.axes for k in a.keys)

    @property
    def space_size(self) -> int:
        n = 1
        for a in self.axes:
            n *= len(a)
        return n

    def point(self, index: int) -> Point:
        """Decode ``index`` (the last axis varies fastest, as in itertools.product)."""
        picks = []
        rest = index
        for a in reversed(self.axes):
            rest, i = divmod(rest, len(a))
            picks.append(a.values[i])
        picks.reverse()
        return Point(index, tuple((k, v) for a, vals in zip(self.axes, picks)
                                  for k, v in zip(a.keys, vals)))

    def indices(self) -> Iterator[int]:
        """Indices of the accepted points in sweep order (a generator over the full space, or
        over a seeded sample of it)."""
        total = self.space_size
        if self.sample_n is None or self.sample_n >= total:
            for i in range(total):
                if self.accepts(self.point(i)):
                    yield i
            return
        # Distinct indices drawn until n pass the filters (or the space is exhausted), then run
        # in index order (cache-friendly).  Memory is O(draws), never O(space).
        yield from self.sample_indices()

    def sample_indices(self) -> list[int]:
        """The seeded sample, in index order.  The draws are bounded: a filter that (almost)
        nothing satisfies is an error after at most max(100 × n, MAX_SAMPLE_DRAWS) draws,
        never an endless loop."""
        total = self.space_size
        n = self.sample_n or 0
        budget = max(100 * n, MAX_SAMPLE_DRAWS)
        rng = random.Random(self.sample_seed)
        seen: set[int] = set()
        chosen: list[int] = []
        draws = 0
        while len(chosen) < n and len(seen) < total:
            if draws >= budget:
                raise SweepError(f"sample: only {len(chosen)} of n={n} points passed the "
                                 f"filters in {draws:,} random draws; loosen the filters or "
                                 f"lower sample.n", file=self.source, line=self.sample_line,
                                 field="sample.n")
            draws += 1
            i = rng.randrange(total)
            if i in seen:
                continue
            seen.add(i)
            if self.accepts(self.point(i)):
                chosen.append(i)
        if not chosen:
            raise SweepError("sample: no point of the space passes the filters",
                             file=self.source, line=self.sample_line, field="filters")
        return sorted(chosen)

    def accepts(self, point: Point) -> bool:
        if not self.filters:
            return True
        scope = filter_scope(self.accelerator_for(point))
        for text, line in self.filters:
            try:
                ok = evaluate(text, scope)
            except ExprError as e:
                raise SweepError(str(e), file=self.source, line=line, field="filters") from None
            except RecursionError:
                raise SweepError("expression too deep", file=self.source, line=line,
                                 field="filters") from None
            if not ok:
                return False
        return True

    def points(self) -> Iterator[tuple[Point, Accelerator]]:
        """Every accepted design point with its accelerator, streamed."""
        for i in self.indices():
            p = self.point(i)
            yield p, self.accelerator_for(p)

    def accelerator_for(self, point: Point) -> Accelerator:
        """The base accelerator with the point's values applied through the schema."""
        return self.accelerator_with(point.values)

    def accelerator_with(self, values) -> Accelerator:
        flat = dict(self.base_flat)
        lines = dict(self.base_lines)
        for k, v in values:
            flat[k] = _thaw(v)
            lines[k] = None
        try:
            return from_flat(flat, self.accelerator_path, lines)
        except AcceleratorError as e:
            if e.line is not None:   # the base file itself is wrong
                raise
            where = ", ".join(f"{k}={format_value(v)}" for k, v in values)
            raise SweepError(f"design point {where}: {e.message}", file=self.source,
                             line=1, field=e.field) from None

    def count(self) -> int:
        """Accepted points (evaluates the filters over the space; streamed)."""
        if not self.filters:
            return min(self.space_size, self.sample_n or self.space_size)
        return sum(1 for _ in self.indices())


def filter_scope(acc: Accelerator) -> dict[str, Any]:
    """Names a filter may use: the accelerator's attributes (``rows``, ``rf_registers``,
    ``buffer_kb`` …), the dotted keys with ``.`` as ``_`` (``pe_array_rows``,
    ``global_buffer_kb`` …) and ``pes``."""
    scope: dict[str, Any] = {}
    for f in fields(Accelerator):
        v = getattr(acc, f.name)
        if isinstance(v, (int, float, str, bool)) and not f.name.startswith("_"):
            scope[f.name] = v
    for key, fld in BY_KEY.items():
        if fld.attr in scope:
            scope[key.replace(".", "_")] = scope[fld.attr]
    scope["pes"] = acc.pes
    return scope


# -- loading and validation ---------------------------------------------------------------------
def _freeze(v: Any) -> Any:
    """Hashable form of an axis value (energy tables may be mappings)."""
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    return v


def _thaw(v: Any) -> Any:
    if isinstance(v, tuple):
        return {k: _thaw(x) for k, x in v}
    return v


def format_value(v: Any) -> str:
    """The canonical text of an axis value in a results file (also its identity on resume)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, tuple):
        return ";".join(f"{k}={format_value(x)}" for k, x in v)
    return str(v)
