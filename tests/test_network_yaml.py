"""Network YAML: templates, repeats, expressions, defaults, references, and load(dump(x)) == x."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqnxt_sim.errors import NetworkError
from sqnxt_sim.expr import ExprError, evaluate
from sqnxt_sim.network.graph import LayerDef, Network
from sqnxt_sim.network.layers import (
    FC,
    Add,
    Concat,
    Conv,
    GlobalPool,
    Input,
    Pool,
    Shape,
)
from sqnxt_sim.network.yaml_io import dump_network, load_network, loads_network


def load(text: str) -> Network:
    return loads_network(textwrap.dedent(text).lstrip("\n"), "t.yaml")


BLOCKS = """
name: blocks
input: [3, 16, 16]
vars: {w: 2.0}
defaults:
  conv: {bn: true, relu: true}
templates:
  unit:
    args: {c: null}
    layers:
      - {name: a, type: conv, out: =c, kernel: [3, 1], pad: [1, 0]}
      - {name: b, type: conv, out: =c, kernel: [1, 3], pad: [0, 1]}
  block:
    args: {c: null, stride: 1, proj: false}
    layers:
      - {name: proj, type: conv, out: =c, kernel: 1, stride: =stride, input: in, when: =proj,
         relu: false}
      - {name: red, type: conv, out: =c // 2, kernel: 1, stride: =stride, input: in}
      - {name: inner, use: unit, args: {c: =c}}
      - {name: add, type: add, relu: true, inputs: [inner, "=('proj' if proj else 'in')"]}
layers:
  - {name: conv1, type: conv, out: =8 * w, kernel: 3, pad: 1}
  - {name: stage1, use: block, repeat: 2, args: {c: 16, proj: =i == 0}}
  - {name: stage2, use: block, args: {c: 32, proj: true, stride: 2}}
  - {name: tap, type: conv, out: 16, kernel: 1, bn: false, input: stage1.2/add}
  - {name: pool, type: gap, input: stage2}
  - {name: fc, type: fc, out: 10}
"""


@pytest.fixture(scope="module")
def blocks() -> Network:
    return load(BLOCKS)


def test_repeat_and_nested_template_naming(blocks):
    assert [n.name for n in blocks] == [
        "input", "conv1",
        "stage1.1/proj", "stage1.1/red", "stage1.1/inner/a", "stage1.1/inner/b", "stage1.1/add",
        "stage1.2/red", "stage1.2/inner/a", "stage1.2/inner/b", "stage1.2/add",
        "stage2/proj", "stage2/red", "stage2/inner/a", "stage2/inner/b", "stage2/add",
        "tap", "pool", "fc",
    ]


def test_expressions_args_and_shapes(blocks):
    # =8 * w with w = 2.0 is the integer 16
    conv1 = blocks["conv1"]
    assert conv1.layer.out == 16 and type(conv1.layer.out) is int
    assert conv1.out_shape == Shape(16, 16, 16)              # 3x3 pad 1 keeps 16x16
    assert blocks["stage1.1/red"].layer.out == 16 // 2
    # stage2: stride 2 on 16: (16 - 1) // 2 + 1 = 8
    assert blocks["stage2/red"].out_shape == Shape(16, 8, 8)
    assert blocks["stage2/proj"].layer.stride == (2, 2)
    assert blocks["stage2/inner/a"].layer.kernel == (3, 1)
    assert blocks["stage2/inner/a"].layer.pad == (1, 1, 0, 0)
    assert blocks["stage2/inner/b"].layer.pad == (0, 0, 1, 1)
    assert blocks["stage2/add"].out_shape == Shape(32, 8, 8)
    # MACs of stage2/inner/a: 32 out, 16 in, 3x1, on 8x8
    assert blocks["stage2/inner/a"].macs == 32 * 16 * 3 * 8 * 8


def test_when_and_in(blocks):
    assert "stage1.1/proj" in [n.name for n in blocks]
    assert "stage1.2/proj" not in [n.name for n in blocks]     # proj: =i == 0 is false
    # 'in' is the instance's input: the previous instance's output, or conv1 for the first
    assert blocks["stage1.1/red"].inputs == ("conv1",)
    assert blocks["stage1.1/proj"].inputs == ("conv1",)
    assert blocks["stage1.2/red"].inputs == ("stage1.1/add",)
    assert blocks["stage1.1/add"].inputs == ("stage1.1/inner/b", "stage1.1/proj")
    assert blocks["stage1.2/add"].inputs == ("stage1.2/inner/b", "stage1.1/add")
    # a nested instance's first layer takes the previous item of the outer template
    assert blocks["stage1.1/inner/a"].inputs == ("stage1.1/red",)


def test_defaults_per_type_and_override(blocks):
    assert blocks["conv1"].layer.bn and blocks["conv1"].layer.relu
    assert blocks["stage1.1/proj"].layer.bn and not blocks["stage1.1/proj"].layer.relu
    assert not blocks["tap"].layer.bn and blocks["tap"].layer.relu
    assert blocks["fc"].layer.bias                           # fc's own default
    assert blocks["conv1"].bn_params == 2 * 16


def test_full_name_references_and_template_use_names(blocks):
    assert blocks["tap"].inputs == ("stage1.2/add",)
    assert blocks["pool"].inputs == ("stage2/add",)             # a template use's name
    assert blocks["fc"].inputs == ("pool",)


def test_residual_edges_in_graph(blocks):
    g = blocks.graph
    assert g.has_edge("stage1.1/proj", "stage1.1/add")          # projection shortcut
    assert g.has_edge("stage1.1/add", "stage1.2/add")           # identity shortcut
    assert g.has_edge("stage1.1/add", "stage1.2/red")
    assert g.has_edge("stage1.2/add", "tap")
    assert g.in_degree("stage2/add") == 2
    assert g.out_degree("stage1.2/add") == 3                   # stage2/proj, stage2/red, tap


def test_topological_order(blocks):
    seen = set()
    for n in blocks:
        assert all(i in seen for i in n.inputs), n.name
        seen.add(n.name)
    assert len(seen) == len(blocks) == blocks.graph.number_of_nodes()


def test_totals_by_hand(blocks):
    def conv_w(k, c, r, s):
        return k * c * r * s
    weights = (conv_w(16, 3, 3, 3)                                       # conv1
               + conv_w(16, 16, 1, 1) + conv_w(8, 16, 1, 1)              # stage1.1 proj, red
               + conv_w(16, 8, 3, 1) + conv_w(16, 16, 1, 3)              # stage1.1 inner
               + conv_w(8, 16, 1, 1)                                     # stage1.2 red
               + conv_w(16, 8, 3, 1) + conv_w(16, 16, 1, 3)              # stage1.2 inner
               + conv_w(32, 16, 1, 1) + conv_w(16, 16, 1, 1)             # stage2 proj, red
               + conv_w(32, 16, 3, 1) + conv_w(32, 32, 1, 3)             # stage2 inner
               + conv_w(16, 16, 1, 1)                                    # tap
               + 32 * 10)                                                # fc
    assert blocks.weights == weights
    bn = 2 * (16 + 16 + 8 + 16 + 16 + 8 + 16 + 16 + 32 + 16 + 32 + 32)  # every conv but tap
    assert blocks.totals["bn_params"] == bn
    assert blocks.totals["biases"] == 10
    assert blocks.params == weights + bn + 10


def test_template_output_and_i_n_variables():
    net = load("""
        input: [4, 8, 8]
        templates:
          two:
            args: {c: 8}
            layers:
              - {name: x, type: conv, out: "=c * (n + 1)", kernel: 1}
              - {name: side, type: conv, out: "=4 + i", kernel: 1, input: x}
            output: x
        layers:
          - {name: s, use: two, repeat: 3}
          - {name: t, use: two, args: {c: 2}}
          - {type: conv, out: 4, kernel: 1}
    """)
    # n counts earlier uses network-wide: s.1 -> 0, s.2 -> 1, s.3 -> 2, t -> 3
    assert [net[f"s.{k}/x"].layer.out for k in (1, 2, 3)] == [8 * 1, 8 * 2, 8 * 3]
    assert net["t/x"].layer.out == 2 * 4
    assert [net[f"s.{k}/side"].layer.out for k in (1, 2, 3)] == [4, 5, 6]
    # output: x, so each instance is fed by the previous x, not by side
    assert net["s.2/x"].inputs == ("s.1/x",)
    assert net["t/x"].inputs == ("s.3/x",)
    last = net.nodes[-1]
    assert last.inputs == ("t/x",) and last.name == "conv9"     # generated name: type + index


def test_repeat_zero_and_when_on_template_use():
    net = load("""
        input: [4, 8, 8]
        vars: {deep: false}
        templates:
          t:
            layers: [{type: conv, out: 4, kernel: 1}]
        layers:
          - {name: a, use: t, repeat: 0}
          - {name: b, use: t, when: =deep}
          - {name: c, type: conv, out: 2, kernel: 1}
    """)
    assert [n.name for n in net] == ["input", "c"]
    assert net["c"].inputs == ("input",)


def test_input_as_mapping_and_default_name(tmp_path):
    p = tmp_path / "my_net.yaml"
    p.write_text("input: {channels: 3, height: 10, width: 12}\n"
                 "layers: [{type: conv, out: 2, kernel: 3}]\n")
    net = load_network(p)
    assert net.name == "my_net"
    assert net.input_shape == Shape(3, 10, 12)
    assert net.nodes[-1].out_shape == Shape(2, 8, 10)


def test_flat_dump_example_from_docs():
    net = load("""
        name: tiny
        input: [3, 32, 32]
        layers:
          - {name: conv1, type: conv, out: 16, kernel: 3, stride: 2, pad: 0, groups: 1,
             bias: false, bn: true, relu: true, inputs: [input]}
          - {name: pool, type: gap, inputs: [conv1]}
          - {name: fc, type: fc, out: 10, bias: false, bn: false, relu: false, inputs: [pool]}
    """)
    assert net.macs == 16 * 3 * 9 * 15 * 15 + 16 * 10
    assert loads_network(dump_network(net)) == net


def test_dump_of_templated_network_round_trips(blocks):
    text = dump_network(blocks)
    again = loads_network(text)
    assert again == blocks
    assert again.totals == blocks.totals
    assert "use:" not in text and "templates" not in text


# -- expressions ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, scope, want", [
    ("32 * w", {"w": 2.0}, 64),
    ("32 * w", {"w": 1.5}, 48),
    ("7 / 2", {}, 3.5),
    ("7 // 2 + 7 % 2", {}, 3 + 1),
    ("2 ** 3", {}, 8),
    ("c // 2 if c > 8 else c", {"c": 16}, 8),
    ("i == 0 and not proj", {"i": 0, "proj": False}, True),
    ("max(1, min(4, 9)) + abs(-2) + int(2.7) + round(2.4)", {}, 4 + 2 + 2 + 2),
    ("[k, 1]", {"k": 3}, [3, 1]),
    ("'s' + str(n + 1)", {"n": 1}, "s2"),
    ("1 < 2 < 3", {}, True),
])
def test_expressions(text, scope, want):
    got = evaluate(text, scope)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("text", [
    "__import__('os')",
    "(1).real",
    "w.__class__",
    "().__class__.__bases__",
    "open('x')",
    "lambda: 1",
    "[x for x in [1]]",
    "[1][0]",
    "undefined_name",
    "10 ** 10 ** 10",                  # would hang
    "'a' * 10 ** 9",                   # would exhaust memory
    "'%999999999d' % 1",               # string formatting: ditto
    "round(5, -10 ** 9)",
    "-'a'",
    "'a' < 1",
    "1 // 0",
    "1 +",
    "-" * 5000 + "1",                  # CPython's parser gives up (MemoryError)
    "1" + " + 1" * 5000,               # too long
])
def test_unsafe_or_bad_expressions_are_rejected(text):
    with pytest.raises(ExprError):
        evaluate(text, {"w": 1})


def test_unsafe_expression_in_a_file_is_a_located_error():
    text = ("input: [3, 8, 8]\nlayers:\n  - type: conv\n    kernel: 1\n"
            "    out: \"=__import__('os').getcwd()\"\n")
    with pytest.raises(NetworkError) as ei:
        loads_network(text, "u.yaml")
    assert str(ei.value).startswith("u.yaml:5: out: unsupported expression")


# -- round trip: load(dump(x)) == x -----------------------------------------------------------
NAMES = st.sampled_from(["a", "b1", "conv", "s1.2/red", "x-y", "null", "yes", "007", "1.5",
                         "a b", "k: v", "#c", "[z]", "é"])


@st.composite
def random_networks(draw) -> Network:
    c0 = draw(st.integers(1, 8))
    h0 = draw(st.integers(1, 12))
    w0 = draw(st.integers(1, 12))
    defs = [LayerDef("input", Input(Shape(c0, h0, w0)), ())]
    shapes = {"input": Shape(c0, h0, w0)}
    for idx in range(draw(st.integers(1, 8))):
        names = list(shapes)
        kind = draw(st.sampled_from(["conv", "conv", "pool", "add", "concat"]))
        src = draw(st.sampled_from(names))
        x = shapes[src]
        try:
            if kind == "conv":
                g = draw(st.sampled_from([d for d in (1, 2, 3, 4) if x.c % d == 0]))
                layer = Conv(out=g * draw(st.integers(1, 4)),
                             kernel=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                             stride=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
                             pad=tuple(draw(st.lists(st.integers(0, 2), min_size=4,
                                                     max_size=4))),
                             groups=g, bias=draw(st.booleans()), bn=draw(st.booleans()),
                             relu=draw(st.booleans()))
                ins = (src,)
            elif kind == "pool":
                k = draw(st.integers(1, 3))
                layer = Pool(draw(st.sampled_from(["max", "avg"])), kernel=k,
                             stride=draw(st.integers(1, 3)), pad=draw(st.integers(0, k - 1)),
                             ceil=draw(st.booleans()))
                ins = (src,)
            elif kind == "add":
                same = [n for n in names if shapes[n] == x]
                ins = tuple(draw(st.lists(st.sampled_from(same), min_size=2, max_size=3)))
                layer = Add(relu=draw(st.booleans()))
            else:
                same = [n for n in names if (shapes[n].h, shapes[n].w) == (x.h, x.w)]
                ins = tuple(draw(st.lists(st.sampled_from(same), min_size=2, max_size=3)))
                layer = Concat()
            out = layer.output_shape(tuple(shapes[i] for i in ins))
        except NetworkError:
            continue                                   # not a valid layer here: skip it
        if min(out.c, out.h, out.w) < 1:
            continue
        name = f"{draw(NAMES)}{idx}"
        defs.append(LayerDef(name, layer, ins))
        shapes[name] = out
    if draw(st.booleans()):
        defs.append(LayerDef("pool", GlobalPool(draw(st.sampled_from(["avg", "max"]))),
                             (defs[-1].name,)))
        defs.append(LayerDef("fc", FC(out=draw(st.integers(1, 20)), bias=draw(st.booleans())),
                             ("pool",)))
    return Network(draw(st.sampled_from(["tiny", "net: 2", "1.0-SqNxt-23", "two\nlines"])),
                   defs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_networks())
def test_load_dump_round_trip(net):
    text = dump_network(net)
    again = loads_network(text)
    assert again == net
    assert again.totals == net.totals
    assert [n.out_shape for n in again] == [n.out_shape for n in net]
    assert dump_network(again) == text                  # dumping is deterministic


def test_expression_parse_warnings_never_reach_stderr():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # a SyntaxWarning would now raise
        assert evaluate("1if 1 else 2", {}) == 1
