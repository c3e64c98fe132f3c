"""The papers' claims as data and their evaluation (SPEC §1, docs/report.md).

Each of SPEC §1's four results becomes one or more ``Claim`` values (claim 3 has a time and an
energy part, claim 4 four ratios): the paper's figure, a fixed tolerance, how the figure is
measured from simulation results, and how a miss is explained from the per-layer numbers.
``evaluate_claims`` needs only objects with ``.summary`` (a mapping) and ``.layers`` (a
DataFrame), so the logic is testable with hand-made inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .study import (
    EPS,
    ReportError,
    _ops,
    _pct,
    _signed_points,
    blocks_per_group,
    by_group,
    first_conv,
    layer_group,
)

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
