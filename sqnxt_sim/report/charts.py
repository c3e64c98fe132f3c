"""Charts of simulation results, drawn in the one figure style (``report/style.py``).

Per-layer charts (cycles, energy, dataflows) leave out the layers that cost nothing (adds fused
into the convolution before them), colour each bar by the dataflow the layer ran (OS, WS, SIMD,
…: a hybrid run mixes them), label layer *groups* (``stage1``, ``fire2``, ``layer3``, derived
from the layer names) instead of every name, and split a wide network over several rows of axes
so that every bar keeps the same width at a page's width.  Legends sit outside the axes.  Axis
names and units come from ``sqnxt_sim.metrics``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .. import metrics
from . import style
from .style import FORMATS, SERIES, save  # noqa: F401  (charts.save is the historical API)

# One colour per memory level (energy): Paul Tol's colour-blind-safe "muted" scheme, chosen
# apart from the dataflow colours (report/style.py) that the band under energy bars uses, and
# distinguishable in grey print by lightness, with hatches as a second cue.
LEVELS = (("energy_mac", "#332288", ""),
          ("energy_rf", "#88CCEE", ""),
          ("energy_array", "#44AA99", "//"),
          ("energy_sram", "#DDCC77", ""),
          ("energy_dram", "#882255", "\\\\"))
STATIC = ("energy_static", "#BBBBBB", "..")   # drawn only when a table has leakage


def slug(text: str) -> str:
    """A file-name-safe form of a network or accelerator name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_").lower() or "chart"


# -- layer groups ----------------------------------------------------------------------------

def layer_group(name: str) -> str:
    """The group a layer belongs to, from its name: ``stage1.3/red1`` → ``stage1``,
    ``fire2/squeeze1x1`` → ``fire2``, ``conv1`` → ``conv1``."""
    head = name.split("/")[0]
    return head.split(".")[0] if "." in head else head


def layer_block(name: str) -> str:
    """The block within a group: ``stage1.3/red1`` → ``stage1.3``, ``layer2.1.conv1`` →
    ``layer2.1``, ``fire2/squeeze1x1`` → ``fire2``."""
    head = name.split("/")[0]
    return ".".join(head.split(".")[:2])


def layer_groups(names: Sequence[str]) -> list[tuple[str, int, int]]:
    """Consecutive runs of one group: (group, first index, last index + 1)."""
    runs: list[tuple[str, int, int]] = []
    for i, n in enumerate(names):
        g = layer_group(n)
        if runs and runs[-1][0] == g:
            runs[-1] = (g, runs[-1][1], i + 1)
        else:
            runs.append((g, i, i + 1))
    return runs


def _boundary(names: Sequence[str], i: int) -> int:
    """How strong a cut before layer ``i`` is: 2 between groups, 1 between blocks, 0 inside a
    block."""
    if i <= 0 or i >= len(names):
        return 2
    if layer_group(names[i]) != layer_group(names[i - 1]):
        return 2
    return 1 if layer_block(names[i]) != layer_block(names[i - 1]) else 0


