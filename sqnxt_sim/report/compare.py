"""Comparisons (``sqnxt-sim compare``, ``sqnxt_sim.compare``): networks × accelerators ×
dataflows in one table, ratios against a baseline, and the per-layer diff that says which layers
gained or lost and why (docs/output.md, "compare")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .study import (
    ReportError,
)

IDENTITY = ("network", "accelerator", "dataflow")
CONTRACT = ("macs", "params", "cycles", "time_ms", "energy", "utilization")
RATIOS = ("speedup", "energy_ratio")
# summary entries that are breakdowns of the headline metrics: in `run`, not in the cross table
_DETAIL = ("compute_cycles", "stall_cycles", "energy_mac", "energy_rf", "energy_array",
           "energy_sram", "energy_dram", "dram_read_bytes", "dram_write_bytes", "layers",
           "energy_static", "edp", "perf_per_area")
COMPARE_COLUMNS = ("network", *CONTRACT, *RATIOS)   # one accelerator, one dataflow


def metric_columns(summary: Mapping) -> list[str]:
    """The summary metrics of a cross-table row: SPEC §3's six, then any other headline total
    the summary carries (``energy_pj`` with a picojoule table, ``area_mm2`` when the
    accelerators differ, fields added later), never the per-level breakdowns, the derived
    ``edp``/``perf_per_area``/``energy_static`` or the layer counts."""
    extra = [k for k in summary if k not in CONTRACT and k not in _DETAIL
             and not k.startswith("layers_")]
    return [*CONTRACT, *extra]


# -- baseline ---------------------------------------------------------------------------------

def _match(value: str, cands: Sequence[Sequence[str]]) -> int | None:
    """Index of ``value`` among candidates given as (names, stems): exact, then ignoring case."""
    for names in cands:
        if value in names:
            return list(names).index(value)
    low = value.lower()
    for names in cands:
        for i, c in enumerate(names):
            if c.lower() == low:
                return i
    return None


def find_baseline(names: Sequence[str], stems: Sequence[str], baseline: str | None) -> int:
    """Index of the baseline: matched by network name or file stem (exact, then ignoring case);
    None → the first."""
    if baseline is None:
        return 0
    i = _match(baseline, (names, stems))
    if i is None:
        raise ReportError(f"--baseline {baseline!r} matches no network (names: "
                          f"{', '.join(names)}; files: {', '.join(stems)})", field="--baseline")
    return i


def _row(ident: Mapping, s: Mapping, b: Mapping, cols: Sequence[str]) -> dict:
    row = dict(ident)
    for k in cols:
        v = s.get(k)
        row[k] = v if not isinstance(v, float | int) or isinstance(v, bool) else \
            (int(v) if isinstance(v, int) else float(v))
    row["speedup"] = float(b["time_ms"]) / float(s["time_ms"]) if s["time_ms"] else float("nan")
    row["energy_ratio"] = (float(b["energy"]) / float(s["energy"]) if s["energy"]
                           else float("nan"))
    return row


def compare_frame(runs: Sequence[tuple[str, Mapping]], baseline: str | None = None,
                  stems: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per network from (network name, summary) pairs.

    ``speedup`` = baseline time ÷ this network's time and ``energy_ratio`` = baseline energy ÷
    this network's energy: above 1 means this network is faster / more energy-efficient."""
    names = [n for n, _ in runs]
    stems = list(stems) if stems is not None else names
    b = runs[find_baseline(names, stems, baseline)][1]
    return pd.DataFrame([_row({"network": n}, s, b, CONTRACT) for n, s in runs],
                        columns=list(COMPARE_COLUMNS))


# -- networks × accelerators × dataflows --------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One simulated combination: names as shown, file stems (for --baseline), the result."""

    network: str
    accelerator: str
    dataflow: str
    network_stem: str
    accelerator_stem: str
    result: object          # sqnxt_sim.result.Result
    key: tuple[int, int, int] = (0, 0, 0)   # positions along the network, accelerator and
    #                                         dataflow axes as given


