"""SCALE-Sim topology CSV: read one as a network, write a network as one (docs/systolic.md §9).

A SCALE-Sim 3.0.0 convolution topology is a header line and one row per layer:

    Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
    Strides,            (an optional Sparsity column "N:M" may follow)

SCALE-Sim itself reads the columns by position and needs the trailing comma; this reader goes
by the header's names (case, spacing and a trailing comma do not matter) and also accepts
SCALE-Sim's GEMM layout (``Layer, M, N, K``).  SCALE-Sim's conventions are kept:

* no padding column: the output size is ``ceil((H − R)/stride) + 1``; a last window that hangs
  off the input edge reads "invalid" (zero) addresses.  Such a ragged edge is represented here
  as bottom/right padding, so the layer's P×Q and MACs are SCALE-Sim's;
* a layer whose name contains ``DP`` is depthwise: SCALE-Sim runs it as one single-channel layer
  per channel, each with ``Num Filter`` filters, i.e. a conv with groups = Channels;
* a GEMM row multiplies an M×K by a K×N matrix: SCALE-Sim's own lowering, an M×K single-channel
  input with N filters of 1×K.

Rows are independent layers (SCALE-Sim has no graph): each conv gets its own input node
``<name>.ifmap``.  Errors name the file, the line and the column.
"""

from __future__ import annotations

import os
import re

from ..errors import NetworkError
from ..limits import MAX_INT_DIGITS, MAX_LAYERS
from ..workload import fold_padding
from .graph import LayerDef, Network
from .layers import FC, Add, Conv, GlobalPool, Input, Pool, Shape

# canonical field -> accepted header names (lower case, single spaces)
CONV_COLUMNS = {
    "name": ("layer name", "layer", "name"),
    "H": ("ifmap height",),
    "W": ("ifmap width",),
    "R": ("filter height",),
    "S": ("filter width",),
    "C": ("channels", "num channels"),
    "K": ("num filter", "num filters"),
    "stride": ("strides", "stride", "stride height"),
    "stride_w": ("stride width",),
    "sparsity": ("sparsity", "sparsity ratio"),
}
GEMM_COLUMNS = {
    "name": ("layer name", "layer", "name"),
    "M": ("m",),
    "N": ("n",),
    "K": ("k",),
    "sparsity": ("sparsity", "sparsity ratio"),
}
OPTIONAL = {"stride_w", "sparsity"}
DISPLAY = {"name": "Layer name", "H": "IFMAP Height", "W": "IFMAP Width", "R": "Filter Height",
           "S": "Filter Width", "C": "Channels", "K": "Num Filter", "stride": "Strides",
           "stride_w": "Stride Width", "sparsity": "Sparsity", "M": "M", "N": "N"}
HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
          "Num Filter, Strides,")


def _norm(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.strip().lower())


def _cells(line: str) -> list[str]:
    cells = [c.strip() for c in line.split(",")]
    while cells and cells[-1] == "":          # SCALE-Sim's trailing comma, trailing spaces
        cells.pop()
    return cells


def _header(cells: list[str], source: str | None, line: int) -> tuple[dict[str, int], bool]:
    """{canonical field: column index} and whether the file is in GEMM layout."""
    names = [_norm(c) for c in cells]
    gemm = {"m", "n", "k"} <= set(names)
    table = GEMM_COLUMNS if gemm else CONV_COLUMNS
    lookup = {alias: field for field, aliases in table.items() for alias in aliases}
    index: dict[str, int] = {}
    for i, (raw, name) in enumerate(zip(cells, names)):
        field = lookup.get(name)
        if field is None:
            known = ", ".join(("K" if gemm else "Num Filter") if f == "K" else DISPLAY[f]
                              for f in table)
            raise NetworkError(f"unknown column {raw!r} in the SCALE-Sim topology header "
                               f"(expected: {known})", file=source, line=line, field=raw or
                               f"column {i + 1}")
        if field in index:
            raise NetworkError(f"column {raw!r} appears twice", file=source, line=line,
                               field=raw)
        index[field] = i
    missing = [f for f in table if f not in index and f not in OPTIONAL]
    if missing:
        want = "K" if gemm and missing[0] == "K" else DISPLAY[missing[0]]
        raise NetworkError(f"the header has no {want!r} column (a SCALE-Sim topology "
                           f"starts with: {HEADER})", file=source, line=line, field=want)
    return index, gemm


