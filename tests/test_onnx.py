"""ONNX import and export (sqnxt_sim/network/onnx_io.py, docs/onnx.md).

Expected shapes, MACs and parameters are worked out by hand in each test from the ONNX
operator definitions (output size = floor((H + pads - ((k - 1) * d + 1)) / s) + 1, ceil for
ceil_mode, SAME padding = ceil(H / s)), never copied from the importer's output.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sqnxt_sim.cli import main  # noqa: E402
from sqnxt_sim.errors import NetworkError  # noqa: E402
from sqnxt_sim.network.layers import (  # noqa: E402
    FC,
    Add,
    BatchNorm,
    Concat,
    Const,
    GlobalPool,
    LayerNorm,
    Linear,
    MatMul,
    Mul,
    Pad,
    PassThrough,
    Reshape,
    Resize,
    Slice,
)
from sqnxt_sim.network.loaders import load_network  # noqa: E402
from sqnxt_sim.network.onnx_io import canon, load_onnx, to_onnx  # noqa: E402
from sqnxt_sim.network.yaml_io import dump_network, loads_network  # noqa: E402
from sqnxt_sim.workload import Kind  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
NETWORKS = sorted((ROOT / "networks").glob("*.yaml"))


# -- helpers -----------------------------------------------------------------------------------
def W(name, *dims):
    """An initializer with real (random) values: the 'model that carries weights' case."""
    return numpy_helper.from_array(np.random.default_rng(0).standard_normal(dims)
                                   .astype(np.float32), name)


def I64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def F32(name, value):
    return numpy_helper.from_array(np.array(value, dtype=np.float32), name)


def build(tmp_path, nodes, x_dims, inits=(), opset=17, name="g", out="y", extra_inputs=()):
    """Save a one-input graph and load it with sqnxt-sim."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_dims), *extra_inputs],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    return load_network(path)


def N(op, ins, out, name=None, **attrs):
    return helper.make_node(op, ins, [out], name=name or out, **attrs)


# -- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", NETWORKS, ids=[p.name for p in NETWORKS])
def test_every_bundled_network_round_trips_through_onnx(path, tmp_path):
    net = load_network(path)
    out = tmp_path / "net.onnx"
    onnx.save(to_onnx(net), out)          # to_onnx runs onnx.checker (full check) itself
    back = load_network(out)
    assert back == net                    # same names, layer values and edges, in order
    assert [n.out_shape for n in back] == [n.out_shape for n in net]
    assert [n.in_shapes for n in back] == [n.in_shapes for n in net]
    assert back.totals == net.totals      # MACs, weights, biases, BN parameters


def test_zero_weights_export_is_a_full_model(tmp_path):
    net = load_network(ROOT / "networks" / "squeezenet_v1.1.yaml")
    m = to_onnx(net, zero_weights=True)
    stored = sum(math.prod(t.dims) for t in m.graph.initializer if t.data_type == 1)
    # every weight and bias (and nothing else) is stored: 1,235,496 parameters (SPEC §2)
    assert stored == 1_235_496
    assert [i.name for i in m.graph.input] == ["input"]
    path = tmp_path / "a.onnx"
    onnx.save(m, path)
    assert load_network(path) == net


def test_structure_only_export_has_no_weight_values():
    m = to_onnx(load_network(ROOT / "networks" / "resnet18.yaml"))
    assert all(t.data_type == TensorProto.INT64 for t in m.graph.initializer)
    assert len(m.SerializeToString()) < 100_000     # 11.7 M weights would be 46 MB


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "mobilenet_v2", "deit_tiny"])
def test_zoo_yaml_is_the_import_of_its_onnx_file(name):
    """networks/<name>.yaml is `sqnxt-sim import tests/data/<name>.onnx` (names kept)."""
    assert load_network(ROOT / "networks" / f"{name}.yaml") == load_network(DATA / f"{name}.onnx")


def test_make_onnx_regenerates_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_onnx", DATA / "make_onnx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for p in mod.main(tmp_path):
        assert p.read_bytes() == (DATA / p.name).read_bytes(), p.name


