"""The dataflow study (issue 9) and the clock-sensitivity study of the SqueezeNext report.

The papers' second central result is how much the hybrid Squeezelerator gains over an
output-stationary-only and a weight-stationary-only accelerator, network by network and layer
type by layer type (SPEC §1, result 5).  This module measures that on the bundled networks:

- per network and array, the hybrid's speed-up over OS-only and WS-only and its energy saving
  over each, and the share of MACs in each layer type;
- per layer type, the WS ÷ OS cycle ratio of every layer of every bundled network on 32×32;
- the papers' qualitative statements, each measured;
- the same hybrid-vs-single numbers and the claims at 1 GHz instead of 500 MHz (the clock is
  this project's choice; it fixes how many bytes per cycle the 16 GB/s DRAM delivers).

Every simulation goes through ``study.Study``, so a network × accelerator × dataflow × clock is
run once for the whole report.  ``layer_type`` is the one layer-type classification of the
project: the report, its tests and docs/report.md all use it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from . import claims, study

STUDY_NETWORKS = ("alexnet", "mobilenet_v1", "tiny_darknet", "squeezenet_v1.0",
                  "squeezenet_v1.1", "sqnxt23", "sqnxt23_2.0x")
STUDY_ARRAYS = (study.DEFAULT_ACCEL, study.SMALL_ACCEL)
RATIO_ARRAY = study.DEFAULT_ACCEL    # the papers state their per-layer-type ratios for 32×32
PER_LAYER_NETWORK = "squeezenet_v1.0"  # the papers' per-layer chart: SqueezeNet v1.0 on 16×16
PER_LAYER_ARRAY = study.SMALL_ACCEL
BASE_CLOCK_MHZ = 500.0               # the bundled accelerators' clock (docs/model.md §2)
ALT_CLOCK_MHZ = 1000.0
DRAM_BOUND = 0.5                     # a layer is DRAM-bound when over half its cycles are stalls

# layer types (the order is the order of every table)
FIRST_CONV = "first conv"
ONE_BY_ONE = "1×1"
F_BY_F = "F×F"
DEPTHWISE = "depthwise"
FC = "FC"
OTHER = "other"          # pooling, element-wise adds, …: no MACs
LAYER_TYPES = (FIRST_CONV, ONE_BY_ONE, F_BY_F, DEPTHWISE, FC)

PAPER_SAYS = {
    FIRST_CONV: "faster in OS",
    ONE_BY_ONE: "faster in WS",
    F_BY_F: "either way; must be simulated",
    DEPTHWISE: "far faster in OS",
    FC: "gains from neither (≈ 1)",
}


# -- the layer-type classification ------------------------------------------------------------

def first_conv_name(network) -> str | None:
    """The first convolution of ``network`` in layer order (None if it has none)."""
    return next((n.name for n in network if n.type == "conv"), None)


def layer_type(node, first_conv: str | None) -> str:
    """The layer type of one network node (``network[name]``), given the name of the network's
    first convolution (``first_conv_name``).

    - ``first conv``: the network's first convolution, whatever its kernel;
    - ``FC``: a fully-connected layer, or a 1×1 convolution on a 1×1 map (the same computation:
      every weight is used once);
    - ``depthwise``: a convolution with more than one group and one input channel per group;
    - ``1×1``: any other convolution with a 1×1 kernel (grouped ones included);
    - ``F×F``: any other convolution (kernel larger than 1 in either dimension: 3×3, 5×5, 3×1 …);
    - a matrix product (``linear``, ``matmul``, as in a transformer) is a 1×1 convolution over
      its rows (docs/onnx.md): ``FC`` on a single row, else ``1×1``;
    - ``other``: everything without MACs (pooling, element-wise adds, …).
    """
    if node.type == "fc":
        return FC
    if node.type in ("linear", "matmul") and node.macs:
        w = node.workload
        return FC if w.G * w.P * w.Q == 1 else ONE_BY_ONE
    if node.type != "conv":
        return OTHER
    if node.name == first_conv:
        return FIRST_CONV
    layer, x = node.layer, node.in_shapes[0]
    one_by_one = tuple(layer.kernel) == (1, 1)
    if one_by_one and (x.h, x.w) == (1, 1):
        return FC
    if layer.groups > 1 and x.c // layer.groups == 1:
        return DEPTHWISE
    return ONE_BY_ONE if one_by_one else F_BY_F


def layer_types(network) -> dict[str, str]:
    """Layer name → layer type for every node of ``network``."""
    first = first_conv_name(network)
    return {n.name: layer_type(n, first) for n in network}


def typed_layers(result, network) -> pd.DataFrame:
    """A result's per-layer frame with a ``layer_type`` column (from ``network``)."""
    kinds = layer_types(network)
    L = result.layers
    return L.assign(layer_type=L["name"].map(kinds).fillna(OTHER))


