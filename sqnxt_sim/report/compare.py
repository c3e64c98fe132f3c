"""The network-comparison table of ``sqnxt-sim compare`` and the report (docs/report.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from .study import (
    ReportError,
)

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