# -- operators ---------------------------------------------------------------------------------
def test_conv_auto_pad_same_upper_stride_2(tmp_path):
    # SAME_UPPER: out = ceil(16 / 2) = 8; total pad = (8 - 1) * 2 + 3 - 16 = 1, at the end
    net = build(tmp_path, [N("Conv", ["x", "w"], "y", auto_pad="SAME_UPPER", strides=[2, 2])],
                [1, 3, 16, 16], [W("w", 8, 3, 3, 3)])
    c = net["y"]
    assert c.layer.pad == (0, 1, 0, 1)
    assert str(c.out_shape) == "8x8x8"
    assert c.macs == 8 * 3 * 9 * 8 * 8 and c.weights == 8 * 3 * 9


def test_conv_auto_pad_same_lower_and_asymmetric_pads(tmp_path):
    net = build(tmp_path, [N("Conv", ["x", "w"], "a", auto_pad="SAME_LOWER", strides=[2, 2]),
                           N("Conv", ["a", "w2"], "y", pads=[0, 2, 1, 3])],
                [1, 3, 16, 16], [W("w", 8, 3, 3, 3), W("w2", 4, 8, 3, 3)])
    assert net["a"].layer.pad == (1, 0, 1, 0)                 # the extra row goes first
    # ONNX pads [top, left, bottom, right] = [0, 2, 1, 3]: H 8 + 0 + 1 - 3 + 1 = 7,
    # W 8 + 2 + 3 - 3 + 1 = 11
    assert net["y"].layer.pad == (0, 1, 2, 3)
    assert str(net["y"].out_shape) == "4x7x11"


def test_dilated_conv(tmp_path):
    # k 3, dilation 2: a window spans 5; pad 2 keeps 10x10; MACs count the 9 real taps
    net = build(tmp_path, [N("Conv", ["x", "w"], "y", dilations=[2, 2], pads=[2, 2, 2, 2])],
                [1, 4, 10, 10], [W("w", 8, 4, 3, 3)])
    c = net["y"]
    assert c.layer.dilation == (2, 2)
    assert str(c.out_shape) == "8x10x10"
    assert c.macs == 8 * 4 * 9 * 100
    w = c.workload
    assert (w.R, w.S, w.H, w.W, w.P, w.Q) == (3, 3, 10, 10, 10, 10)
    assert w.macs == c.macs


def test_grouped_conv_with_three_groups_and_depthwise(tmp_path):
    net = build(tmp_path, [N("Conv", ["x", "w"], "g", group=3, pads=[1, 1, 1, 1]),
                           N("Conv", ["g", "dw"], "y", group=9, pads=[1, 1, 1, 1])],
                [1, 6, 7, 7], [W("w", 9, 2, 3, 3), W("dw", 9, 1, 3, 3)])
    assert net["g"].layer.groups == 3 and net["g"].weights == 9 * 2 * 9
    assert net["g"].macs == 9 * 2 * 9 * 49
    w = net["g"].workload
    assert (w.G, w.K, w.C) == (3, 3, 2)
    assert net["y"].workload.is_depthwise and net["y"].weights == 81


def test_conv_bn_relu_fold_and_counts(tmp_path):
    bn = ["s", "b", "m", "v"]
    net = build(tmp_path, [N("Conv", ["x", "w", "cb"], "c"),
                           N("BatchNormalization", ["c", *bn], "bn"),
                           N("Relu", ["bn"], "y")],
                [1, 3, 8, 8], [W("w", 5, 3, 1, 1), W("cb", 5), *(W(n, 5) for n in bn)])
    assert [n.name for n in net] == ["input", "c"]
    lay = net["c"].layer
    assert (lay.bias, lay.bn, lay.relu) == (True, True, True)
    assert net.totals == {"macs": 15 * 64, "weights": 15, "biases": 5, "bn_params": 10,
                          "params": 30}


def test_bn_that_cannot_fold_stays_a_layer(tmp_path):
    net = build(tmp_path, [N("MaxPool", ["x"], "p", kernel_shape=[2, 2], strides=[2, 2]),
                           N("BatchNormalization", ["p", "s", "b", "m", "v"], "y")],
                [1, 6, 8, 8], [W(n, 6) for n in "sbmv"])
    assert isinstance(net["y"].layer, BatchNorm) and net["y"].bn_params == 12


def test_gemm_after_flatten_is_an_fc(tmp_path):
    net = build(tmp_path, [N("Flatten", ["x"], "f", axis=1),
                           N("Gemm", ["f", "w", "b"], "y", transB=1)],
                [1, 4, 3, 3], [W("w", 10, 36), W("b", 10)])
    assert [n.type for n in net] == ["input", "fc"]
    assert net["y"].macs == 360 and net["y"].params == 370