def mac_shares(network) -> dict[str, float]:
    """Share of the network's MACs in each of ``LAYER_TYPES`` (they sum to 1)."""
    kinds = layer_types(network)
    total = sum(n.macs for n in network)
    by = dict.fromkeys(LAYER_TYPES, 0)
    for n in network:
        if kinds[n.name] in by:
            by[kinds[n.name]] += n.macs
    return {k: v / total for k, v in by.items()}


# -- hybrid against the single dataflows --------------------------------------------------------

def run(study: study.Study, stem: str, accel: str, dataflow: str,
        clock_mhz: float | None = None):
    """One cached simulation, keyed so that the report's other sections share it: the file's
    own dataflow and clock are requested as "no override"."""
    acc = study.accelerator(accel)
    df = None if dataflow == acc.dataflow else dataflow
    sets = None if clock_mhz in (None, acc.clock_mhz) else {"clock_mhz": clock_mhz}
    return study.run(stem, accel, df, sets)


@dataclass(frozen=True)
class HybridGain:
    """One network on one accelerator: cycles and energy under OS-only, WS-only and hybrid."""

    stem: str
    network: str
    array: str               # "32×32"
    clock_mhz: float
    os_cycles: int
    ws_cycles: int
    hybrid_cycles: int
    os_energy: float
    ws_energy: float
    hybrid_energy: float

    @property
    def speedup_over_os(self) -> float:
        return self.os_cycles / self.hybrid_cycles

    @property
    def speedup_over_ws(self) -> float:
        return self.ws_cycles / self.hybrid_cycles

    @property
    def speedup_over_best(self) -> float:
        """Speed-up over the better single dataflow: what the hybrid adds."""
        return min(self.os_cycles, self.ws_cycles) / self.hybrid_cycles

    @property
    def saving_over_os(self) -> float:
        """1 − hybrid energy ÷ OS-only energy (negative: the hybrid spends more)."""
        return 1.0 - self.hybrid_energy / self.os_energy

    @property
    def saving_over_ws(self) -> float:
        return 1.0 - self.hybrid_energy / self.ws_energy


def array_label(acc) -> str:
    return f"{acc.rows}×{acc.cols}"


def hybrid_gain(study: study.Study, stem: str, accel: str,
                clock_mhz: float | None = None) -> HybridGain:
    r = {df: run(study, stem, accel, df, clock_mhz) for df in ("os", "ws", "hybrid")}
    acc = r["hybrid"].accelerator
    return HybridGain(stem, study.network(stem).name, array_label(acc), acc.clock_mhz,
                      *(int(r[d].summary["cycles"]) for d in ("os", "ws", "hybrid")),
                      *(float(r[d].summary["energy"]) for d in ("os", "ws", "hybrid")))


def hybrid_gains(study: study.Study, stems: Sequence[str] = STUDY_NETWORKS,
                 accels: Sequence[str] = STUDY_ARRAYS,
                 clock_mhz: float | None = None) -> list[HybridGain]:
    """Network-major, then accelerator (the order of the tables)."""
    return [hybrid_gain(study, s, a, clock_mhz) for s in stems for a in accels]


# -- per layer type ------------------------------------------------------------------------------

