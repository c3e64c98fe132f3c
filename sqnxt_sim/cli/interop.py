"""CLI commands: interop (registered on sqnxt_sim.cli.main).

``sqnxt-sim run`` reads SCALE-Sim topology CSVs and ONNX models directly (``network/loaders.py``);
``export`` writes a network as a SCALE-Sim topology or a structure-only ONNX model; ``import``
writes any network file as flat network YAML.
"""

from __future__ import annotations

import click

from .options import Command, clean_errors, emit


@click.command("export", cls=Command)
@click.argument("network", type=click.Path(dir_okay=False))
@click.option("--to", "target", type=click.Choice(["scalesim", "onnx"]), required=True,
              help="Target format: scalesim = a SCALE-Sim 3.0.0 topology CSV; onnx = a "
                   "structure-only ONNX model (needs -o).")
@click.option("--out", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
@click.option("--zero-weights", is_flag=True,
              help="onnx: store every weight as zeros (a runnable model, 4 bytes per "
                   "parameter) instead of leaving the values out.")
@clean_errors
def export(network: str, target: str, out: str | None, zero_weights: bool) -> None:
    """Write NETWORK in another simulator's or tool's format.

    `--to onnx` writes a structure-only ONNX model (checked with onnx.checker): every layer as
    ONNX operators, weights as shaped graph inputs without values (or, with --zero-weights,
    zero-filled initializers).  Reading it back (`sqnxt-sim show net.onnx`) gives the same
    layers, shapes, MACs and parameters (docs/onnx.md).

    `--to scalesim` writes a SCALE-Sim topology CSV: padding folded into the input size,
    depthwise convs named with SCALE-Sim's "DP" marker, other grouped convs as one row per
    group, FC layers as 1x1 convs on a 1x1 map; pooling and add layers are omitted.  What the
    format cannot express is listed on standard error.  Running the CSV with
    `sqnxt-sim run FILE.csv -a accelerators/systolic_32x32.yaml --set scalesim_compat=true`
    gives SCALE-Sim's per-layer total cycles (docs/systolic.md).

    \b
    Examples:
      sqnxt-sim export networks/alexnet.yaml --to scalesim -o alexnet.csv
      sqnxt-sim export networks/resnet18.yaml --to onnx -o resnet18.onnx
    """
    from ..network.topology import to_scalesim
    from ..network.yaml_io import load_network
    from ..report.outputs import check_output

    check_output(out)
    if target == "onnx":
        if not out:
            raise click.UsageError("--to onnx writes a binary file: give it with -o FILE")
        from ..network.onnx_io import onnx_module, to_onnx
        from ..report.outputs import write_with
        model = to_onnx(load_network(network), zero_weights=zero_weights)
        write_with(out, lambda tmp: onnx_module().save(model, tmp), ".onnx")
        return
    net = load_network(network)
    text, notes = to_scalesim(net)
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    emit(text, out)


@click.command("import", cls=Command)
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--out", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
@clean_errors
def import_(model: str, out: str | None) -> None:
    """Write MODEL (an ONNX model, or any network file) as a flat network YAML.

    Every layer and edge is explicit and keeps its name from the model; the YAML loads back to
    the same network (layers, shapes, MACs and parameters).  What each ONNX operator becomes
    is in docs/onnx.md.

    \b
    Example:
      sqnxt-sim import model.onnx -o net.yaml
    """
    from ..network.yaml_io import dump_network, load_network

    net = load_network(model)
    emit(dump_network(net, header=_provenance(model)), out)


def _provenance(path: str) -> str | None:
    """A comment line naming where an imported network came from."""
    if not path.lower().endswith(".onnx"):
        return None
    from ..network.onnx_io import describe
    return describe(path)


COMMANDS = (export, import_)