def test_gemm_without_transpose(tmp_path):
    net = build(tmp_path, [N("Gemm", ["x", "w"], "y")], [1, 12], [W("w", 12, 7)])
    assert isinstance(net["y"].layer, FC) and net["y"].weights == 84 and net["y"].biases == 0


def test_matmul_with_constant_is_linear_over_the_last_axis(tmp_path):
    # [1, 5, 6] x [6, 4] + bias: 5 rows of a 6 -> 4 linear map
    net = build(tmp_path, [N("MatMul", ["x", "w"], "m"), N("Add", ["m", "b"], "y")],
                [1, 5, 6], [W("w", 6, 4), W("b", 4)])
    lin = net["m"]
    assert isinstance(lin.layer, Linear) and lin.layer.bias
    assert lin.macs == 5 * 6 * 4 and lin.weights == 24 and lin.biases == 4
    w = lin.workload
    assert (w.kind, w.C, w.K, w.P, w.Q) == (Kind.CONV, 6, 4, 5, 1)


def test_matmul_of_two_activations_with_a_batch_dimension(tmp_path):
    # A = x [1, 4, 5, 6]; B = linear(x^T) [1, 4, 6, 7]; A.B = [1, 4, 5, 7]
    net = build(tmp_path, [N("Transpose", ["x"], "xt", perm=[0, 1, 3, 2]),
                           N("MatMul", ["xt", "w"], "b"),
                           N("MatMul", ["x", "b"], "y")],
                [1, 4, 5, 6], [W("w", 5, 7)])
    mm = net["y"]
    assert isinstance(mm.layer, MatMul)
    assert [str(s) for s in mm.in_shapes] == ["4x5x6", "4x6x7"]
    assert str(mm.out_shape) == "4x5x7"
    assert mm.macs == 4 * 5 * 6 * 7 and mm.params == 0
    w = mm.workload
    assert (w.G, w.C, w.K, w.P, w.Q) == (4, 6, 7, 5, 1) and w.macs == mm.macs
    assert net["b"].macs == 4 * 6 * 5 * 7            # the linear on the transposed input
    assert isinstance(net["xt"].layer, Reshape)      # the transpose: free relabelling


def test_max_pool_ceil_mode_and_pads(tmp_path):
    # 6x6, k 3, s 2: floor gives 2, ceil gives ceil(3 / 2) + 1 = 3; with pads 1: 4
    net = build(tmp_path, [N("MaxPool", ["x"], "a", kernel_shape=[3, 3], strides=[2, 2],
                             ceil_mode=1),
                           N("MaxPool", ["x"], "b", kernel_shape=[3, 3], strides=[2, 2],
                             ceil_mode=1, pads=[1, 1, 1, 1]),
                           N("AveragePool", ["x"], "c", kernel_shape=[3, 3], strides=[2, 2]),
                           N("Relu", ["c"], "y")],                 # a and b: dangling outputs
                [1, 2, 6, 6])
    assert str(net["a"].out_shape) == "2x3x3" and net["a"].layer.ceil
    assert str(net["b"].out_shape) == "2x4x4"
    assert str(net["c"].out_shape) == "2x2x2"
    assert net["c"].layer.mode == "avg"


def test_ceil_mode_window_in_the_padding_depends_on_the_opset(tmp_path):
    # 5 wide, k 2, s 2, pads 1: ceil(5 / 2) + 1 = 4 windows; the 4th starts at padded index 6,
    # past the input (1..5): ONNX 22 (like PyTorch and Caffe) drops it -> 3
    pool = [N("MaxPool", ["x"], "y", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1,
              pads=[1, 1, 1, 1])]
    assert str(build(tmp_path, pool, [1, 1, 5, 5], opset=22)["y"].out_shape) == "1x3x3"
    p = _model_file(tmp_path, pool, [1, 1, 5, 5], opset=17, name="ceil17")
    _fails(p, contains=["wholly in the padding", "opset_version >= 22"])
    # the export of such a pool is written at opset 22
    net = loads_network("input: [1, 5, 5]\nlayers:\n  - {name: y, type: maxpool, kernel: 2, "
                        "stride: 2, pad: 1, ceil: true}\n")
    m = to_onnx(net)
    assert m.opset_import[0].version == 22


