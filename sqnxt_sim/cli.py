"""The command line: thin click commands over the library.

Library errors (``SqnxtError``) become one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys

import click

from . import __version__
from .errors import SqnxtError
from .machines import all_dataflows

FORMATS = ("table", "csv", "json")


# where the accelerator of the current command came from, to locate errors found while mapping
# (e.g. a buffer too small for a layer) in the file or the --set that caused them
_ACCEL_SOURCE: dict = {}


def _locate_accelerator_error(e: SqnxtError) -> None:
    from .hardware.accelerator import BY_KEY, field_line

    if e.file is not None or e.field not in BY_KEY or not _ACCEL_SOURCE:
        return
    if e.field in _ACCEL_SOURCE.get("sets", ()):
        if not e.message.startswith("--set "):
            e.message = f"--set {e.field}: {e.message}"
    elif _ACCEL_SOURCE.get("path"):
        e.file = _ACCEL_SOURCE["path"]
        e.line = field_line(e.file, e.field)


def clean_errors(fn):
    """Turn library errors into one located line and exit status 2."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SqnxtError as e:
            _locate_accelerator_error(e)
            # exactly one line, of a readable length, whatever value the message quotes
            text = " ".join(str(e).split("\n"))
            if len(text) > 2000:
                text = text[:2000] + " …"
            click.echo(f"error: {text}", err=True)
            sys.exit(2)
        except BrokenPipeError:  # e.g. `sqnxt-sim run … | head`
            sys.exit(0)
    return wrapper


def output_options(formats=FORMATS):
    """--format and --out, shared by every command that writes a result."""
    def deco(fn):
        fn = click.option("--out", "-o", type=click.Path(dir_okay=False, writable=True),
                          help="Write to this file instead of standard output.")(fn)
        fn = click.option("--format", "-f", "fmt", type=click.Choice(formats),
                          default=formats[0], show_default=True,
                          help="Output format: a table for people, CSV or JSON for tools.")(fn)
        return fn
    return deco


def emit(text: str, out: str | None) -> None:
    if out:
        from .report.outputs import write_text
        write_text(out, text)   # atomic: a failed write leaves the old file as it was
    else:
        click.echo(text, nl=not text.endswith("\n"))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sqnxt-sim")
def main() -> None:
    """sqnxt-sim: cycles, utilisation and energy of DNNs on PE-array accelerators.

    \b
    Typical use:
      sqnxt-sim show networks/sqnxt23v5.yaml
      sqnxt-sim run networks/sqnxt23v5.yaml --accel accelerators/os_32x32.yaml
    """


@main.command()
@click.argument("network", type=click.Path(dir_okay=False))
@output_options(FORMATS + ("yaml",))
@clean_errors
def show(network: str, fmt: str, out: str | None) -> None:
    """Show NETWORK's layers: shapes, kernel, stride, groups, MACs and parameters.

    NETWORK is a network YAML file (see docs/network-format.md), an ONNX model
    (docs/onnx.md) or a SCALE-Sim topology CSV. `--format yaml` writes the loaded graph as
    flat YAML (every layer and edge explicit), which loads back unchanged.
    """
    from .network.yaml_io import dump_network, load_network
    from .report.outputs import check_output
    from .report.tables import network_json, network_table

    check_output(out)
    net = load_network(network)
    if fmt == "yaml":
        emit(dump_network(net), out)
    elif fmt == "csv":
        emit(net.table().to_csv(index=False), out)
    elif fmt == "json":
        emit(json.dumps(network_json(net), indent=2) + "\n", out)
    else:
        emit(network_table(net), out)


def parse_sets(pairs: tuple[str, ...]) -> dict:
    from .hardware.accelerator import parse_value

    out = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {p!r}", param_hint="--set")
        out[key.strip()] = parse_value(key.strip(), value.strip())
    return out


def accelerator_options(fn):
    """--accel, --dataflow and --set, shared by every command that simulates."""
    fn = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                      help="Override an accelerator field by its dotted key, e.g. "
                           "--set pe_array.rows=16 --set global_buffer.kb=256 (repeatable; "
                           "see docs/accelerators.md).")(fn)
    fn = click.option("--dataflow", "-d", type=click.Choice(all_dataflows()),
                      help="Override the accelerator's dataflow (hybrid: the faster of OS and WS "
                           "per layer).")(fn)
    fn = click.option("--accel", "-a", type=click.Path(dir_okay=False),
                      help="Accelerator YAML file (default: the built-in defaults, a 32x32 "
                           "hybrid Squeezelerator).")(fn)
    return fn


def resolve_accelerator(accel: str | None, dataflow: str | None, sets: tuple[str, ...]):
    from .hardware.accelerator import load_accelerator

    overrides = parse_sets(sets)
    if dataflow:
        overrides["dataflow"] = dataflow
    _ACCEL_SOURCE.update(path=accel, sets=tuple(overrides))
    return load_accelerator(accel, overrides)


@main.command()
@click.argument("network", type=click.Path(dir_okay=False))
@accelerator_options
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False),
              help="Also write per-layer charts (cycles, energy by level; PNG and SVG) into "
                   "this directory.")
@output_options()
@clean_errors
def run(network: str, accel: str | None, dataflow: str | None, sets: tuple[str, ...],
        plot_dir: str | None, fmt: str, out: str | None) -> None:
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
    from .network.yaml_io import load_network
    from .report.outputs import check_output, ensure_dir
    from .simulate import simulate

    check_output(out)
    if plot_dir:
        ensure_dir(plot_dir)
    acc = resolve_accelerator(accel, dataflow, sets)
    net = load_network(network)
    result = simulate(net, acc)
    if fmt == "json":
        emit(result.to_json(), out)
    elif fmt == "csv":
        emit(result.to_csv(), out)
    else:
        from .report.tables import result_table
        emit(result_table(result), out)
    if plot_dir:
        from .report.charts import run_charts
        for path in run_charts(result, plot_dir):
            click.echo(f"wrote {path}", err=True)


# command families that live in their own modules register themselves on `main`
from .commands import interop, report, sweep  # noqa: E402,F401
