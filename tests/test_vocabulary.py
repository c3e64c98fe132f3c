"""The YAML vocabulary is declared once, on the layer classes (layers.py ``yaml_types`` and
``yaml_fields``); the reader, the writer and the docs follow it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqnxt_sim.network.layers import Conv, Pool, yaml_vocabulary
from sqnxt_sim.network.yaml_io import LAYER_FIELDS, REQUIRED, layer_fields, make_layer

DOC = (Path(__file__).resolve().parents[1] / "docs" / "network-format.md").read_text(
    encoding="utf-8")
VOCAB = yaml_vocabulary()


@pytest.mark.parametrize("ltype", sorted(VOCAB))
def test_every_type_and_field_is_documented(ltype):
    assert f"`{ltype}`" in DOC, ltype
    for name in LAYER_FIELDS[ltype]:
        assert f"`{name}`" in DOC, (ltype, name)


def test_reader_and_writer_follow_the_declaration():
    # a hand-written conv: the YAML defaults (stride 1, no padding) and the compact writer
    c = make_layer("conv", {"out": 8, "kernel": [3, 1], "pad": [1, 0]})
    assert c == Conv(out=8, kernel=(3, 1), stride=(1, 1), pad=(1, 1, 0, 0))
    assert layer_fields(c) == {"out": 8, "kernel": [3, 1], "stride": 1, "pad": [1, 0],
                               "groups": 1, "bias": False, "bn": False, "relu": False}
    # the YAML stride of a pool defaults to 1 (the class's own default is 2)
    assert make_layer("maxpool", {"kernel": 3}) == Pool("max", kernel=(3, 3), stride=(1, 1))
    assert REQUIRED["conv"] == {"out", "kernel"} and "fc" in REQUIRED
    assert LAYER_FIELDS["dropout"] == {"ratio"} and LAYER_FIELDS["relu"] == set()


@pytest.mark.parametrize("ltype", sorted(VOCAB))
def test_every_type_round_trips(ltype):
    examples = {"conv": {"out": 4, "kernel": 3, "dilation": 2}, "fc": {"out": 3},
                "maxpool": {"kernel": 2, "stride": 2}, "avgpool": {"kernel": 3, "ceil": True},
                "linear": {"out": 5}, "reshape": {"shape": [1, 2, 3]},
                "slice": {"axis": 0, "start": 1, "end": 3}, "pad": {"pad": [1, 2, 0, 1]},
                "resize": {"size": [4, 6]}, "const": {"shape": [1, 1, 8]},
                "concat": {"axis": 1}}
    layer = make_layer(ltype, examples.get(ltype, {}))
    assert make_layer(ltype, layer_fields(layer)) == layer