def _int(cells: list[str], header: list[str], i: int, source, line) -> int:
    text = cells[i]
    if re.fullmatch(r"\+?\d+", text) and len(text) > MAX_INT_DIGITS:
        raise NetworkError(f"integer of {len(text):,} digits is too large (limit: "
                           f"{MAX_INT_DIGITS} digits; docs/errors.md)", file=source,
                           line=line, field=header[i])
    if not re.fullmatch(r"\+?\d+", text) or int(text) < 1:
        raise NetworkError(f"expected a positive integer, got {text!r}", file=source,
                           line=line, field=header[i])
    return int(text)


def load_topology(text: str, source: str | None = None) -> Network:
    """A SCALE-Sim topology CSV (text of file ``source``) as a Network of independent layers."""
    lines = text.splitlines()
    defs: list[LayerDef] = []
    index: dict[str, int] | None = None
    header: list[str] = []
    gemm = False
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = _cells(raw)
        if len(defs) >= 2 * MAX_LAYERS:   # an input node and a conv per row
            raise NetworkError(f"more than {MAX_LAYERS:,} layer rows (docs/errors.md)",
                               file=source, line=lineno)
        if index is None:
            header = cells
            index, gemm = _header(cells, source, lineno)
            continue
        if len(cells) > len(header):
            raise NetworkError(f"{len(cells)} fields but the header has {len(header)}",
                               file=source, line=lineno, field=f"column {len(header) + 1}")
        for field, i in index.items():
            if i >= len(cells) and field not in OPTIONAL:
                raise NetworkError(f"missing (the row has {len(cells)} fields)",
                                   file=source, line=lineno, field=header[i])
        name = cells[index["name"]]
        if not name:
            raise NetworkError("empty layer name", file=source, line=lineno,
                               field=header[index["name"]])

        def num(field: str) -> int:
            return _int(cells, header, index[field], source, lineno)  # noqa: B023

        sp = index.get("sparsity")
        if sp is not None and sp < len(cells) and cells[sp]:
            ratio = cells[sp].split(":")
            if (len(ratio) != 2 or not all(x.strip().isdigit() for x in ratio)
                    or int(ratio[0]) != int(ratio[1])):
                raise NetworkError(f"N:M structured sparsity {cells[sp]!r} is not modelled "
                                   "(only dense, 1:1)", file=source, line=lineno,
                                   field=header[sp])
        if gemm:
            m, n, k = num("M"), num("N"), num("K")
            h, w, r, s, c, out, groups, sh, sw = m, k, 1, k, 1, n, 1, 1, 1
        else:
            h, w, r, s, c, k = num("H"), num("W"), num("R"), num("S"), num("C"), num("K")
            sh = num("stride")
            sw = num("stride_w") if "stride_w" in index and index["stride_w"] < len(cells) \
                else sh
            for dim, kern, size, col in (("height", r, h, "R"), ("width", s, w, "S")):
                if kern > size:
                    raise NetworkError(f"filter {dim} {kern} is larger than the input "
                                       f"{dim} {size} (SCALE-Sim has no padding)",
                                       file=source, line=lineno, field=header[index[col]])
            depthwise = "DP" in name
            groups = c if depthwise else 1
            out = c * k if depthwise else k
        # SCALE-Sim's ceil output size: the ragged last window reads zeros, i.e. padding
        pads = (0, (-(h - r)) % sh, 0, (-(w - s)) % sw)
        conv = Conv(out=out, kernel=(r, s), stride=(sh, sw), pad=pads, groups=groups)
        in_name = f"{name}.ifmap"
        defs.append(LayerDef(in_name, Input(Shape(c, h, w)), (), lineno))
        defs.append(LayerDef(name, conv, (in_name,), lineno))
    if index is None:
        raise NetworkError("empty SCALE-Sim topology (no header line)", file=source, line=1)
    if not any(isinstance(d.layer, Conv) for d in defs):
        raise NetworkError("the SCALE-Sim topology has no layer rows", file=source,
                           line=len(lines) or 1)
    name = os.path.splitext(os.path.basename(source))[0] if source else "topology"
    return Network(name, defs, source=source)


