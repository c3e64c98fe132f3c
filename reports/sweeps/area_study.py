"""The area_budget study's tables, read from reports/sweeps/area_budget.csv.

Run from the repository root (regenerate.sh does):

    python reports/sweeps/area_study.py            # print the tables
    python reports/sweeps/area_study.py --update   # rewrite them in reports/sweeps/README.md

Pareto fronts use each metric's declared direction (sqnxt_sim.metrics): time, energy and area
lower is better; throughput per area higher.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

from sqnxt_sim import metrics

HERE = Path(__file__).resolve().parent
CSV = HERE / "area_budget.csv"
README = HERE / "README.md"
BUDGET_MM2 = 2.0
PAPERS = [(32, 16, 128.0), (16, 16, 128.0)]     # (array side, RF registers, buffer KB)
BEGIN, END = "<!-- area_budget:begin -->", "<!-- area_budget:end -->"


def front(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Rows no other row dominates in ``cols`` (each in its declared direction)."""
    v = np.column_stack([df[c].to_numpy(float) * (-1 if metrics.better(c) == "higher" else 1)
                         for c in cols])
    keep = np.ones(len(v), dtype=bool)
    for i in range(len(v)):
        dominated = np.all(v <= v[i], axis=1) & np.any(v < v[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def design(r) -> str:
    return (f"{int(r['pe_array.rows'])}×{int(r['pe_array.cols'])}, RF {int(r['rf.registers'])}, "
            f"{r['global_buffer.kb']:g} KB")


def row(r) -> str:
    return (f"{design(r)} | {r['area_mm2']:.2f} | {r['time_ms']:.2f} | "
            f"{r['energy'] / 1e9:.3f} | {r['perf_per_area']:.0f}")


def tables(csv: Path = CSV) -> str:
    d = pd.read_csv(csv)
    d = d[d["error"].isna()] if "error" in d else d
    out = []
    head = ("| | design | area (mm²) | time (ms) | energy (10⁹ MAC-norm.) | "
            "inferences/s/mm² |\n|---|---|---|---|---|---|")
    for net, g in d.groupby("network", sort=False):
        g = g.reset_index(drop=True)
        n = len(g)
        g["front_time_area"] = front(g, ["time_ms", "area_mm2"])
        g["front_energy_area"] = front(g, ["energy", "area_mm2"])
        g["front_time_energy"] = front(g, ["time_ms", "energy"])
        rank = g["perf_per_area"].rank(ascending=False, method="min").astype(int)
        inb = g[g["area_mm2"] <= BUDGET_MM2]
        lines = [f"**{net}** ({n} designs, {len(inb)} within {BUDGET_MM2:g} mm²)", "", head]
        best = g.loc[g["perf_per_area"].idxmax()]
        lines.append(f"| most inferences/s per mm² | {row(best)} |")
        lines.append(f"| fastest within {BUDGET_MM2:g} mm² | "
                     f"{row(inb.loc[inb['time_ms'].idxmin()])} |")
        lines.append(f"| least energy within {BUDGET_MM2:g} mm² | "
                     f"{row(inb.loc[inb['energy'].idxmin()])} |")
        lines.append(f"| least energy overall | {row(g.loc[g['energy'].idxmin()])} |")
        lines.append(f"| fastest overall | {row(g.loc[g['time_ms'].idxmin()])} |")
        for side, rf, kb in PAPERS:
            m = g[(g["pe_array.rows"] == side) & (g["rf.registers"] == rf)
                  & (g["global_buffer.kb"] == kb)]
            if len(m) != 1:
                continue
            r = m.iloc[0]
            i = m.index[0]
            on = [name for name, col in (("time–area", "front_time_area"),
                                         ("energy–area", "front_energy_area"),
                                         ("time–energy", "front_time_energy")) if r[col]]
            lines.append(f"| the papers' {side}×{side} (rank {rank[i]} of {n} per mm²; on "
                         f"{', '.join(on) if on else 'no'} front{'s' if len(on) != 1 else ''})"
                         f" | {row(r)} |")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def buffer_question(csv: Path = CSV) -> str:
    """The issue's question: which buffer for MobileNet v1 on a 16×16 array (RF 16)?"""
    d = pd.read_csv(csv)
    g = d[d["network"].str.startswith("MobileNet v1") & (d["pe_array.rows"] == 16)
          & (d["rf.registers"] == 16)].sort_values("global_buffer.kb")
    lines = ["| buffer (KB) | area (mm²) | time (ms) | energy (10⁹) | buffer energy (10⁹) | "
             "inferences/s/mm² |", "|---|---|---|---|---|---|"]
    for _, r in g.iterrows():
        lines.append(f"| {r['global_buffer.kb']:g} | {r['area_mm2']:.2f} | {r['time_ms']:.2f} | "
                     f"{r['energy'] / 1e9:.3f} | {r['energy_sram'] / 1e9:.3f} | "
                     f"{r['perf_per_area']:.0f} |")
    return "\n".join(lines) + "\n"


def block(csv: Path = CSV) -> str:
    return (f"{BEGIN}\n{tables(csv)}\nMobileNet v1 on 16×16, RF 16, by buffer size:\n\n"
            f"{buffer_question(csv)}{END}")


def update(readme: Path = README, csv: Path = CSV) -> None:
    text = readme.read_text(encoding="utf-8")
    new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block(csv), text,
                 flags=re.S)
    if new == text and BEGIN not in text:
        raise SystemExit(f"{readme}: no {BEGIN} … {END} block to update")
    readme.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="rewrite the block in README.md")
    a = ap.parse_args()
    if a.update:
        update()
    else:
        print(block())