class Comparison:
    """Every (network, accelerator, dataflow) combination, run once, in network-major order."""

    def __init__(self, runs: Sequence[Run], baseline: str | None = None) -> None:
        self.runs = list(runs)
        self.networks = list(dict.fromkeys(r.network for r in self.runs))
        self.accelerators = list(dict.fromkeys(r.accelerator for r in self.runs))
        self.dataflows = list(dict.fromkeys(r.dataflow for r in self.runs))
        self.axes = [len({r.key[d] for r in self.runs}) for d in range(3)]
        # a dimension shows when it is an axis with several values, or (dataflow) when the
        # accelerators' own dataflows differ
        self.varying = [d for i, d in enumerate(IDENTITY)
                        if self.axes[i] > 1 or len({getattr(r, d) for r in self.runs}) > 1]
        self.base_index = self._baselines(baseline)

    # which dimensions tell the rows apart (network always: a table without it is unreadable)
    @property
    def identity(self) -> list[str]:
        return ["network", *(d for d in ("accelerator", "dataflow") if d in self.varying)]

    def label(self, run: Run, dims: Sequence[str] | None = None) -> str:
        dims = self.varying if dims is None else dims
        return " / ".join(getattr(run, d) for d in dims) or run.network

    def _baselines(self, baseline: str | None) -> list[int]:
        """For every row, the index of the row its ratios are taken against.

        None: the first row.  Otherwise ``baseline`` names a network (name or file stem), an
        accelerator (name or file stem) or a dataflow, tried in that order; each row is compared
        with the row that has that value and the same other two."""
        if baseline is None:
            return [0] * len(self.runs)
        by_key = {r.key: k for k, r in enumerate(self.runs)}
        dims = (("network", "network_stem"), ("accelerator", "accelerator_stem"),
                ("dataflow", "dataflow"))
        for axis, (dim, stem) in enumerate(dims):
            pos = list(dict.fromkeys(r.key[axis] for r in self.runs))
            first = {p: next(r for r in self.runs if r.key[axis] == p) for p in pos}
            names = [getattr(first[p], dim) for p in pos]
            stems = [getattr(first[p], stem) for p in pos]
            i = _match(baseline, (names,))
            if i is None:
                i = _match(baseline, (stems,))
            if i is None:
                continue
            at = pos[i]
            return [by_key[tuple(at if a == axis else r.key[a] for a in range(3))]
                    for r in self.runs]
        raise ReportError(
            f"--baseline {baseline!r} matches no network, accelerator or dataflow (networks: "
            f"{', '.join(self.networks)}; accelerators: {', '.join(self.accelerators)}; "
            f"dataflows: {', '.join(self.dataflows)})", field="--baseline")

    @property
    def baseline_label(self) -> str:
        bases = sorted(set(self.base_index))
        if len(bases) == 1:
            return self.label(self.runs[bases[0]], self.varying or ["network"])
        # per-row baselines share the matched value: name it
        runs = [self.runs[i] for i in bases]
        for d in IDENTITY:
            vals = {getattr(r, d) for r in runs}
            if len(vals) == 1 and d in self.varying:
                return next(iter(vals))
        return self.label(runs[0])

    def table(self) -> pd.DataFrame:
        """The cross table: one row per combination, its summary metrics, and ``speedup`` /
        ``energy_ratio`` against its baseline row."""
        cols = metric_columns(self.runs[0].result.summary)
        for r in self.runs[1:]:
            cols += [k for k in metric_columns(r.result.summary) if k not in cols]
        if "accelerator" not in self.varying:     # one design: its area is the same everywhere
            cols = [k for k in cols if k != "area_mm2"]
        rows = []
        for r, b in zip(self.runs, self.base_index):
            ident = {d: getattr(r, d) for d in self.identity}
            rows.append(_row(ident, r.result.summary, self.runs[b].result.summary, cols))
        return pd.DataFrame(rows, columns=[*self.identity, *cols, *RATIOS])

    @property
    def has_layer_diff(self) -> bool:
        return len(self.networks) == 1 and len(self.runs) > 1

    def layer_diff(self) -> pd.DataFrame:
        """Per layer, for every configuration against its baseline (one network only): the
        change in cycles split into compute and stalls, utilisation, energy, and why."""
        if not self.has_layer_diff:
            raise ReportError("a per-layer diff compares one network across accelerators or "
                              "dataflows: give one NETWORK and several -a or -d values",
                              field="--per-layer")
        frames = []
        for k, (r, b) in enumerate(zip(self.runs, self.base_index)):
            if k == b:
                continue
            d = layer_diff(self.runs[b].result, r.result)
            d.insert(0, "baseline", self.label(self.runs[b]))
            d.insert(0, "config", self.label(r))
            frames.append(d)
        if not frames:
            return pd.DataFrame(columns=["config", "baseline", *DIFF_COLUMNS])
        return pd.concat(frames, ignore_index=True)


