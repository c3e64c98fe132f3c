"""Bad network input: exactly one located NetworkError (`file:line: ...`) naming the field."""

from __future__ import annotations

import re
import textwrap

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqnxt_sim.cli import main
from sqnxt_sim.errors import NetworkError
from sqnxt_sim.network.graph import LayerDef, Network
from sqnxt_sim.network.layers import Add, Conv, Input, Shape
from sqnxt_sim.network.yaml_io import load_network, loads_network

HEAD = "name: bad\ninput: [64, 8, 8]\nlayers:\n"

# (id, text, line, fragments the message must contain)
CASES = [
    ("malformed-yaml", "name: bad\ninput: [3, 8, 8\nlayers: []\n", 3,
     ["malformed YAML", "from line 2"]),
    ("tab-indent", HEAD + "\t- {type: conv, out: 4, kernel: 1}\n", 4, ["malformed YAML"]),
    ("not-a-mapping", "- conv\n- pool\n", 1, ["must be a mapping"]),
    ("empty-file", "", 1, ["must be a mapping"]),
    ("duplicate-key", "input: [3, 8, 8]\ninput: [3, 9, 9]\nlayers: []\n", 2,
     ["duplicate key 'input'"]),
    ("unknown-top-key", "name: bad\ninput: [3, 8, 8]\nlayer: []\n", 3,
     ["unknown top-level field 'layer'"]),
    ("missing-layers", "name: bad\ninput: [3, 8, 8]\n", 1, ["missing 'layers'"]),
    ("bad-input", "name: bad\ninput: [3, 0, 8]\nlayers: []\n", 2,
     ["input must be [channels, height, width]"]),
    ("unknown-layer-type", HEAD + "  - {name: a, type: conv, out: 4, kernel: 1}\n"
     "  - {name: b, type: convolution, out: 4}\n", 5, ["unknown layer type 'convolution'"]),
    ("layer-type-not-a-string", HEAD + "  - {type: [conv], out: 4, kernel: 1}\n", 4,
     ["unknown layer type"]),
    ("unknown-field", HEAD + "  - name: c\n    type: conv\n    out: 4\n    kernel: 1\n"
     "    strides: 2\n", 8, ["unknown field 'strides' for conv 'c'"]),
    ("missing-required-field", HEAD + "  - name: c\n    type: conv\n    out: 4\n", 4,
     ["conv 'c' needs a 'kernel' field"]),
    ("undefined-reference", HEAD + "  - {name: a, type: conv, out: 4, kernel: 1}\n"
     "  - name: b\n    type: conv\n    out: 4\n    kernel: 1\n    input: aa\n", 9,
     ["input 'aa' is not a layer defined before this one"]),
    ("forward-reference", HEAD + "  - {name: a, type: conv, out: 4, kernel: 1, input: b}\n"
     "  - {name: b, type: conv, out: 4, kernel: 1, input: a}\n", 4,
     ["input 'b' is declared further down (line 5)", "cycles"]),
    ("self-reference", HEAD + "  - {name: a, type: conv, out: 4, kernel: 1, input: a}\n", 4,
     ["input 'a'"]),
    ("duplicate-name", HEAD + "  - {name: a, type: conv, out: 4, kernel: 1}\n"
     "  - {name: a, type: relu}\n", 5, ["layer name 'a' is defined twice"]),
    ("add-mismatched", HEAD + "  - {name: a, type: conv, out: 4, kernel: 1}\n"
     "  - {name: b, type: conv, out: 8, kernel: 1, input: input}\n"
     "  - name: s\n    type: add\n    inputs: [a, b]\n", 8,
     ["add 's'", "mismatched shapes 4x8x8 and 8x8x8"]),
    ("add-one-input", HEAD + "  - {name: s, type: add, inputs: [input]}\n", 4,
     ["add 's' takes at least 2 input(s), got 1"]),
    ("concat-mismatched", HEAD + "  - {name: a, type: conv, out: 4, kernel: 1, stride: 2}\n"
     "  - {name: s, type: concat, inputs: [a, input]}\n", 5, ["mismatched maps"]),
    ("groups-c-in", HEAD + "  - name: c3\n    type: conv\n    out: 6\n    kernel: 1\n"
     "    groups: 3\n", 8, ["conv 'c3': groups=3 does not divide c_in=64"]),
    ("groups-out", HEAD + "  - {name: c3, type: conv, out: 64, kernel: 1, groups: 3}\n", 4,
     ["groups=3 does not divide out=64"]),
    ("kernel-too-large", HEAD + "  - name: c\n    type: conv\n    out: 4\n    kernel: 9\n"
     "    pad: 0\n", 7, ["conv 'c': kernel 9x9 is larger than its padded input 8x8"]),
    ("pool-kernel-too-large", HEAD + "  - {name: p, type: maxpool, kernel: [2, 11], pad: 1}\n",
     4, ["maxpool 'p'", "larger than its padded input"]),
    ("negative-size", HEAD + "  - name: c\n    type: conv\n    kernel: 1\n    out: -4\n", 7,
     ["out must be a positive integer, got -4"]),
    ("zero-size", HEAD + "  - {name: c, type: conv, out: 4, kernel: 1, stride: 0}\n", 4,
     ["stride must be a positive integer, got 0"]),
    ("non-integer-size", HEAD + "  - name: c\n    type: conv\n    out: 4.5\n    kernel: 1\n",
     6, ["out must be a positive integer, got 4.5"]),
    ("bool-size", HEAD + "  - name: c\n    type: conv\n    out: 4\n    kernel: true\n", 7,
     ["kernel must be an integer or a list of two integers, got True"]),
    ("string-size", HEAD + "  - name: c\n    type: fc\n    out: ten\n", 6,
     ["out must be a positive integer, got 'ten'"]),
    ("negative-pad", HEAD + "  - {name: c, type: conv, out: 4, kernel: 1, pad: -1}\n", 4,
     ["pad must be a non-negative integer"]),
    ("bad-flag", HEAD + "  - name: c\n    type: conv\n    out: 4\n    kernel: 1\n"
     "    relu: 'yes please'\n", 8, ["relu must be true or false"]),
    ("bad-expression-syntax", HEAD + "  - name: c\n    type: conv\n    kernel: 1\n"
     "    out: =4 +\n", 7, ["out: cannot parse expression"]),
    ("expression-unknown-name", HEAD + "  - {name: c, type: conv, kernel: 1, out: =c_out}\n",
     4, ["out: unknown name 'c_out'"]),
    ("expression-attribute", HEAD + "  - name: c\n    type: conv\n    kernel: 1\n"
     "    out: \"=(4).__class__\"\n", 7, ["out: unsupported expression"]),
    ("expression-import", HEAD + "  - name: c\n    type: conv\n    kernel: 1\n"
     "    out: \"=__import__('os').getpid()\"\n", 7, ["out: unsupported expression"]),
    ("expression-huge-power", HEAD + "  - {name: c, type: conv, kernel: 1, out: '=9**9**9'}\n",
     4, ["out: result too large"]),
    ("expression-type-error", HEAD + "  - {name: c, type: conv, kernel: 1, out: \"=-'a'\"}\n",
     4, ["out: bad operand type"]),
    ("unknown-template", HEAD + "  - {name: s, use: blok}\n", 4,
     ["use: unknown template 'blok'"]),
    ("unknown-template-arg", "input: [3, 8, 8]\ntemplates:\n  t:\n    args: {c: 4}\n"
     "    layers: [{type: conv, out: =c, kernel: 1}]\nlayers:\n  - use: t\n    args:\n"
     "      c: 8\n      width: 2\n", 10, ["template 't' has no argument 'width'"]),
    ("missing-template-arg", "input: [3, 8, 8]\ntemplates:\n  t:\n    args: {c: null}\n"
     "    layers: [{type: conv, out: =c, kernel: 1}]\nlayers:\n  - {use: t, args: {}}\n", 7,
     ["args: template 't' needs argument 'c'"]),
    ("negative-repeat", "input: [3, 8, 8]\ntemplates:\n  t:\n"
     "    layers: [{type: conv, out: 4, kernel: 1}]\nlayers:\n  - use: t\n    repeat: -2\n",
     7, ["repeat must be a non-negative integer, got -2"]),
    ("unknown-template-field", "input: [3, 8, 8]\ntemplates:\n  t:\n"
     "    layers: [{type: conv, out: 4, kernel: 1}]\n    outputs: x\nlayers:\n  - use: t\n",
     5, ["unknown template field 'outputs'"]),
    ("template-uses-itself", "input: [3, 8, 8]\ntemplates:\n  t:\n    layers:\n"
     "      - {use: t}\nlayers:\n  - use: t\n", 5, ["nest too deeply"]),
    ("template-bad-output", "input: [3, 8, 8]\ntemplates:\n  t:\n"
     "    layers: [{name: a, type: conv, out: 4, kernel: 1}]\n    output: b\n"
     "layers:\n  - use: t\n", 5, ["template output 'b' is not one of its layers"]),
    ("defaults-unknown-field", "input: [3, 8, 8]\ndefaults:\n  conv:\n    bn: true\n"
     "    batchnorm: true\nlayers: []\n", 5, ["unknown field 'batchnorm' for conv"]),
    ("integer-key", HEAD + "  - {type: conv, out: 4, kernel: 1, 7: x}\n", 4,
     ["unknown field 7 for conv"]),
    ("layer-not-a-mapping", HEAD + "  - conv\n", 3, ["each layer must be a mapping"]),
    ("pool-pad-too-large", HEAD + "  - {name: p, type: maxpool, kernel: 3, pad: 3}\n", 4,
     ["pad [3, 3, 3, 3] must be smaller than the kernel 3x3"]),
]