def layer_comparison(study: study.Study, stems: Sequence[str], accel: str = RATIO_ARRAY,
                     clock_mhz: float | None = None) -> pd.DataFrame:
    """One row per MAC layer of every network in ``stems``: its type, MACs, cycles under OS-only
    and WS-only and ``ws_over_os`` = WS cycles ÷ OS cycles (above 1: OS is faster)."""
    frames = []
    for stem in stems:
        net = study.network(stem)
        os_ = typed_layers(run(study, stem, accel, "os", clock_mhz), net)
        ws = run(study, stem, accel, "ws", clock_mhz).layers
        f = pd.DataFrame({"stem": stem, "network": net.name, "name": os_["name"],
                          "layer_type": os_["layer_type"], "macs": os_["macs"],
                          "os_cycles": os_["cycles"], "ws_cycles": ws["cycles"].to_numpy()})
        frames.append(f[f["layer_type"] != OTHER])
    df = pd.concat(frames, ignore_index=True)
    return df.assign(ws_over_os=df["ws_cycles"] / df["os_cycles"])


@dataclass(frozen=True)
class TypeRatio:
    """WS ÷ OS cycles over every layer of one type."""

    layer_type: str
    layers: int
    networks: int
    low: float
    median: float
    high: float
    low_at: str              # "network: layer" of the extremes
    high_at: str
    os_faster: int           # layers with WS ÷ OS above 1


def type_ratios(layers: pd.DataFrame) -> list[TypeRatio]:
    """Per type of ``LAYER_TYPES`` present in ``layers`` (from ``layer_comparison``)."""
    out = []
    for t in LAYER_TYPES:
        d = layers[layers["layer_type"] == t]
        if d.empty:
            continue
        lo = d.loc[d["ws_over_os"].idxmin()]
        hi = d.loc[d["ws_over_os"].idxmax()]
        out.append(TypeRatio(t, len(d), d["stem"].nunique(), float(lo["ws_over_os"]),
                             float(statistics.median(d["ws_over_os"].tolist())),
                             float(hi["ws_over_os"]), f"{lo['network']}: {lo['name']}",
                             f"{hi['network']}: {hi['name']}",
                             int((d["ws_over_os"] > 1).sum())))
    return out


# -- the papers' qualitative statements, measured ------------------------------------------------

@dataclass(frozen=True)
class Statement:
    text: str
    measured: str
    holds: bool


