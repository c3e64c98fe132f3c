"""CLI commands: interop (registered on sqnxt_sim.cli.main).

``sqnxt-sim run`` reads SCALE-Sim topology CSVs and ONNX models directly (``network/loaders.py``);
``export`` writes a network as a SCALE-Sim topology or a structure-only ONNX model; ``import``
writes any network file as flat network YAML.
"""

from __future__ import annotations

import click

from .options import Command, accelerator_options, clean_errors, emit, resolve_accelerator


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


@click.command("tables", cls=Command)
@accelerator_options
@click.option("--to", "target", type=click.Choice(["text", "yaml", "ert", "art"]),
              default="text", show_default=True,
              help="text: a readable table; yaml: the design's unit energies and areas as "
                   "table files' fields; ert / art: an Accelergy energy / area reference "
                   "table.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
@clean_errors
def tables_cmd(accel: str | None, dataflow: str | None, sets: tuple[str, ...], target: str,
               out: str | None) -> None:
    """Show the unit energies and areas a design pays (docs/model.md §7).

    The energy table at the design's own buffer and RF sizes (capacity scaling, §7.1) next to
    the table's reference figures, and the area of each component (§7.2).  `--to ert` and
    `--to art` write the design's per-action energies (pJ tables only) and the unit areas as
    Accelergy reference tables, which `energy: {accelergy: ERT.yaml, ref_buffer_kb: …,
    ref_rf_registers: …}` (this design's sizes) and `area: {accelergy: ART.yaml}` read back.

    \b
    Examples:
      sqnxt-sim tables -a accelerators/squeezelerator_16x16.yaml --set global_buffer.kb=512
      sqnxt-sim tables --set energy=horowitz45 --to ert -o ERT.yaml
      sqnxt-sim tables --to art -o ART.yaml
    """
    import yaml

    from ..hardware.area import to_art
    from ..hardware.energy import ACTIONS, to_ert
    from ..report.outputs import check_output

    acc = resolve_accelerator(accel, dataflow, sets)
    e, ref, a = acc.unit_energy, acc.energy, acc.area_parts
    if target in ("ert", "art"):
        doc = to_ert(e) if target == "ert" else to_art(acc.area)
        check_output(out)
        emit(yaml.safe_dump(doc, sort_keys=False), out)
        if target == "ert":
            click.echo(f"note: this design's energies; to read them back for it, give "
                       f"ref_buffer_kb: {acc.buffer_kb:g} and ref_rf_registers: "
                       f"{acc.rf_registers}", err=True)
        return
    check_output(out)
    if target == "yaml":
        doc = {"energy": {k: v for k, v in e.as_dict().items()},
               "area": acc.area.as_dict(),
               "area_mm2": {"total": a.total_mm2, **a.as_dict()}}
        emit(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), out)
        return
    unit = "pJ" if e.unit == "pJ" else "MAC-normalised units"
    lines = [f"{acc.name}: {acc.rows}x{acc.cols} PEs, RF {acc.rf_registers} x "
             f"{acc.word_bits}-bit, {acc.buffer_kb:g} KiB buffer",
             "",
             f"energy per action ({unit}; table {ref.name}, reference sizes "
             f"{ref.ref_buffer_kb:g} KiB / {ref.ref_rf_registers} registers, capacity exponent "
             f"{ref.capacity_exponent:g})",
             f"  {'action':<11}{'this design':>14}{'reference':>14}"]
    lines += [f"  {x:<11}{getattr(e, x):>14.6g}{getattr(ref, x):>14.6g}" for x in ACTIONS]
    lines += [f"  leakage    {e.leakage:>14.6g} per ns per mm²", "",
              f"area (µm²; table {acc.area.name}" + (f", {acc.area.node}" if acc.area.node
                                                     else "") + ")"]
    parts = a.as_dict()
    for k, v in parts.items():
        lines.append(f"  {k.replace('_', ' '):<16}{v * 1e6:>14,.0f}   "
                     f"{v / (a.total_mm2 or 1):>6.1%}")
    lines.append(f"  {'total':<16}{a.total_um2:>14,.0f}   = {a.total_mm2:.4f} mm²")
    emit("\n".join(lines) + "\n", out)


COMMANDS = (export, import_, tables_cmd)