def test_global_pools(tmp_path):
    net = build(tmp_path, [N("GlobalAveragePool", ["x"], "a"), N("GlobalMaxPool", ["x"], "b"),
                           N("Add", ["a", "b"], "y")], [1, 7, 5, 5])
    assert net["a"].layer == GlobalPool("avg") and net["b"].layer == GlobalPool("max")
    assert str(net["y"].out_shape) == "7x1x1"


def test_squeeze_excite_mul_broadcasts(tmp_path):
    net = build(tmp_path, [N("GlobalAveragePool", ["x"], "g"), N("Sigmoid", ["g"], "s"),
                           N("Mul", ["x", "s"], "y")], [1, 8, 6, 6])
    m = net["y"]
    assert isinstance(m.layer, Mul) and str(m.out_shape) == "8x6x6"
    assert net["s"].type == "sigmoid"
    w = m.workload
    assert (w.kind, w.G, w.P, w.Q) == (Kind.ELTWISE, 8, 6, 6)


def test_sum_and_concat_of_three_inputs(tmp_path):
    convs = [N("Conv", ["x", f"w{k}"], f"c{k}") for k in (2, 3, 4)]
    net = build(tmp_path, [*convs, N("Concat", ["c2", "c3", "c4"], "cat", axis=1),
                           N("Sum", ["c2", "c2", "c2"], "s"), N("Concat", ["cat", "s"], "y",
                                                               axis=1)],
                [1, 3, 4, 4], [W(f"w{k}", k, 3, 1, 1) for k in (2, 3, 4)])
    cat = net["cat"]
    assert isinstance(cat.layer, Concat) and cat.inputs == ("c2", "c3", "c4")
    assert str(cat.out_shape) == "9x4x4"
    assert isinstance(net["s"].layer, Add) and len(net["s"].inputs) == 3
    assert str(net["y"].out_shape) == "11x4x4"