def statements(study: study.Study, layers: pd.DataFrame,
               gains: Sequence[HybridGain]) -> list[Statement]:
    """The papers' qualitative dataflow statements (SPEC §1 result 5, issue 9), each measured
    on the report's runs; ``layers`` is ``layer_comparison`` over every bundled network."""
    out = []
    by = {t: layers[layers["layer_type"] == t] for t in LAYER_TYPES}
    n_nets = layers["stem"].nunique()
    acc = study.accelerator(RATIO_ARRAY)
    on = f"on {array_label(acc)}, all {n_nets} bundled networks"

    f = by[FIRST_CONV]
    k = int((f["ws_over_os"] > 1).sum())
    out.append(Statement("The first conv is faster in OS on every network",
                         f"{k} of {len(f)} first convs faster in OS ({on})", k == len(f)))
    o = by[ONE_BY_ONE]
    k = int((o["ws_over_os"] < 1).sum())
    ties = int((o["ws_over_os"] == 1).sum())
    out.append(Statement("1×1 layers are faster in WS on the large majority (≥ 75 %)",
                         f"{k} of {len(o)} 1×1 layers ({100 * k / max(len(o), 1):.0f} %) "
                         f"faster in WS, {ties} equal in both",
                         len(o) > 0 and k >= 0.75 * len(o)))
    d = by[DEPTHWISE]
    k = int((d["ws_over_os"] > 1).sum())
    out.append(Statement("Every depthwise layer is faster in OS",
                         f"{k} of {len(d)} depthwise layers faster in OS", k == len(d)))
    c = by[FC]
    off = (c["ws_over_os"] - 1).abs()
    worst = c.loc[off.idxmax()] if len(c) else None
    out.append(Statement(
        "FC layers take the same time in OS and WS, within 5 %",
        f"{int((off <= 0.05).sum())} of {len(c)} FC layers within 5 %; furthest: "
        f"{worst['network']}: {worst['name']} at WS ÷ OS = {worst['ws_over_os']:.2f}"
        if worst is not None else "no FC layer", bool((off <= 0.05).all())))

    mb = "mobilenet_v1"
    L = typed_layers(run(study, mb, RATIO_ARRAY, "ws"), study.network(mb))
    dw = int(L.loc[L["layer_type"] == DEPTHWISE, "cycles"].sum())
    pw = int(L.loc[L["layer_type"] == ONE_BY_ONE, "cycles"].sum())
    out.append(Statement(
        "MobileNet under WS: the depthwise layers take longer than all pointwise layers",
        f"{study.network(mb).name}, WS-only on {array_label(acc)}: depthwise {dw:,} cycles, "
        f"pointwise {pw:,} ({dw / pw:.2f}×)", dw > pw))

    sq = PER_LAYER_NETWORK
    L = typed_layers(run(study, sq, PER_LAYER_ARRAY, "hybrid"), study.network(sq))
    small = study.accelerator(PER_LAYER_ARRAY)
    first = L[L["layer_type"] == FIRST_CONV].iloc[0]
    e3 = L[L["name"].str.endswith("expand3x3")]
    e3_os = int((e3["dataflow"] == "os").sum())
    ones = L[L["layer_type"] == ONE_BY_ONE]
    ones_ws = int((ones["dataflow"] == "ws").sum())
    os_ones = ", ".join(ones.loc[ones["dataflow"] != "ws", "name"])
    out.append(Statement(
        f"{study.network(sq).name} on {array_label(small)}: the hybrid runs conv1 and most 3×3 "
        "expand layers in OS and every 1×1 layer (conv10 included) in WS",
        f"{first['name']} in {str(first['dataflow']).upper()}; {e3_os} of {len(e3)} expand3x3 in "
        f"OS; {ones_ws} of {len(ones)} 1×1 layers in WS"
        + (f" (in OS: {os_ones})" if os_ones else ""),
        first["dataflow"] == "os" and e3_os > len(e3) / 2 and ones_ws == len(ones)))

    papers_table = array_label(small)   # the totals of the 16×16 chart are the table's row
    for a in dict.fromkeys(g.array for g in gains):
        gs = sorted((g for g in gains if g.array == a), key=lambda g: g.speedup_over_best)
        alex = next(g for g in gs if g.stem == "alexnet")
        rank = gs.index(alex) + 1
        where = f"{a}, the array of the papers' table" if a == papers_table else a
        out.append(Statement(
            f"AlexNet gains least from the hybrid ({where})",
            f"{alex.network}: {alex.speedup_over_best:.2f}× over the better single dataflow, "
            f"rank {rank} of {len(gs)} from the least (least: {gs[0].network}, "
            f"{gs[0].speedup_over_best:.2f}×)", rank == 1))
    slower = [f"{g.network} on {g.array}" for g in gains if g.speedup_over_best < 1]
    out.append(Statement(
        "The hybrid is never slower than either single dataflow",
        f"{len(gains) - len(slower)} of {len(gains)} network × array pairs"
        + (f"; slower on {', '.join(slower)}" if slower else ""), not slower))
    saves = [g for g in gains if g.saving_over_os > 0 and g.saving_over_ws > 0]
    out.append(Statement(
        "The hybrid saves energy over both single dataflows on most networks",
        f"{len(saves)} of {len(gains)} network × array pairs", len(saves) > len(gains) / 2))
    return out


# -- clock sensitivity --------------------------------------------------------------------------

def dram_bound_layers(study: study.Study, stems: Sequence[str], accel: str,
                      clock_mhz: float | None = None) -> pd.DataFrame:
    """Every layer with cycles of the hybrid runs of ``stems``, with its type and whether more
    than ``DRAM_BOUND`` of its cycles are DRAM stalls."""
    frames = []
    for stem in stems:
        L = typed_layers(run(study, stem, accel, "hybrid", clock_mhz), study.network(stem))
        L = L[L["cycles"] > 0]
        frames.append(pd.DataFrame({
            "stem": stem, "name": L["name"], "layer_type": L["layer_type"],
            "dataflow": L["dataflow"], "cycles": L["cycles"], "stall_cycles": L["stall_cycles"],
            "bound": L["stall_cycles"] > DRAM_BOUND * L["cycles"]}))
    return pd.concat(frames, ignore_index=True)


