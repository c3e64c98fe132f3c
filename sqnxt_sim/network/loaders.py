"""One registry of network readers: ``load_network`` picks the reader by suffix, else by content.

* ``.onnx``                  → ONNX model (``onnx_io.py``; needs the ``onnx`` package)
* ``.csv``                   → SCALE-Sim topology (``topology.py``)
* ``.yaml`` / ``.yml``       → network YAML (``yaml_io.py``)
* any other name: a file that is not UTF-8 text, or that starts like a protobuf ModelProto
  (field 1, ``ir_version``, a varint: byte 0x08), is read as ONNX; anything else as YAML.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ..source import read_bytes
from .graph import Network


@dataclass(frozen=True)
class Reader:
    name: str
    suffixes: tuple[str, ...]
    load: Callable[[str], Network]


def _yaml(path: str) -> Network:
    from ..source import read_source, read_yaml
    from .yaml_io import parse_network
    path, text = read_source(path)
    return parse_network(read_yaml(text, path), path)


def _csv(path: str) -> Network:
    from ..source import read_source
    from .topology import load_topology
    path, text = read_source(path)
    return load_topology(text, path)


def _onnx(path: str) -> Network:
    from .onnx_io import load_onnx
    return load_onnx(path)


READERS: tuple[Reader, ...] = (
    Reader("onnx", (".onnx",), _onnx),
    Reader("scalesim", (".csv",), _csv),
    Reader("yaml", (".yaml", ".yml"), _yaml),
)


def reader_for(path: str) -> Reader:
    """The reader for ``path``: by suffix, else by the first bytes of the file."""
    by_name = {r.name: r for r in READERS}
    low = path.lower()
    for r in READERS:
        if low.endswith(r.suffixes):
            return r
    head = read_bytes(path, head=True)
    if head.startswith(b"\x08"):
        return by_name["onnx"]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if len(head) - e.start > 4:      # not just a multi-byte character cut at 4096 bytes
            return by_name["onnx"]
    return by_name["yaml"]


def load_network(path: str | os.PathLike) -> Network:
    """A network from a YAML file, a SCALE-Sim topology CSV or an ONNX model."""
    path = os.fspath(path)
    return reader_for(path).load(path)