def test_residual_add_from_different_depths(tmp_path):
    net = build(tmp_path, [N("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]),
                           N("Relu", ["a"], "ar"),
                           N("Conv", ["ar", "w2"], "b", pads=[1, 1, 1, 1]),
                           N("Conv", ["b", "w3"], "c"),
                           N("Add", ["c", "ar"], "add"), N("Relu", ["add"], "y")],
                [1, 3, 8, 8], [W("w1", 4, 3, 3, 3), W("w2", 4, 4, 3, 3), W("w3", 4, 4, 1, 1)])
    add = net["add"]
    assert add.inputs == ("c", "a") and add.layer.relu     # depth 3 + depth 1
    assert net["a"].layer.relu              # Relu 'ar' folded: conv 'a' had no other consumer
    assert "ar" not in [n.name for n in net] and "y" not in [n.name for n in net]


def test_split_and_slice_along_channels(tmp_path):
    net = build(tmp_path, [helper.make_node("Split", ["x", "sizes"], ["p", "q"], name="split",
                                            axis=1),
                           N("Slice", ["x", "st", "en", "ax"], "s"),
                           N("Concat", ["q", "s", "p"], "y", axis=1)],
                [1, 6, 4, 4], [I64("sizes", [2, 4]), I64("st", [1]), I64("en", [4]),
                               I64("ax", [1])])
    assert net["split/0"].layer == Slice(axis=0, start=0, end=2)
    assert net["split/1"].layer == Slice(axis=0, start=2, end=6)
    assert net["s"].layer == Slice(axis=0, start=1, end=4)
    assert str(net["y"].out_shape) == "9x4x4"


def test_shape_ops_are_free_and_dropout_kept(tmp_path):
    net = build(tmp_path, [N("Identity", ["x"], "i"),
                           N("Unsqueeze", ["i", "ax"], "u"),
                           N("Squeeze", ["u", "ax"], "s"),
                           N("Dropout", ["s"], "d"),
                           N("Reshape", ["d", "shape"], "r"),
                           N("Gemm", ["r", "w"], "y", transB=1)],
                [1, 2, 3, 3], [I64("ax", [0]), I64("shape", [1, 18]), W("w", 5, 18)])
    assert [n.type for n in net] == ["input", "dropout", "fc"]
    assert net["y"].macs == 90


@pytest.mark.parametrize("op,ir,attrs", [
    ("Relu", "relu", {}), ("Sigmoid", "sigmoid", {}), ("HardSwish", "hardswish", {}),
    ("LeakyRelu", "leakyrelu", {"alpha": 0.1}), ("Tanh", "tanh", {}), ("Clip", "clip", {}),
    ("Softmax", "softmax", {"axis": 1}), ("LRN", "lrn", {"size": 5}), ("Elu", "elu", {}),
    ("HardSigmoid", "hardsigmoid", {}), ("Erf", "erf", {})])
def test_elementwise_activations_are_free_pass_throughs(tmp_path, op, ir, attrs):
    net = build(tmp_path, [N("MaxPool", ["x"], "p", kernel_shape=[1, 1]),
                           N(op, ["p"], "y", **attrs)], [1, 3, 4, 4])
    y = net["y"]
    assert isinstance(y.layer, PassThrough) and y.type == ir
    assert y.workload is None and y.params == 0 and str(y.out_shape) == "3x4x4"


def test_pad_op(tmp_path):
    net = build(tmp_path, [N("Pad", ["x", "pads"], "y")], [1, 2, 5, 5],
                [I64("pads", [0, 0, 1, 2, 0, 0, 3, 4])])
    assert net["y"].layer == Pad((1, 3, 2, 4))
    assert str(net["y"].out_shape) == "2x9x11"


def test_resize_and_upsample(tmp_path):
    net = build(tmp_path, [N("Resize", ["x", "", "scales"], "n", mode="nearest"),
                           N("Resize", ["x", "", "scales"], "y", mode="linear"),
                           N("Add", ["n", "y"], "z")],
                [1, 3, 4, 5], [F32("scales", [1, 1, 2, 2])], out="z")
    assert net["n"].layer == Resize(size=(8, 10), mode="nearest")
    assert net["n"].workload is None
    w = net["y"].workload
    assert (w.kind, w.G, w.P, w.Q, w.R, w.S) == (Kind.POOL_AVG, 3, 8, 10, 2, 2)
    up = build(tmp_path, [N("Upsample", ["x", "scales"], "y")], [1, 3, 4, 5],
               [F32("scales", [1, 1, 2, 3])], opset=9, name="up")
    assert str(up["y"].out_shape) == "3x8x15"


def test_layernorm_and_learned_constants(tmp_path):
    # a token sequence [1, 4, 6]: class token concat (+1 row), position embedding add
    net = build(tmp_path, [N("Concat", ["cls", "x"], "c", axis=1),
                           N("Add", ["c", "pos"], "a"),
                           N("LayerNormalization", ["a", "g", "b"], "y", axis=-1)],
                [1, 4, 6], [W("cls", 1, 1, 6), W("pos", 1, 5, 6), W("g", 6), W("b", 6)])
    assert net["cls"].layer == Const(canon([1, 1, 6])) and net["cls"].weights == 6
    assert net["pos"].weights == 30
    assert net["c"].layer == Concat(axis=1) and str(net["c"].out_shape) == "1x5x6"
    assert isinstance(net["y"].layer, LayerNorm) and net["y"].bn_params == 12
    assert net.totals["params"] == 6 + 30 + 12


def test_scalar_constants_are_scales_not_parameters(tmp_path):
    net = build(tmp_path, [N("Mul", ["x", "k"], "m"), N("Div", ["m", "k"], "y")], [1, 2, 3, 3],
                [F32("k", 0.5)])
    assert [n.type for n in net] == ["input", "scale", "scale"] and net.params == 0


def test_structure_only_models_stripped_external_and_weights_as_inputs(tmp_path):
    # stripped: dims, no data (not valid for onnx.checker, but found in the wild)
    t = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[8, 3, 3, 3])
    net = build(tmp_path, [N("Conv", ["x", "w"], "y")], [1, 3, 9, 9], [t])
    assert net["y"].weights == 216
    # external data whose file is missing (tests/data/*.onnx are all this way)
    assert load_onnx(DATA / "resnet18.onnx").params == 11_689_512