DIFF_COLUMNS = ("layer", "type", "dataflow_base", "dataflow", "cycles_base", "cycles",
                "d_cycles", "d_compute_cycles", "d_stall_cycles", "utilization_base",
                "utilization", "d_utilization", "energy_base", "energy", "d_energy", "change",
                "why")


def _signed(v: int) -> str:
    return f"{'+' if v > 0 else '−' if v < 0 else '±'}{abs(int(v)):,}"


def why(row: Mapping) -> str:
    """The reason a layer's cycles changed, from the row's deltas (docs/output.md): cycles =
    compute + stalls in every result row, so the change splits exactly into the two; the larger
    in size is named first, with a change of dataflow and the utilisation before → after."""
    dc, ds = int(row["d_compute_cycles"]), int(row["d_stall_cycles"])
    if row["d_cycles"] == 0 and dc == 0 and row["dataflow_base"] == row["dataflow"]:
        return "unchanged"
    terms = [("compute", dc), ("stalls", ds)]
    terms.sort(key=lambda t: -abs(t[1]))
    text = ", ".join(f"{name} {_signed(v)}" for name, v in terms if v)
    parts = []
    if row["dataflow_base"] != row["dataflow"]:
        parts.append(f"{row['dataflow_base']}→{row['dataflow']}")
    if text:
        parts.append(text + " cycles")
    parts.append(f"utilisation {100 * row['utilization_base']:.0f}%→"
                 f"{100 * row['utilization']:.0f}%")
    return "; ".join(parts)


def layer_diff(base, other) -> pd.DataFrame:
    """Per-layer change from result ``base`` to result ``other`` (the same network), matched
    by layer name in ``base``'s order (a layer only one side has gets empty cells on the
    other).  ``d_*`` = other − base; ``change`` is ``gained`` (fewer cycles), ``lost`` or
    ``same``."""
    cols = ["name", "type", "dataflow", "cycles", "compute_cycles", "stall_cycles",
            "utilization", "energy"]
    a = base.layers[cols].set_index("name")
    o = other.layers[cols].set_index("name")
    names = list(a.index) + [n for n in o.index if n not in a.index]
    rows = []
    for n in names:
        x = a.loc[n] if n in a.index else None
        y = o.loc[n] if n in o.index else None
        get = lambda r, c: r[c] if r is not None else None  # noqa: E731
        row = {"layer": n, "type": get(x if x is not None else y, "type"),
               "dataflow_base": get(x, "dataflow"), "dataflow": get(y, "dataflow"),
               "cycles_base": get(x, "cycles"), "cycles": get(y, "cycles"),
               "utilization_base": get(x, "utilization"), "utilization": get(y, "utilization"),
               "energy_base": get(x, "energy"), "energy": get(y, "energy")}
        if x is not None and y is not None:
            row.update(
                d_cycles=int(y["cycles"]) - int(x["cycles"]),
                d_compute_cycles=int(y["compute_cycles"]) - int(x["compute_cycles"]),
                d_stall_cycles=int(y["stall_cycles"]) - int(x["stall_cycles"]),
                d_utilization=float(y["utilization"]) - float(x["utilization"]),
                d_energy=float(y["energy"]) - float(x["energy"]))
            row["change"] = ("gained" if row["d_cycles"] < 0 else
                             "lost" if row["d_cycles"] > 0 else "same")
            row["why"] = why(row)
        else:
            row["change"] = "only in baseline" if y is None else "only here"
            row["why"] = ""
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(DIFF_COLUMNS))
    for c in ("cycles_base", "cycles", "d_cycles", "d_compute_cycles", "d_stall_cycles"):
        df[c] = df[c].astype("Int64")
    return df


