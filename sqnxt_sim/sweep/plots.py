"""Figures of a sweep's results CSV: Pareto fronts and heatmaps (docs/sweeps.md).

Drawn on bare Agg figures through ``report.charts`` (fixed style, metadata stripped), so the same
CSV always gives byte-identical PNG and SVG files.
"""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import metrics
from ..errors import SweepError
from ..report import charts, style

FRONT = "#D55E00"
CLOUD = "#9a9a9a"
MAX_LABELS = 18
WHERE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")


def read_results(path: str | os.PathLike) -> tuple[pd.DataFrame, list[str]]:
    """The results frame (rows that mapped) and its axis columns."""
    path = os.fspath(path)
    try:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"network": str})
    except FileNotFoundError:
        raise SweepError("no such results file", file=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise SweepError(f"not a sweep results CSV: {str(e).splitlines()[0]}",
                         file=path) from None
    cols = list(df.columns)
    if cols[:2] != ["point", "network"] or "cycles" not in cols:
        raise SweepError("not a sweep results CSV (expected columns point, network, the axes, "
                         "cycles, …)", file=path, line=1)
    axes = cols[2:cols.index("cycles")]
    if "error" in df:
        df = df[df["error"].isna()]
    return df, axes


def _check_metric(df: pd.DataFrame, name: str, what: str, path) -> None:
    if name not in df.columns:
        metrics = [c for c in df.columns if c not in ("point", "network", "error")]
        raise SweepError(f"{what}: unknown column {name!r} (known: {', '.join(metrics)})",
                         file=os.fspath(path), field=what)
    if not pd.api.types.is_numeric_dtype(df[name]):
        raise SweepError(f"{what}: column {name!r} is not numeric", file=os.fspath(path),
                         field=what)


def pareto_mask(x: np.ndarray, y: np.ndarray, x_better: str = "lower",
                y_better: str = "lower") -> np.ndarray:
    """Points not dominated in (x, y), each axis minimised (``"lower"``) or maximised
    (``"higher"``; ``""`` counts as lower); of equal points the first is kept."""
    x = np.asarray(x, dtype=float) * (-1.0 if x_better == "higher" else 1.0)
    y = np.asarray(y, dtype=float) * (-1.0 if y_better == "higher" else 1.0)
    order = np.lexsort((np.arange(len(x)), y, x))
    keep = np.zeros(len(x), dtype=bool)
    best = np.inf
    for i in order:
        if y[i] < best:
            keep[i] = True
            best = y[i]
    return keep


_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
        "<": operator.lt, ">": operator.gt}


def apply_where(df: pd.DataFrame, conditions: Sequence[str], path=None) -> pd.DataFrame:
    """The rows meeting every condition ``COLUMN OP NUMBER`` (OP one of <= < >= > == !=),
    e.g. ``area_mm2<=2.0``; a malformed condition or an unknown or non-numeric column is an
    error naming the ``--where`` option."""
    where = os.fspath(path) if path is not None else None
    for cond in conditions:
        m = WHERE.match(cond)
        if not m:
            raise SweepError(f"--where: expected COLUMN OP NUMBER with OP one of "
                             f"<=, <, >=, >, ==, != (e.g. area_mm2<=2.0), got {cond!r}",
                             file=where, field="--where")
        col, op, value = m.groups()
        _check_metric(df, col, "--where", path)
        try:
            v = float(value)
        except ValueError:
            raise SweepError(f"--where: {value!r} in {cond!r} is not a number", file=where,
                             field="--where") from None
        df = df[_OPS[op](df[col].astype(float), v)]
    return df


def _short(key: str) -> str:
    return {"pe_array.rows": "rows", "pe_array.cols": "cols", "rf.registers": "rf",
            "global_buffer.kb": "KB", "dram.bandwidth_gbps": "GB/s",
            "dram.latency_cycles": "lat"}.get(key, key.split(".")[-1])