def dram_bound_sentence(study: study.Study, accel: str, stems: Sequence[str] = STUDY_NETWORKS,
                        clocks: Sequence[float] = (BASE_CLOCK_MHZ, ALT_CLOCK_MHZ)) -> str:
    """Which layers become DRAM-bound when the clock changes, from the numbers."""
    a, b = (dram_bound_layers(study, stems, accel, c) for c in clocks)
    acc = study.accelerator(accel)
    became = a[~a["bound"].to_numpy() & b["bound"].to_numpy()]
    freed = a[a["bound"].to_numpy() & ~b["bound"].to_numpy()]
    kinds = became["layer_type"].value_counts()
    order = list(LAYER_TYPES) + [OTHER]
    named = {OTHER: "pooling/other"}
    parts = ", ".join(f"{int(kinds[t])} {named.get(t, t)}" for t in order if t in kinds)
    share = lambda d: d["stall_cycles"].sum() / d["cycles"].sum()
    cyc = [acc.dram_bandwidth_gbps * 1e3 / c for c in clocks]
    text = (f"On {array_label(acc)}, {int(a['bound'].sum())} of {len(a)} layers of the "
            f"{len(stems)} study networks (hybrid) are DRAM-bound (over "
            f"{100 * DRAM_BOUND:g} % of their cycles stalled) at {clocks[0]:g} MHz "
            f"({cyc[0]:g} B/cycle) and {int(b['bound'].sum())} at {clocks[1]:g} MHz "
            f"({cyc[1]:g} B/cycle); DRAM stalls are {100 * share(a):.1f} % of all "
            f"cycles at {clocks[0]:g} MHz and {100 * share(b):.1f} % at {clocks[1]:g} MHz.")
    if len(became):
        by_net = became.groupby("stem", sort=False).size()
        nets = ", ".join(f"{study.network(s).name} {int(n)}" for s, n in by_net.items())
        text += (f" The {len(became)} layers that become DRAM-bound at {clocks[1]:g} MHz are "
                 f"{parts} (by network: {nets}).")
    else:
        text += f" No layer becomes DRAM-bound at {clocks[1]:g} MHz."
    if len(freed):
        now = b.loc[freed.index, "dataflow"]
        moved = now != freed["dataflow"]
        how = ", ".join(f"{int(n)} from {x.upper()} to {y.upper()}" for (x, y), n in
                        pd.DataFrame({"x": freed["dataflow"][moved], "y": now[moved]})
                        .value_counts(sort=False).items())
        text += (f" {len(freed)} layers stop being DRAM-bound at {clocks[1]:g} MHz: the hybrid "
                 f"moves {int(moved.sum())} of them to the other dataflow"
                 + (f" ({how})" if how else "") + ", whose longer compute hides the same "
                 "traffic" + ("; the others change tiling." if moved.sum() < len(freed)
                              else "."))
    return text


# -- markdown -----------------------------------------------------------------------------------

def _x(v: float) -> str:
    return f"{v:.2f}×"


def _s(v: float) -> str:
    return f"{100 * v:+.1f} %"


def summary_markdown(gains: Sequence[HybridGain]) -> str:
    """The summary table (also quoted in the top-level README): per network, for each array,
    the hybrid's speed-up over OS-only and WS-only and its energy saving over each."""
    arrays = list(dict.fromkeys(g.array for g in gains))
    head = "| Network | " + " | ".join(
        f"{a} vs OS | {a} vs WS | {a} energy vs OS | {a} energy vs WS" for a in arrays) + " |"
    rule = "|---|" + "---:|" * (4 * len(arrays))
    out = [head, rule]
    for stem in dict.fromkeys(g.stem for g in gains):
        row = {g.array: g for g in gains if g.stem == stem}
        name = next(iter(row.values())).network
        cells = " | ".join(f"{_x(row[a].speedup_over_os)} | {_x(row[a].speedup_over_ws)} | "
                           f"{_s(row[a].saving_over_os)} | {_s(row[a].saving_over_ws)}"
                           for a in arrays)
        out.append(f"| {name} | {cells} |")
    return "\n".join(out) + "\n"


def _shares_markdown(study: study.Study, stems: Sequence[str]) -> str:
    head = "| Network | MACs | " + " | ".join(LAYER_TYPES) + " |"
    out = [head, "|---|" + "---:|" * (1 + len(LAYER_TYPES))]
    for stem in stems:
        net = study.network(stem)
        sh = mac_shares(net)
        out.append(f"| {net.name} | {net.macs:,} | "
                   + " | ".join(f"{100 * sh[t]:.1f} %" for t in LAYER_TYPES) + " |")
    return "\n".join(out) + "\n"


