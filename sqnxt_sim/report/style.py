"""The one figure style every chart is drawn in, and the one writer of figure files.

Two styles: ``screen`` (the default; the report's figures, read on a monitor) and ``paper``
(smaller fonts, 300 dpi, a 7-inch two-column width).  ``--figsize W,H`` (inches) and ``--dpi``
override a style's defaults.  The options in force are set for a block with :func:`use` (the
CLI wraps a command's drawing in it) and read by the chart functions with :func:`current`.

Every chart is drawn on a bare ``matplotlib.figure.Figure`` (no pyplot, so no global state and
no GUI backend) inside ``rc_context(current().rc)`` from matplotlib's defaults, so a user's
matplotlibrc cannot change the output.  :func:`save` writes PNG, SVG and PDF with the metadata
that would vary between runs (dates, software version) stripped and a fixed SVG id salt: the
same input gives byte-identical files.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("png", "svg", "pdf")
DEFAULT_FORMATS = ("png", "svg")
STYLES = ("screen", "paper")

# Okabe–Ito colours (colour-blind-safe), one per dataflow a layer can run, plus a hatch so the
# dataflow also reads in grey print.
DATAFLOW_COLOURS = {
    "os": ("#0072B2", "", "OS (output-stationary)"),
    "ws": ("#D55E00", "", "WS (weight-stationary)"),
    "simd": ("#999999", "..", "SIMD (pooling, element-wise)"),
    "is": ("#009E73", "", "IS (input-stationary, systolic)"),
    "hybrid": ("#999999", "", "hybrid (faster per layer)"),
}
OTHER_DATAFLOW = ("#CC79A7", "xx", None)
SERIES = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
          "#F0E442")

_BASE = {
    "axes.grid": True, "axes.grid.axis": "y", "grid.alpha": 0.35, "axes.spines.top": False,
    "axes.spines.right": False, "axes.axisbelow": True, "svg.hashsalt": "sqnxt-sim",
    "svg.fonttype": "path", "path.simplify": False, "pdf.fonttype": 42, "hatch.linewidth": 0.6,
    "legend.frameon": False,
}
_RC = {
    "screen": {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
               "xtick.labelsize": 8, "ytick.labelsize": 8},
    "paper": {"font.size": 7, "axes.titlesize": 8, "axes.labelsize": 7, "legend.fontsize": 6.5,
              "xtick.labelsize": 6.5, "ytick.labelsize": 6.5, "axes.linewidth": 0.6,
              "lines.linewidth": 1.0, "xtick.major.width": 0.6, "ytick.major.width": 0.6},
}
_WIDTH = {"screen": 10.0, "paper": 7.0}     # inches: a page's full text width for paper
_DPI = {"screen": 110, "paper": 300}


@dataclass(frozen=True)
class FigureStyle:
    """The figure options in force: style name, an explicit size (inches) and dpi."""
    name: str = "screen"
    figsize: tuple[float, float] | None = None
    dpi: int | None = None
    formats: tuple[str, ...] = DEFAULT_FORMATS
    rc: dict = field(default_factory=dict, compare=False)

    @property
    def width(self) -> float:
        return self.figsize[0] if self.figsize else _WIDTH[self.name]

    @property
    def resolution(self) -> int:
        return self.dpi or _DPI[self.name]

    def size(self, height: float, width: float | None = None) -> tuple[float, float]:
        """The figure size: the explicit ``--figsize``, else (``width`` or the style's width,
        ``height``)."""
        return self.figsize or (width or self.width, height)


_CURRENT: contextvars.ContextVar[FigureStyle | None] = contextvars.ContextVar(
    "sqnxt_figure_style", default=None)


def make(name: str = "screen", figsize=None, dpi: int | None = None,
         formats: Iterable[str] | None = None) -> FigureStyle:
    """A checked ``FigureStyle`` (ValueError on a bad name, size, dpi or format)."""
    if name not in STYLES:
        raise ValueError(f"unknown style {name!r} (choose from {', '.join(STYLES)})")
    if figsize is not None:
        figsize = parse_figsize(figsize) if isinstance(figsize, str) else \
            tuple(float(v) for v in figsize)
        if len(figsize) != 2 or not all(0.5 <= v <= 100 for v in figsize):
            raise ValueError("figure size must be two numbers W,H in inches, each 0.5 to 100")
    if dpi is not None and not (10 <= int(dpi) <= 2400):
        raise ValueError(f"dpi must be 10 to 2400, got {dpi}")
    fmts = tuple(formats) if formats is not None else DEFAULT_FORMATS
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ValueError(f"unknown figure format {', '.join(bad) or '(none)'} "
                         f"(choose from {', '.join(FORMATS)})")
    rc = {**_BASE, **_RC[name], "savefig.dpi": dpi or _DPI[name]}
    return FigureStyle(name, figsize, int(dpi) if dpi is not None else None, fmts, rc)


def parse_figsize(text: str) -> tuple[float, float]:
    """``"7,3.5"`` or ``"7x3.5"`` → (7.0, 3.5); ValueError otherwise."""
    parts = text.replace("x", ",").split(",")
    try:
        w, h = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"figure size must be W,H in inches (e.g. 7,3.5), got {text!r}") \
            from None
    if not (0.5 <= w <= 100 and 0.5 <= h <= 100):
        raise ValueError(f"figure size must be 0.5 to 100 inches each way, got {text!r}")
    return (w, h)


def current() -> FigureStyle:
    s = _CURRENT.get()
    return s if s is not None else make()


@contextlib.contextmanager
def use(style: FigureStyle | str | None = None, **kw) -> Iterator[FigureStyle]:
    """Draw and save with ``style`` (a ``FigureStyle`` or a style name plus ``figsize``,
    ``dpi``, ``formats``) for the duration of the block."""
    if not isinstance(style, FigureStyle):
        style = make(style or "screen", **kw)
    elif kw:
        style = make(style.name, **{"figsize": style.figsize, "dpi": style.dpi,
                                    "formats": style.formats, **kw})
    token = _CURRENT.set(style)
    try:
        yield style
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def rc() -> Iterator[FigureStyle]:
    """matplotlib's defaults plus the current style's settings (no user matplotlibrc)."""
    import matplotlib
    import matplotlib.style

    s = current()
    with matplotlib.style.context("default"), matplotlib.rc_context(s.rc):
        yield s


def figure(height: float, width: float | None = None):
    """A bare Agg ``Figure`` of the current style's size (``--figsize`` wins)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    s = current()
    fig = Figure(figsize=s.size(height, width), dpi=s.resolution)
    FigureCanvasAgg(fig)
    return fig


