"""Reading input files: one place for every format's text and YAML (network, accelerator,
sweep spec), with line numbers kept for located errors (docs/architecture.md).

``read_source`` turns an unreadable or non-UTF-8 file into one located error; ``read_yaml``
parses YAML keeping the line of every mapping, key and sequence (``line_of``) and turns syntax
errors into one located line.  No network, hardware or model knowledge here.
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml

from .errors import NetworkError
from .limits import MAX_INPUT_BYTES, MAX_INT_DIGITS, MAX_MODEL_BYTES, MAX_YAML_NODES


class LDict(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int | None = None
    lines: dict


class LList(list):
    line: int | None = None


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LDict:
    loader.flatten_mapping(node)
    d = LDict()
    d.line = node.start_mark.line + 1
    d.lines = {}
    for k_node, v_node in node.value:
        key = loader.construct_object(k_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
            raise NetworkError(f"mapping key {key!r} must be a string",
                               line=k_node.start_mark.line + 1)
        if key in d:
            raise NetworkError(f"duplicate key {key!r}", line=k_node.start_mark.line + 1,
                               field=str(key))
        d[key] = loader.construct_object(v_node, deep=True)
        d.lines[key] = k_node.start_mark.line + 1
    return d


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LList:
    seq = LList(loader.construct_object(n, deep=True) for n in node.value)
    seq.line = node.start_mark.line + 1
    return seq


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    # Python refuses to convert integers of more than 4,300 digits (and a long one is slow);
    # no field needs more than a few digits
    digits = sum(ch.isdigit() for ch in node.value)
    if digits > MAX_INT_DIGITS:
        raise NetworkError(f"integer of {digits:,} digits is too large (limit: "
                           f"{MAX_INT_DIGITS} digits; docs/errors.md)",
                           line=node.start_mark.line + 1)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _reject(kind: str):
    def construct(loader: _Loader, node: yaml.Node):
        raise NetworkError(f"{kind} values ({node.tag}) are not supported; write a string, "
                           f"a number, true/false, a list or a mapping (quote a date)",
                           line=node.start_mark.line + 1)
    return construct


def _constructors(loader: type) -> None:
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    for tag, kind in (("binary", "binary"), ("timestamp", "date/time"), ("set", "set"),
                      ("omap", "ordered-mapping"), ("pairs", "pairs")):
        loader.add_constructor(f"tag:yaml.org,2002:{tag}", _reject(kind))


_constructors(_Loader)


def _expanded_size(root: yaml.Node) -> tuple[int, yaml.Node | None]:
    """How many values the document holds once every alias is expanded, computed on the node
    graph (an alias is the same node object) without expanding anything; and the first node
    whose expansion alone passes the limit, to locate the error."""
    sizes: dict[int, int] = {}
    worst: list[yaml.Node] = []
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = ([c for pair in node.value for c in pair]
                    if isinstance(node, yaml.MappingNode) else list(node.value))
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 1) for c in children)  # a cycle counts as one
        sizes[id(node)] = min(total, MAX_YAML_NODES + 1)
        if total > MAX_YAML_NODES and not worst:
            worst.append(node)
    return sizes.get(id(root), 1), (worst[0] if worst else None)


class _Bounded:
    def construct_document(self, node):
        size, worst = _expanded_size(node)
        if size > MAX_YAML_NODES:
            at = worst if worst is not None else node
            raise NetworkError(f"the YAML expands to more than {MAX_YAML_NODES:,} values "
                               f"(aliases used too many times? docs/errors.md)",
                               line=at.start_mark.line + 1)
        return super().construct_document(node)


class _BoundedLoader(_Bounded, _Loader):
    pass


# libyaml's parser (when PyYAML was built with it) with the same constructors: ≈ 10× faster
# than PyYAML's pure-Python scanner (1.0-SqNxt-23's file: ≈ 4 ms → 0.4 ms).  It is only a fast
# path, taken where the two parsers agree: its error messages differ from PyYAML's, so a
# document it fails on is read again by the pure-Python loader, whose located errors are the
# ones documented and tested; and it accepts, or reads differently, some documents PyYAML
# rejects (tabs, `?` and `!` in plain scalars, `|#`, byte-order marks and other special
# characters), so a text with any of those goes to PyYAML alone.  tests/test_source.py checks
# that both give the same values and lines on every bundled file and on random documents.
_FastLoader = None
if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(_Bounded, yaml.CSafeLoader):  # type: ignore[no-redef]
        pass

    _constructors(_FastLoader)

# newline, printable ASCII but ! and ?, printable non-ASCII of the BMP but the byte-order mark
# and the line and paragraph separators
_FAST_TEXT = re.compile(r"[\n\x20\x22-\x3e\x40-\x7e"
                        r"\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*\Z")
_BLOCK_HASH = re.compile(r"[|>][0-9+-]*#")     # a block scalar's header run into a comment


def _fast_path(text: str) -> bool:
    return (_FastLoader is not None and isinstance(text, str)
            and _FAST_TEXT.match(text) is not None and _BLOCK_HASH.search(text) is None)


def read_yaml(text: str, source: str | None, error=NetworkError) -> Any:
    """Parse YAML text keeping line numbers; syntax errors become located one-line errors."""
    if _fast_path(text):
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - SafeLoader's constructors
        except Exception:   # noqa: BLE001 - any failure: the pure-Python loader says what it is
            pass
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - SafeLoader subclass
    except NetworkError as e:
        raise error(e.message, file=source, line=e.line, field=e.field) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        msg = (e.problem or str(e)).strip()
        if e.context:
            started = e.context_mark
            at = (f" (from line {started.line + 1})" if started and e.problem_mark
                  and started.line != e.problem_mark.line else "")
            msg = f"{e.context.strip()}{at}, {msg}"
        raise error(f"malformed YAML: {msg}", file=source, line=line) from None
    except yaml.reader.ReaderError as e:  # e.g. a control character; no mark, a position
        line = text.count("\n", 0, e.position) + 1 if isinstance(text, str) else None
        raise error(f"malformed YAML: {e.reason} (character {e.character!r})", file=source,
                    line=line) from None
    except yaml.YAMLError as e:
        raise error(f"malformed YAML: {e}", file=source) from None
    except RecursionError:
        raise error("malformed YAML: nested too deeply", file=source) from None


def line_of(d: Any, key: str | None = None) -> int | None:
    if isinstance(d, LDict):
        if key is not None and key in d.lines:
            return d.lines[key]
        return d.line
    return getattr(d, "line", None)



def read_source(path: str | os.PathLike, error=NetworkError, what: str = "network"
                ) -> tuple[str, str]:
    """(path, text) of an input file; an unreadable or non-UTF-8 file is one located error."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)   # never more than the limit, even from a pipe
    except OSError as e:
        raise error(f"cannot read {what} file: {e.strerror}", file=path) from None
    if len(data) > MAX_INPUT_BYTES:
        raise error(f"the {what} file is larger than the limit of {MAX_INPUT_BYTES // 2**20} MiB "
                    f"(docs/errors.md)", file=path)
    try:
        return path, data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise error(f"not UTF-8 text ({e.reason})", file=path, line=line) from None


def read_bytes(path: str | os.PathLike, error=NetworkError, what: str = "network",
               limit: int = MAX_MODEL_BYTES, head: bool = False) -> bytes:
    """The bytes of a binary input file (an ONNX model), at most ``limit`` of them; with
    ``head`` only the first 4 KiB (to recognise a format).  Unreadable: one located error."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(4096 if head else limit + 1)
    except OSError as e:
        raise error(f"cannot read {what} file: {e.strerror}", file=path) from None
    if not head and len(data) > limit:
        raise error(f"the {what} file is larger than the limit of {limit // 2**20:,} MiB "
                    f"(docs/errors.md)", file=path)
    return data

