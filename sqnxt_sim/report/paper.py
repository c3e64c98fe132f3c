"""The SqueezeNext reproduction: the papers' claims as data, their evaluation, and the report.

SPEC §1 lists four results the papers report.  Each becomes one or more ``Claim`` values (claim 3
has a time and an energy part, claim 4 four ratios): the paper's figure, a fixed tolerance, how
the figure is measured from simulation results, and how a miss is explained from the per-layer
numbers.  ``evaluate_claims`` needs only objects with ``.summary`` (dict) and ``.layers``
(DataFrame), so the logic is testable with hand-made inputs.

``generate`` runs every simulation the report needs and writes ``README.md``, ``results.csv``
and the figures; the output depends only on the code and the bundled YAML files, byte for byte.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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


# -- claims -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """One figure the papers report, the tolerance it must land in, and how it is measured."""

    id: str
    spec_item: int            # SPEC §1 result number
    statement: str
    paper: float              # the paper's figure, in the claim's unit
    low: float                # inclusive tolerance band, in the claim's unit
    high: float
    unit: str                 # "%", "% change", "ratio" or "×"
    how: str                  # how this project measures it
    measure: Callable[[Mapping], float]
    explain: Callable[[Mapping, float, Claim], str]

    def holds(self, value: float) -> bool:
        return self.low - EPS <= value <= self.high + EPS

    def fmt(self, value: float) -> str:
        if self.unit == "%":
            return f"{value:.1f} %"
        if self.unit == "% change":
            return f"{value:+.1f} %"
        if self.unit == "×":
            return f"{value:.2f}×"
        return f"{value:.3f}"

    @property
    def tolerance(self) -> str:
        lo, hi = self.fmt(self.low), self.fmt(self.high)
        if self.unit == "×":
            return f"±30 % ({lo} – {hi})"
        if self.unit == "%":
            return f"±{(self.high - self.low) / 2:g} points ({lo} – {hi})"
        return f"{lo} – {hi}"

    @property
    def paper_text(self) -> str:
        if self.unit == "ratio":
            return f"≈ {self.paper:.2f} (cut by a third)"
        return ("≈ " if self.unit != "×" else "") + self.fmt(self.paper)


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    measured: float
    reproduced: bool
    explanation: str

    @property
    def status(self) -> str:
        return "REPRODUCED" if self.reproduced else "NOT REPRODUCED"


def _need(results: Mapping, *keys: str) -> list:
    missing = [k for k in keys if k not in results]
    if missing:
        raise ReportError(f"claims need results for {', '.join(missing)}")
    return [results[k] for k in keys]


# claim 1 — first-conv share of 1.0-SqNxt-23 time

def measure_first_conv_share(results: Mapping) -> float:
    (r,) = _need(results, "sqnxt23")
    return 100.0 * float(first_conv(r)["cycles"]) / float(r.summary["cycles"])


def _where_time_goes(r, exclude: str) -> str:
    total = float(r.summary["cycles"])
    g = by_group(r, "cycles").drop(labels=[exclude], errors="ignore")
    stall = by_group(r, "stall_cycles")
    top = g.sort_values(ascending=False, kind="stable").head(3)
    parts = [f"{k} {_pct(v / total)} ({_pct(stall[k] / v, 0)} of it DRAM stalls)"
             for k, v in top.items()]
    L = r.layers
    nomac = L[(L["macs"] == 0) & (L["cycles"] > 0)]  # fused layers cost nothing
    text = "The largest other groups: " + ", ".join(parts) + "."
    if len(nomac):
        c = float(nomac["cycles"].sum())
        types = ", ".join(sorted(set(nomac["type"])))
        util = float(nomac["ops"].sum()) / max(c, 1) / _pes(r) if "ops" in nomac else 0.0
        text += (f" Layers that do no MACs ({types}: {len(nomac)} layers) take {_pct(c / total)}"
                 f" of all cycles at {_pct(util)} PE utilisation, "
                 f"{_pct(float(nomac['stall_cycles'].sum()) / max(c, 1), 0)} of them DRAM "
                 "stalls.")
    return text


def _pes(r) -> int:
    acc = getattr(r, "accelerator", None)
    return int(getattr(acc, "pes", 0) or 1)


def explain_first_conv_share(results: Mapping, value: float, claim: Claim) -> str:
    (r,) = _need(results, "sqnxt23")
    c = first_conv(r)
    total = float(r.summary["cycles"])
    cyc = float(c["cycles"])
    text = (f"`{c['name']}` takes {int(cyc):,} of {int(total):,} cycles ({value:.1f} %); it runs "
            f"{str(c['dataflow']).upper()} at {_pct(float(c['utilization']), 0)} PE utilisation "
            f"with {_pct(float(c['stall_cycles']) / max(cyc, 1), 0)} of its cycles stalled on "
            "DRAM.")
    if not claim.holds(value):
        share = claim.paper / 100
        rest = total - cyc
        need_conv = share / (1 - share) * rest
        need_rest = cyc * (1 - share) / share
        text += (f" The paper's {claim.paper:g} % would need {int(round(need_conv)):,} cycles "
                 f"for it with every other layer unchanged ({need_conv / max(cyc, 1):.2f}× the "
                 f"model's), or the other layers {_pct(abs(1 - need_rest / rest), 0)} "
                 f"{'faster' if need_rest < rest else 'slower'}. ")
        text += _where_time_goes(r, layer_group(str(c["name"])))
    return text


# claim 2 — v2's first-conv cycles vs v1's

def measure_stem_ratio(results: Mapping) -> float:
    v1, v2 = _need(results, "sqnxt23", "sqnxt23v2")
    return float(first_conv(v2)["cycles"]) / float(first_conv(v1)["cycles"])


def explain_stem_ratio(results: Mapping, value: float, claim: Claim) -> str:
    v1, v2 = _need(results, "sqnxt23", "sqnxt23v2")
    a, b = first_conv(v1), first_conv(v2)
    mac = float(b["macs"]) / float(a["macs"])
    ops = float(b.get("ops", b["macs"])) / float(a.get("ops", a["macs"]))
    ua, ub = float(a["utilization"]), float(b["utilization"])
    cr = float(b["compute_cycles"]) / max(float(a["compute_cycles"]), 1)
    sr = float(b["stall_cycles"]) / max(float(a["stall_cycles"]), 1)
    text = (f"The 5×5 stem has {mac:.3f}× the MACs of the 7×7 ({int(a['macs']):,} → "
            f"{int(b['macs']):,}); its cycles fall to {value:.3f}× = operations {ops:.3f}× "
            f"× utilisation ratio {ua / ub if ub else float('nan'):.3f} ({_pct(ua, 0)} → "
            f"{_pct(ub, 0)}, {str(a['dataflow']).upper()} → {str(b['dataflow']).upper()}); "
            f"compute cycles ×{cr:.3f}, DRAM-stall cycles ×{sr:.3f}.")
    if not claim.holds(value):
        need_u = ua * ops / claim.paper
        if value < claim.low:
            text += (f" The model's cycles track the MAC count, so the cut is larger than the "
                     f"paper's: the paper's ≈ {claim.paper:.2f} implies the 5×5 stem ran at "
                     f"lower utilisation than the 7×7 (≈ {_pct(need_u, 0)} instead of "
                     f"{_pct(ub, 0)}), a loss (e.g. from filter-size-dependent preload or "
                     "write-back overhead) that the model does not show.")
        else:
            text += (f" The cut is smaller than the paper's: utilisation falls from "
                     f"{_pct(ua, 0)} to {_pct(ub, 0)}; the paper's ≈ {claim.paper:.2f} needs "
                     f"≈ {_pct(need_u, 0)}.")
    return text


# claim 3 — v5 vs v1 time and energy

def _change(results: Mapping, column: str) -> float:
    v1, v5 = _need(results, "sqnxt23", "sqnxt23v5")
    return 100.0 * (float(v5.summary[column]) / float(v1.summary[column]) - 1.0)


def measure_v5_time(results: Mapping) -> float:
    return _change(results, "cycles")


def measure_v5_energy(results: Mapping) -> float:
    return _change(results, "energy")


def _explain_change(results: Mapping, value: float, claim: Claim, column: str) -> str:
    v1, v5 = _need(results, "sqnxt23", "sqnxt23v5")
    total = float(v1.summary[column])
    g1, g5 = by_group(v1, column), by_group(v5, column)
    keys = list(dict.fromkeys(list(g1.index) + list(g5.index)))
    delta = {k: (float(g5.get(k, 0.0)) - float(g1.get(k, 0.0))) / total for k in keys}
    big = sorted((k for k in keys if abs(delta[k]) >= 0.005), key=lambda k: -abs(delta[k]))
    what = "time" if column == "cycles" else "energy"
    parts = ", ".join(f"{k} {_signed_points(delta[k])}" for k in big[:6])
    text = (f"v5 − v1 {what}: {value:+.1f} % = by layer group (points of v1's total) "
            f"{parts}.")
    b1, b5 = blocks_per_group(v1), blocks_per_group(v5)
    stages = [k for k in keys if k.startswith("stage") and k in b1 and k in b5]
    if stages:
        per = ", ".join(f"{k} {int(float(g1[k]) / b1[k]):,}" for k in stages)
        moved = ", ".join(f"{k} {b1[k]}→{b5[k]}" for k in stages if b1[k] != b5[k])
        unit = "cycles" if column == "cycles" else "units"
        text += f" Blocks per stage {moved}; v1's {what} per block ({unit}): {per}."
    if not claim.holds(value):
        side = "too large" if value < claim.low else "too small"
        stem = str(first_conv(v1)["name"])
        stem_pts = delta.get(layer_group(stem), 0.0)
        text += (f" The saving is {side} for the paper's {claim.paper:+g} %; without the stem "
                 f"({stem}: {_signed_points(stem_pts)} points) the change would be "
                 f"{100 * (value / 100 - stem_pts):+.1f} %.")
        if column == "energy":
            lv = []
            for lvl in ("mac", "rf", "array", "sram", "dram"):
                k = f"energy_{lvl}"
                if k in v1.summary and k in v5.summary:
                    d = (float(v5.summary[k]) - float(v1.summary[k])) / total
                    lv.append(f"{lvl.upper() if lvl != 'sram' else 'buffer'} "
                              f"{_signed_points(d)}")
            if lv:
                text += " By level: " + ", ".join(lv) + " points."
    return text


def explain_v5_time(results: Mapping, value: float, claim: Claim) -> str:
    return _explain_change(results, value, claim, "cycles")


def explain_v5_energy(results: Mapping, value: float, claim: Claim) -> str:
    return _explain_change(results, value, claim, "energy")


# claim 4 — v5 against SqueezeNet v1.0 and AlexNet

def _ratio(ref: str, column: str) -> Callable[[Mapping], float]:
    def measure(results: Mapping) -> float:
        r, v5 = _need(results, ref, "sqnxt23v5")
        return float(r.summary[column]) / float(v5.summary[column])
    measure.__name__ = f"measure_{column}_vs_{ref}"
    return measure


def _explain_ratio(ref: str, column: str):
    def explain(results: Mapping, value: float, claim: Claim) -> str:
        r, v5 = _need(results, ref, "sqnxt23v5")
        mac = float(r.summary["macs"]) / float(v5.summary["macs"])
        if column == "cycles":
            ops = _ops(r) / _ops(v5)
            ur, u5 = float(r.summary["utilization"]), float(v5.summary["utilization"])
            text = (f"{r.network} needs {mac:.2f}× the MACs of {v5.network} "
                    f"({ops:.2f}× the operations); PE utilisation {_pct(ur, 0)} vs "
                    f"{_pct(u5, 0)}, so the speed-up is {ops:.2f} × {u5 / ur:.2f} = "
                    f"{value:.2f}×.")
            L = r.layers
            tot = float(r.summary["cycles"])
            top = L.sort_values("cycles", ascending=False, kind="stable").head(3)
            text += " Its slowest layers: " + ", ".join(
                f"{x.name} {_pct(x.cycles / tot)} ({x.dataflow.upper()}, "
                f"{_pct(x.utilization, 0)} util., "
                f"{_pct(x.stall_cycles / max(x.cycles, 1), 0)} stalled)"
                for x in top.itertuples()) + "."
        else:
            ep = float(r.summary["energy"]) / float(r.summary["macs"])
            e5 = float(v5.summary["energy"]) / float(v5.summary["macs"])
            text = (f"{r.network} needs {mac:.2f}× the MACs; energy per MAC {ep:.1f} vs "
                    f"{e5:.1f} units, so the ratio is {mac:.2f} × {ep / e5:.2f} = {value:.2f}×.")
            shares = []
            for k, lab in (("energy_dram", "DRAM"), ("energy_array", "inter-PE array")):
                if k in r.summary and k in v5.summary:
                    a = float(r.summary[k]) / float(r.summary["energy"])
                    b = float(v5.summary[k]) / float(v5.summary["energy"])
                    shares.append(f"{lab} {_pct(a, 0)} vs {_pct(b, 0)}")
            if shares:
                text += " Share of energy: " + ", ".join(shares) + "."
            if "dram_read_bytes" in r.summary:
                d = lambda s: float(s["dram_read_bytes"]) + float(s.get("dram_write_bytes", 0))
                text += f" DRAM traffic {d(r.summary) / d(v5.summary):.2f}×."
        if not claim.holds(value):
            side = "below" if value < claim.low else "above"
            text += (f" The measured ratio is {side} the band: the paper's {claim.paper:g}× "
                     f"needs {r.network} to cost {claim.paper / value:.2f}× what the model "
                     f"gives relative to {v5.network}.")
        return text
    explain.__name__ = f"explain_{column}_vs_{ref}"
    return explain


def _band(paper: float, rel: float = 0.30) -> tuple[float, float]:
    return paper * (1 - rel), paper * (1 + rel)


CLAIMS: tuple[Claim, ...] = (
    Claim("1", 1, "1.0-SqNxt-23: the first 7×7 convolution's share of inference time",
          26.0, 20.0, 32.0, "%",
          "cycles of the first conv layer ÷ total cycles of networks/sqnxt23.yaml",
          measure_first_conv_share, explain_first_conv_share),
    Claim("2", 2, "1.0-SqNxt-23v2: 5×5 first conv's cycles relative to v1's 7×7",
          2 / 3, 0.55, 0.80, "ratio",
          "first-conv cycles of sqnxt23v2 ÷ first-conv cycles of sqnxt23",
          measure_stem_ratio, explain_stem_ratio),
    Claim("3a", 3, "1.0-SqNxt-23v5 vs 1.0-SqNxt-23: inference time",
          -12.0, -20.0, -5.0, "% change",
          "total cycles of sqnxt23v5 ÷ total cycles of sqnxt23 − 1",
          measure_v5_time, explain_v5_time),
    Claim("3b", 3, "1.0-SqNxt-23v5 vs 1.0-SqNxt-23: energy",
          -17.0, -25.0, -8.0, "% change",
          "total energy of sqnxt23v5 ÷ total energy of sqnxt23 − 1",
          measure_v5_energy, explain_v5_energy),
    Claim("4a", 4, "1.0-SqNxt-23v5 speed-up over SqueezeNet v1.0",
          2.59, *_band(2.59), "×", "cycles of squeezenet_v1.0 ÷ cycles of sqnxt23v5",
          _ratio("squeezenet_v1.0", "cycles"), _explain_ratio("squeezenet_v1.0", "cycles")),
    Claim("4b", 4, "1.0-SqNxt-23v5 energy efficiency over SqueezeNet v1.0",
          2.25, *_band(2.25), "×", "energy of squeezenet_v1.0 ÷ energy of sqnxt23v5",
          _ratio("squeezenet_v1.0", "energy"), _explain_ratio("squeezenet_v1.0", "energy")),
    Claim("4c", 4, "1.0-SqNxt-23v5 speed-up over AlexNet (grouped Caffe)",
          8.26, *_band(8.26), "×", "cycles of alexnet ÷ cycles of sqnxt23v5",
          _ratio("alexnet", "cycles"), _explain_ratio("alexnet", "cycles")),
    Claim("4d", 4, "1.0-SqNxt-23v5 energy efficiency over AlexNet (grouped Caffe)",
          7.5, *_band(7.5), "×", "energy of alexnet ÷ energy of sqnxt23v5",
          _ratio("alexnet", "energy"), _explain_ratio("alexnet", "energy")),
)
CLAIM_NETWORKS = ("sqnxt23", "sqnxt23v2", "sqnxt23v5", "squeezenet_v1.0", "alexnet")


def evaluate(claim: Claim, results: Mapping) -> ClaimResult:
    value = claim.measure(results)
    return ClaimResult(claim, value, claim.holds(value), claim.explain(results, value, claim))


def evaluate_claims(results: Mapping, claims: Sequence[Claim] = CLAIMS) -> list[ClaimResult]:
    """Every claim measured on ``results`` (file stem → result with .summary and .layers)."""
    return [evaluate(c, results) for c in claims]


def claims_by_array_markdown(by_array: Mapping[str, Sequence[ClaimResult]]) -> str:
    """One table, one measured column and one status per array (for the top-level README)."""
    arrays = list(by_array)
    head = "| # | Claim | Paper | Tolerance | " + " | ".join(
        f"{a} | status" for a in arrays) + " |"
    rule = "|---|---|---|---|" + "---|---|" * len(arrays)
    out = [head, rule]
    rows = zip(*by_array.values())
    for results in rows:
        c = results[0].claim
        cells = " | ".join(f"{c.fmt(e.measured)} | **{e.status}**" for e in results)
        out.append(f"| {c.id} | {c.statement} | {c.paper_text} | {c.tolerance} | {cells} |")
    return "\n".join(out) + "\n"


def claims_markdown(evaluated: Sequence[ClaimResult], accelerator: str | None = None) -> str:
    """The claims table as GitHub markdown (for the report and the top-level README)."""
    out = []
    if accelerator:
        out.append(f"Measured on `{accelerator}` (hybrid dataflow).\n")
    out += ["| # | Claim | Paper | sqnxt-sim | Tolerance | Status |",
            "|---|---|---|---|---|---|"]
    for e in evaluated:
        c = e.claim
        out.append(f"| {c.id} | {c.statement} | {c.paper_text} | {c.fmt(e.measured)} | "
                   f"{c.tolerance} | **{e.status}** |")
    return "\n".join(out) + "\n"


# -- network comparison -----------------------------------------------------------------------

COMPARE_COLUMNS = ("network", "macs", "params", "cycles", "time_ms", "energy", "utilization",
                   "speedup", "energy_ratio")


def find_baseline(names: Sequence[str], stems: Sequence[str], baseline: str | None) -> int:
    """Index of the baseline: matched by network name or file stem (exact, then ignoring case);
    None → the first."""
    if baseline is None:
        return 0
    for cands in (names, stems):
        if baseline in cands:
            return list(cands).index(baseline)
    low = baseline.lower()
    for cands in (names, stems):
        for i, c in enumerate(cands):
            if c.lower() == low:
                return i
    raise ReportError(f"--baseline {baseline!r} matches no network (names: "
                      f"{', '.join(names)}; files: {', '.join(stems)})", field="--baseline")


def compare_frame(runs: Sequence[tuple[str, Mapping]], baseline: str | None = None,
                  stems: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per network from (network name, summary) pairs.

    ``speedup`` = baseline time ÷ this network's time and ``energy_ratio`` = baseline energy ÷
    this network's energy: above 1 means this network is faster / more energy-efficient."""
    names = [n for n, _ in runs]
    stems = list(stems) if stems is not None else names
    b = runs[find_baseline(names, stems, baseline)][1]
    rows = []
    for name, s in runs:
        rows.append({
            "network": name, "macs": int(s["macs"]), "params": int(s["params"]),
            "cycles": int(s["cycles"]), "time_ms": float(s["time_ms"]),
            "energy": float(s["energy"]), "utilization": float(s["utilization"]),
            "speedup": float(b["time_ms"]) / float(s["time_ms"]) if s["time_ms"] else
            float("nan"),
            "energy_ratio": float(b["energy"]) / float(s["energy"]) if s["energy"] else
            float("nan"),
        })
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))


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

    def accelerator(self, path: str | None = None, dataflow: str | None = None):
        from ..hardware.accelerator import load_accelerator
        key = (path or self.accel_path, dataflow)
        if key not in self._accs:
            self._accs[key] = load_accelerator(self.root / key[0],
                                               {"dataflow": dataflow} if dataflow else None)
        return self._accs[key]

    def run(self, stem: str, accel: str | None = None, dataflow: str | None = None):
        from ..simulate import simulate
        key = (stem, accel or self.accel_path, dataflow)
        if key not in self._runs:
            self._runs[key] = simulate(self.network(stem), self.accelerator(accel, dataflow))
        return self._runs[key]

    def results(self, stems: Sequence[str], accel: str | None = None) -> dict:
        return {s: self.run(s, accel) for s in stems}


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