def split_rows(names: Sequence[str], cap: int) -> list[tuple[int, int]]:
    """Index ranges [a, b) of at most ``cap`` layers each, as few rows as that allows and of
    about equal length, each cut moved to the nearest group boundary (else block boundary)
    within a quarter of a row."""
    n = len(names)
    if n <= cap:
        return [(0, n)]
    k = math.ceil(n / cap)
    rows: list[tuple[int, int]] = []
    a = 0
    for r in range(k - 1):
        target = a + math.ceil((n - a) / (k - r))
        slack = max(1, (target - a) // 4)
        best = target
        for strength in (2, 1):
            cands = [c for c in range(target - slack, target + slack + 1)
                     if a < c < n and c - a <= cap and n - c <= cap * (k - r - 1)
                     and _boundary(names, c) >= strength]
            if cands:
                best = min(cands, key=lambda c: (abs(c - target), c))
                break
        rows.append((a, best))
        a = best
    rows.append((a, n))
    return rows


def _row_cap() -> int:
    """Layers per row of axes: about six bars per inch of figure width."""
    return max(12, int(style.current().width * 6.2))


def _scale(vmax: float) -> tuple[float, str]:
    """A power-of-1000 divisor and its prefix (``"10³ "``) for values up to ``vmax``."""
    if not vmax or vmax <= 0 or not math.isfinite(vmax):
        return 1.0, ""
    e = max(0, int(math.floor(math.log10(vmax) / 3)) * 3)   # never scale small values up
    sup = str(e).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    return (10.0 ** e, f"10{sup} ") if e else (1.0, "")


def axis_label(key: str, prefix: str = "") -> str:
    """``metrics.label`` with a power-of-ten prefix on the unit: ``Cycles (10³ cycles)``."""
    u = metrics.unit(key)
    name = metrics.get(key).label
    if prefix:
        return f"{name} ({prefix}{u})" if u else f"{name} (×{prefix.strip()})"
    return f"{name} ({u})" if u else name


def _live(layers, *others) -> list[int]:
    """Row positions of the layers that cost cycles in any of the results (fused adds cost
    nothing in every run and are left out)."""
    keep = []
    for i, c in enumerate(layers["cycles"]):
        if c > 0 or any(o["cycles"].iloc[i] > 0 for o in others):
            keep.append(i)
    return keep


def _text_fits(ax, text: str, slots: int, cap: int, fontsize: float) -> bool:
    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    return len(text) * 0.6 * fontsize <= slots * width_pt / cap


def _layer_axis(ax, names: Sequence[str], cap: int) -> None:
    """x axis of one row: bar slots for ``cap`` layers; group names centred under their
    layers (every name when each layer is its own group), group separators solid, block
    separators dotted."""
    n = len(names)
    ax.set_xlim(-0.6, cap - 0.4)
    ax.tick_params(axis="x", length=0)
    runs = layer_groups(names)
    fs = style.current().rc.get("xtick.labelsize", 8)
    ticks, labels, rotate = [], [], []
    for g, a, b in runs:
        ticks.append((a + b - 1) / 2)
        labels.append(g)
        rotate.append(not _text_fits(ax, g, b - a, cap, fs))
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels)
    for lab, rot in zip(ax.get_xticklabels(), rotate):
        if rot:
            lab.set_rotation(90)
            lab.set_fontsize(fs * 0.85)
    for _g, a, _b in runs[1:]:
        ax.axvline(a - 0.5, color="#666666", lw=0.6, zorder=0.5)
    for i in range(1, n):
        if layer_group(names[i]) == layer_group(names[i - 1]) and \
                layer_block(names[i]) != layer_block(names[i - 1]):
            ax.axvline(i - 0.5, color="#aaaaaa", lw=0.5, ls=":", zorder=0.5)


def _rows_figure(n_rows: int, row_height: float | None = None):
    s = style.current()
    h = row_height or (1.75 if s.name == "paper" else 2.3)
    fig = style.figure(0.9 + h * n_rows)
    fig.set_layout_engine("constrained")
    axes = fig.subplots(n_rows, 1, squeeze=False)[:, 0]
    return fig, list(axes)


def _layer_rows(names: list[str]):
    """The per-layer charts' layout: the layers split into rows of at most ``_row_cap()`` bars
    (``(start, end)`` each), the widest row's bar count, and a figure with one axes per row."""
    rows = split_rows(names, _row_cap())
    fig, axes = _rows_figure(len(rows))
    return rows, max(b - a for a, b in rows), fig, axes


def _legend_above(fig, handles, labels, ncol: int | None = None) -> None:
    """The figure's legend outside every axes, under the plots."""
    fig.legend(handles, labels, loc="outside lower center",
               ncol=ncol or min(len(labels), 4), handlelength=1.6, columnspacing=1.2)


