"""The core commands: ``show`` a network, ``run`` it on an accelerator."""

from __future__ import annotations

import click

from .options import (
    FORMATS,
    Command,
    accelerator_options,
    batch_option,
    clean_errors,
    emit,
    figure_options,
    output_options,
    resolve_accelerator,
)


@click.command(cls=Command)
@click.argument("network", type=click.Path(dir_okay=False))
@output_options(FORMATS + ("yaml",))
@clean_errors
def show(network: str, fmt: str, out: str | None) -> None:
    """Show NETWORK's layers: shapes, kernel, stride, groups, MACs and parameters.

    NETWORK is a network YAML file (see docs/network-format.md), an ONNX model
    (docs/onnx.md) or a SCALE-Sim topology CSV. `--format yaml` writes the loaded graph as
    flat YAML (every layer and edge explicit), which loads back unchanged.
    """
    from ..network.yaml_io import dump_network, load_network
    from ..report.outputs import check_output
    from ..report.tables import network_json, network_table

    check_output(out)
    net = load_network(network)
    if fmt == "yaml":
        emit(dump_network(net), out)
    elif fmt == "csv":
        emit(net.table().to_csv(index=False), out)
    elif fmt == "json":
        import json

        emit(json.dumps(network_json(net), indent=2) + "\n", out)
    else:
        emit(network_table(net), out)


@click.command(cls=Command)
@click.argument("network", type=click.Path(dir_okay=False))
@accelerator_options
@batch_option
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False),
              help="Also write per-layer charts (cycles, energy by level; see --style, "
                   "--figure-format) into this directory, named NETWORK__ACCEL__cycles.png, "
                   "ACCEL being the --accel file's stem (default_ROWSxCOLS without --accel).")
@output_options()
@clean_errors
@figure_options
def run(network: str, accel: str | None, dataflow: str | None, sets: tuple[str, ...],
        batch: int | None, plot_dir: str | None, fmt: str, out: str | None) -> None:
    """Simulate NETWORK (a network YAML, an ONNX model or a SCALE-Sim CSV) on an
    accelerator, layer by layer.

    Prints, per compute layer (conv, FC, pooling, add), the dataflow used, cycles (compute and
    DRAM stalls), PE utilisation and energy by level (MAC, RF, inter-PE array, global buffer,
    DRAM), then the totals.  Energy is in MAC-normalised units (plus pJ when the energy table
    is in picojoules).  CSV and JSON follow the output contract in docs/output.md.

    \b
    Examples:
      sqnxt-sim run networks/sqnxt23v5.yaml --accel accelerators/os_32x32.yaml
      sqnxt-sim run networks/sqnxt23.yaml -a accelerators/squeezelerator_16x16.yaml -f csv
      sqnxt-sim run networks/alexnet.yaml --dataflow ws --set pe_array.rows=16 -f json -o a.json
    """
    from ..network.yaml_io import load_network
    from ..report.outputs import check_output, ensure_dir
    from ..simulate import simulate

    check_output(out)
    if plot_dir:
        ensure_dir(plot_dir)
    acc = resolve_accelerator(accel, dataflow, sets)
    net = load_network(network)
    result = simulate(net, acc, batch or 1)
    if fmt == "json":
        emit(result.to_json(), out)
    elif fmt == "csv":
        emit(result.to_csv(), out)
    else:
        from ..report.tables import result_table
        emit(result_table(result), out)
    if plot_dir:
        from pathlib import Path

        from ..report.charts import run_charts
        stem = Path(accel).stem if accel else f"default_{acc.rows}x{acc.cols}"
        if dataflow:
            stem += f"_{dataflow}"
        for path in run_charts(result, plot_dir, stem=stem):
            click.echo(f"wrote {path}", err=True)


COMMANDS = (show, run)