# -- the report -------------------------------------------------------------------------------

def _md_table(df: pd.DataFrame, formats: Mapping[str, Callable] | None = None,
              left: Sequence[str] = ()) -> str:
    formats = formats or {}
    cols = list(df.columns)
    head = "| " + " | ".join(cols) + " |"
    rule = "|" + "|".join("---" if c in left else "---:" for c in cols) + "|"
    lines = [head, rule]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(formats.get(c, str)(v) for c, v in zip(cols, row)) + " |")
    return "\n".join(lines) + "\n"


def _i(v) -> str:
    return f"{int(v):,}"


def _f(d: int) -> Callable:
    return lambda v: f"{float(v):,.{d}f}"


def _e(v) -> str:
    return f"{float(v) / 1e6:,.1f}"


def _p(v) -> str:
    return f"{100 * float(v):.1f} %"


def _acc_line(acc, path: str) -> str:
    return (f"`{path}` ({acc.name}: {acc.rows}×{acc.cols} PEs, {acc.template} "
            f"{acc.dataflow}, RF {acc.rf_registers} registers, {acc.buffer_kb:g} KB global "
            f"buffer, DRAM {acc.dram_bandwidth_gbps:g} GB/s with {acc.dram_latency_cycles} "
            f"cycles latency, {acc.clock_mhz:g} MHz, {acc.word_bits}-bit data, "
            f"{acc.sparsity:.0%} zero weights skipped by OS, energy table "
            f"`{acc.energy.name}`)")