def _dataflow_handles(dataflows: Iterable[str]):
    from matplotlib.patches import Patch

    seen = list(dict.fromkeys(d for d in dataflows if d != "fused"))
    out = []
    for d in seen:
        colour, hatch, label = style.dataflow_style(d)
        out.append((Patch(facecolor=colour, hatch=hatch, edgecolor="white", lw=0), label))
    return out


def _dataflow_strip(ax, xs: Sequence[float], dataflows: Sequence[str]) -> None:
    """A thin band just under the axes, one cell per bar, coloured by the layer's dataflow."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import blended_transform_factory

    tr = blended_transform_factory(ax.transData, ax.transAxes)
    rects, colours = [], []
    for x, d in zip(xs, dataflows):
        rects.append(Rectangle((x - 0.45, -0.045), 0.9, 0.035))
        colours.append(style.dataflow_style(d)[0])
    ax.add_collection(PatchCollection(rects, facecolors=colours, edgecolors="none",
                                      transform=tr, clip_on=False), autolim=False)
    ax.tick_params(axis="x", pad=7)


# -- per-layer charts ------------------------------------------------------------------------

def cycles_chart(result, title: str | None = None):
    """Per-layer cycles, one bar per layer coloured by the dataflow it ran: compute solid,
    DRAM stalls light and hatched on top; PE utilisation on the right axis."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    L = result.layers
    keep = _live(L)
    names = [L["name"].iloc[i] for i in keep]
    with style.rc():
        rows, cap, fig, axes = _layer_rows(names)
        div, pre = _scale(float(L["cycles"].max()))
        for ax, (a, b) in zip(axes, rows):
            idx = keep[a:b]
            xs = list(range(b - a))
            dfs = [L["dataflow"].iloc[i] for i in idx]
            cols = [style.dataflow_style(d)[0] for d in dfs]
            comp = [L["compute_cycles"].iloc[i] / div for i in idx]
            stall = [L["stall_cycles"].iloc[i] / div for i in idx]
            ax.bar(xs, comp, width=0.8, color=cols, lw=0)
            ax.bar(xs, stall, width=0.8, bottom=comp, color=cols, alpha=0.35, hatch="////",
                   edgecolor="white", lw=0)
            _layer_axis(ax, names[a:b], cap)
            ax2 = ax.twinx()
            ax2.plot(xs, [100 * L["utilization"].iloc[i] for i in idx], color="#333333",
                     lw=0.6, marker=".", ms=2, alpha=0.8)
            ax2.set_ylim(0, 105)
            ax2.set_xlim(ax.get_xlim())
            ax2.grid(False)
            ax2.spines["right"].set_visible(True)
            ax2.set_ylabel(metrics.label("utilization") + " (%)")
            ax.set_ylabel(axis_label("cycles", pre))
        handles = _dataflow_handles(L["dataflow"].iloc[keep])
        handles.append((Patch(facecolor="#777777", alpha=0.35, hatch="////",
                              edgecolor="white", lw=0), "DRAM-stall part"))
        handles.append((Line2D([], [], color="#333333", lw=0.6, marker=".", ms=2),
                        "PE utilisation (right axis)"))
        _legend_above(fig, *zip(*handles), ncol=min(len(handles), 3))
        s = result.summary
        fig.suptitle(title or f"{result.network} on {result.accelerator.name}: cycles per "
                     f"layer (total {s['cycles']:,} cycles = {s['time_ms']:.3f} ms)")
    return fig


