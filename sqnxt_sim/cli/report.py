"""CLI commands: compare and report (registered on sqnxt_sim.cli.main)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from .options import (
    accelerator_options,
    batch_option,
    clean_errors,
    emit,
    figure_options,
    output_options,
    resolve_accelerator,
)


@click.command()
@click.argument("networks", nargs=-1, required=True, type=click.Path(dir_okay=False))
@accelerator_options
@batch_option
@click.option("--baseline", "-b", metavar="NAME",
              help="Network the ratios are taken against, by network name or file stem "
                   "(default: the first NETWORK).")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False),
              help="Also write a time-and-energy bar chart (PNG and SVG) into this directory.")
@output_options()
@clean_errors
def compare(networks: tuple[str, ...], accel: str | None, dataflow: str | None,
            sets: tuple[str, ...], batch: int | None, baseline: str | None,
            plot_dir: str | None, fmt: str, out: str | None) -> None:
    """Compare NETWORKs on one accelerator: one row per network.

    Columns: MACs, parameters, cycles, time (ms), energy (MAC-normalised units), PE utilisation,
    and against the baseline network: `speedup` = baseline time ÷ network time and
    `energy_ratio` = baseline energy ÷ network energy (above 1: this network is faster / more
    energy-efficient).

    \b
    Examples:
      sqnxt-sim compare networks/squeezenet_v1.0.yaml networks/sqnxt23v5.yaml
      sqnxt-sim compare networks/*.yaml -a accelerators/squeezelerator_16x16.yaml \\
          --baseline alexnet -f csv -o compare.csv
    """
    from ..network.yaml_io import load_network
    from ..report.compare import compare_frame, find_baseline
    from ..report.outputs import check_output, ensure_dir
    from ..report.tables import fmt_int, render
    from ..simulate import simulate

    check_output(out)
    if plot_dir:
        ensure_dir(plot_dir)
    acc = resolve_accelerator(accel, dataflow, sets)
    runs, stems = [], []
    for path in networks:
        net = load_network(path)
        runs.append((net.name, simulate(net, acc, batch or 1).summary))
        stems.append(Path(path).stem)
    df = compare_frame(runs, baseline, stems)
    base = runs[find_baseline([n for n, _ in runs], stems, baseline)][0]
    if fmt == "json":
        doc = {"accelerator": acc.name, "baseline": base,
               "networks": df.to_dict(orient="records")}
        emit(json.dumps(doc, indent=2) + "\n", out)
    elif fmt == "csv":
        emit(df.to_csv(index=False, float_format="%.6g", lineterminator="\n"), out)
    else:
        ratio = lambda v: f"{v:.2f}x"
        body = render(df, {"macs": fmt_int, "params": fmt_int, "cycles": fmt_int,
                           "time_ms": lambda v: f"{v:.3f}", "energy": lambda v: f"{v:.4g}",
                           "utilization": lambda v: f"{100 * v:.1f}%", "speedup": ratio,
                           "energy_ratio": ratio}, align_left=("network",))
        emit(f"{body}\n\non {acc.name} ({acc.rows}x{acc.cols} PEs, {acc.dataflow}); "
             f"speedup and energy_ratio: {base} ÷ network\n", out)
    if plot_dir:
        from ..report import charts
        fig = charts.comparison_chart(df.assign(accelerator=acc.name),
                                      title=f"Networks on {acc.name} ({acc.dataflow})")
        for p in charts.save(fig, Path(plot_dir) / f"compare__{charts.slug(acc.name)}"):
            click.echo(f"wrote {p}", err=True)


@click.command()
@click.option("--out-dir", default="reports/squeezenext", show_default=True,
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
