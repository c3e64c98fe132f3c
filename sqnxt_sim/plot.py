"""Figures from Python: every function returns a matplotlib ``Figure`` and writes nothing.

::

    import sqnxt_sim
    from sqnxt_sim import plot
    r = sqnxt_sim.simulate(sqnxt_sim.load_network("networks/sqnxt23.yaml"),
                           sqnxt_sim.load_accelerator("accelerators/squeezelerator_32x32.yaml"))
    fig = plot.layers(r)                      # shows inline in Jupyter
    plot.save(fig, "figs/sqnxt23_cycles")     # PNG, SVG and PDF, byte-for-byte reproducible
    with plot.style("paper", figsize=(3.5, 2.6)):
        plot.save(plot.energy(r), "figs/sqnxt23_energy", formats=("pdf",))

The figures are the command line's (``run --plot``, ``report``, ``plot-sweep``), drawn in the
style of ``report/style.py`` (``screen`` by default; ``paper`` inside ``plot.style("paper")``).
Axis names and units come from ``sqnxt_sim.metrics``.  See docs/output.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .report import charts as _charts
from .report import style as _style

FORMATS = _style.FORMATS


def style(name: str = "screen", *, figsize: tuple[float, float] | None = None,
          dpi: int | None = None, formats: Iterable[str] | None = None):
    """A context manager: figures drawn and saved inside it use this style (``screen`` or
    ``paper``), size in inches, dpi and default file formats."""
    return _style.use(name, figsize=figsize, dpi=dpi, formats=formats)


def layers(result, metric: str = "cycles", title: str | None = None):
    """Per-layer bars of ``metric``, coloured by the dataflow each layer ran; ``cycles``
    stacks compute and DRAM stalls (with PE utilisation), ``energy`` stacks the memory levels,
    any other per-layer column is drawn as plain bars."""
    if metric == "cycles":
        return _charts.cycles_chart(result, title)
    if metric == "energy":
        return _charts.energy_chart(result, title)
    if metric not in result.layers.columns:
        raise ValueError(f"unknown per-layer column {metric!r}")
    return _charts.metric_chart(result, metric, title)


def energy(result, title: str | None = None):
    """Per-layer energy by memory level, with each layer's dataflow as a band under its bar."""
    return _charts.energy_chart(result, title)


def variants(results: Mapping[str, object], metric: str = "cycles", title: str | None = None):
    """Several networks (e.g. SqueezeNext v1–v5; ``{label: Result}``): ``metric`` per layer
    group, one bar per network in each group."""
    return _charts.variants_chart(results, title, metric=metric)


def groups(results: Mapping[str, object], metric: str = "cycles", title: str | None = None):
    """One stacked bar per network: ``metric`` by layer group, each segment's share shown."""
    return _charts.groups_chart(results, metric, title)


def dataflows(results, accelerator=None, which: Sequence[str] = ("os", "ws", "hybrid"),
              title: str | None = None):
    """Per-layer cycles of one network under several dataflows.  ``results``: a mapping
    ``{dataflow: Result}``, or a ``Network`` to simulate on ``accelerator`` with each dataflow
    in ``which``."""
    if not isinstance(results, Mapping):
        from .simulate import simulate
        if accelerator is None:
            raise ValueError("dataflows(network, accelerator): give the accelerator")
        results = {df: simulate(results, accelerator.with_dataflow(df)) for df in which}
    return _charts.dataflow_chart(results, title)


def comparison(frame, metrics: Sequence[str] = ("time_ms", "energy"), title: str | None = None):
    """Bars of ``metrics`` per network (a DataFrame with ``network``, the metrics and
    optionally ``accelerator``: one bar per accelerator in each network's group)."""
    return _charts.comparison_chart(frame, title, columns=metrics)


def _sweep_axes(df) -> list[str]:
    cols = list(df.columns)
    if cols[:2] == ["point", "network"] and "cycles" in cols:
        return cols[2:cols.index("cycles")]
    return []


def pareto(df, x: str = "time_ms", y: str = "energy", *, label: Sequence[str] | None = None,
           where: Sequence[str] = (), title: str | None = None):
    """A sweep's ``y`` against ``x`` with the Pareto front (each axis minimised or maximised as
    ``metrics.better`` says), points labelled by the sweep's varying axes (or ``label``)
    without overlaps.  ``where``: conditions such as ``"area_mm2<=2.0"``."""
    from .metrics import get
    from .sweep import plots

    df = plots.apply_where(df, where)
    title = title or f"{get(y).label} vs {get(x).label.lower()}"
    return plots.pareto_figure(df, _sweep_axes(df), x, y, title, label)


def heatmap(df, metric: str, a: str, b: str, *, title: str | None = None):
    """``metric`` over sweep axes ``a`` (rows) × ``b`` (columns), the best value over any other
    axis in each cell."""
    from .metrics import get
    from .sweep import plots

    return plots.heatmap_figure(df, _sweep_axes(df), metric, a, b, title or get(metric).label)


def save(fig, base: str | os.PathLike, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``fig`` to ``base.png``, ``base.svg`` and ``base.pdf`` (or ``formats``); the
    files are byte-for-byte reproducible.  Returns the paths written."""
    return _style.save(fig, base, formats)


__all__ = ["FORMATS", "comparison", "dataflows", "energy", "groups", "heatmap", "layers",
           "pareto", "save", "style", "variants"]