def ratios_markdown(ratios: Sequence[TypeRatio]) -> str:
    out = ["| Layer type | Layers | Networks | WS ÷ OS min | median | max | faster in OS | "
           "min at | max at | the papers |",
           "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for r in ratios:
        out.append(f"| {r.layer_type} | {r.layers} | {r.networks} | {r.low:.2f} | "
                   f"{r.median:.2f} | {r.high:.2f} | {r.os_faster} of {r.layers} | "
                   f"{r.low_at} | {r.high_at} | {PAPER_SAYS[r.layer_type]} |")
    return "\n".join(out) + "\n"


def _statements_markdown(items: Sequence[Statement]) -> str:
    out = ["| The papers say | Measured | Holds |", "|---|---|---|"]
    for s in items:
        out.append(f"| {s.text} | {s.measured} | {'yes' if s.holds else '**no**'} |")
    return "\n".join(out) + "\n"


def _clock_gains_markdown(base: Sequence[HybridGain], alt: Sequence[HybridGain]) -> str:
    c0, c1 = base[0].clock_mhz, alt[0].clock_mhz
    lab = lambda c: f"{c / 1000:g} GHz" if c >= 1000 else f"{c:g} MHz"
    cols = []
    for what in ("hybrid ms", "vs OS", "vs WS", "energy vs OS", "energy vs WS"):
        cols += [f"{what} {lab(c0)}", f"{what} {lab(c1)}"]
    out = ["| Network | Array | " + " | ".join(cols) + " |",
           "|---|---|" + "---:|" * len(cols)]
    for g0, g1 in zip(base, alt):
        ms = lambda g: g.hybrid_cycles / (g.clock_mhz * 1e3)
        cells = [f"{ms(g0):.3f}", f"{ms(g1):.3f}",
                 _x(g0.speedup_over_os), _x(g1.speedup_over_os),
                 _x(g0.speedup_over_ws), _x(g1.speedup_over_ws),
                 _s(g0.saving_over_os), _s(g1.saving_over_os),
                 _s(g0.saving_over_ws), _s(g1.saving_over_ws)]
        out.append(f"| {g0.network} | {g0.array} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _objective_markdown(study: study.Study) -> str:
    rows = ["| Network | Array | near-ties | time-first ms | energy-first ms | time-first "
            "energy | energy-first energy | energy-first saving vs OS | vs WS |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for stem in STUDY_NETWORKS:
        for accel in STUDY_ARRAYS:
            t = run(study, stem, accel, "hybrid")
            e = study.run(stem, accel, None, {"hybrid.objective": "energy"})
            os_e = run(study, stem, accel, "os").summary["energy"]
            ws_e = run(study, stem, accel, "ws").summary["energy"]
            ts, es = t.summary, e.summary
            rows.append(
                f"| {t.network} | {array_label(t.accelerator)} | "
                f"{ts.get('layers_near_tie', 0)} | {ts['time_ms']:.3f} | {es['time_ms']:.3f} | "
                f"{ts['energy']:.4g} | {es['energy']:.4g} | "
                f"{_s(1 - es['energy'] / os_e)} | {_s(1 - es['energy'] / ws_e)} |")
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class Sections:
    markdown: str
    summary: str                   # the table quoted in the top-level README
    gains: tuple                   # HybridGain at the base clock
    ratios: tuple                  # TypeRatio on RATIO_ARRAY
    statements: tuple


def sections(study: study.Study, number: int = 4) -> Sections:
    """The dataflow-study and clock-sensitivity sections of the report (markdown)."""
    md: list[str] = []
    gains = hybrid_gains(study)
    ratio_acc = study.accelerator(RATIO_ARRAY)
    everything = study.bundled_networks()
    layers = layer_comparison(study, everything)
    ratios = type_ratios(layers)
    said = statements(study, layers, gains)
    summary = summary_markdown(gains)
    names = ", ".join(study.network(s).name for s in STUDY_NETWORKS)

    md.append(f"## {number}. The dataflow study: hybrid against OS-only and WS-only\n")
    md.append(
        f"{names}, each run on {' and '.join(f'`{a}`' for a in STUDY_ARRAYS)} three times: "
        "with the accelerator's dataflow overridden to `os` and to `ws` (a single-dataflow "
        "Squeezelerator) and as the hybrid. *vs OS* and *vs WS* are the hybrid's speed-up "
        "(single-dataflow cycles ÷ hybrid cycles); *energy vs OS/WS* is its energy saving "
        "(1 − hybrid energy ÷ single-dataflow energy; negative: the hybrid spends more, because "
        "it chose the faster dataflow for a layer that costs more energy in it). This table is "
        "also in the top-level README.\n")
    md.append(summary)
    md.append("Share of each network's MACs by layer type (the classification is "
              "`report.dataflow_study.layer_type`, described in docs/report.md: the first "
              "convolution; other 1×1 convolutions; F×F = kernel larger than 1, not depthwise; "
              "depthwise; FC, including 1×1 convolutions on a 1×1 map):\n")
    md.append(_shares_markdown(study, STUDY_NETWORKS))
    md.append(f"### WS ÷ OS cycles per layer type on {array_label(ratio_acc)}\n")
    md.append(f"Every MAC layer of all {len(everything)} bundled networks "
              f"(`networks/*.yaml`) run OS-only and WS-only on `{RATIO_ARRAY}`; the ratio is "
              "WS cycles ÷ OS cycles (above 1: OS is faster). The papers state these ratios "
              "for a 32×32 array.\n")
    md.append(ratios_markdown(ratios))
    md.append("### The papers' qualitative statements, measured\n")
    md.append(_statements_markdown(said))
    md.append("`tests/test_dataflow_study.py` checks each of these on its own simulations, "
              "independently of the report's code; a statement the model does not reproduce "
              "is marked there as an expected failure with the reason.\n")
    md.append("### Near-ties, and a hybrid that chooses by energy\n")
    md.append(
        "The papers' hybrid keeps the faster dataflow per layer. A *near-tie* is a layer whose "
        "two dataflows' cycles differ by at most 5 % while their energies differ by more than "
        "20 % (docs/model.md §8; `near_tie` in the per-layer output). The same networks with "
        "`hybrid.objective: energy` (per layer the lower energy, ties to the faster) show what "
        "the time-first rule costs in energy and what an energy-first rule costs in time.\n")
    md.append(_objective_markdown(study))

    # clock sensitivity ---------------------------------------------------------------------
    acc = study.accelerator()
    alt = ALT_CLOCK_MHZ
    md.append(f"## {number + 1}. Clock sensitivity: {acc.clock_mhz:g} MHz against "
              f"{alt / 1000:g} GHz\n")
    md.append(
        f"The papers give no clock; {acc.clock_mhz:g} MHz is this project's choice "
        "(docs/model.md §2). The clock decides how many bytes the "
        f"{acc.dram_bandwidth_gbps:g} GB/s DRAM delivers per cycle — "
        f"{acc.dram_bytes_per_cycle:g} B/cycle at {acc.clock_mhz:g} MHz, "
        f"{acc.dram_bandwidth_gbps * 1e3 / alt:g} B/cycle at {alt / 1000:g} GHz — and so which "
        "layers are DRAM-bound. Everything below is rerun with `clock_mhz` overridden to "
        f"{alt:g}; nothing else changes.\n")
    claim_sets = {}
    for path in STUDY_ARRAYS:
        a = study.accelerator(path)
        for c in (acc.clock_mhz, alt):
            ov = None if c == a.clock_mhz else {"clock_mhz": c}
            lab = f"{a.rows}×{a.cols}, {c / 1000:g} GHz" if c >= 1000 else \
                f"{a.rows}×{a.cols}, {c:g} MHz"
            claim_sets[lab] = claims.evaluate_claims(study.results(claims.CLAIM_NETWORKS, path,
                                                                  ov))
    md.append("The claims (SPEC §1) at both clocks:\n")
    md.append(claims.claims_by_array_markdown(claim_sets))
    md.append("The dataflow study's hybrid-vs-single numbers at both clocks (*hybrid ms*: the "
              "hybrid's inference time):\n")
    md.append(_clock_gains_markdown(gains, hybrid_gains(study, clock_mhz=alt)))
    for path in STUDY_ARRAYS:
        md.append(dram_bound_sentence(study, path) + "\n")
    return Sections("\n".join(md), summary, tuple(gains), tuple(ratios), tuple(said))