def _figure(name: str, alt: str, caption: str) -> str:
    return (f"![{alt}](figures/{name}.png)\n\n*{caption}* "
            f"([SVG](figures/{name}.svg))\n")


@dataclass
class Report:
    markdown: str
    figures: dict            # figure stem → matplotlib Figure factory
    csv: str
    claims: list


def build(study: Study, small_accel: str = SMALL_ACCEL) -> Report:
    """Run every simulation and compose the report (text and figure factories)."""
    from . import charts

    acc = study.accelerator()
    main = study.accel_path
    figs: dict[str, Callable] = {}
    md: list[str] = []

    claim_results = evaluate_claims(study.results(CLAIM_NETWORKS))
    small_results = evaluate_claims(study.results(CLAIM_NETWORKS, small_accel))

    md.append("# SqueezeNext on the Squeezelerator: reproduction report\n")
    md.append("_Generated by `sqnxt-sim report` from the bundled networks and accelerators; do "
              "not edit by hand. After any change to the model, rerun `sqnxt-sim report` "
              "(see [docs/report.md](../../docs/report.md)); `tests/test_report.py` fails while "
              "this file is stale._\n")
    md.append(f"Default accelerator: {_acc_line(acc, main)}. Why this one: {WHY_ACCEL}. "
              "Energy is in MAC-normalised units (one 16-bit MAC = 1); time = cycles ÷ clock, "
              "batch 1.\n")

    # claims ---------------------------------------------------------------------------------
    md.append("## Claims of the papers (SPEC §1)\n")
    md.append(claims_markdown(claim_results))
    md.append("How each figure is measured, and what the per-layer numbers say about it:\n")
    for e in claim_results:
        md.append(f"- **{e.claim.id}** ({e.status.lower()}; {e.claim.how}). {e.explanation}")
    md.append("")
    small = study.accelerator(small_accel)
    md.append(f"### The same claims on {small.rows}×{small.cols} PEs\n")
    md.append(f"Accelerator: {_acc_line(small, small_accel)}.\n")
    md.append(claims_markdown(small_results))
    for e in small_results:
        if not e.reproduced:
            md.append(f"- **{e.claim.id}** ({e.status.lower()}). {e.explanation}")
    md.append("")
    md.append("Both arrays side by side (this table is also in the top-level README):\n")
    md.append(claims_by_array_markdown({f"{acc.rows}×{acc.cols}": claim_results,
                                       f"{small.rows}×{small.cols}": small_results}))

    # (a) v1–v5 --------------------------------------------------------------------------------
    md.append("## 1. The v1–v5 redesign of 1.0-SqNxt-23\n")
    var = {f"{lab} ({study.network(stem).name})": study.run(stem) for lab, stem in VARIANTS}
    base = study.run(VARIANTS[0][1])
    rows = []
    for (lab, _stem), r in zip(VARIANTS, var.values()):
        s = r.summary
        fc = first_conv(r)
        rows.append({
            "variant": lab, "network": r.network, "MACs": s["macs"], "params": s["params"],
            "cycles": s["cycles"], "time ms": s["time_ms"], "energy (10⁶)": s["energy"],
            "PE util.": s["utilization"],
            "Δ time vs v1": s["cycles"] / base.summary["cycles"] - 1,
            "Δ energy vs v1": s["energy"] / base.summary["energy"] - 1,
            "conv1 cycles": fc["cycles"],
            "conv1 % time": fc["cycles"] / s["cycles"],
            "conv1 % energy": fc["energy"] / s["energy"],
        })
    signed = lambda v: f"{100 * float(v):+.1f} %"
    md.append(_md_table(pd.DataFrame(rows), {
        "MACs": _i, "params": _i, "cycles": _i, "time ms": _f(3), "energy (10⁶)": _e,
        "PE util.": _p, "Δ time vs v1": signed, "Δ energy vs v1": signed,
        "conv1 cycles": _i, "conv1 % time": _p, "conv1 % energy": _p},
        left=("variant", "network")))
    short = {lab: r for (lab, _), r in zip(VARIANTS, var.values())}
    figs["variants_cycles"] = lambda: charts.variants_chart(
        var, title=f"1.0-SqNxt-23 v1–v5 on {acc.name}: cycles per layer")
    figs["variants_groups_cycles"] = lambda: charts.groups_chart(
        short, "cycles", title=f"v1–v5 on {acc.name}: cycles by layer group")
    figs["variants_groups_energy"] = lambda: charts.groups_chart(
        short, "energy", title=f"v1–v5 on {acc.name}: energy by layer group")
    md.append(_figure("variants_cycles", "cycles per layer of v1 to v5",
                      "Cycles per layer of the five variants, layer index on x (all have 135 "
                      "compute layers; v2–v5 start with the 5×5 stem). Log scale."))
    md.append(_figure("variants_groups_cycles", "cycles by layer group, v1 to v5",
                      "Cycles by layer group: the stem, pooling, the four stages and the head; "
                      "v3–v5 move blocks from stage 1 to later stages."))
    md.append(_figure("variants_groups_energy", "energy by layer group, v1 to v5",
                      "Energy by layer group (MAC-normalised units)."))
    for lab, stem in (VARIANTS[0], VARIANTS[-1]):
        r = study.run(stem)
        for kind, fn in (("cycles", charts.cycles_chart), ("energy", charts.energy_chart)):
            name = f"{stem}_{kind}"
            figs[name] = (lambda fn=fn, r=r: fn(r))
            cap = ("Compute and DRAM-stall cycles per layer, PE utilisation on the right axis"
                   if kind == "cycles" else
                   "Energy per layer by level: MAC, register file, inter-PE array, global "
                   "buffer, DRAM")
            md.append(_figure(name, f"{r.network} {kind} per layer", f"{r.network} ({lab}): "
                              f"{cap}."))

    # (b) dataflow study ----------------------------------------------------------------------
    md.append("## 2. Dataflow: output-stationary vs weight-stationary vs hybrid\n")
    md.append(f"Each network is run three times on `{main}` with `--dataflow os`, `ws` and "
              "`hybrid`. Hybrid keeps, per layer, the faster of the two.\n")
    rows = []
    for stem in DATAFLOW_STUDY:
        runs = {df: study.run(stem, dataflow=df if df != acc.dataflow else None)
                for df in DATAFLOWS}
        for df, r in runs.items():
            s = r.summary
            rows.append({"network": r.network, "dataflow": df, "cycles": s["cycles"],
                         "time ms": s["time_ms"], "energy (10⁶)": s["energy"],
                         "PE util.": s["utilization"],
                         "stalled": s["stall_cycles"] / max(s["cycles"], 1),
                         "OS layers": s.get("layers_os", 0), "WS layers": s.get("layers_ws", 0),
                         "vs hybrid": s["cycles"] / runs["hybrid"].summary["cycles"]})
        figs[f"dataflow_{stem}"] = (lambda runs=runs: charts.dataflow_chart(runs))
    md.append(_md_table(pd.DataFrame(rows), {
        "cycles": _i, "time ms": _f(3), "energy (10⁶)": _e, "PE util.": _p, "stalled": _p,
        "vs hybrid": lambda v: f"{float(v):.2f}×"}, left=("network", "dataflow")))
    for stem in DATAFLOW_STUDY:
        md.append(_figure(f"dataflow_{stem}", f"{study.network(stem).name} OS vs WS vs hybrid",
                          f"{study.network(stem).name}: cycles per layer under OS (circles), WS "
                          "(squares) and hybrid (bars). Log scale."))

    # (c) network comparison ------------------------------------------------------------------
    md.append("## 3. Network comparison\n")
    accs = [(main, acc), (small_accel, study.accelerator(small_accel))]
    chart_rows = []
    csv_rows = []
    for path, a in accs:
        runs = [(study.network(s).name, study.run(s, path).summary) for s in COMPARISON]
        df = compare_frame(runs, COMPARISON_BASELINE, stems=list(COMPARISON))
        md.append(f"### {a.name} (`{path}`)\n")
        md.append(f"`speedup` and `energy_ratio` are relative to "
                  f"{study.network(COMPARISON_BASELINE).name} (baseline ÷ network: above 1 is "
                  "better).\n")
        md.append(_md_table(df.rename(columns={"energy": "energy (10⁶)"}), {
            "macs": _i, "params": _i, "cycles": _i, "time_ms": _f(3), "energy (10⁶)": _e,
            "utilization": _p, "speedup": lambda v: f"{float(v):.2f}×",
            "energy_ratio": lambda v: f"{float(v):.2f}×"}, left=("network",)))
        for name, s in runs:
            chart_rows.append({"network": name, "accelerator": a.name, "time_ms": s["time_ms"],
                               "energy": s["energy"]})
        for stem in COMPARISON:
            s = study.run(stem, path).summary
            csv_rows.append({"network": study.network(stem).name, "file": f"networks/{stem}.yaml",
                             "accelerator": path, "dataflow": a.dataflow,
                             **{k: s[k] for k in ("cycles", "time_ms", "energy", "macs",
                                                  "params", "utilization", "stall_cycles",
                                                  "energy_mac", "energy_rf", "energy_array",
                                                  "energy_sram", "energy_dram",
                                                  "dram_read_bytes", "dram_write_bytes")}})
    figs["comparison"] = lambda: charts.comparison_chart(
        chart_rows, title="Networks on the Squeezelerator, 32×32 and 16×16 (hybrid)")
    md.append(_figure("comparison", "time and energy per network",
                      "Time (ms) and energy per inference of every network on both array "
                      "sizes."))
    md.append("All per-network totals are also in [results.csv](results.csv).\n")
    text = "\n".join(md).rstrip() + "\n"
    csv = pd.DataFrame(csv_rows).to_csv(index=False, float_format="%.6g", lineterminator="\n")
    return Report(text, figs, csv, claim_results)


def generate(out_dir: str | os.PathLike, root: str | os.PathLike | None = None, *,
             accel: str = DEFAULT_ACCEL, figures: bool = True,
             formats: Sequence[str] = ("png", "svg")) -> tuple[Report, list[Path]]:
    """Write README.md, results.csv and figures/ under ``out_dir``; return what was written.
    Figures from earlier runs that the report no longer makes are removed."""
    from . import charts

    study = Study(find_root(root) if root is None else root, accel)
    rep = build(study)
    from .outputs import ensure_dir, write_text

    out = ensure_dir(out_dir)
    written = []
    write_text(out / "README.md", rep.markdown)
    write_text(out / "results.csv", rep.csv)
    written += [out / "README.md", out / "results.csv"]
    if figures:
        fig_dir = out / "figures"
        for name, make in rep.figures.items():
            written += charts.save(make(), fig_dir / name, formats)
        keep = {p.resolve() for p in written}
        for p in sorted(fig_dir.glob("*")):
            if p.suffix in (".png", ".svg") and p.resolve() not in keep:
                p.unlink()
    return rep, written
