"""Charts of simulation results: PNG and SVG, byte-for-byte reproducible.

Every chart is drawn on a bare ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, so no
global state and no GUI backend), inside one fixed style so that a user's matplotlibrc cannot
change the output.  ``save`` strips the metadata that would vary from run to run (creation date,
software version) and fixes the SVG id salt.

Per-layer charts of networks with more than a hundred layers (SqueezeNext has 135) use a wide
figure, every-nth rotated layer labels, and light separators with labels between layer groups
(``stage1``, ``fire2``, …), derived from the layer names.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before any other matplotlib import: never a GUI backend

import matplotlib.style  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

FORMATS = ("png", "svg")
DPI = 110

# One colour per memory level (energy) and per dataflow; colour-blind-safe (Okabe–Ito) and
# distinguishable in grey print by lightness, with hatches as a second cue.
LEVELS = (("energy_mac", "MAC", "#0072B2", ""),
          ("energy_rf", "register file", "#56B4E9", ""),
          ("energy_array", "inter-PE array", "#009E73", "//"),
          ("energy_sram", "global buffer", "#E69F00", ""),
          ("energy_dram", "DRAM", "#D55E00", "\\\\"))
DATAFLOW_STYLE = {"os": ("#0072B2", "o", "OS (output-stationary)"),
                  "ws": ("#D55E00", "s", "WS (weight-stationary)"),
                  "hybrid": ("#999999", "", "hybrid (faster per layer)")}
SERIES = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
          "#F0E442")

STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 7, "ytick.labelsize": 8, "axes.grid": True, "axes.grid.axis": "y",
    "grid.alpha": 0.35, "axes.spines.top": False, "axes.axisbelow": True,
    "svg.hashsalt": "sqnxt-sim", "svg.fonttype": "path", "path.simplify": False,
    "savefig.dpi": DPI,
}


@contextmanager
def _style():
    with matplotlib.style.context("default"), matplotlib.rc_context(STYLE):
        yield


def _metadata(fmt: str) -> dict:
    if fmt == "svg":
        return {"Date": None, "Creator": None, "Format": None, "Type": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}
    if fmt == "png":
        return {"Software": None}
    return {}


def save(fig: Figure, base: str | os.PathLike, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``fig`` to ``base.<fmt>`` for every format; return the paths written."""
    from .outputs import ensure_dir, write_with

    base = Path(base)
    ensure_dir(base.parent)
    FigureCanvasAgg(fig)
    out = []
    for fmt in formats:
        path = base.with_name(f"{base.name}.{fmt}")

        def draw(tmp: str, fmt=fmt) -> None:
            with _style():
                fig.savefig(tmp, format=fmt, metadata=_metadata(fmt), bbox_inches="tight")

        write_with(path, draw, f".{fmt}")   # a temporary file renamed into place
        out.append(path)
    return out


