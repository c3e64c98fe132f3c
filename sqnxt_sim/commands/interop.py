"""CLI commands: interop (registered on sqnxt_sim.cli.main).

``sqnxt-sim run`` reads SCALE-Sim topology CSVs directly (``network/topology.py``); ``export``
writes a network in that format.
"""

from __future__ import annotations

import click

from ..cli import clean_errors, emit, main


@main.command("export")
@click.argument("network", type=click.Path(dir_okay=False))
@click.option("--to", "target", type=click.Choice(["scalesim"]), required=True,
              help="Target format: scalesim = a SCALE-Sim 3.0.0 topology CSV.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
@clean_errors
def export(network: str, target: str, out: str | None) -> None:
    """Write NETWORK in another simulator's format.

    `--to scalesim` writes a SCALE-Sim topology CSV: padding folded into the input size,
    depthwise convs named with SCALE-Sim's "DP" marker, other grouped convs as one row per
    group, FC layers as 1x1 convs on a 1x1 map; pooling and add layers are omitted.  What the
    format cannot express is listed on standard error.  Running the CSV with
    `sqnxt-sim run FILE.csv -a accelerators/systolic_32x32.yaml --set scalesim_compat=true`
    gives SCALE-Sim's per-layer total cycles (docs/systolic.md).

    \b
    Example:
      sqnxt-sim export networks/alexnet.yaml --to scalesim -o alexnet.csv
    """
    from ..network.topology import to_scalesim
    from ..network.yaml_io import load_network
    from ..report.outputs import check_output

    check_output(out)
    net = load_network(network)
    text, notes = to_scalesim(net)
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    emit(text, out)