def test_shape_arithmetic_is_constant_folding(tmp_path):
    # torch's flatten in older exports: Shape -> Gather -> Unsqueeze -> Concat -> Reshape
    net = build(tmp_path, [N("Shape", ["x"], "shp"),
                           N("Gather", ["shp", "zero"], "n", axis=0),
                           N("Unsqueeze", ["n", "ax"], "n1"),
                           N("Concat", ["n1", "minus1"], "target", axis=0),
                           N("Reshape", ["x", "target"], "flat"),
                           N("Cast", ["flat"], "flat32", to=TensorProto.FLOAT),
                           N("Gemm", ["flat32", "w"], "y", transB=1)],
                [1, 2, 3, 3], [I64("zero", 0), I64("ax", [0]), I64("minus1", [-1]),
                               W("w", 4, 18)])
    assert [n.type for n in net] == ["input", "fc"] and net["y"].macs == 72


def test_initializers_listed_as_graph_inputs(tmp_path):
    # keep_initializers_as_inputs=True (older exporters): the weight is an input too
    net = build(tmp_path, [N("Conv", ["x", "w"], "y")], [1, 3, 5, 5], [W("w", 2, 3, 1, 1)],
                extra_inputs=[helper.make_tensor_value_info("w", TensorProto.FLOAT,
                                                            [2, 3, 1, 1])])
    assert net["y"].weights == 6 and str(net.input_shape) == "3x5x5"


def test_two_data_inputs_are_refused(tmp_path):
    p = tmp_path / "two.onnx"
    g = helper.make_graph([N("Add", ["x", "z"], "y")], "g",
                          [helper.make_tensor_value_info(v, TensorProto.FLOAT, [1, 3])
                           for v in ("x", "z")],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), p)
    _fails(p, contains=["2 inputs (x, z)", "one input"])


def test_dynamic_batch_becomes_one(tmp_path):
    net = build(tmp_path, [N("Relu", ["x"], "y")], ["batch", 3, 4, 4])
    assert str(net.input_shape) == "3x4x4"


def test_yaml_of_new_layers_round_trips(tmp_path):
    net = load_network(DATA / "deit_tiny.onnx")
    again = loads_network(dump_network(net))
    assert again == net and again.totals == net.totals


def test_conv_dilation_in_yaml():
    net = loads_network("input: [2, 9, 9]\nlayers:\n"
                        "  - {name: c, type: conv, out: 2, kernel: 3, dilation: 3}\n")
    # span (3 - 1) * 3 + 1 = 7: 9 - 7 + 1 = 3
    assert str(net["c"].out_shape) == "2x3x3" and net["c"].macs == 2 * 2 * 9 * 9


@st.composite
def conv_pool_nets(draw):
    """A random conv -> pool -> conv chain in YAML, with sizes that always fit."""
    c = draw(st.integers(1, 4)) * draw(st.sampled_from([1, 3]))
    h, w = draw(st.integers(6, 20)), draw(st.integers(6, 20))
    g = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
    out = g * draw(st.integers(1, 3))
    k, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    pads = [draw(st.integers(0, 2)) for _ in range(4)]
    s = draw(st.integers(1, 3))
    pk, ps = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    ppad = [draw(st.integers(0, pk - 1)) for _ in range(4)]
    ceil = draw(st.booleans())
    mode = draw(st.sampled_from(["maxpool", "avgpool"]))
    return (f"name: rnd\ninput: [{c}, {h}, {w}]\nlayers:\n"
            f"  - {{name: c1, type: conv, out: {out}, kernel: {k}, stride: {s}, pad: {pads}, "
            f"groups: {g}, dilation: {d}, bias: true, bn: true, relu: true}}\n"
            f"  - {{name: p1, type: {mode}, kernel: {pk}, stride: {ps}, pad: {ppad}, "
            f"ceil: {str(ceil).lower()}}}\n"
            f"  - {{name: c2, type: conv, out: 2, kernel: 1}}\n")


@settings(max_examples=40, deadline=None)
@given(text=conv_pool_nets())
def test_random_conv_pool_chains_agree_with_onnx_shape_inference(text, tmp_path_factory):
    """Export, then import: the importer checks every conv/pool output shape against onnx's own
    shape inference (an independent implementation of the same rules), so a disagreement on
    dilation, asymmetric pads, groups or ceil mode fails here."""
    try:
        net = loads_network(text)
    except NetworkError:     # e.g. a kernel larger than its padded input: not a network
        return
    path = tmp_path_factory.mktemp("rnd") / "r.onnx"
    onnx.save(to_onnx(net), path)
    back = load_network(path)
    assert back == net and back.totals == net.totals