def slug(text: str) -> str:
    """A file-name-safe form of a network or accelerator name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_").lower() or "chart"


# -- layer axis ------------------------------------------------------------------------------

def layer_group(name: str) -> str:
    """The group a layer belongs to, from its name: ``stage1.3/red1`` → ``stage1``,
    ``fire2/squeeze1x1`` → ``fire2``, ``conv1`` → ``conv1``."""
    head = name.split("/")[0]
    return head.split(".")[0] if "." in head else head


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


def _figure_width(n: int) -> float:
    return max(7.5, min(22.0, 2.5 + 0.14 * n))


def _layer_axis(ax, names: Sequence[str], *, label_groups: bool = True) -> None:
    """Layer names on x (every n-th when crowded), group separators and group labels."""
    n = len(names)
    step = max(1, math.ceil(n / 60))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([names[i] for i in ticks], rotation=90,
                       fontsize=7 if n <= 40 else 5.5, family="monospace")
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_xlabel("layer" + (f" (one name in {step} shown)" if step > 1 else ""))
    runs = layer_groups(names)
    if not label_groups or len(runs) == n:
        return
    big = [r for r in runs if r[2] - r[1] >= max(3, n // 40)]
    for _g, a, _b in runs[1:]:
        ax.axvline(a - 0.5, color="#777777", lw=0.6, ls=":", zorder=0.5)
    trans = ax.get_xaxis_transform()
    for g, a, b in big:
        ax.text((a + b - 1) / 2, 1.0, g, transform=trans, ha="center", va="bottom",
                fontsize=7, color="#444444")


def _scale(vmax: float) -> tuple[float, str]:
    """A power-of-1000 divisor and its label for an axis whose largest value is ``vmax``."""
    if vmax <= 0:
        return 1.0, ""
    e = int(math.floor(math.log10(vmax) / 3)) * 3
    return (10.0 ** e, rf"$\times 10^{{{e}}}$") if e else (1.0, "")


def _unit(label: str, scale: str) -> str:
    return f"{label} [{scale}]" if scale else label


# -- per-layer charts ------------------------------------------------------------------------

def cycles_chart(result, title: str | None = None) -> Figure:
    """Per-layer stacked bars of compute and DRAM-stall cycles; PE utilisation on a second
    axis."""
    L = result.layers
    names = list(L["name"])
    n = len(names)
    x = range(n)
    with _style():
        fig = Figure(figsize=(_figure_width(n), 5.2))
        ax = fig.add_subplot()
        div, sc = _scale(float(L["cycles"].max()))
        ax.bar(x, L["compute_cycles"] / div, width=0.8, color="#0072B2", label="compute cycles")
        ax.bar(x, L["stall_cycles"] / div, width=0.8, bottom=L["compute_cycles"] / div,
               color="#E69F00", hatch="//", edgecolor="white", lw=0, label="DRAM-stall cycles")
        ax.set_ylabel(_unit("cycles", sc))
        _layer_axis(ax, names)
        ax2 = ax.twinx()
        util = [100 * u if c > 0 else float("nan") for u, c in zip(L["utilization"], L["cycles"])]
        ax2.plot(list(x), util, color="#000000", lw=0.9, marker=".", ms=3,
                 label="PE utilisation")
        ax2.set_ylabel("PE utilisation [%]")
        ax2.set_ylim(0, 105)
        ax2.grid(False)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper right", framealpha=0.9)
        s = result.summary
        ax.set_title(title or f"{result.network} on {result.accelerator.name}: cycles per layer "
                     f"(total {s['cycles']:,} = {s['time_ms']:.3f} ms)", pad=14)
        fig.tight_layout()
    return fig


def energy_chart(result, title: str | None = None) -> Figure:
    """Per-layer stacked bars of energy by memory level (MAC-normalised units)."""
    L = result.layers
    names = list(L["name"])
    n = len(names)
    with _style():
        fig = Figure(figsize=(_figure_width(n), 5.2))
        ax = fig.add_subplot()
        div, sc = _scale(float(L["energy"].max()))
        bottom = [0.0] * n
        for col, label, colour, hatch in LEVELS:
            vals = list(L[col] / div)
            ax.bar(range(n), vals, width=0.8, bottom=bottom, color=colour, hatch=hatch,
                   edgecolor="white", lw=0, label=label)
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_ylabel(_unit("energy, MAC-normalised units", sc))
        _layer_axis(ax, names)
        ax.legend(loc="upper right", framealpha=0.9)
        s = result.summary
        ax.set_title(title or f"{result.network} on {result.accelerator.name}: energy per layer "
                     f"by level (total {s['energy']:.4g})", pad=14)
        fig.tight_layout()
    return fig


def dataflow_chart(results: Mapping[str, object], title: str | None = None) -> Figure:
    """Per-layer cycles of one network under several dataflows (keys ``os``, ``ws``,
    ``hybrid``): hybrid as grey bars, the single dataflows as markers, log scale."""
    first = next(iter(results.values()))
    names = list(first.layers["name"])
    n = len(names)
    with _style():
        fig = Figure(figsize=(_figure_width(n), 5.2))
        ax = fig.add_subplot()
        for df, r in results.items():
            colour, marker, label = DATAFLOW_STYLE.get(df, ("#000000", "x", df))
            cyc = [c if c > 0 else float("nan") for c in r.layers["cycles"]]
            label = f"{label}: {r.summary['cycles']:,} cycles"
            if df == "hybrid":
                ax.bar(range(n), cyc, width=0.8, color=colour, alpha=0.6, label=label)
            else:
                ax.plot(range(n), cyc, ls="none", marker=marker, ms=3.5, mfc="none",
                        mec=colour, mew=0.9, label=label)
        ax.set_yscale("log")
        ax.set_ylabel("cycles (log scale)")
        _layer_axis(ax, names)
        ax.legend(loc="upper right", framealpha=0.9)
        ax.set_title(title or f"{first.network} on {first.accelerator.name}: cycles per layer "
                     "by dataflow", pad=14)
        fig.tight_layout()
    return fig


def variants_chart(results: Mapping[str, object], title: str | None = None) -> Figure:
    """Per-layer cycles of several networks with the same number of layers (e.g. the
    SqueezeNext v1–v5 variants) on one chart, as step lines over the layer index."""
    with _style():
        n = max(len(r.layers) for r in results.values())
        fig = Figure(figsize=(_figure_width(n), 5.2))
        ax = fig.add_subplot()
        for i, (label, r) in enumerate(results.items()):
            # a fused layer costs 0 cycles: a gap in the line, not a drop to the log axis' floor
            cyc = [c if c > 0 else float("nan") for c in r.layers["cycles"]]
            ax.step(range(len(cyc)), cyc, where="mid", color=SERIES[i % len(SERIES)],
                    lw=1.0 if i else 1.4, alpha=0.9,
                    label=f"{label}: {r.summary['cycles']:,} cycles")
        ax.set_yscale("log")
        ax.set_ylabel("cycles (log scale)")
        ax.set_xlim(-0.7, n - 0.3)
        ax.set_xlabel("layer index (0 = first convolution; gaps: layers fused into the "
                      "previous one, 0 cycles)")
        ax.set_xticks(range(0, n, 5))
        ax.legend(loc="upper right", framealpha=0.9)
        ax.set_title(title or "cycles per layer", pad=8)
        fig.tight_layout()
    return fig


def groups_chart(results: Mapping[str, object], metric: str = "cycles",
                 title: str | None = None) -> Figure:
    """One stacked bar per network: ``metric`` summed over layer groups (stem, stages, head),
    with each segment labelled by its share."""
    tables = {}
    for label, r in results.items():
        L = r.layers
        g = L.groupby(L["name"].map(layer_group), sort=False)[metric].sum()
        tables[label] = g
    order: list[str] = []
    for g in tables.values():
        for k in g.index:
            if k not in order:
                order.append(k)
    vmax = max(float(g.sum()) for g in tables.values())
    div, sc = _scale(vmax)
    with _style():
        fig = Figure(figsize=(max(6.5, 1.3 * len(tables) + 3), 5.2))
        ax = fig.add_subplot()
        labels = list(tables)
        bottom = [0.0] * len(labels)
        for i, grp in enumerate(order):
            vals = [float(tables[lab].get(grp, 0.0)) / div for lab in labels]
            colour = SERIES[(i + 1) % len(SERIES)] if i < 7 else f"C{i % 10}"
            bars = ax.bar(range(len(labels)), vals, bottom=bottom, width=0.6, color=colour,
                          edgecolor="white", lw=0.5, label=grp)
            for b, v, tot in zip(bars, vals, (float(t.sum()) / div for t in tables.values())):
                if tot and v / tot >= 0.06:
                    ax.text(b.get_x() + b.get_width() / 2, b.get_y() + v / 2,
                            f"{grp} {100 * v / tot:.0f}%", ha="center", va="center",
                            fontsize=6.5, color="white")
            bottom = [a + v for a, v in zip(bottom, vals)]
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, fontsize=8)
        what = {"cycles": "cycles", "energy": "energy, MAC-normalised units"}.get(metric, metric)
        ax.set_ylabel(_unit(what, sc))
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), framealpha=0.9)
        ax.set_title(title or f"{metric} by layer group", pad=8)
        fig.tight_layout()
    return fig


def comparison_chart(rows, title: str | None = None) -> Figure:
    """Network-level bars of time (ms) and energy side by side.

    ``rows``: a DataFrame (or records) with columns ``network``, ``time_ms``, ``energy`` and
    optionally ``accelerator`` (one bar per accelerator within each network group)."""
    import pandas as pd

    df = pd.DataFrame(rows)
    if "accelerator" not in df:
        df["accelerator"] = ""
    nets = list(dict.fromkeys(df["network"]))
    accs = list(dict.fromkeys(df["accelerator"]))
    width = 0.8 / len(accs)
    with _style():
        fig = Figure(figsize=(max(8.0, 1.1 * len(nets) + 4), 5.6))
        axes = fig.subplots(1, 2)
        ediv, esc = _scale(float(df["energy"].max()))
        for ax, col, ylabel, div in ((axes[0], "time_ms", "inference time [ms]", 1.0),
                                     (axes[1], "energy",
                                      _unit("energy, MAC-normalised units", esc), ediv)):
            for j, acc in enumerate(accs):
                sub = df[df["accelerator"] == acc].set_index("network")
                vals = [float(sub[col].get(nw, float("nan"))) / div for nw in nets]
                xs = [i + (j - (len(accs) - 1) / 2) * width for i in range(len(nets))]
                bars = ax.bar(xs, vals, width=width * 0.95, color=SERIES[(j + 1) % len(SERIES)],
                              hatch="" if j % 2 == 0 else "//", edgecolor="white", lw=0,
                              label=acc or None)
                ax.bar_label(bars, fmt="%.3g", fontsize=6, padding=1)
            ax.set_xticks(range(len(nets)))
            ax.set_xticklabels(nets, rotation=35, ha="right", fontsize=7.5)
            ax.set_ylabel(ylabel)
            if len(accs) > 1 or accs[0]:
                ax.legend(framealpha=0.9)
        axes[0].set_title("time per inference (batch 1)")
        axes[1].set_title("energy per inference")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig


# -- one call per use ------------------------------------------------------------------------

def run_charts(result, out_dir: str | os.PathLike, formats: Iterable[str] = FORMATS
               ) -> list[Path]:
    """The per-layer charts of one run (``sqnxt-sim run … --plot DIR``)."""
    stem = f"{slug(result.network)}__{slug(result.accelerator.name)}"
    out = Path(out_dir)
    paths = []
    paths += save(cycles_chart(result), out / f"{stem}__cycles", formats)
    paths += save(energy_chart(result), out / f"{stem}__energy", formats)
    return paths