def energy_chart(result, title: str | None = None):
    """Per-layer energy stacked by memory level; the band under each bar is the dataflow the
    layer ran."""
    from matplotlib.patches import Patch

    L = result.layers
    keep = _live(L)
    names = [L["name"].iloc[i] for i in keep]
    with style.rc():
        rows, cap, fig, axes = _layer_rows(names)
        div, pre = _scale(float(L["energy"].max()))
        levels = (*LEVELS, STATIC) if "energy_static" in L and L["energy_static"].any() \
            else LEVELS
        for ax, (a, b) in zip(axes, rows):
            idx = keep[a:b]
            xs = list(range(b - a))
            bottom = [0.0] * len(idx)
            for col, colour, hatch in levels:
                vals = [L[col].iloc[i] / div for i in idx]
                ax.bar(xs, vals, width=0.8, bottom=bottom, color=colour, hatch=hatch,
                       edgecolor="white", lw=0)
                bottom = [p + v for p, v in zip(bottom, vals)]
            _layer_axis(ax, names[a:b], cap)
            _dataflow_strip(ax, xs, [L["dataflow"].iloc[i] for i in idx])
            ax.set_ylabel(axis_label("energy", pre))
        handles = [(Patch(facecolor=c, hatch=h, edgecolor="white", lw=0), metrics.get(k).label)
                   for k, c, h in levels]
        handles += [(p, f"band: {lab}") for p, lab in _dataflow_handles(L["dataflow"].iloc[keep])]
        _legend_above(fig, *zip(*handles), ncol=min(len(handles), 4))
        s = result.summary
        fig.suptitle(title or f"{result.network} on {result.accelerator.name}: energy per "
                     f"layer by level (total {s['energy']:.4g} "
                     f"{metrics.unit('energy')})")
    return fig


def dataflow_chart(results: Mapping[str, object], title: str | None = None):
    """Per-layer cycles of one network under several dataflows (keys ``os``, ``ws``,
    ``hybrid``, …): the hybrid run (or the last) as bars coloured by the dataflow each layer
    chose, the others as markers; log scale."""
    from matplotlib.lines import Line2D

    first = next(iter(results.values()))
    bars_key = "hybrid" if "hybrid" in results else list(results)[-1]
    L = results[bars_key].layers
    keep = _live(L, *(r.layers for r in results.values()))
    names = [L["name"].iloc[i] for i in keep]
    markers = {"os": "o", "ws": "s"}
    with style.rc():
        rows, cap, fig, axes = _layer_rows(names)
        for ax, (a, b) in zip(axes, rows):
            idx = keep[a:b]
            xs = list(range(b - a))
            cyc = [L["cycles"].iloc[i] or float("nan") for i in idx]
            ax.bar(xs, cyc, width=0.8, lw=0, alpha=0.55,
                   color=[style.dataflow_style(L["dataflow"].iloc[i])[0] for i in idx])
            for j, (df, r) in enumerate(results.items()):
                if df == bars_key:
                    continue
                c = [r.layers["cycles"].iloc[i] or float("nan") for i in idx]
                ax.plot(xs, c, ls="none", marker=markers.get(df, "^v<>"[j % 4]), ms=3,
                        mfc="none", mec=style.dataflow_style(df)[0], mew=0.8)
            ax.set_yscale("log")
            ax.set_ylabel(metrics.get("cycles").label + " (log scale)")
            _layer_axis(ax, names[a:b], cap)
        handles = [(p, f"{bars_key} bar, layer ran {lab.split(' ')[0]}")
                   for p, lab in _dataflow_handles(L["dataflow"].iloc[keep])]
        for j, df in enumerate(results):
            if df != bars_key:
                handles.append((Line2D([], [], ls="none", marker=markers.get(df, "^v<>"[j % 4]),
                                       mfc="none", mec=style.dataflow_style(df)[0], mew=0.8),
                                f"{df.upper()} only"))
        _legend_above(fig, *zip(*handles), ncol=min(len(handles), 4))
        totals = ", ".join(f"{df} {r.summary['cycles']:,}" for df, r in results.items())
        fig.suptitle(title or f"{first.network} on {first.accelerator.name}: cycles per layer "
                     f"by dataflow (totals: {totals})")
    return fig


