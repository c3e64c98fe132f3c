"""CLI commands: sweep and plot-sweep (registered on sqnxt_sim.cli.main)."""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import click

from .options import Command, batch_option, clean_errors, figure_options


class _Progress:
    """``run_sweep``'s ``progress(done, total)`` shown with click's progress bar on stderr
    (position, rate and ETA; only used on a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.done = 0
        self.t0 = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                         show_pos=True, show_eta=True, item_show_func=str)
            self.bar.__enter__()
        elapsed = time.perf_counter() - self.t0
        rate = f"{done / elapsed:.1f} pt/s" if elapsed > 0 and done else ""
        self.bar.update(done - self.done, rate)
        self.done = done
        if done >= total:
            self.bar.__exit__(None, None, None)


@click.command(cls=Command)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Results CSV: one row per (design point, network).")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Local worker processes (default: every core; 1 runs in this process). "
                   "With --scheduler local: the number of Dask workers.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a Dask distributed cluster at ADDRESS (e.g. tcp://host:8786), or "
                   "'local' to start a LocalCluster.  Needs the dask extra.")
@click.option("--tls-ca-file", type=click.Path(dir_okay=False), metavar="PEM",
              help="With --scheduler tls://…: the CA certificate the scheduler's must be "
                   "signed by (Dask's tls_ca_file).")
@click.option("--tls-cert", type=click.Path(dir_okay=False), metavar="PEM",
              help="With --scheduler tls://…: this client's certificate (Dask's "
                   "tls_client_cert; may also hold the key).")
@click.option("--tls-key", type=click.Path(dir_okay=False), metavar="PEM",
              help="With --scheduler tls://…: this client's private key (Dask's "
                   "tls_client_key).")
@click.option("--resume", is_flag=True,
              help="Keep the rows already in --out and run only the missing points.")
@click.option("--chunk", type=click.IntRange(min=1),
              help="Points per work unit (default: automatic).")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False),
              help="Also draw the sweep's figures into this directory (see plot-sweep).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary line.")
@batch_option
@clean_errors
@figure_options
def sweep(spec: str, out: str, jobs: int | None, scheduler: str | None, tls_ca_file: str | None,
          tls_cert: str | None, tls_key: str | None, resume: bool, chunk: int | None,
          plot_dir: str | None, quiet: bool, batch: int | None) -> None:
    """Run the design-space sweep SPEC: every design point × every network.

    SPEC is a sweep YAML file (docs/sweeps.md): a base accelerator, networks, and axes over
    any accelerator field (a grid, zipped lists or a seeded random sample) with optional
    filters.  Each (point, network) becomes one CSV row with the axis values and the summary
    metrics.  Rows are written as points finish; --resume continues a killed sweep.

    \b
    Examples:
      sqnxt-sim sweep sweeps/array_size.yaml --out results.csv
      sqnxt-sim sweep sweeps/rf_size.yaml -o rf.csv --jobs 4 --plot figs/
      sqnxt-sim sweep sweeps/array_size.yaml -o r.csv --scheduler local
      sqnxt-sim sweep sweeps/array_size.yaml -o r.csv --resume
    """
    from ..report.outputs import check_output, ensure_dir
    from ..sweep.run import check_scheduler_address, dask_security, run_sweep
    from ..sweep.spec import load_sweep

    check_output(out)
    if plot_dir:
        ensure_dir(plot_dir)
    security = dask_security(tls_ca_file, tls_cert, tls_key)
    if security is not None and not scheduler:
        raise click.UsageError("--tls-ca-file/--tls-cert/--tls-key need --scheduler")
    if scheduler and scheduler != "local":
        check_scheduler_address(scheduler)
    s = load_sweep(spec)
    if batch is not None:
        s = replace(s, batch=batch)
    show = not quiet and sys.stderr.isatty()
    stats = run_sweep(s, out, jobs=jobs, scheduler=scheduler, resume=resume, chunk=chunk,
                      progress=_Progress(s.name) if show else None, security=security)
    if show:
        rate = stats.points / stats.seconds if stats.seconds else 0.0
        click.echo(f"{s.name}: {stats.points} points, {stats.rows} rows written to {out} "
                   f"({stats.skipped} already there, {stats.errors} unmappable) in "
                   f"{stats.seconds:.1f} s ({rate:.1f} points/s)", err=True)
    if plot_dir:
        from ..sweep.plots import default_plots
        for path in default_plots(out, plot_dir):
            if show:
                click.echo(str(path), err=True)


@click.command("plot-sweep", cls=Command)
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("--out-dir", "-o", required=True, type=click.Path(file_okay=False),
              help="Directory for the figures (see --figure-format).")
@click.option("--x", "x", default="time_ms", show_default=True,
              help="Column on the Pareto plot's x axis (its direction, lower or higher is "
                   "better, from docs/output.md's metric table).")
@click.option("--y", "y", default="energy", show_default=True,
              help="Column on the Pareto plot's y axis.")
@click.option("--heatmap", "heatmap", metavar="METRIC",
              help="Also draw METRIC over two axes (see --axes).")
@click.option("--axes", "axes", nargs=2, metavar="A B",
              help="The two sweep axes of the heatmap (default: the first two).")
@click.option("--network", "networks", multiple=True,
              help="Only these networks (repeatable; default: all, one figure each).")
@click.option("--baseline", metavar="NETWORK",
              help="Heatmaps of each network's METRIC divided by NETWORK's at the same point.")
@click.option("--no-pareto", is_flag=True, help="Only the heatmaps.")
@click.option("--label", "label", metavar="COLUMNS",
              help="Comma-separated columns to label Pareto points with (default: the axes).")
@click.option("--where", "where", multiple=True, metavar="COND",
              help="Only design points meeting COND, COLUMN OP NUMBER with OP one of <= < >= > "
                   "== != (e.g. --where 'area_mm2<=2.0'; repeatable, all must hold).")
@clean_errors
@figure_options
def plot_sweep_cmd(results: str, out_dir: str, x: str, y: str, heatmap: str | None,
                   axes: tuple[str, str] | None, networks: tuple[str, ...],
                   baseline: str | None, no_pareto: bool, label: str | None,
                   where: tuple[str, ...]) -> None:
    """Draw a sweep's figures from its RESULTS CSV into --out-dir.

    Per network: the X-vs-Y Pareto plot (default energy vs time; the front highlighted and
    its points labelled with their axis values where the labels fit without overlapping) and,
    with --heatmap, METRIC over two axes (the best value over any other axes).  Each axis is
    minimised or maximised as the metric table says (utilisation: higher is better).  PNG and
    SVG by default (--figure-format adds PDF), deterministic.

    \b
    Examples:
      sqnxt-sim plot-sweep results.csv --out-dir figs/
      sqnxt-sim plot-sweep results.csv -o figs/ --heatmap cycles --axes pe_array.rows rf.registers
      sqnxt-sim plot-sweep stem.csv -o figs/ --heatmap time_ms --baseline 1.0-SqNxt-23
      sqnxt-sim plot-sweep results.csv -o figs/ --x time_ms --y utilization --style paper
    """
    from ..report.outputs import ensure_dir
    from ..sweep.plots import plot_sweep

    ensure_dir(out_dir)
    written = plot_sweep(results, out_dir, x=x, y=y, heatmap=heatmap, axes=axes,
                         networks=networks or None,
                         label=label.split(",") if label else None, baseline=baseline,
                         pareto=not no_pareto, where=where)
    for path in written:
        click.echo(path)


COMMANDS = (sweep, plot_sweep_cmd)
