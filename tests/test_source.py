"""YAML reading (source.py): libyaml's parser is a fast path only; wherever it is taken it must
give exactly what PyYAML's pure-Python loader gives (values, types and the line of every key),
and a document either rejects is reported as PyYAML reports it."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import yaml

from sqnxt_sim import source
from sqnxt_sim.errors import NetworkError

ROOT = Path(__file__).resolve().parent.parent
needs_libyaml = pytest.mark.skipif(source._FastLoader is None, reason="PyYAML without libyaml")


def _canon(v):
    if isinstance(v, source.LDict):
        return ("map", v.line, tuple((_canon(k), _canon(x), v.lines.get(k)) for k, x in v.items()))
    if isinstance(v, source.LList):
        return ("seq", v.line, tuple(_canon(x) for x in v))
    if isinstance(v, float) and math.isnan(v):
        return ("nan",)
    return (type(v).__name__, v)


def _read(text, loader):
    try:
        return "ok", _canon(yaml.load(text, Loader=loader))  # noqa: S506 - safe constructors
    except Exception as e:  # noqa: BLE001
        return "error", type(e).__name__


@needs_libyaml
def test_every_bundled_file_reads_the_same_on_both_paths():
    files = [p for d in ("networks", "accelerators", "sweeps", "sqnxt_sim", "tests")
             for p in sorted((ROOT / d).rglob("*.yaml"))]
    assert len(files) > 30
    fast = 0
    for p in files:
        text = p.read_text(encoding="utf-8")
        slow = _read(text, source._BoundedLoader)
        if source._fast_path(text):
            fast += 1
            assert _read(text, source._FastLoader) == slow, p
    assert fast > 20     # the networks and accelerators take the fast path


# fragments that make the two parsers disagree when the filter lets them through, and the
# everyday ones around them
_TOKENS = ["a", "b1", "x y", "1", "-2", "0x1f", "1e3", "1.5", ".inf", "~", "null", "true",
           "=c // 2", "'q'", '"d\\n"', ":", ": ", ",", "[", "]", "{", "}", "- ", "-", "#c",
           " #c", "\n", "\n  ", "\n    ", "\n- ", " ", "  ", "&a ", "*a", "!!str ", "!t ", "!",
           "?", "? ", "\t", "|", ">", "|-\n  t", "|#", ">2", "%", "@", "`", "\\", "'", '"',
           "...", "---", "\r\n", "\x85", "\u2028", "\ufeff", "\xa0", "§", "µ", "<<: ", "=",
           "*", "&", "a:b", "\x00", "\x7f", "[a: b]", "*a :", "'it''s'", '"\\x41"', "a\n  b",
           "key\n  : v", "%YAML 1.1\n--- ", "0o17", "1_000", "1:20", "yes", "<<: {a: 1}"]


@needs_libyaml
def test_random_documents_read_the_same_wherever_the_fast_path_is_taken():
    rng = random.Random(15)
    taken = accepted = 0
    for _ in range(8000):
        text = "".join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 20)))
        if not source._fast_path(text):
            continue
        taken += 1
        fast = _read(text, source._FastLoader)
        if fast[0] == "ok":
            accepted += 1
            assert fast == _read(text, source._BoundedLoader), repr(text)
    assert taken > 1500 and accepted > 500


@pytest.mark.parametrize("text", ["a: 1\nb:\tx\n", "a: [b?c]\n", "a: !\n", "a: |#\n  x\n",
                                  "a: {b: 1, b: 2}\n", "a: [1, 2\n", "a: 2001-12-14\n"])
def test_errors_are_pyyaml_s_whatever_libyaml_makes_of_the_text(text):
    def outcome(read):
        try:
            return "ok", _canon(read())
        except NetworkError as e:
            return "error", str(e)

    assert outcome(lambda: source.read_yaml(text, "x.yaml")) == outcome(
        lambda: _pyyaml_only(text))


def _pyyaml_only(text):
    saved = source._FastLoader
    source._FastLoader = None
    try:
        return source.read_yaml(text, "x.yaml")
    finally:
        source._FastLoader = saved
