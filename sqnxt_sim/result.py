"""Results: one frozen record per layer, a summary, and their CSV/JSON forms (SPEC §3)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property, lru_cache


@dataclass(frozen=True, slots=True)
class LayerResult:
    name: str
    type: str
    dataflow: str
    macs: int                 # the layer's multiply-accumulates (dense, as published)
    params: int
    cycles: int
    compute_cycles: int
    stall_cycles: int
    utilization: float        # operations performed / (cycles × PEs)
    energy: float             # in the energy table's unit (MAC-normalised or pJ)
    energy_mac: float
    energy_rf: float
    energy_array: float
    energy_sram: float
    energy_dram: float
    dram_read_bytes: int
    dram_write_bytes: int
    energy_static: float      # leakage × area × time (docs/model.md §7.3)
    ops: float                # MACs (zeros skipped in OS), or compares/adds, performed
    rf_accesses: float
    array_accesses: float
    sram_reads: float
    sram_writes: float
    in_shape: str
    out_shape: str
    tiling: str
    energy_pj: float | None = None   # only when the energy table is in picojoules
    # template: systolic only (docs/systolic.md §4, §8): SCALE-Sim's "Mapping Efficiency" and
    # "Compute Util" as fractions; `utilization` above is its "Overall Util"
    mapping_efficiency: float | None = None
    compute_utilization: float | None = None
    # per operand: global-buffer words the array reads, DRAM bytes read (docs/output.md)
    sram_ifmap_reads: float = 0.0
    sram_weight_reads: float = 0.0
    sram_psum_reads: float = 0.0
    dram_ifmap_bytes: int = 0
    dram_weight_bytes: int = 0
    dram_psum_bytes: int = 0
    # hybrid only (docs/model.md §8): what each dataflow would have cost, and whether the two
    # are a near-tie in time with a large difference in energy
    os_cycles: int | None = None
    ws_cycles: int | None = None
    os_energy: float | None = None
    ws_energy: float | None = None
    near_tie: bool | None = None

    SYSTOLIC_ONLY = ("mapping_efficiency", "compute_utilization")

    @classmethod
    def columns(cls, with_pj: bool, systolic: bool = False) -> list[str]:
        return list(_columns(with_pj, systolic))


@lru_cache(maxsize=4)
def _columns(with_pj: bool, systolic: bool) -> tuple[str, ...]:
    return tuple(f.name for f in fields(LayerResult) if (with_pj or f.name != "energy_pj")
                 and (systolic or f.name not in LayerResult.SYSTOLIC_ONLY))


ENERGY_LEVELS = ("mac", "rf", "array", "sram", "dram", "static")


def row_dataflows() -> tuple[str, ...]:
    from .machines import row_dataflows as from_registry
    return from_registry()


@dataclass(frozen=True, slots=True)
class Summary(Mapping):
    """A run's totals (docs/output.md).  A frozen record that also reads as the mapping of
    SPEC §3 (``summary["cycles"]``): optional entries (``energy_pj``, the per-dataflow layer
    counts ``layers_<dataflow>``, ``layers_near_tie``) appear only when they apply."""

    cycles: int
    time_ms: float
    energy: float
    macs: int
    params: int
    utilization: float
    compute_cycles: int
    stall_cycles: int
    energy_mac: float
    energy_rf: float
    energy_array: float
    energy_sram: float
    energy_dram: float
    energy_static: float
    dram_read_bytes: int
    dram_write_bytes: int
    area_mm2: float           # the accelerator's silicon area (docs/model.md §7.2)
    edp: float                # energy × time_ms
    perf_per_area: float      # inferences per second per mm²
    energy_pj: float | None
    layers: int
    layer_counts: tuple[tuple[str, int], ...] = ()   # (dataflow or "near_tie", rows), non-zero

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name not in ("energy_pj", "layers", "layer_counts")}
        if self.energy_pj is not None:
            out["energy_pj"] = self.energy_pj
        out["layers"] = self.layers
        out.update((f"layers_{k}", n) for k, n in self.layer_counts)
        return out

    def __getitem__(self, key: str):
        return self.as_dict()[key]

    def __iter__(self):
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())


class LazyRows:
    """A simulation's rows before they are records: ``column(key)`` yields one field of every
    row in layer order, ``build()`` makes the records.  (A sweep point needs only the summary;
    building 135 records per point was a quarter of its time.)"""

    def __init__(self, column, build) -> None:
        self.column = column
        self.build = build


def summary_keys() -> tuple[str, ...]:
    """Every key a summary can have, in order (sweep results columns): the record's fields and
    a layer count per dataflow a result row can show (from the machine registry)."""
    base = [f.name for f in fields(Summary) if f.name not in ("layers", "layer_counts")]
    return (*base, "layers", *(f"layers_{d}" for d in row_dataflows()), "layers_near_tie")


class Result:
    """Per-layer frame (``.layers``), totals (``.summary``) and provenance."""

    def __init__(self, network: str, accelerator, rows: list[LayerResult] | LazyRows, *,
                 network_source: str | None = None, version: str = "", batch: int = 1) -> None:
        self.network = network
        self.batch = batch
        self.accelerator = accelerator
        if isinstance(rows, LazyRows):
            self._lazy, self._records = rows, None
        else:
            self._lazy, self._records = None, rows
        self.network_source = network_source
        self.version = version
        self.with_pj = accelerator.energy.unit == "pJ"
        self.columns = LayerResult.columns(self.with_pj,
                                           getattr(accelerator, "template", "") == "systolic")
        self.summary = self._summary()
        self._check_finite()

    def _check_finite(self) -> None:
        """No Infinity or NaN ever reaches an output (invalid JSON, "nan%" in a table): the
        limits on inputs (docs/errors.md) keep every total finite; this is the backstop."""
        from .errors import LimitError

        for k, v in self.summary.as_dict().items():
            if isinstance(v, float) and not math.isfinite(v):
                raise LimitError(f"the result's {k} is not a finite number ({v!r}): an input "
                                 f"(unit energy, size, clock or bandwidth) is too large",
                                 field=k)

    @property
    def records(self) -> list[LayerResult]:
        """One record per layer (built on first use when the simulation handed over its rows
        lazily: a sweep reads only the summary)."""
        if self._records is None:
            self._records = self._lazy.build()
        return self._records

    def __getstate__(self) -> dict:
        # (the lazy rows are closures over the simulation: a pickled result carries records)
        state = dict(self.__dict__, _records=self.records, _lazy=None)
        state.pop("layers", None)          # (the cached DataFrame is rebuilt on demand)
        return state

    def _column(self, key: str):
        """One field of every row, in layer order (the summary's sums read these)."""
        if self._records is None:
            return self._lazy.column(key)
        return (getattr(x, key) for x in self._records)

    @cached_property
    def layers(self):
        """One row per layer as a pandas DataFrame (built on first use: sweeps and JSON output
        need only the records and the summary)."""
        import pandas as pd

        cols = self.columns
        return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in self.records],
                            columns=cols)

    def _summary(self) -> Summary:
        acc = self.accelerator
        col = self._column
        cycles = sum(col("cycles"))
        ops = sum(col("ops"))
        flows = list(col("dataflow"))
        counts = {df: n for df in row_dataflows() if (n := flows.count(df))}
        ties = sum(1 for t in col("near_tie") if t)
        if ties:
            counts["near_tie"] = ties
        time_ms = cycles / (acc.clock_mhz * 1e3)
        energy = sum(col("energy"))
        area = acc.area_mm2
        return Summary(
            cycles=cycles, time_ms=time_ms,
            energy=energy, macs=sum(col("macs")),
            params=sum(col("params")),
            utilization=ops / (cycles * acc.pes) if cycles else 0.0,
            compute_cycles=sum(col("compute_cycles")),
            stall_cycles=sum(col("stall_cycles")),
            **{f"energy_{lvl}": sum(col(f"energy_{lvl}")) for lvl in ENERGY_LEVELS},
            dram_read_bytes=sum(col("dram_read_bytes")),
            dram_write_bytes=sum(col("dram_write_bytes")),
            area_mm2=area, edp=energy * time_ms,
            perf_per_area=self.batch * 1e3 / time_ms / area if time_ms and area else 0.0,
            energy_pj=sum(e or 0.0 for e in col("energy_pj")) if self.with_pj else None,
            layers=len(flows), layer_counts=tuple(counts.items()))

    # -- output ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        from .hardware.accelerator import Accelerator  # noqa: F401  (type only)
        return {
            "network": self.network,
            "accelerator": self.accelerator.name,
            "summary": self.summary.as_dict(),
            "layers": [{c: getattr(x, c) for c in self.columns} for x in self.records],
            "provenance": {
                "sqnxt_sim_version": self.version,
                "network_source": self.network_source,
                "batch": self.batch,
                "accelerator": self.accelerator.to_dict(),
            },
        }

    def to_json(self) -> str:
        # imported here: CSV and table output, and sweeps, never need it
        import json

        return json.dumps(self.to_dict(), indent=2) + "\n"

    def to_csv(self) -> str:
        """The per-layer table as CSV (no pandas needed).  Floats are written with ``repr``,
        the shortest text that reads back as the same float, so the CSV is lossless."""
        def cell(v) -> str:
            if v is None:
                return ""
            if isinstance(v, float):
                return repr(float(v))
            return str(v)

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.columns)
        for r in self.records:
            writer.writerow([cell(getattr(r, c)) for c in self.columns])
        return buf.getvalue()

    def to_frame(self):
        """The per-layer table as a new DataFrame (a copy of ``layers``, safe to modify)."""
        return self.layers.copy()

    def __repr__(self) -> str:
        s = self.summary
        acc = self.accelerator
        return (f"<Result {self.network!r} on {acc.name!r} ({acc.rows}x{acc.cols} "
                f"{acc.dataflow}{f', batch {self.batch}' if self.batch != 1 else ''}): "
                f"{s['layers']} layers, {s['cycles']:,} cycles = {s['time_ms']:.4g} ms, "
                f"energy {s['energy']:.4g} MAC units, PE utilisation {s['utilization']:.1%}>")

    def _repr_html_(self) -> str:
        """Jupyter's rich display: a summary (every totals key with its unit) and the per-layer
        table.  Every name is escaped: a layer named ``<script>`` shows as text."""
        from html import escape

        from . import metrics

        acc = self.accelerator
        s = self.summary.as_dict()

        def value(k, v):
            if isinstance(v, float):
                return f"{100 * v:.1f} %" if k == "utilization" else f"{v:.6g}"
            return f"{v:,}" if isinstance(v, int) else str(v)

        def unit(k):
            # per-layer and total `energy*` are MAC-normalised whatever the table
            # (docs/output.md); energy_pj is in pJ
            return metrics.unit(k)

        head = (f"<p><b>{escape(self.network)}</b> on <b>{escape(acc.name)}</b> "
                f"({acc.rows}&times;{acc.cols} PEs, {escape(acc.template)} "
                f"{escape(acc.dataflow)}, {acc.clock_mhz:g} MHz"
                f"{f', batch {self.batch}' if self.batch != 1 else ''})</p>")
        rows = "".join(f"<tr><th style='text-align:left'>{escape(metrics.get(k).label)}</th>"
                       f"<td style='text-align:right'>{escape(value(k, v))}</td>"
                       f"<td style='text-align:left'>{escape(unit(k))}</td></tr>"
                       for k, v in s.items())
        table = self.layers.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4g}",
                                    border=0, max_rows=400)
        return (f"<div class='sqnxt-result'>{head}<table>{rows}</table>"
                f"<details open><summary>{len(self.records)} layers</summary>{table}</details>"
                f"</div>")
