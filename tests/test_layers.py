"""Layer values: shapes, MACs and parameter counts worked out by hand (arithmetic in the test)."""

from __future__ import annotations

import dataclasses

import pytest

from sqnxt_sim.errors import NetworkError
from sqnxt_sim.network.graph import LayerDef, Network
from sqnxt_sim.network.layers import (
    FC,
    Add,
    BatchNorm,
    Concat,
    Conv,
    Flatten,
    GlobalPool,
    Input,
    PassThrough,
    Pool,
    Shape,
    pool_extent,
)
from sqnxt_sim.workload import Kind


def S(c, h, w):
    return (Shape(c, h, w),)


# -- convolution ------------------------------------------------------------------------------
def test_conv_square_stem_7x7_stride2():
    # SqueezeNext stem: 227x227x3, 7x7/2, 64 filters, no padding: (227 - 7) // 2 + 1 = 111
    conv = Conv(out=64, kernel=(7, 7), stride=(2, 2))
    ins = S(3, 227, 227)
    assert conv.output_shape(ins) == Shape(64, 111, 111)
    assert conv.weights(ins) == 64 * 3 * 7 * 7 == 9408
    assert conv.macs(ins) == 9408 * 111 * 111
    assert conv.biases(ins) == 0 and conv.bn_params(ins) == 0


def test_conv_5x5_stem():
    # v2-v5 stem: 5x5/2, no padding, on 227: (227 - 5) // 2 + 1 = 111 + 1 = 112
    conv = Conv(out=64, kernel=(5, 5), stride=(2, 2), pad=(0, 0, 0, 0))
    assert conv.output_shape(S(3, 227, 227)) == Shape(64, 112, 112)
    assert conv.macs(S(3, 227, 227)) == 64 * 3 * 25 * 112 * 112


def test_conv_3x1_and_1x3_with_asymmetric_padding():
    ins = S(32, 28, 28)
    c31 = Conv(out=16, kernel=(3, 1), pad=(1, 1, 0, 0))
    # rows: (28 + 1 + 1 - 3) // 1 + 1 = 28; cols: (28 - 1) // 1 + 1 = 28
    assert c31.output_shape(ins) == Shape(16, 28, 28)
    assert c31.weights(ins) == 16 * 32 * 3 * 1 == 1536
    assert c31.macs(ins) == 1536 * 28 * 28
    c13 = Conv(out=16, kernel=(1, 3), pad=(0, 0, 1, 1))
    assert c13.output_shape(ins) == Shape(16, 28, 28)
    assert c13.weights(ins) == 16 * 32 * 1 * 3
    # a 3x1 without padding loses two rows, keeps all columns
    assert Conv(out=8, kernel=(3, 1)).output_shape(ins) == Shape(8, 26, 28)
    # pad [top, bottom, left, right] = [0, 1, 0, 1], 2x2/2 on 7x7: (7 + 0 + 1 - 2) // 2 + 1 = 4
    odd = Conv(out=4, kernel=2, stride=2, pad=[0, 1, 0, 1])
    assert odd.output_shape(S(1, 7, 7)) == Shape(4, 4, 4)


def test_conv_stride2_floor_rounding():
    # 1x1/2 projection on 56: (56 - 1) // 2 + 1 = 27 + 1 = 28
    assert Conv(out=128, kernel=1, stride=2).output_shape(S(64, 56, 56)) == Shape(128, 28, 28)
    # 3x3/2 pad 1 on 56: (56 + 2 - 3) // 2 + 1 = 27 + 1 = 28
    assert Conv(out=8, kernel=3, stride=2, pad=1).output_shape(S(8, 56, 56)) == Shape(8, 28, 28)
    # 3x3/2 on 8 (floor drops the half window): (8 - 3) // 2 + 1 = 2 + 1 = 3
    conv = Conv(out=8, kernel=3, stride=2)
    assert conv.output_shape(S(4, 8, 8)) == Shape(8, 3, 3)
    assert conv.macs(S(4, 8, 8)) == 8 * 4 * 9 * 3 * 3


