"""The report's inputs: the bundled networks and accelerators, every simulation the report
needs (each run once, ``Study``), and per-layer helpers (layer groups, the first conv).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..errors import SqnxtError

DEFAULT_ACCEL = "accelerators/squeezelerator_32x32.yaml"
SMALL_ACCEL = "accelerators/squeezelerator_16x16.yaml"
WHY_ACCEL = (
    "the papers' Squeezelerator chooses output- or weight-stationary per layer (hybrid) and its "
    "final design has 16-entry register files; the papers simulate both 16×16 and 32×32 arrays "
    "without saying which array each headline figure comes from, so every claim is measured on "
    "both (32×32 for the detailed studies, 16×16 alongside)")

VARIANTS = (("v1", "sqnxt23"), ("v2", "sqnxt23v2"), ("v3", "sqnxt23v3"), ("v4", "sqnxt23v4"),
            ("v5", "sqnxt23v5"))
DATAFLOW_STUDY = ("sqnxt23", "squeezenet_v1.0")
DATAFLOWS = ("os", "ws", "hybrid")
COMPARISON = ("sqnxt23", "sqnxt23v2", "sqnxt23v3", "sqnxt23v4", "sqnxt23v5", "squeezenet_v1.0",
              "squeezenet_v1.1", "alexnet", "mobilenet_v1")
COMPARISON_BASELINE = "squeezenet_v1.0"
EPS = 1e-9  # tolerance edges are inclusive; this absorbs float rounding of the bounds only


class ReportError(SqnxtError):
    """The report or a comparison was asked for something that does not exist."""


# -- per-layer helpers ------------------------------------------------------------------------

def layer_group(name: str) -> str:
    from .charts import layer_group as g
    return g(name)


def first_conv(result) -> pd.Series:
    """The first convolution's row of a result's per-layer frame."""
    L = result.layers
    convs = L[L["type"] == "conv"]
    if convs.empty:
        raise ReportError(f"{getattr(result, 'network', 'network')}: no convolution layer")
    return convs.iloc[0]


def by_group(result, column: str) -> pd.Series:
    """``column`` summed per layer group (``conv1``, ``pool1``, ``stage1`` …), in layer order."""
    L = result.layers
    return L.groupby(L["name"].map(layer_group), sort=False)[column].sum()


def blocks_per_group(result) -> pd.Series:
    """Number of blocks (distinct ``stageN.M`` prefixes) in every layer group."""
    L = result.layers
    heads = L["name"].map(lambda n: n.split("/")[0])
    return heads.groupby(L["name"].map(layer_group), sort=False).nunique()


def _ops(result) -> float:
    L = result.layers
    return float(L["ops"].sum()) if "ops" in L else float(result.summary["macs"])


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def _signed_points(x: float) -> str:
    return f"{100 * x:+.1f}"


# -- the study: every simulation the report needs, each run once --------------------------------

class Study:
    """Loads bundled networks and accelerators under ``root`` and caches simulation results."""

    def __init__(self, root: str | os.PathLike, accel: str = DEFAULT_ACCEL) -> None:
        self.root = Path(root)
        self.accel_path = accel
        self._nets: dict = {}
        self._accs: dict = {}
        self._runs: dict = {}

    def network_path(self, stem: str) -> str:
        return f"networks/{stem}.yaml"

    def network(self, stem: str):
        from ..network.yaml_io import load_network
        if stem not in self._nets:
            self._nets[stem] = load_network(self.root / self.network_path(stem))
        return self._nets[stem]

    def accelerator(self, path: str | None = None, dataflow: str | None = None,
                    overrides: Mapping | None = None):
        """The accelerator file at ``path`` with its dataflow and any other fields (dotted
        keys, e.g. ``{"clock_mhz": 1000}``) overridden; loaded once per distinct request."""
        from ..hardware.accelerator import load_accelerator
        extra = tuple(sorted((overrides or {}).items()))
        key = (path or self.accel_path, dataflow, extra)
        if key not in self._accs:
            sets = dict(extra)
            if dataflow:
                sets["dataflow"] = dataflow
            self._accs[key] = load_accelerator(self.root / key[0], sets or None)
        return self._accs[key]

    def run(self, stem: str, accel: str | None = None, dataflow: str | None = None,
            overrides: Mapping | None = None):
        from ..simulate import simulate
        extra = tuple(sorted((overrides or {}).items()))
        key = (stem, accel or self.accel_path, dataflow, extra)
        if key not in self._runs:
            self._runs[key] = simulate(self.network(stem),
                                       self.accelerator(accel, dataflow, overrides))
        return self._runs[key]

    def results(self, stems: Sequence[str], accel: str | None = None,
                overrides: Mapping | None = None) -> dict:
        return {s: self.run(s, accel, overrides=overrides) for s in stems}

    def bundled_networks(self) -> list[str]:
        """The file stem of every network in ``networks/``, sorted."""
        return sorted(p.stem for p in (self.root / "networks").glob("*.yaml"))


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The project directory holding ``networks/`` and ``accelerators/``: the working directory
    or one of its parents, else the checkout this package was installed from."""
    here = Path(start or os.getcwd()).resolve()
    for d in (here, *here.parents):
        if (d / "networks").is_dir() and (d / "accelerators").is_dir():
            return d
    pkg = Path(__file__).resolve().parents[2]
    if (pkg / "networks").is_dir():
        return pkg
    raise ReportError("cannot find the networks/ and accelerators/ directories; run from the "
                      "project checkout or pass --root")