# -- bad input: one located line, exit 2 --------------------------------------------------------
def _fails(path, *, contains):
    r = CliRunner().invoke(main, ["show", str(path)])
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"error: {path}:") or err.startswith(f"error: {path}: ")
    for c in contains:
        assert c in err, err
    return err


def test_truncated_file(tmp_path):
    data = (DATA / "resnet18.onnx").read_bytes()
    p = tmp_path / "cut.onnx"
    p.write_bytes(data[: len(data) // 2])
    _fails(p, contains=["truncated"])


@pytest.mark.parametrize("message", ["tensor", "opset"])
def test_non_onnx_protobuf(tmp_path, message):
    # a TensorProto does not parse as a ModelProto; an OperatorSetIdProto does, with no graph
    proto = (numpy_helper.from_array(np.zeros(4, np.float32), "t") if message == "tensor"
             else helper.make_opsetid("", 17))
    p = tmp_path / f"{message}.onnx"
    p.write_bytes(proto.SerializeToString())
    _fails(p, contains=["not an ONNX model"])


def test_binary_without_suffix_is_sniffed_as_onnx(tmp_path):
    p = tmp_path / "model.bin"
    p.write_bytes((DATA / "resnet18.onnx").read_bytes())
    assert load_network(p).params == 11_689_512


def _model_file(tmp_path, nodes, x_dims, inits=(), opset=17, name="bad"):
    graph = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_dims)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    p = tmp_path / f"{name}.onnx"
    onnx.save(m, p)
    return p


def test_unsupported_op(tmp_path):
    p = _model_file(tmp_path, [N("Relu", ["x"], "r"), N("Einsum", ["r"], "y", name="mix",
                                                          equation="ij->ji")], [1, 4])
    _fails(p, contains=["node 1 'mix' (Einsum)", "not supported", "docs/onnx.md"])


def test_dynamic_spatial_size(tmp_path):
    p = _model_file(tmp_path, [N("Relu", ["x"], "y")], ["N", 3, "H", "W"])
    _fails(p, contains=["dimension 2 ('H') is dynamic", "fixed input size"])


def test_opset_too_old_and_too_new(tmp_path):
    old = _model_file(tmp_path, [N("Relu", ["x"], "y")], [1, 3], opset=5, name="old")
    _fails(old, contains=["opset 5 is too old", "version_converter"])
    new = _model_file(tmp_path, [N("Relu", ["x"], "y")], [1, 3], opset=99, name="new")
    _fails(new, contains=["opset 99 is newer"])


def test_fixed_batch_above_one(tmp_path):
    p = _model_file(tmp_path, [N("Relu", ["x"], "y")], [4, 3, 8, 8])
    _fails(p, contains=["fixed batch of 4", "batch 1"])


def test_conv_with_computed_weights_is_refused(tmp_path):
    p = _model_file(tmp_path, [N("Conv", ["x", "x"], "y", name="c")], [1, 1, 1, 1])
    _fails(p, contains=["node 0 'c' (Conv)", "constant"])


def test_missing_onnx_package_message(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "onnx":
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(NetworkError, match=r"pip install 'sqnxt-sim\[onnx\]'"):
        load_onnx(DATA / "resnet18.onnx")


# -- the command line --------------------------------------------------------------------------
def test_cli_run_show_import_export(tmp_path):
    r = CliRunner()
    model = str(DATA / "mobilenet_v2.onnx")
    res = r.invoke(main, ["run", model, "-a", str(ROOT / "accelerators" / "os_32x32.yaml"),
                          "-f", "csv"])
    assert res.exit_code == 0, res.output
    rows = res.stdout.strip().splitlines()
    assert rows[0].startswith("name,") and len(rows) > 50
    assert r.invoke(main, ["show", model]).exit_code == 0
    y = tmp_path / "m.yaml"
    assert r.invoke(main, ["import", model, "-o", str(y)]).exit_code == 0
    assert load_network(y) == load_network(model)
    o = tmp_path / "back.onnx"
    res = r.invoke(main, ["export", str(y), "--to", "onnx", "-o", str(o)])
    assert res.exit_code == 0, res.output
    assert load_network(o) == load_network(model)
    res = r.invoke(main, ["export", str(y), "--to", "onnx"])
    assert res.exit_code == 2 and "-o FILE" in res.output