def _label(row, keys: Sequence[str]) -> str:
    parts = []
    if "pe_array.rows" in keys and "pe_array.cols" in keys:
        parts.append(f"{row['pe_array.rows']}x{row['pe_array.cols']}")
        keys = [k for k in keys if k not in ("pe_array.rows", "pe_array.cols")]
    for k in keys:
        v = row[k]
        s = _short(k)
        parts.append(str(v) if k == "dataflow" else
                     (f"{v} {s}" if s in ("KB", "GB/s") else f"{s} {v}"))
    return ", ".join(parts)


def _varying(df: pd.DataFrame, axes: Sequence[str]) -> list[str]:
    return [a for a in axes if df[a].nunique(dropna=False) > 1]


def _direction(key: str) -> str:
    return "higher" if metrics.better(key) == "higher" else "lower"


def place_labels(ax, points, texts, obstacles=()) -> list:
    """Annotate ``points`` (data coordinates) with ``texts`` so that no two labels overlap and
    none leaves the axes: each label takes the first of eight positions around its point that
    is free; a label with no free position is left out.  Returns the annotations drawn."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = [b for b in obstacles]
    fs = style.current().rc.get("legend.fontsize", 8) * 0.85
    offsets = ((5, 4, "left", "bottom"), (5, -4, "left", "top"), (-5, 4, "right", "bottom"),
               (-5, -4, "right", "top"), (0, 7, "center", "bottom"), (0, -7, "center", "top"),
               (9, 0, "left", "center"), (-9, 0, "right", "center"))
    drawn = []
    for (px, py), text in zip(points, texts):
        for dx, dy, ha, va in offsets:
            ann = ax.annotate(text, (px, py), xytext=(dx, dy), textcoords="offset points",
                              ha=ha, va=va, fontsize=fs, color="#333333", zorder=5)
            bb = ann.get_window_extent(renderer)
            inside = (bb.x0 >= frame.x0 and bb.x1 <= frame.x1 and bb.y0 >= frame.y0
                      and bb.y1 <= frame.y1)
            if inside and not any(bb.overlaps(t) for t in taken):
                taken.append(bb)
                drawn.append(ann)
                break
            ann.remove()
    return drawn


def pareto_figure(df: pd.DataFrame, axes: Sequence[str], x: str, y: str, title: str,
                  label: Sequence[str] | None = None):
    """The x-vs-y scatter of a sweep's design points with its Pareto front; each axis is
    minimised or maximised as ``metrics.better`` says (utilisation is higher-is-better)."""
    from matplotlib.transforms import Bbox

    bx, by = _direction(x), _direction(y)
    xs = df[x].to_numpy(dtype=float)
    ys = df[y].to_numpy(dtype=float)
    mask = pareto_mask(xs, ys, bx, by)
    dx, px = charts._scale(float(np.nanmax(np.abs(xs))) if len(xs) else 0.0)
    dy, py = charts._scale(float(np.nanmax(np.abs(ys))) if len(ys) else 0.0)
    xs, ys = xs / dx, ys / dy
    front = df[mask].assign(_x=xs[mask], _y=ys[mask]).sort_values(["_x", "_y"], kind="stable")
    keys = list(label) if label else _varying(df, axes)
    with style.rc():
        fig = style.figure(3.6 if style.current().name == "paper" else 5.0,
                           width=min(style.current().width, 8.0))
        ax = fig.add_subplot()
        ax.grid(True, axis="both")
        ax.scatter(xs[~mask], ys[~mask], s=12, color=CLOUD, alpha=0.6, linewidths=0,
                   label=f"other design points ({(~mask).sum()})", zorder=2)
        ax.step(front["_x"], front["_y"], where="post", color=FRONT, lw=1.2, zorder=3)
        ax.scatter(front["_x"], front["_y"], s=28, color=FRONT, edgecolors="black",
                   linewidths=0.5, label=f"Pareto front ({len(front)})", zorder=4)
        ax.set_xlabel(f"{charts.axis_label(x, px)} — {bx} is better")
        ax.set_ylabel(f"{charts.axis_label(y, py)} — {by} is better")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.margins(x=0.12, y=0.1)
        fig.subplots_adjust(left=0.12, right=0.72, bottom=0.12, top=0.9)
        fig.canvas.draw()
        n = len(front)
        step = max(1, -(-n // MAX_LABELS))
        rows = [row for i, (_, row) in enumerate(front.iterrows()) if i % step == 0 or i == n - 1]
        to_px = ax.transData.transform
        marks = [Bbox.from_extents(*(to_px((r["_x"], r["_y"])) - 4),
                                   *(to_px((r["_x"], r["_y"])) + 4)) for r in rows]
        place_labels(ax, [(r["_x"], r["_y"]) for r in rows], [_label(r, keys) for r in rows],
                     marks)
    return fig


def _ordered(values) -> list:
    vals = list(dict.fromkeys(values))
    try:
        return sorted(vals, key=float)
    except (TypeError, ValueError):
        return vals


def _compact(v: float) -> str:
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"


def heatmap_figure(df: pd.DataFrame, axes: Sequence[str], metric: str, a: str, b: str,
                   title: str, ratio: bool = False):
    """``metric`` over axes ``a`` (rows) × ``b`` (columns); other axes: their best (min) value,
    or max for utilisation.  ``ratio``: the values are relative to a baseline (1 = equal)."""
    from matplotlib.colors import TwoSlopeNorm

    higher_better = metrics.better(metric) == "higher"
    # axes that still vary within a cell (a zipped partner of a or b does not)
    others = [k for k in _varying(df, axes) if k not in (a, b)
              and df.groupby([a, b], sort=False)[k].nunique().max() > 1]
    agg = df.groupby([a, b], sort=False)[metric].agg("max" if higher_better else "min")
    ra, rb = _ordered(df[a]), _ordered(df[b])
    grid = np.full((len(ra), len(rb)), np.nan)
    for (va, vb), v in agg.items():
        grid[ra.index(va), rb.index(vb)] = v
    with style.rc():
        fig = style.figure(1.4 + 0.5 * max(4, len(ra)),
                           width=min(style.current().width, 1.6 + 0.9 * max(4, len(rb))))
        ax = fig.add_subplot()
        ax.grid(False)
        finite = grid[np.isfinite(grid)]
        if ratio and finite.size:
            d = max(1e-9, float(np.abs(finite - 1).max()))
            im = ax.imshow(grid, cmap="RdBu" if higher_better else "RdBu_r", aspect="auto",
                           origin="lower", norm=TwoSlopeNorm(1.0, 1 - d, 1 + d))
        else:
            im = ax.imshow(grid, cmap="viridis" if higher_better else "viridis_r",
                           aspect="auto", origin="lower")
        ax.set_xticks(range(len(rb)), [str(v) for v in rb])
        ax.set_yticks(range(len(ra)), [str(v) for v in ra])
        ax.set_xlabel(metrics.label(b))
        ax.set_ylabel(metrics.label(a))
        lo, hi = (finite.min(), finite.max()) if finite.size else (0, 0)
        for i in range(len(ra)):
            for j in range(len(rb)):
                v = grid[i, j]
                if not np.isfinite(v):
                    continue
                if ratio:
                    dark = abs(v - 1) > 0.6 * max(abs(lo - 1), abs(hi - 1))
                    text = f"{v:.3f}"
                else:
                    mid = (lo + hi) / 2
                    dark = (v > mid) if not higher_better else (v < mid)
                    text = _compact(v)
                ax.text(j, i, text, ha="center", va="center",
                        fontsize=style.current().rc.get("legend.fontsize", 8) * 0.9,
                        color="white" if dark else "black")
        cb = fig.colorbar(im, ax=ax)
        cb.set_label(f"{metrics.get(metric).label} relative to the baseline" if ratio else
                     metrics.label(metric))
        sub = (f" (best over {', '.join(others)})" if others else "")
        ax.set_title(title + sub, fontsize=9)
    return fig


def plot_sweep(results: str | os.PathLike, out_dir: str | os.PathLike, *, x: str = "time_ms",
               y: str = "energy", heatmap: str | None = None,
               axes: Sequence[str] | None = None, networks: Sequence[str] | None = None,
               label: Sequence[str] | None = None, baseline: str | None = None,
               pareto: bool = True, where: Sequence[str] = ()) -> list[Path]:
    """Pareto figure per network (and a heatmap per network); the paths written.

    ``baseline``: heatmaps show each network's metric divided by this network's at the same
    design point (e.g. v2's time over v1's).  ``where``: conditions such as ``area_mm2<=2.0``
    that every plotted point must meet (``apply_where``).  Files are written in the current
    figure style's formats (``report.style``)."""
    df, sweep_axes = read_results(results)
    df = apply_where(df, where, results)
    if df.empty:
        raise SweepError(f"--where: no design point meets {' and '.join(where)}",
                         file=os.fspath(results), field="--where")
    for m, what in ((x, "--x"), (y, "--y")):
        _check_metric(df, m, what, results)
    if heatmap:
        _check_metric(df, heatmap, "--heatmap", results)
    varying = _varying(df, sweep_axes)
    if axes:
        for a in axes:
            if a not in sweep_axes:
                raise SweepError(f"--axes: {a!r} is not an axis of this sweep (axes: "
                                 f"{', '.join(sweep_axes) or 'none'})", file=os.fspath(results),
                                 field="--axes")
        if axes[0] == axes[1]:
            raise SweepError("--axes: give two different axes", field="--axes")
    elif heatmap:
        if len(varying) < 2:
            raise SweepError("--heatmap needs two axes that vary in the results",
                             file=os.fspath(results), field="--heatmap")
        axes = varying[:2]
    for k in label or ():
        if k not in df.columns:
            raise SweepError(f"--label: unknown column {k!r}", field="--label")
    names = list(dict.fromkeys(df["network"]))
    if baseline is not None:
        if not heatmap:
            raise SweepError("--baseline applies to --heatmap", field="--baseline")
        if baseline not in names:
            raise SweepError(f"--baseline: {baseline!r} is not in the results (networks: "
                             f"{', '.join(names)})", field="--baseline")
        ref = df[df["network"] == baseline].set_index("point")[heatmap]
    if networks:
        missing = [n for n in networks if n not in names]
        if missing:
            raise SweepError(f"--network: {', '.join(missing)} not in the results (networks: "
                             f"{', '.join(names)})", field="--network")
        names = [n for n in names if n in networks]
    out_dir = Path(out_dir)
    written: list[Path] = []
    for name in names:
        sub = df[df["network"] == name]
        if sub.empty:
            continue
        if pareto:
            title = f"{name}: {metrics.get(y).label} vs {metrics.get(x).label.lower()}"
            if where:
                title += f" ({', '.join(w.replace(' ', '') for w in where)})"
            fig = pareto_figure(sub, sweep_axes, x, y, title, label)
            written += charts.save(fig, out_dir / f"pareto_{charts.slug(name)}")
        if heatmap and baseline is not None:
            if name == baseline:
                continue
            rel = sub.copy()
            rel[heatmap] = rel[heatmap].to_numpy(dtype=float) / ref.reindex(
                rel["point"]).to_numpy(dtype=float)
            rel = rel[np.isfinite(rel[heatmap])]
            fig = heatmap_figure(rel, sweep_axes, heatmap, axes[0], axes[1],
                                 f"{name}: {metrics.get(heatmap).label} ÷ {baseline}'s",
                                 ratio=True)
            written += charts.save(fig, out_dir / f"heatmap_{charts.slug(heatmap)}_"
                                   f"{charts.slug(name)}_vs_{charts.slug(baseline)}")
        elif heatmap:
            fig = heatmap_figure(sub, sweep_axes, heatmap, axes[0], axes[1],
                                 f"{name}: {metrics.get(heatmap).label}")
            written += charts.save(fig, out_dir / f"heatmap_{charts.slug(heatmap)}_"
                                   f"{charts.slug(name)}")
    return written


def default_plots(results: str | os.PathLike, out_dir: str | os.PathLike) -> list[Path]:
    """What ``sweep --plot`` draws: the energy-vs-time front and, when two axes vary, a heatmap
    of time over the first two."""
    df, axes = read_results(results)
    varying = _varying(df, axes)
    return plot_sweep(results, out_dir, heatmap="time_ms" if len(varying) >= 2 else None)