# -- export -----------------------------------------------------------------------------------
def _clean_name(name: str, depthwise: bool, renamed: list[str]) -> str:
    """A name SCALE-Sim reads back as meant: no commas, and "DP" only on depthwise layers."""
    out = re.sub(r"[,\s]+", "_", name.strip())
    if not depthwise and "DP" in out:
        out = out.replace("DP", "Dp")
    if depthwise and "DP" not in out:
        out += "_DP"
    if out != name and not (depthwise and out == name + "_DP"):
        renamed.append(f"{name} -> {out}")
    return out


def to_scalesim(net: Network) -> tuple[str, list[str]]:
    """(topology CSV text, notes on what the format could not express).

    Padding is folded into the input size (``fold_padding``: input rows/columns no window uses
    are dropped, so SCALE-Sim's ceil rule gives the network's P×Q exactly); depthwise convs
    follow SCALE-Sim's "DP" naming; other grouped convs become one row per group
    (``<name>_g<i>``); FC layers are 1×1 convs on a 1×1 map; pooling and adds are omitted.
    """
    rows = [HEADER]
    padded, grouped, omitted, strided, renamed, other = [], [], [], [], [], []
    for node in net.compute_nodes:
        lay = node.layer
        if isinstance(lay, (Pool, GlobalPool, Add)):
            omitted.append(node.name)
            continue
        if not isinstance(lay, (Conv, FC)):      # linear / matmul / mul / resize (ONNX import)
            other.append(node.name)
            continue
        w = node.workload
        if isinstance(lay, Conv) and any(lay.pad):
            padded.append(node.name)
        wf = fold_padding(w)
        if wf.stride_h == wf.stride_w or wf.Q == 1:
            stride = wf.stride_h
        elif wf.P == 1:
            stride = wf.stride_w
        else:
            strided.append(f"{node.name} ({wf.stride_h}x{wf.stride_w})")
            continue
        depthwise = w.G > 1 and w.C == 1
        name = _clean_name(node.name, depthwise, renamed)
        if w.G == 1 or depthwise:
            chans = w.G if depthwise else w.C
            rows.append(f"{name}, {wf.H}, {wf.W}, {w.R}, {w.S}, {chans}, {w.K}, {stride},")
        else:
            grouped.append(f"{node.name} ({w.G} groups)")
            for g in range(w.G):
                rows.append(f"{name}_g{g}, {wf.H}, {wf.W}, {w.R}, {w.S}, {w.C}, {w.K}, "
                            f"{stride},")
    notes = []
    if omitted:
        notes.append(f"{len(omitted)} pooling/add layer(s) omitted (SCALE-Sim simulates only "
                     f"conv/GEMM layers): {', '.join(omitted)}")
    if other:
        notes.append(f"{len(other)} other layer(s) omitted (linear, matmul, mul, resize: not "
                     f"written as SCALE-Sim rows): {', '.join(other)}")
    if padded:
        notes.append(f"{len(padded)} padded conv(s) written with the padding folded into the "
                     f"input size (SCALE-Sim has no padding column; it will read the padding "
                     f"as data): {', '.join(padded)}")
    if grouped:
        notes.append("grouped conv(s) written as one row per group (SCALE-Sim has no groups; "
                     f"they load back as separate layers): {', '.join(grouped)}")
    if strided:
        notes.append("conv(s) with different row and column strides omitted (SCALE-Sim has "
                     f"one stride column): {', '.join(strided)}")
    if renamed:
        notes.append("renamed (commas, and SCALE-Sim's 'DP' depthwise marker): "
                     + ", ".join(renamed))
    notes.append("not expressible at all: the graph (branches, residual adds, concats), batch "
                 "norm, biases and activations; rows are independent layers")
    return "\n".join(rows) + "\n", notes