def test_conv_grouped_and_its_workload():
    conv = Conv(out=128, kernel=3, pad=1, groups=2, bias=True, bn=True, relu=True)
    ins = S(64, 14, 14)
    assert conv.output_shape(ins) == Shape(128, 14, 14)
    assert conv.weights(ins) == 128 * (64 // 2) * 3 * 3 == 36864
    assert conv.macs(ins) == 36864 * 14 * 14
    assert conv.biases(ins) == 128
    assert conv.bn_params(ins) == 2 * 128
    w = conv.workload(ins)
    assert (w.kind, w.G, w.K, w.C, w.P, w.Q, w.R, w.S) == (Kind.CONV, 2, 64, 32, 14, 14, 3, 3)
    assert (w.H, w.W, w.pad_top, w.pad_bottom, w.pad_left, w.pad_right) == (14, 14, 1, 1, 1, 1)
    assert w.macs == conv.macs(ins)
    assert w.weight_elems == conv.weights(ins)


def test_conv_depthwise_and_its_workload():
    conv = Conv(out=32, kernel=3, pad=1, groups=32)
    ins = S(32, 112, 112)
    assert conv.output_shape(ins) == Shape(32, 112, 112)
    assert conv.weights(ins) == 32 * 1 * 9 == 288
    assert conv.macs(ins) == 288 * 112 * 112
    w = conv.workload(ins)
    assert (w.G, w.K, w.C, w.P, w.Q, w.R, w.S) == (32, 1, 1, 112, 112, 3, 3)
    assert w.is_depthwise
    # stride-2 depthwise: (112 + 2 - 3) // 2 + 1 = 55 + 1 = 56
    w2 = Conv(out=64, kernel=3, stride=2, pad=1, groups=64).workload(S(64, 112, 112))
    assert (w2.G, w2.K, w2.C, w2.P, w2.Q, w2.stride_h, w2.stride_w) == (64, 1, 1, 56, 56, 2, 2)


def test_conv_workload_of_3x1():
    w = Conv(out=16, kernel=(3, 1), pad=(1, 1, 0, 0)).workload(S(32, 28, 28))
    assert (w.G, w.K, w.C, w.P, w.Q, w.R, w.S) == (1, 16, 32, 28, 28, 3, 1)


# -- fully connected -------------------------------------------------------------------------
def test_fc_without_and_with_bias():
    fc = FC(out=1000, bias=False)
    ins = S(128, 1, 1)
    assert fc.output_shape(ins) == Shape(1000, 1, 1)
    assert fc.weights(ins) == 128 * 1000 == fc.macs(ins)
    assert fc.biases(ins) == 0
    assert FC(out=1000).biases(ins) == 1000            # bias defaults to true
    assert FC(out=10, bn=True).bn_params(ins) == 2 * 10


def test_fc_flattens_and_its_workload():
    fc = FC(out=4096)
    ins = S(256, 6, 6)
    # AlexNet fc6: 256 * 6 * 6 = 9216 inputs
    assert fc.weights(ins) == 9216 * 4096
    w = fc.workload(ins)
    assert (w.G, w.K, w.C, w.P, w.Q, w.R, w.S) == (1, 4096, 9216, 1, 1, 1, 1)
    assert w.macs == 9216 * 4096


# -- pooling --------------------------------------------------------------------------------
def test_maxpool_caffe_ceil_111_to_55():
    # SqueezeNext stem pool: ceil((111 - 3) / 2) + 1 = 54 + 1 = 55 (floor gives 55 too)
    ins = S(64, 111, 111)
    assert Pool("max", kernel=3, stride=2, ceil=True).output_shape(ins) == Shape(64, 55, 55)
    assert Pool("max", kernel=3, stride=2).output_shape(ins) == Shape(64, 55, 55)


def test_pool_ceil_and_floor_differ():
    # 112 with 3x3/2: floor (112 - 3) // 2 + 1 = 54 + 1 = 55; ceil: ceil(109 / 2) + 1 = 56
    ins = S(64, 112, 112)
    assert Pool("max", kernel=3, stride=2).output_shape(ins) == Shape(64, 55, 55)
    ceil = Pool("max", kernel=3, stride=2, ceil=True)
    assert ceil.output_shape(ins) == Shape(64, 56, 56)
    # the last ceil window (start 110) overhangs the 112 input by 110 + 3 - 112 = 1 row/col:
    # the workload counts it as padding so the loop nest is exact
    w = ceil.workload(ins)
    assert (w.kind, w.G, w.K, w.C, w.P, w.Q, w.R, w.S) == (Kind.POOL_MAX, 64, 1, 1, 56, 56, 3, 3)
    assert (w.pad_top, w.pad_bottom, w.pad_left, w.pad_right) == (0, 1, 0, 1)
    assert ceil.macs(ins) == 0 and ceil.weights(ins) == 0


def test_pool_ceil_with_padding_keeps_and_clips():
    # H=6, 3x3/2, pad 1: floor (6 + 2 - 3) // 2 + 1 = 3; ceil ceil(5 / 2) + 1 = 4; the last
    # window starts at 3 * 2 - 1 = 5, inside the input (rows 0..5), so Caffe keeps it
    assert pool_extent(6, 3, 2, 1, 1, ceil=False) == 3
    assert pool_extent(6, 3, 2, 1, 1, ceil=True) == 4
    # H=5, 2x2/2, pad 1: ceil(5 / 2) + 1 = 4 windows starting at -1, 1, 3, 5; the one at 5
    # starts in the bottom padding (input rows 0..4), so Caffe drops it: 3
    assert pool_extent(5, 2, 2, 1, 1, ceil=True) == 3
    p = Pool("avg", kernel=2, stride=2, pad=1, ceil=True)
    assert p.output_shape(S(8, 5, 5)) == Shape(8, 3, 3)
    assert p.workload(S(8, 5, 5)).kind is Kind.POOL_AVG


def test_pool_rejects_pad_not_smaller_than_kernel():
    with pytest.raises(NetworkError, match="smaller than the kernel"):
        Pool("max", kernel=3, stride=2, pad=3)


def test_global_pooling():
    gap, gmp = GlobalPool("avg"), GlobalPool("max")
    ins = S(128, 13, 13)
    assert gap.output_shape(ins) == gmp.output_shape(ins) == Shape(128, 1, 1)
    assert gap.type_name == "gap" and gmp.type_name == "gmp"
    w = gap.workload(ins)
    assert (w.kind, w.G, w.K, w.C, w.P, w.Q, w.R, w.S) == (Kind.POOL_AVG, 128, 1, 1, 1, 1, 13, 13)
    assert gmp.workload(ins).kind is Kind.POOL_MAX
    assert gap.macs(ins) == gap.weights(ins) == 0


# -- element-wise, concat, pass-through ------------------------------------------------------
def test_add():
    add = Add(relu=True)
    ins = (Shape(64, 55, 55), Shape(64, 55, 55))
    assert add.output_shape(ins) == Shape(64, 55, 55)
    assert add.macs(ins) == 0 and add.weights(ins) == 0
    w = add.workload(ins)
    assert (w.kind, w.G, w.P, w.Q, w.operands) == (Kind.ELTWISE, 64, 55, 55, 2)
    with pytest.raises(NetworkError, match="mismatched shapes 64x55x55 and 32x55x55"):
        add.output_shape((Shape(64, 55, 55), Shape(32, 55, 55)))


def test_concat():
    cat = Concat()
    ins = (Shape(64, 55, 55), Shape(64, 55, 55), Shape(16, 55, 55))
    assert cat.output_shape(ins) == Shape(64 + 64 + 16, 55, 55)
    assert cat.workload(ins) is None                   # free: adjacent buffer regions
    with pytest.raises(NetworkError, match="mismatched maps"):
        cat.output_shape((Shape(64, 55, 55), Shape(64, 27, 27)))


def test_flatten_bn_passthrough():
    ins = S(256, 6, 6)
    assert Flatten().output_shape(ins) == Shape(256 * 6 * 6, 1, 1)
    assert BatchNorm().bn_params(ins) == 2 * 256
    assert BatchNorm().output_shape(ins) == Shape(256, 6, 6)
    for op in ("relu", "dropout", "softmax", "lrn"):
        p = PassThrough(op)
        assert p.output_shape(ins) == Shape(256, 6, 6)
        assert p.type_name == op and p.workload(ins) is None and p.macs(ins) == 0
    with pytest.raises(NetworkError):
        PassThrough("frobnicate")  # gelu became a known op with ONNX import


# -- values ---------------------------------------------------------------------------------
def test_layers_are_frozen():
    conv = Conv(out=8, kernel=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        conv.out = 16  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Shape(1, 2, 3).c = 4  # type: ignore[misc]


def test_equal_layers_hash_equal():
    a = Conv(out=64, kernel=(3, 3), pad=(1, 1, 1, 1), bn=True)
    b = Conv(out=64, kernel=3, pad=1, bn=True)             # same value, spelt as in YAML
    assert a == b and hash(a) == hash(b)
    assert len({a, b, Conv(out=64, kernel=3, pad=1)}) == 2
    assert Pool("max", kernel=3, stride=2, ceil=True) == Pool("max", (3, 3), (2, 2), ceil=True)
    assert hash(Pool("max", kernel=3)) == hash(Pool("max", kernel=[3, 3]))
    assert Pool("max", kernel=3) != Pool("avg", kernel=3)
    assert {GlobalPool(): 1}[GlobalPool("avg")] == 1
    assert Conv(out=8, kernel=3).workload(S(4, 8, 8)) == Conv(out=8, kernel=3).workload(
        S(4, 8, 8))


@pytest.mark.parametrize("kwargs, field", [
    (dict(out=0, kernel=1), "out"),
    (dict(out=-4, kernel=1), "out"),
    (dict(out=4.0, kernel=1), "out"),
    (dict(out=True, kernel=1), "out"),
    (dict(out=4, kernel=0), "kernel"),
    (dict(out=4, kernel=(3, 1.5)), "kernel"),
    (dict(out=4, kernel=1, stride=0), "stride"),
    (dict(out=4, kernel=1, pad=-1), "pad"),
    (dict(out=4, kernel=1, groups=0), "groups"),
    (dict(out=6, kernel=1, groups=4), "groups"),
    (dict(out=4, kernel=1, bias=1), "bias"),
])
def test_conv_rejects_bad_values(kwargs, field):
    with pytest.raises(NetworkError) as ei:
        Conv(**kwargs)
    assert ei.value.field == field


def test_conv_checks_against_its_input():
    with pytest.raises(NetworkError, match="groups=3 does not divide c_in=64"):
        Conv(out=3, kernel=1, groups=3).output_shape(S(64, 8, 8))
    with pytest.raises(NetworkError, match="kernel 5x5 is larger than its padded input 4x4"):
        Conv(out=3, kernel=5).output_shape(S(3, 4, 4))
    # with padding 1 the same kernel fits: (4 + 2 - 5) // 1 + 1 = 2
    assert Conv(out=3, kernel=5, pad=1).output_shape(S(3, 4, 4)) == Shape(3, 2, 2)


# -- a network from layer values --------------------------------------------------------------
def test_network_totals_by_hand():
    defs = [
        LayerDef("input", Input(Shape(3, 32, 32)), ()),
        LayerDef("conv1", Conv(out=16, kernel=3, stride=2, bn=True, relu=True), ("input",)),
        LayerDef("pool", GlobalPool(), ("conv1",)),
        LayerDef("fc", FC(out=10, bias=False), ("pool",)),
    ]
    net = Network("tiny", defs)
    # conv1: (32 - 3) // 2 + 1 = 15; weights 16 * 3 * 9 = 432; MACs 432 * 15 * 15 = 97200
    assert net["conv1"].out_shape == Shape(16, 15, 15)
    assert net["conv1"].macs == 16 * 3 * 9 * 15 * 15 == 97200
    assert net.totals == {"macs": 97200 + 16 * 10, "weights": 432 + 160, "biases": 0,
                          "bn_params": 32, "params": 432 + 160 + 32}
    assert [n.name for n in net.compute_nodes] == ["conv1", "pool", "fc"]
    assert net.input_shape == Shape(3, 32, 32)
