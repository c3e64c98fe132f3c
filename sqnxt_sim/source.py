"""Reading input files: one place for every format's text and YAML (network, accelerator,
sweep spec), with line numbers kept for located errors (docs/architecture.md).

``read_source`` turns an unreadable or non-UTF-8 file into one located error; ``read_yaml``
parses YAML keeping the line of every mapping, key and sequence (``line_of``) and turns syntax
errors into one located line.  No network, hardware or model knowledge here.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from .errors import NetworkError


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


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(text: str, source: str | None, error=NetworkError) -> Any:
    """Parse YAML text keeping line numbers; syntax errors become located one-line errors."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
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
        with open(path, encoding="utf-8") as fh:
            return path, fh.read()
    except OSError as e:
        raise error(f"cannot read {what} file: {e.strerror}", file=path) from None
    except UnicodeDecodeError as e:
        with open(path, "rb") as fh:
            line = fh.read()[:e.start].count(b"\n") + 1
        raise error(f"not UTF-8 text ({e.reason})", file=path, line=line) from None
