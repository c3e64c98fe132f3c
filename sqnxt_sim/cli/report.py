"""CLI commands: compare and report (registered on sqnxt_sim.cli.main)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from ..machines import all_dataflows
from .options import (
    Command,
    batch_option,
    clean_errors,
    emit,
    figure_options,
    output_options,
    resolve_accelerator,
)


@click.command(cls=Command)
@click.argument("networks", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--accel", "-a", "accels", multiple=True, type=click.Path(dir_okay=False),
              help="Accelerator YAML file; repeat to compare several (default: the built-in "
                   "defaults, a 32x32 hybrid Squeezelerator).")
@click.option("--dataflow", "-d", "dataflows", multiple=True, metavar="LIST",
              help=f"Dataflows to compare, a comma list or repeated ({','.join(all_dataflows())};"
                   f" default: each accelerator's own).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override an accelerator field of every accelerator by its dotted key "
                   "(repeatable; see docs/accelerators.md).")
@batch_option
@click.option("--baseline", "-b", metavar="NAME",
              help="Row the ratios are taken against: a network (name or file stem), an "
                   "accelerator (name or file stem) or a dataflow; each row is compared with "
                   "the row that differs from it only there (default: the first row).")
@click.option("--per-layer", is_flag=True,
              help="CSV: write the per-layer diff instead of the cross table (one NETWORK, "
                   "several accelerators or dataflows).")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False),
              help="Also write a time-and-energy bar chart (PNG and SVG) into this directory.")
@output_options()
@clean_errors
@figure_options
def compare(networks: tuple[str, ...], accels: tuple[str, ...], dataflows: tuple[str, ...],
            sets: tuple[str, ...], batch: int | None, baseline: str | None, per_layer: bool,
            plot_dir: str | None, fmt: str, out: str | None) -> None:
    """Compare NETWORKs × accelerators (-a, repeatable) × dataflows (-d os,ws,hybrid).

    Every combination is simulated; the cross table has one row per (network, accelerator,
    dataflow) with MACs, parameters, cycles, time (ms), energy (MAC-normalised units), PE
    utilisation, and against the baseline row: `speedup` = baseline time ÷ time and
    `energy_ratio` = baseline energy ÷ energy (above 1: faster / more energy-efficient).

    With one NETWORK and several accelerators or dataflows, a per-layer diff follows: for every
    layer, the change in cycles split into compute and DRAM stalls, the dataflow used and the
    utilisation before and after, and which way the layer went (docs/output.md).

    \b
    Examples:
      sqnxt-sim compare networks/squeezenet_v1.0.yaml networks/sqnxt23v5.yaml
      sqnxt-sim compare networks/sqnxt23.yaml -d os,ws,hybrid --baseline os
      sqnxt-sim compare networks/sqnxt23.yaml -a accelerators/os_16x16.yaml \\
          -a accelerators/ws_16x16.yaml -f csv --per-layer -o diff.csv
      sqnxt-sim compare networks/*.yaml -a accelerators/squeezelerator_16x16.yaml \\
          --baseline alexnet -f csv -o compare.csv
    """
    from ..report.compare import run_comparison
    from ..report.outputs import check_output, ensure_dir

    check_output(out)
    if plot_dir:
        ensure_dir(plot_dir)

    def load_acc(path, overrides):
        flow = overrides.pop("dataflow", None)
        return resolve_accelerator(path, flow, sets)

    cmp = run_comparison(networks, accels or None, dataflows or None, batch=batch or 1,
                         baseline=baseline, load_acc=load_acc)
    if per_layer and not cmp.has_layer_diff:
        cmp.layer_diff()            # the error that says what --per-layer needs
    df = cmp.table()
    if fmt == "json":
        doc = {}
        if len(cmp.accelerators) == 1:
            doc["accelerator"] = cmp.accelerators[0]
        doc["baseline"] = cmp.baseline_label
        doc["networks"] = df.to_dict(orient="records")
        if cmp.has_layer_diff:
            diff = cmp.layer_diff().astype(object)
            doc["layers"] = diff.where(diff.notna(), None).to_dict(orient="records")
        emit(json.dumps(doc, indent=2) + "\n", out)
    elif fmt == "csv":
        table = cmp.layer_diff() if per_layer else df
        emit(table.to_csv(index=False, lineterminator="\n"), out)
    else:
        emit(_compare_text(cmp, df), out)
    if plot_dir:
        from ..report import charts
        runs = cmp.runs
        extra = [d for d in ("accelerator", "dataflow") if d in cmp.varying]
        labels = [cmp.label(r, extra) if extra else r.accelerator for r in runs]
        title = (f"Networks on {cmp.accelerators[0]} ({cmp.dataflows[0]})" if not extra
                 else "Networks × " + " × ".join(f"{d}s" for d in extra))
        fig = charts.comparison_chart(df.assign(accelerator=labels), title=title)
        names = labels if extra else [r.accelerator_stem for r in runs]
        name = "__".join(charts.slug(x) for x in dict.fromkeys(names))[:120]
        for p in charts.save(fig, Path(plot_dir) / f"compare__{name}"):
            click.echo(f"wrote {p}", err=True)


def _compare_text(cmp, df) -> str:
    """The cross table and, for one network, the per-layer diff, for people."""
    from ..report.tables import ENERGY_HEADER, fmt_int, header, render

    ratio = lambda v: f"{v:.2f}"  # noqa: E731
    if "area_mm2" in df and df["area_mm2"].nunique() <= 1:
        df = df.drop(columns="area_mm2")          # one accelerator: its area says nothing here
    heads = {c: header(c, percent=(c == "utilization")) for c in df.columns
             if c not in ("network", "accelerator", "dataflow", "speedup", "energy_ratio")}
    heads["energy"] = ENERGY_HEADER
    heads.update(speedup="speedup (×)", energy_ratio="energy ratio (×)")
    fmts = {heads.get(c, c): f for c, f in {
        "macs": fmt_int, "params": fmt_int, "cycles": fmt_int, "time_ms": lambda v: f"{v:.3f}",
        "energy": lambda v: f"{v:.4g}", "utilization": lambda v: f"{100 * v:.1f}",
        "area_mm2": lambda v: f"{v:.3f}",
        "speedup": ratio, "energy_ratio": ratio}.items()}
    body = render(df.rename(columns=heads), fmts,
                  align_left=("network", "accelerator", "dataflow"))
    acc = cmp.runs[0].result.accelerator
    where = (f"on {acc.name} ({acc.rows}x{acc.cols} PEs, {acc.dataflow}); "
             if len(cmp.accelerators) == 1 and len(cmp.dataflows) == 1 else "")
    text = (f"{body}\n\n{where}speedup and energy ratio: the baseline ({cmp.baseline_label}) "
            f"÷ the row\n")
    if not cmp.has_layer_diff:
        return text
    d = cmp.layer_diff()
    for config, part in d.groupby("config", sort=False):
        base = part["baseline"].iloc[0]
        both = part[part["d_cycles"].notna()]
        gained, lost = (both["change"] == "gained").sum(), (both["change"] == "lost").sum()
        sig = lambda v: f"{'+' if v > 0 else '−' if v < 0 else '±'}{abs(int(v)):,}"  # noqa: E731
        show = _diff_rows(part)
        text += (f"\nper layer, {config} against {base}: {gained} layers faster, {lost} slower, "
                 f"{len(both) - gained - lost} unchanged; cycles {sig(both['d_cycles'].sum())} "
                 f"(compute {sig(both['d_compute_cycles'].sum())}, stalls "
                 f"{sig(both['d_stall_cycles'].sum())})\n\n")
        text += render(show, {"cycles": fmt_int, "Δ cycles": sig, "Δ compute": sig,
                              "Δ stalls": sig},
                       align_left=("layer", "type", "flow", "util (%)", "change", "why")) + "\n"
    return text


def _diff_rows(part):
    """The per-layer diff's columns for people: flow and utilisation as before→after."""
    import pandas as pd

    arrow = lambda a, b: a if a == b else f"{a}→{b}"  # noqa: E731
    return pd.DataFrame({
        "layer": part["layer"], "type": part["type"],
        "flow": [arrow(a, b) for a, b in zip(part["dataflow_base"], part["dataflow"])],
        "cycles": part["cycles"], "Δ cycles": part["d_cycles"],
        "Δ compute": part["d_compute_cycles"], "Δ stalls": part["d_stall_cycles"],
        "util (%)": [arrow(f"{100 * a:.0f}", f"{100 * b:.0f}") if a == a and b == b else ""
                     for a, b in zip(part["utilization_base"], part["utilization"])],
        "change": part["change"]})


@click.command(cls=Command)
@click.option("--out-dir", "-o", default="reports/squeezenext", show_default=True,
              type=click.Path(file_okay=False),
              help="Directory for README.md, results.csv and figures/.")
@click.option("--root", type=click.Path(file_okay=False, exists=True),
              help="Project directory holding networks/ and accelerators/ (default: the "
                   "working directory or its nearest parent that has them).")
@click.option("--no-figures", is_flag=True, help="Write only README.md and results.csv.")
@clean_errors
@figure_options
def report(out_dir: str, root: str | None, no_figures: bool) -> None:
    """Regenerate the SqueezeNext reproduction report.

    Runs the bundled SqueezeNext v1–v5, SqueezeNet v1.0/v1.1, AlexNet and MobileNet v1 networks
    on accelerators/squeezelerator_32x32.yaml (and 16x16 for the comparison), evaluates the
    papers' claims (SPEC §1) against fixed tolerances, compares the hybrid with OS-only and
    WS-only on seven networks and both arrays (the dataflow study) and repeats the claims and that
    study at 1 GHz (clock sensitivity), and writes OUT_DIR/README.md,
    OUT_DIR/results.csv and OUT_DIR/figures/ (PNG and SVG; --figure-format adds PDF). The
    output is byte-for-byte deterministic. See docs/report.md.
    """
    from ..report.outputs import ensure_dir
    from ..report.paper import generate

    ensure_dir(out_dir)
    t = time.perf_counter()
    rep, written = generate(out_dir, root, figures=not no_figures)
    n = sum(e.reproduced for e in rep.claims)
    click.echo(f"wrote {len(written)} files to {out_dir} in {time.perf_counter() - t:.1f} s; "
               f"claims reproduced: {n} of {len(rep.claims)}", err=True)
    for e in rep.claims:
        click.echo(f"  {e.claim.id:>3}  {e.status:<15} {e.claim.fmt(e.measured):>9}  "
                   f"(paper {e.claim.paper_text}; {e.claim.tolerance})", err=True)


COMMANDS = (compare, report)