def metric_chart(result, metric: str, title: str | None = None):
    """Any per-layer column (``macs``, ``utilization``, ``dram_read_bytes``, …) as one bar per
    layer coloured by the dataflow it ran, laid out like ``cycles_chart``."""
    L = result.layers
    keep = _live(L)
    names = [L["name"].iloc[i] for i in keep]
    pct = metric == "utilization"
    with style.rc():
        rows, cap, fig, axes = _layer_rows(names)
        div, pre = (1.0, "") if pct else _scale(float(L[metric].max()))
        for ax, (a, b) in zip(axes, rows):
            idx = keep[a:b]
            vals = [float(L[metric].iloc[i]) * (100 if pct else 1) / div for i in idx]
            ax.bar(range(b - a), vals, width=0.8, lw=0,
                   color=[style.dataflow_style(L["dataflow"].iloc[i])[0] for i in idx])
            _layer_axis(ax, names[a:b], cap)
            ax.set_ylabel(metrics.label(metric) + " (%)" if pct else axis_label(metric, pre))
        _legend_above(fig, *zip(*_dataflow_handles(L["dataflow"].iloc[keep])))
        fig.suptitle(title or f"{result.network} on {result.accelerator.name}: "
                     f"{metrics.get(metric).label} per layer")
    return fig


def _group_totals(results: Mapping[str, object], metric: str):
    tables = {}
    for label, r in results.items():
        L = r.layers
        tables[label] = L.groupby(L["name"].map(layer_group), sort=False)[metric].sum()
    order: list[str] = []
    for g in tables.values():
        for k in g.index:
            if k not in order:
                order.append(k)
    return tables, order


def variants_chart(results: Mapping[str, object], title: str | None = None,
                   metric: str = "cycles"):
    """Several networks (e.g. the SqueezeNext v1–v5 variants) side by side: ``metric`` summed
    per layer group (stem, stages, head), one bar per network within each group, the networks'
    totals in the legend."""
    from matplotlib.patches import Patch

    tables, order = _group_totals(results, metric)
    order = [g for g in order if any(float(t.get(g, 0.0)) > 0 for t in tables.values())]
    labels = list(tables)
    k = len(labels)
    width = 0.84 / max(k, 1)
    vmax = max(float(t.max()) for t in tables.values())
    div, pre = _scale(vmax)
    hatches = ("", "//", "..", "\\\\", "xx", "--", "++", "oo")
    with style.rc():
        fig = style.figure(3.6 if style.current().name == "paper" else 4.6)
        fig.set_layout_engine("constrained")
        ax = fig.add_subplot()
        handles = []
        for j, lab in enumerate(labels):
            xs = [i + (j - (k - 1) / 2) * width for i in range(len(order))]
            vals = [float(tables[lab].get(g, 0.0)) / div for g in order]
            colour = SERIES[(j + 1) % len(SERIES)]
            hatch = hatches[j % len(hatches)]
            ax.bar(xs, vals, width=width * 0.95, color=colour, hatch=hatch, edgecolor="white",
                   lw=0)
            total = float(tables[lab].sum())
            tot = f"{total:,.0f}" if metric == "cycles" else f"{total:.4g}"
            handles.append((Patch(facecolor=colour, hatch=hatch, edgecolor="white", lw=0),
                            f"{lab}: {tot}"))
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order)
        ax.set_xlim(-0.6, len(order) - 0.4)
        ax.set_xlabel("layer group (in network order)")
        ax.set_ylabel(axis_label(metric, pre))
        _legend_above(fig, *zip(*handles), ncol=min(k, 3))
        fig.suptitle(title or f"{metrics.get(metric).label} by layer group")
    return fig