@pytest.mark.parametrize("text, line, fragments", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_gives_one_located_error(write_net, text, line, fragments):
    path = write_net(text, "bad.yaml")
    with pytest.raises(NetworkError) as ei:
        load_network(path)
    msg = str(ei.value)
    assert type(ei.value) is NetworkError
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{line}: "), msg
    assert ei.value.line == line and ei.value.file == path
    for frag in fragments:
        assert frag in msg, msg


def test_missing_file_and_non_utf8(write_net, tmp_path):
    with pytest.raises(NetworkError, match="cannot read network file"):
        load_network(tmp_path / "nope.yaml")
    p = tmp_path / "latin1.yaml"
    p.write_bytes(b"name: x\ninput: [3, 8, 8]\n# caf\xe9\nlayers: []\n")
    with pytest.raises(NetworkError) as ei:
        load_network(p)
    assert str(ei.value).startswith(f"{p}:3: not UTF-8")


def test_control_character_is_located(write_net):
    path = write_net("name: x\ninput: [3, 8, 8]\nlayers: [\x07]\n")
    with pytest.raises(NetworkError) as ei:
        load_network(path)
    assert str(ei.value).startswith(f"{path}:3: malformed YAML")


def test_deeply_nested_yaml_is_a_network_error():
    with pytest.raises(NetworkError, match="nested too deeply"):
        loads_network("input: " + "[" * 5000 + "]" * 5000 + "\nlayers: []\n", "deep.yaml")


def test_cycle_in_layer_defs_is_reported():
    # YAML cannot express a cycle (inputs must be declared above), but the graph still checks
    defs = [LayerDef("input", Input(Shape(4, 8, 8)), (), 1),
            LayerDef("a", Add(), ("input", "b"), 2),
            LayerDef("b", Conv(out=4, kernel=1), ("a",), 3)]
    with pytest.raises(NetworkError) as ei:
        Network("cyc", defs, source="cyc.yaml")
    assert str(ei.value).startswith("cyc.yaml:")
    assert "the graph has a cycle: " in str(ei.value)
    assert "a -> b -> a" in str(ei.value) or "b -> a -> b" in str(ei.value)


def test_runaway_repeat_is_capped():
    text = ("input: [3, 8, 8]\ntemplates:\n  t:\n    layers: [{type: relu}]\n"
            "layers:\n  - {name: s, use: t, repeat: 100001}\n")
    with pytest.raises(NetworkError, match="more than 100,000 layers"):
        loads_network(text, "big.yaml")


# -- the CLI edge -----------------------------------------------------------------------------
@pytest.mark.parametrize("text", [c[1] for c in CASES[::6]], ids=[c[0] for c in CASES[::6]])
def test_cli_show_bad_file_one_line_exit_2(write_net, text):
    path = write_net(text, "bad.yaml")
    res = CliRunner().invoke(main, ["show", path])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert len(res.stderr.splitlines()) == 1
    assert res.stderr.startswith(f"error: {path}:")
    assert "Traceback" not in res.output


# -- random mutations of a valid file ---------------------------------------------------------
VALID = textwrap.dedent("""\
    name: mut
    input: [8, 16, 16]
    vars: {w: 1.0}
    defaults:
      conv: {bn: true, relu: true}
    templates:
      block:
        args: {c: null, stride: 1, proj: false}
        layers:
          - {name: proj, type: conv, out: =c, kernel: 1, stride: =stride, input: in, when: =proj}
          - {name: red, type: conv, out: =c // 2, kernel: 1, stride: =stride, input: in}
          - {name: c31, type: conv, out: =c, kernel: [3, 1], pad: [1, 0], groups: 2}
          - name: add
            type: add
            relu: true
            inputs: [c31, "=('proj' if proj else 'in')"]
        output: add
    layers:
      - {name: conv1, type: conv, out: "=int(16 * w)", kernel: 3, stride: 1, pad: 1}
      - {name: pool1, type: maxpool, kernel: 3, stride: 2, ceil: true}
      - {name: stage1, use: block, repeat: 2, args: {c: 16, proj: =i == 0}}
      - {name: stage2, use: block, args: {c: 32, proj: true, stride: 2}}
      - {name: cat, type: concat, inputs: [stage2, stage2/red]}
      - {name: pool, type: gap}
      - {name: fc, type: fc, out: 10, bias: false}
""")

JUNK = st.one_of(st.integers(-3, 40).map(str), st.sampled_from([
    "-1", "0", "1.5", "true", "null", "~", "''", "[]", "{}", "[1, 2, 3]", "=", "=1/0", "=x",
    "=i", "=2**99", "in", "input", "stage1", "stage1.2/add", "conv1", ":", "- ", "[", "{", "'",
    '"', "#", "&a", "*a", "!!python/object:os.system", "use", "type", "repeat", "%", "\t",
    "é", "inf", "1e3", "---", "...", "<<", "? ", "|", ">",
]), st.text(min_size=1, max_size=6))

TOKEN = re.compile(r"[A-Za-z0-9_.=/]+|[^\sA-Za-z0-9_.=/]")


@st.composite
def mutated(draw) -> str:
    lines = VALID.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "replace", "replace", "duplicate", "swap"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            toks = list(TOKEN.finditer(lines[i]))
            if toks:
                m = draw(st.sampled_from(toks))
                lines[i] = lines[i][:m.start()] + draw(JUNK) + lines[i][m.end():]
    return "\n".join(lines) + "\n"


def test_valid_base_loads():
    net = loads_network(VALID, "mut.yaml")
    assert net["stage2/add"].out_shape == Shape(32, 4, 4)    # 16 -> pool 8 -> stride 2 -> 4


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_load_or_raise_network_error(text):
    try:
        loads_network(text, "mut.yaml")
    except NetworkError as e:
        msg = str(e)
        assert "\n" not in msg
        assert re.match(r"mut\.yaml:\d+: ", msg), msg


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutations_never_show_a_traceback(write_net, text):
    path = write_net(text, "mut.yaml")
    res = CliRunner().invoke(main, ["show", path])
    assert res.exit_code in (0, 2), res.output
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        assert len(res.stderr.splitlines()) == 1 and res.stdout == ""