def dataflow_style(df: str) -> tuple[str, str, str]:
    """(colour, hatch, legend label) of a dataflow name as it appears in result rows."""
    colour, hatch, label = DATAFLOW_COLOURS.get(df, OTHER_DATAFLOW)
    return colour, hatch, label or df.upper()


def _metadata(fmt: str) -> dict:
    if fmt == "svg":
        return {"Date": None, "Creator": None, "Format": None, "Type": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}
    if fmt == "png":
        return {"Software": None}
    return {}


def save(fig, base: str | os.PathLike, formats: Iterable[str] | None = None) -> list[Path]:
    """Write ``fig`` to ``base.<fmt>`` for every format (default: the current style's);
    return the paths written.  Deterministic: metadata stripped, fixed SVG salt."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from .outputs import ensure_dir, write_with

    fmts = tuple(formats) if formats is not None else current().formats
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown figure format {', '.join(bad)} (choose from "
                         f"{', '.join(FORMATS)})")
    base = Path(base)
    ensure_dir(base.parent)
    if fig.canvas is None or type(fig.canvas).__name__ == "FigureCanvasBase":
        FigureCanvasAgg(fig)
    out = []
    for fmt in fmts:
        path = base.with_name(f"{base.name}.{fmt}")

        def draw(tmp: str, fmt=fmt) -> None:
            with rc() as s:
                fig.savefig(tmp, format=fmt, metadata=_metadata(fmt), bbox_inches="tight",
                            dpi=s.resolution)

        write_with(path, draw, f".{fmt}")   # a temporary file renamed into place
        out.append(path)
    return out