def groups_chart(results: Mapping[str, object], metric: str = "cycles",
                 title: str | None = None):
    """One stacked bar per network: ``metric`` summed over layer groups (stem, stages, head),
    with each segment labelled by its share."""
    tables, order = _group_totals(results, metric)
    vmax = max(float(g.sum()) for g in tables.values())
    div, pre = _scale(vmax)
    with style.rc():
        fig = style.figure(3.6 if style.current().name == "paper" else 4.8,
                           width=min(style.current().width, max(6.0, 1.2 * len(tables) + 3)))
        fig.set_layout_engine("constrained")
        ax = fig.add_subplot()
        labels = list(tables)
        bottom = [0.0] * len(labels)
        fs = style.current().rc.get("legend.fontsize", 8) * 0.85
        for i, grp in enumerate(order):
            vals = [float(tables[lab].get(grp, 0.0)) / div for lab in labels]
            colour = SERIES[(i + 1) % len(SERIES)] if i < 7 else f"C{i % 10}"
            bars = ax.bar(range(len(labels)), vals, bottom=bottom, width=0.6, color=colour,
                          edgecolor="white", lw=0.5, label=grp)
            for b, v, tot in zip(bars, vals, (float(t.sum()) / div for t in tables.values())):
                if tot and v / tot >= 0.06:
                    ax.text(b.get_x() + b.get_width() / 2, b.get_y() + v / 2,
                            f"{grp} {100 * v / tot:.0f}%", ha="center", va="center",
                            fontsize=fs, color="white")
            bottom = [a + v for a, v in zip(bottom, vals)]
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels)
        ax.set_ylabel(axis_label(metric, pre))
        fig.legend(loc="outside right center", title="layer group")
        fig.suptitle(title or f"{metrics.get(metric).label} by layer group")
    return fig


def comparison_chart(rows, title: str | None = None, columns: Sequence[str] = ("time_ms",
                                                                              "energy")):
    """Network-level bars of ``columns`` (default time and energy) side by side.

    ``rows``: a DataFrame (or records) with columns ``network``, the metrics and optionally
    ``accelerator`` (one bar per accelerator within each network group)."""
    import pandas as pd
    from matplotlib.patches import Patch

    df = pd.DataFrame(rows)
    if "accelerator" not in df:
        df["accelerator"] = ""
    nets = list(dict.fromkeys(df["network"]))
    accs = list(dict.fromkeys(df["accelerator"]))
    width = 0.8 / len(accs)
    fs = None
    with style.rc():
        fig = style.figure(3.4 if style.current().name == "paper" else 4.8)
        fig.set_layout_engine("constrained")
        axes = fig.subplots(1, len(columns), squeeze=False)[0]
        fs = style.current().rc.get("legend.fontsize", 8) * 0.8
        for ax, col in zip(axes, columns):
            div, pre = _scale(float(df[col].max())) if col != "time_ms" else (1.0, "")
            for j, acc in enumerate(accs):
                sub = df[df["accelerator"] == acc].set_index("network")
                vals = [float(sub[col].get(nw, float("nan"))) / div for nw in nets]
                xs = [i + (j - (len(accs) - 1) / 2) * width for i in range(len(nets))]
                bars = ax.bar(xs, vals, width=width * 0.95, color=SERIES[(j + 1) % len(SERIES)],
                              hatch="" if j % 2 == 0 else "//", edgecolor="white", lw=0)
                ax.bar_label(bars, fmt="%.3g", fontsize=fs, padding=2, rotation=90)
            ax.set_xticks(range(len(nets)))
            ax.set_xticklabels(nets, rotation=35, ha="right")
            ax.set_ylabel(axis_label(col, pre))
            ax.set_title(f"{metrics.get(col).label} per inference")
            ax.margins(y=0.12)
        if len(accs) > 1 or accs[0]:
            handles = [(Patch(facecolor=SERIES[(j + 1) % len(SERIES)],
                              hatch="" if j % 2 == 0 else "//", edgecolor="white", lw=0), acc)
                       for j, acc in enumerate(accs)]
            _legend_above(fig, *zip(*handles))
        if title:
            fig.suptitle(title)
    return fig


# -- one call per use ------------------------------------------------------------------------

def run_charts(result, out_dir: str | os.PathLike, formats: Iterable[str] | None = None,
               stem: str | None = None) -> list[Path]:
    """The per-layer charts of one run (``sqnxt-sim run … --plot DIR``), named
    ``<network>__<stem>__cycles`` (``stem``: the accelerator's file stem; default its name)."""
    base = f"{slug(result.network)}__{slug(stem or result.accelerator.name)}"
    out = Path(out_dir)
    paths = []
    paths += save(cycles_chart(result), out / f"{base}__cycles", formats)
    paths += save(energy_chart(result), out / f"{base}__energy", formats)
    return paths
