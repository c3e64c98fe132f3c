"""Text renderings of networks and results for people (and JSON-ready dicts for tools)."""

from __future__ import annotations

import pandas as pd

from ..network.graph import Network

# per-layer `energy` is MAC-normalised even with a picojoule table (docs/output.md)
ENERGY_HEADER = "energy (MAC units)"


def fmt_int(v) -> str:
    return f"{int(v):,}"


def render(df: pd.DataFrame, formats: dict | None = None, align_left=("name", "type"),
           markdown: bool = False) -> str:
    """A table of ``df`` with each column formatted by ``formats`` (default ``str``, missing
    values empty): fixed-width text for a terminal, or a Markdown table (``markdown``; the
    report), with the ``align_left`` columns left-aligned and the others right-aligned."""
    formats = formats or {}
    cols = list(df.columns)
    cells = [[formats.get(c, str)(v) if not (isinstance(v, float) and pd.isna(v)) else ""
              for c, v in zip(cols, row)] for row in df.itertuples(index=False)]
    if markdown:
        rule = "|" + "|".join("---" if c in align_left else "---:" for c in cols) + "|"
        return "\n".join(["| " + " | ".join(cols) + " |", rule,
                          *("| " + " | ".join(r) + " |" for r in cells)]) + "\n"
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]

    def line(vals):
        return "  ".join(v.ljust(w) if c in align_left else v.rjust(w)
                         for c, v, w in zip(cols, vals, widths)).rstrip()

    out = [line(cols), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def network_table(net: Network) -> str:
    df = net.table().drop(columns=["inputs"])
    t = net.totals
    body = render(df, {c: fmt_int for c in ("macs", "weights", "biases", "bn_params",
                                            "params")})
    foot = (f"\n\n{net.name}: {len(net)} layers, {fmt_int(t['macs'])} MACs, "
            f"{fmt_int(t['weights'])} weights, {fmt_int(t['params'])} parameters "
            f"(+{fmt_int(t['biases'])} biases, +{fmt_int(t['bn_params'])} batch-norm)")
    return body + foot + "\n"


def network_json(net: Network) -> dict:
    layers = net.table().to_dict(orient="records")
    return {"network": net.name, "summary": net.summary(), "layers": layers}


def _pct(v: float) -> str:
    return f"{100 * v:.0f}"


def header(key: str, percent: bool = False) -> str:
    """A table column header with its unit, from the one table of metric labels
    (``metrics.py``): ``"Time (ms)"``, ``"Energy (MAC-normalised units)"``; a fraction shown
    as a percentage (``percent``) gets ``(%)``; a unit that only repeats the name (cycles) is
    not repeated."""
    from .. import metrics

    m = metrics.get(key)
    u = "%" if percent else metrics.unit(key)
    return f"{m.label} ({u})" if u and u.lower() != m.label.lower() else m.label


def _area_line(acc) -> str:
    a = acc.area_parts
    t = a.total_um2 or 1.0
    return (f"  area     {a.total_mm2:.3f} mm² ({acc.area.name}"
            + (f", {acc.area.node}" if acc.area.node else "") + f"): PEs "
            f"{(a.macs + a.register_files + a.network) / t:.0%}, global buffer "
            f"{a.global_buffer / t:.0%}, stream/preload buffers {a.stream_preload / t:.1%}")


def result_table(result) -> str:
    """Per-layer rows a person can read at a glance, then the totals.  Every header carries
    its unit: per-layer energy is MAC-normalised, or in pJ when the energy table is in pJ
    (docs/output.md); shares and ratios are percentages."""
    L = result.layers
    s = result.summary
    e = L["energy"].where(L["energy"] > 0, 1.0)
    pj = "energy_pj" in L
    energy_head, energy_col = ("energy (pJ)", L["energy_pj"]) if pj else (ENERGY_HEADER,
                                                                            L["energy"])
    df = pd.DataFrame({
        "name": L["name"], "type": L["type"],
        # a near-tie (docs/model.md §8) is marked: the other dataflow is as fast but not as cheap
        "flow": L["dataflow"] + (L["near_tie"] == True).map({True: "~", False: ""})  # noqa: E712
        if "near_tie" in L else L["dataflow"],
        "out (CxHxW)": L["out_shape"],
        "MACs": L["macs"], "cycles": L["cycles"],
        "stall (%)": (L["stall_cycles"] / L["cycles"].where(L["cycles"] > 0, 1)).map(_pct),
        "util (%)": L["utilization"].map(_pct), energy_head: energy_col,
        "time (%)": (L["cycles"] / max(s["cycles"], 1)).map(lambda v: f"{100 * v:.1f}"),
        "mac (%)": (L["energy_mac"] / e).map(_pct), "rf (%)": (L["energy_rf"] / e).map(_pct),
        "array (%)": (L["energy_array"] / e).map(_pct),
        "sram (%)": (L["energy_sram"] / e).map(_pct),
        "dram (%)": (L["energy_dram"] / e).map(_pct),
    })
    if L["energy_static"].any():      # a table with leakage: the shares still sum to 100 %
        df["static (%)"] = (L["energy_static"] / e).map(_pct)
    body = render(df, {"MACs": fmt_int, "cycles": fmt_int, energy_head: lambda v: f"{v:.4g}"},
                  align_left=("name", "type", "flow", "out (CxHxW)"))
    te = s["energy"] or 1.0
    acc = result.accelerator
    total = (f"{s['energy_pj'] / 1e6:.4g} µJ ({s['energy']:.4g} MAC-normalised units)"
             if "energy_pj" in s else f"{s['energy']:.4g} MAC-normalised units")
    flows = ", ".join(f"{n} {df.upper()}" for df, n in s.layer_counts
                      if df not in ("skipped", "near_tie"))
    fused = sum(1 for r in result.records if r.dataflow == "fused")
    if fused:
        flows += f", {fused} adds fused into their producer"
    if s.get("layers_skipped"):
        flows += f", {s['layers_skipped']} skipped (not modelled by this template)"
    if s.get("layers_near_tie"):
        flows += (f"; {s['layers_near_tie']} near-ties marked ~ (the other dataflow within "
                  f"{acc.hybrid_near_tie:.0%} of the cycles, energy differing by over 20 %)")
    foot = [
        "",
        f"{result.network} on {acc.name} ({acc.rows}x{acc.cols} PEs, {acc.template} "
        f"{acc.dataflow}, RF {acc.rf_registers}, {acc.buffer_kb:g} KB buffer, "
        f"{acc.dram_bandwidth_gbps:g} GB/s, {acc.clock_mhz:g} MHz"
        + (f", batch {result.batch}" if result.batch != 1 else "") + ")",
        f"  layers   {s['layers']} ({flows})",
        f"  cycles   {s['cycles']:,} ({s['stall_cycles'] / max(s['cycles'], 1):.1%} stalled on "
        f"DRAM) = {s['time_ms']:.3f} ms",
        f"  MACs     {s['macs']:,}   params {s['params']:,}   PE utilisation "
        f"{s['utilization']:.1%}",
        f"  energy   {total}: MAC {s['energy_mac'] / te:.0%}, RF "
        f"{s['energy_rf'] / te:.0%}, array {s['energy_array'] / te:.0%}, buffer "
        f"{s['energy_sram'] / te:.0%}, DRAM {s['energy_dram'] / te:.0%}"
        + (f", static {s['energy_static'] / te:.0%}" if s['energy_static'] else ""),
        f"  DRAM     {s['dram_read_bytes'] / 1e6:.2f} MB read, "
        f"{s['dram_write_bytes'] / 1e6:.2f} MB written",
        _area_line(acc),
    ]
    return body + "\n" + "\n".join(foot) + "\n"