# -- running a comparison ---------------------------------------------------------------------

def split_dataflows(values: Sequence[str] | str | None) -> list[str | None]:
    """``["os,ws", "hybrid"]`` → ``["os", "ws", "hybrid"]``; none → ``[None]`` (each
    accelerator's own).  Unknown or repeated names are errors."""
    from ..machines import all_dataflows

    if values is None:
        return [None]
    if isinstance(values, str):
        values = [values]
    out: list[str | None] = []
    known = all_dataflows()
    for v in values:
        for name in (p.strip().lower() for p in str(v).split(",")):
            if name not in known:
                raise ReportError(f"--dataflow: unknown dataflow {name!r} (known: "
                                  f"{', '.join(known)})", field="--dataflow")
            if name in out:
                raise ReportError(f"--dataflow: {name} given twice", field="--dataflow")
            out.append(name)
    return out or [None]


def run_comparison(networks: Sequence, accelerators: Sequence | None = None,
                   dataflows: Sequence[str] | str | None = None, *, sets: Mapping | None = None,
                   batch: int = 1, baseline: str | None = None,
                   load_acc: Callable | None = None) -> Comparison:
    """Simulate every (network, accelerator, dataflow) combination.

    ``networks``: paths or loaded ``Network`` values; ``accelerators``: paths, loaded
    ``Accelerator`` values or None (the built-in defaults); ``dataflows``: names or comma
    lists (None: each accelerator's own); ``sets``: dotted-key overrides applied to every
    accelerator.  ``load_acc(path, overrides)`` loads an accelerator (the CLI's locates later
    errors in it)."""
    from ..hardware.accelerator import flatten, from_flat, load_accelerator
    from ..network.graph import Network
    from ..network.yaml_io import load_network
    from ..simulate import simulate

    load_acc = load_acc or load_accelerator
    nets, net_stems = [], []
    for n in networks:
        nets.append(n if isinstance(n, Network) else load_network(n))
        net_stems.append(nets[-1].name if isinstance(n, Network) else Path(n).stem)
    _unique("network", [n.name for n in nets])
    flows = split_dataflows(dataflows)
    accs = list(accelerators) if accelerators else [None]
    results: dict[tuple[int, int, int], Run] = {}
    acc_names: list[str] = []
    for ai, a in enumerate(accs):
        for fi, flow in enumerate(flows):
            overrides = dict(sets or {})
            if flow is not None:
                overrides["dataflow"] = flow
            if a is None or isinstance(a, str | Path):
                acc = load_acc(a, overrides)
                # as run --plot names its charts: the file's stem, or default_RxC
                stem = Path(a).stem if a is not None else f"default_{acc.rows}x{acc.cols}"
            else:
                acc = a
                if overrides:   # a loaded accelerator: re-validated with the overrides
                    flat, lines = flatten(a.to_dict(), None)
                    acc = from_flat({**flat, **overrides}, None, lines)
                stem = acc.name
            if fi == 0:
                acc_names.append(acc.name)
            for ni, net in enumerate(nets):
                results[(ni, ai, fi)] = Run(net.name, acc.name, acc.dataflow, net_stems[ni],
                                            stem, simulate(net, acc, batch), (ni, ai, fi))
    _unique("accelerator", acc_names)
    runs = [results[k] for k in sorted(results)]
    return Comparison(runs, baseline)


def _unique(what: str, names: Sequence[str]) -> None:
    seen = set()
    for n in names:
        if n in seen:
            raise ReportError(f"two {what}s are named {n!r}: their rows could not be told "
                              f"apart (give each a distinct name)", field=what)
        seen.add(n)
