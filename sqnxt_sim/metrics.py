"""One table of what every reported quantity is called, its unit and which way is better.

Charts, tables, sweep plots and Pareto fronts read names, units and directions from here, so a
metric is declared once (docs/output.md).  Energy columns are in MAC-normalised units whatever
the energy table (SPEC §3); a picojoule table adds ``energy_pj``.
"""

from __future__ import annotations

from dataclasses import dataclass

ENERGY = "MAC-normalised units"


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str               # readable name, sentence case, no unit
    unit: str                # "" for a pure number or fraction; ENERGY for the table's unit
    better: str              # "lower", "higher", or "" (not a figure of merit, e.g. a count)


def _m(key: str, label: str, unit: str = "", better: str = "lower") -> Metric:
    return Metric(key, label, unit, better)


_TABLE = (
    # results: summary and per-layer columns
    _m("cycles", "Cycles", "cycles"),
    _m("time_ms", "Time", "ms"),
    _m("energy", "Energy", ENERGY),
    _m("energy_pj", "Energy", "pJ"),
    _m("energy_mac", "MAC energy", ENERGY),
    _m("energy_rf", "Register-file energy", ENERGY),
    _m("energy_array", "Inter-PE energy", ENERGY),
    _m("energy_sram", "Global-buffer energy", ENERGY),
    _m("energy_dram", "DRAM energy", ENERGY),
    _m("energy_static", "Static (leakage) energy", ENERGY),
    _m("utilization", "PE utilisation", "", "higher"),
    _m("compute_cycles", "Compute cycles", "cycles"),
    _m("stall_cycles", "Stall cycles", "cycles"),
    _m("macs", "MACs", "", ""),
    _m("params", "Parameters", "", ""),
    _m("ops", "Operations performed", "", ""),
    _m("dram_read_bytes", "DRAM read", "bytes"),
    _m("dram_write_bytes", "DRAM written", "bytes"),
    _m("area_mm2", "Area", "mm²"),
    _m("edp", "Energy × delay", f"{ENERGY}·ms"),
    _m("perf_per_area", "Throughput per area", "inferences/s/mm²", "higher"),
    _m("layers", "Layers", "", ""),
    _m("dataflow", "Dataflow", "", ""),
    # accelerator fields that sweeps vary
    _m("pe_array.rows", "PE array rows", "", ""),
    _m("pe_array.cols", "PE array columns", "", ""),
    _m("rf.registers", "Register file", "registers", ""),
    _m("global_buffer.kb", "Global buffer", "KiB", ""),
    _m("dram.bandwidth_gbps", "DRAM bandwidth", "GB/s", ""),
    _m("dram.latency_cycles", "DRAM latency", "cycles", ""),
    _m("clock_mhz", "Clock", "MHz", ""),
    _m("sparsity", "Weight sparsity", "", ""),
    _m("word_bits", "Word width", "bits", ""),
)

METRICS: dict[str, Metric] = {m.key: m for m in _TABLE}


def get(key: str) -> Metric:
    """The metric for ``key``; an unknown column gets its own name, no unit, no direction.
    ``layers_<dataflow>`` counts are named from the dataflow."""
    if key in METRICS:
        return METRICS[key]
    if key.startswith("layers_"):
        what = key[len("layers_"):]
        return Metric(key, "Near-tie layers" if what == "near_tie" else
                      f"Layers in {what.upper()}", "", "")
    layer, dot, what = key.rpartition(".")
    if dot and what in METRICS and layer:       # a sweep's per-layer column: conv1.cycles
        m = METRICS[what]
        return Metric(key, f"{layer} {m.label[0].lower()}{m.label[1:]}", m.unit, m.better)
    return Metric(key, key, "", "")


def unit(key: str) -> str:
    """``key``'s unit ("" for counts and fractions)."""
    return get(key).unit


def label(key: str) -> str:
    """An axis or column label: ``"Time (ms)"``, ``"PE utilisation"``."""
    u = unit(key)
    name = get(key).label
    return f"{name} ({u})" if u else name


def better(key: str) -> str:
    """``"lower"``, ``"higher"`` or ``""``: the direction a Pareto front optimises ``key``."""
    return get(key).better
