"""The bundled network zoo (networks/*.yaml): sizes, shapes, wiring and round trips.

Where the expected numbers come from -- never from running the loader and pasting its output:
* EXACT: the project's reference table (the issue that asked for the zoo; SPEC §2 repeats
  several of them), worked out from the official definitions;
* PUBLISHED: a published parameter / operation count (paper, model-zoo table, project page),
  with any difference in convention worked out by hand next to it;
* HAND: arithmetic written out in this file (sums of kh*kw*c_in*c_out/groups terms, output
  sizes from (H + pads - k) // s + 1 and Caffe's ceil rounding for pools).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import pytest

from sqnxt_sim.network.layers import Conv
from sqnxt_sim.network.yaml_io import dump_network, load_network, loads_network

NETWORKS = Path(__file__).resolve().parent.parent / "networks"

ZOO = {
    "sqnxt23.yaml": "1.0-SqNxt-23",
    "sqnxt23v2.yaml": "1.0-SqNxt-23v2",
    "sqnxt23v3.yaml": "1.0-SqNxt-23v3",
    "sqnxt23v4.yaml": "1.0-SqNxt-23v4",
    "sqnxt23v5.yaml": "1.0-SqNxt-23v5",
    "g_sqnxt23.yaml": "1.0-G-SqNxt-23",
    "sqnxt44.yaml": "1.0-SqNxt-44",
    "sqnxt23_1.5x.yaml": "1.5-SqNxt-23",
    "sqnxt23_2.0x.yaml": "2.0-SqNxt-23",
    "sqnxt23v5_2.0x.yaml": "2.0-SqNxt-23v5",
    "sqnxt44_2.0x.yaml": "2.0-SqNxt-44",
    "squeezenet_v1.0.yaml": "SqueezeNet v1.0",
    "squeezenet_v1.1.yaml": "SqueezeNet v1.1",
    "alexnet.yaml": "AlexNet",
    "alexnet_tv.yaml": "AlexNet (torchvision)",
    "mobilenet_v1.yaml": "MobileNet v1 1.0-224",
    "tiny_darknet.yaml": "Tiny Darknet",
    "vgg19.yaml": "VGG-19",
    "resnet18.yaml": "ResNet-18",
    "resnet50.yaml": "ResNet-50",
    "mobilenet_v2.yaml": "MobileNet v2 1.0-224",
    "deit_tiny.yaml": "DeiT-Tiny",
}


@cache
def net(fname: str):
    return load_network(NETWORKS / fname)


# ---------------------------------------------------------------------------------------------
# SqueezeNext description used by the structural tests:
#   file -> (stem kernel, depths, width multiplier, groups, projection-first wiring)
# Stem / depths / wiring: SPEC §2 and the official prototxts (github.com/amirgholami/SqueezeNext).
SQNXT = {
    "sqnxt23.yaml": (7, [6, 6, 8, 1], 1.0, 1, False),
    "sqnxt23v2.yaml": (5, [6, 6, 8, 1], 1.0, 1, False),
    "sqnxt23v3.yaml": (5, [4, 8, 8, 1], 1.0, 1, False),
    "sqnxt23v4.yaml": (5, [2, 10, 8, 1], 1.0, 1, False),
    "sqnxt23v5.yaml": (5, [2, 4, 14, 1], 1.0, 1, True),
    "g_sqnxt23.yaml": (7, [6, 6, 8, 1], 1.0, 2, False),
    "sqnxt44.yaml": (7, [12, 12, 16, 2], 1.0, 1, False),
    "sqnxt23_1.5x.yaml": (7, [6, 6, 8, 1], 1.5, 1, False),
    "sqnxt23_2.0x.yaml": (7, [6, 6, 8, 1], 2.0, 1, False),
    "sqnxt23v5_2.0x.yaml": (5, [2, 4, 14, 1], 2.0, 1, True),
    "sqnxt44_2.0x.yaml": (7, [12, 12, 16, 2], 2.0, 1, False),
}


# =============================================================================================
# 1. EXACT counts from the reference table
# =============================================================================================
# file: (weights, params or None, MACs).  weights = conv + FC weights only; params = weights +
# biases + batch-norm scale/shift.
EXACT = {
    "sqnxt23.yaml": (705_728, 717_280, 277_999_808),
    "sqnxt23v5.yaml": (915_648, 930_016, 224_916_480),
    "g_sqnxt23.yaml": (531_520, None, 224_191_552),
    "sqnxt23_2.0x.yaml": (2_339_008, None, 742_070_464),
    "sqnxt23v5_2.0x.yaml": (3_194_560, None, 702_592_000),
    "sqnxt44_2.0x.yaml": (4_384_960, None, 1_342_861_504),
    "alexnet.yaml": (60_954_656, 60_965_224, 724_406_816),
    "alexnet_tv.yaml": (61_090_496, 61_100_840, 714_188_480),
    "squeezenet_v1.0.yaml": (1_244_448, 1_248_424, 861_339_936),
    "squeezenet_v1.1.yaml": (1_231_552, 1_235_496, 387_747_520),
    "mobilenet_v1.yaml": (4_209_088, 4_231_976, 568_740_352),
    "vgg19.yaml": (143_652_544, 143_667_240, 19_632_062_464),
}


@pytest.mark.parametrize("fname", sorted(EXACT))
def test_exact_reference_counts(fname):
    weights, params, macs = EXACT[fname]
    t = net(fname).totals
    assert t["weights"] == weights
    assert t["macs"] == macs
    if params is not None:
        assert t["params"] == params


# =============================================================================================
# 2. SqueezeNext counts by hand
# =============================================================================================
def block_weights(cin: int, c: int, *, proj: bool, g: int = 1, pfirst: bool = False) -> int:
    """Weights of one SqueezeNext block of width C (official block, SPEC §2)."""
    red1_in = c if (proj and pfirst) else cin  # 23v5: the branch starts from the projection
    terms = [
        cin * c if proj else 0,                # 1x1 projection shortcut, cin -> C
        red1_in * (c // 2) // g,               # 1x1, -> C/2 (grouped in G-SqNxt)
        (c // 2) * (c // 4),                   # 1x1, C/2 -> C/4
        3 * (c // 4) * (c // 2) // g,          # 3x1 (or 1x3), C/4 -> C/2
        3 * (c // 2) * (c // 2) // g,          # 1x3 (or 3x1), C/2 -> C/2
        (c // 2) * c,                          # 1x1, C/2 -> C
    ]
    return sum(terms)


def block_channels(c: int, proj: bool) -> int:
    """Output channels of the block's convs (each carries BN: 2 parameters per channel)."""
    return (c if proj else 0) + c // 2 + c // 4 + c // 2 + c // 2 + c


def sqnxt_by_hand(stem_k, depths, w=1.0, g=1, pfirst=False):
    """(weights, params, MACs) of a SqueezeNext at 227x227 from the formulas above."""
    stem_hw = (227 - stem_k) // 2 + 1                 # no padding: 111 (7x7) or 112 (5x5)
    hw = math.ceil((stem_hw - 3) / 2) + 1             # Caffe ceil max-pool: 55 or 56
    weights = stem_k * stem_k * 3 * 64
    macs = weights * stem_hw * stem_hw
    channels = 64
    cin = 64
    for stage, (depth, c0) in enumerate(zip(depths, (32, 64, 128, 256))):
        c = int(c0 * w)
        if stage > 0:
            hw = (hw - 1) // 2 + 1                    # 1x1 stride 2, no padding
        for b in range(depth):
            bw = block_weights(cin, c, proj=b == 0, g=g, pfirst=pfirst)
            weights += bw
            macs += bw * hw * hw                      # every conv of a block is at the output map
            channels += block_channels(c, b == 0)
            cin = c
    weights += cin * 128                              # final 1x1 conv to 128 (does not scale)
    macs += cin * 128 * hw * hw
    channels += 128
    weights += 128 * 1000                             # FC without bias
    macs += 128 * 1000
    return weights, weights + 2 * channels, macs


def test_hand_formula_reproduces_the_reference_table():
    """The formula is right: it gives the reference table's numbers for the official files."""
    assert sqnxt_by_hand(7, [6, 6, 8, 1]) == (705_728, 717_280, 277_999_808)
    assert sqnxt_by_hand(5, [2, 4, 14, 1], pfirst=True) == (915_648, 930_016, 224_916_480)
    assert sqnxt_by_hand(7, [6, 6, 8, 1], g=2)[::2] == (531_520, 224_191_552)
    assert sqnxt_by_hand(7, [6, 6, 8, 1], w=2.0)[::2] == (2_339_008, 742_070_464)
    assert sqnxt_by_hand(5, [2, 4, 14, 1], w=2.0, pfirst=True)[::2] == (3_194_560, 702_592_000)
    assert sqnxt_by_hand(7, [12, 12, 16, 2], w=2.0)[::2] == (4_384_960, 1_342_861_504)


@pytest.mark.parametrize("fname", sorted(SQNXT))
def test_sqnxt_totals_by_hand(fname):
    stem_k, depths, w, g, pfirst = SQNXT[fname]
    weights, params, macs = sqnxt_by_hand(stem_k, depths, w, g, pfirst)
    t = net(fname).totals
    assert (t["weights"], t["params"], t["macs"]) == (weights, params, macs)
    assert t["biases"] == 0                           # bias_term: false everywhere, FC included


def test_sqnxt_stems_by_hand():
    # 7x7/2, 64 filters, 227 -> (227 - 7) // 2 + 1 = 111
    stem7 = net("sqnxt23.yaml")["conv1"]
    assert stem7.weights == 7 * 7 * 3 * 64 == 9_408
    assert stem7.macs == 9_408 * 111 * 111 == 115_915_968
    # 5x5/2, 64 filters, pad 0: 227 -> (227 - 5) // 2 + 1 = 112
    for fname in ("sqnxt23v2.yaml", "sqnxt23v3.yaml", "sqnxt23v4.yaml", "sqnxt23v5.yaml"):
        stem5 = net(fname)["conv1"]
        assert stem5.weights == 5 * 5 * 3 * 64 == 4_800
        assert stem5.macs == 4_800 * 112 * 112 == 60_211_200


def _block_sum(n, prefix, attr):
    return sum(getattr(x, attr) for x in n if x.name.startswith(prefix + "/"))


def test_sqnxt23_first_block_of_each_stage_by_hand():
    n = net("sqnxt23.yaml")
    # stage 1, C = 32, from the 64-channel pool (55x55):
    #   proj 64*32 + 1x1 64*16 + 1x1 16*8 + 3x1 3*8*16 + 1x3 3*16*16 + 1x1 16*32
    s1 = 64 * 32 + 64 * 16 + 16 * 8 + 3 * 8 * 16 + 3 * 16 * 16 + 16 * 32
    assert s1 == 4_864
    assert _block_sum(n, "stage1.1", "weights") == s1
    assert _block_sum(n, "stage1.1", "macs") == s1 * 55 * 55
    # stage 2, C = 64, from 32 channels, stride 2: 55 -> 28
    s2 = 32 * 64 + 32 * 32 + 32 * 16 + 3 * 16 * 32 + 3 * 32 * 32 + 32 * 64
    assert s2 == 10_240
    assert _block_sum(n, "stage2.1", "weights") == s2
    assert _block_sum(n, "stage2.1", "macs") == s2 * 28 * 28 == 8_028_160
    # stage 3, C = 128, from 64 channels: 28 -> 14
    s3 = 64 * 128 + 64 * 64 + 64 * 32 + 3 * 32 * 64 + 3 * 64 * 64 + 64 * 128
    assert s3 == 40_960
    assert _block_sum(n, "stage3.1", "macs") == s3 * 14 * 14 == 8_028_160
    # stage 4, C = 256, from 128 channels: 14 -> 7
    s4 = 128 * 256 + 128 * 128 + 128 * 64 + 3 * 64 * 128 + 3 * 128 * 128 + 128 * 256
    assert s4 == 163_840
    assert _block_sum(n, "stage4", "macs") == s4 * 7 * 7 == 8_028_160
    # a later (identity) block of stage 1: 32*16 + 16*8 + 3*8*16 + 3*16*16 + 16*32 = 2.25*32^2
    assert _block_sum(n, "stage1.2", "weights") == 32 * 16 + 16 * 8 + 384 + 768 + 512 == 2_304


def test_sqnxt23v5_first_blocks_by_hand():
    n = net("sqnxt23v5.yaml")
    # projection first: proj 32*64 (stride 2), then the branch 1x1 runs on its 64 channels
    s2 = 32 * 64 + 64 * 32 + 32 * 16 + 3 * 16 * 32 + 3 * 32 * 32 + 32 * 64
    assert _block_sum(n, "stage2.1", "weights") == s2 == 11_264
    # stage 1: 64 -> 32 projection, then 32 -> 16 (not 64 -> 16)
    s1 = 64 * 32 + 32 * 16 + 16 * 8 + 3 * 8 * 16 + 3 * 16 * 16 + 16 * 32
    assert _block_sum(n, "stage1.1", "weights") == s1 == 4_352
    assert _block_sum(n, "stage1.1", "macs") == s1 * 56 * 56


def test_g_sqnxt23_block_by_hand():
    n = net("g_sqnxt23.yaml")
    # groups = 2 on the first 1x1 and both separable convs (official 1.0-G-SqNxt-23 file)
    s1 = 64 * 32 + 64 * 16 // 2 + 16 * 8 + 3 * 8 * 16 // 2 + 3 * 16 * 16 // 2 + 16 * 32
    assert _block_sum(n, "stage1.1", "weights") == s1 == 3_776


def test_sqnxt44_and_width_variants_by_hand():
    # 1.0-SqNxt-44: 1.0-SqNxt-23 plus 6 + 6 + 8 + 1 identity blocks of 2.25 * C^2 weights
    extra = 6 * 2_304 + 6 * 9_216 + 8 * 36_864 + 1 * 147_456   # 2.25 * 32^2, 64^2, 128^2, 256^2
    assert net("sqnxt44.yaml").totals["weights"] == 705_728 + extra == 1_217_216
    extra_macs = 6 * 2_304 * 55**2 + 6 * 9_216 * 28**2 + 8 * 36_864 * 14**2 + 147_456 * 7**2
    assert net("sqnxt44.yaml").totals["macs"] == 277_999_808 + extra_macs
    # v2 = 23 with a 5x5 stem (weights: only the stem changes; maps: stage 1 becomes 56x56)
    v2 = net("sqnxt23v2.yaml").totals
    assert v2["weights"] == 705_728 - 9_408 + 4_800 == 701_120
    # v3 / v4 move identity blocks from stage 1 to stage 2 (2.25 * (64^2 - 32^2) = 6_912 each)
    assert net("sqnxt23v3.yaml").totals["weights"] == 701_120 + 2 * 6_912 == 714_944
    assert net("sqnxt23v4.yaml").totals["weights"] == 701_120 + 4 * 6_912 == 728_768


# =============================================================================================
# 3. PUBLISHED counts
# =============================================================================================
def test_sqnxt_against_imgclsmob_model_zoo():
    """osmr/imgclsmob (pretrained SqueezeNext linked from the official README) lists
    1.0-SqNxt-23: 724,056 and 1.5-SqNxt-23: 1,511,824 parameters.  Its convs carry a bias
    (one per conv output channel = bn_params / 2) and its FC has a bias (1,000); at 1.5x it
    also scales the stem (64 -> 96) and the final conv (128 -> 192), which the official
    2.0-SqNxt-23 file does not."""
    t = net("sqnxt23.yaml").totals
    assert t["params"] + t["bn_params"] // 2 + 1_000 == 724_056
    t = net("sqnxt23_1.5x.yaml").totals
    scaled = (
        32 * 7 * 7 * 3 + 32 * 3          # stem 96 instead of 64 filters: weights, bias + BN
        + 32 * (48 + 24)                 # stage1.1 projection and first 1x1 see 96 channels
        + 384 * 64 + 64 * 3              # final conv 384 -> 192 instead of 384 -> 128
        + 64 * 1_000                     # FC 192 -> 1000 instead of 128 -> 1000
    )
    assert t["params"] + t["bn_params"] // 2 + 1_000 + scaled == 1_511_824
    t = net("sqnxt23_2.0x.yaml").totals   # 2.0-SqNxt-23: 2,583,752 in imgclsmob
    scaled = 64 * 147 + 64 * 3 + 64 * (64 + 32) + 512 * 128 + 128 * 3 + 128 * 1_000
    assert t["params"] + t["bn_params"] // 2 + 1_000 + scaled == 2_583_752


def test_sqnxt44_2x_matches_paper_abstract():
    # SqueezeNext abstract: the deeper variant reaching VGG-19 accuracy has 4.4 M parameters
    assert round(net("sqnxt44_2.0x.yaml").totals["weights"] / 1e6, 1) == 4.4


def test_tiny_darknet_by_hand_and_published():
    n = net("tiny_darknet.yaml")
    # cfg/tiny.cfg, 224x224; darknet "pad=1" = size // 2; max 2x2/2 halves the map
    layers_224 = [3 * 3 * 3 * 16]                                       # conv 16, 224x224
    layers_112 = [3 * 3 * 16 * 32]                                      # conv 32, 112x112
    layers_56 = [32 * 16, 9 * 16 * 128, 128 * 16, 9 * 16 * 128]         # 1x1/3x3 pairs, 56x56
    layers_28 = [128 * 32, 9 * 32 * 256, 256 * 32, 9 * 32 * 256]        # 28x28
    layers_14 = [256 * 64, 9 * 64 * 512, 512 * 64, 9 * 64 * 512,        # 14x14
                 512 * 128, 128 * 1000]                                 # 1x1 128, 1x1 1000
    weights = sum(layers_224 + layers_112 + layers_56 + layers_28 + layers_14)
    macs = (sum(layers_224) * 224**2 + sum(layers_112) * 112**2 + sum(layers_56) * 56**2
            + sum(layers_28) * 28**2 + sum(layers_14) * 14**2)
    bn_channels = 16 + 32 + 2 * (16 + 128) + 2 * (32 + 256) + 2 * (64 + 512) + 128
    t = n.totals
    assert t["weights"] == weights == 1_036_720
    assert t["macs"] == macs == 491_524_096
    assert t["bn_params"] == 2 * bn_channels
    assert t["biases"] == 1_000                  # only the last (non-BN) conv has a bias
    # pjreddie.com/darknet/tiny-darknet: "0.98 Bn" ops (darknet counts 2 ops per MAC) and a
    # 4.0 MB weights file: float32 weights + (bias, scale, mean, variance) per BN channel +
    # 1,000 biases, after a 20-byte header
    assert round(2 * macs / 1e9, 2) == 0.98
    file_bytes = 20 + 4 * (weights + 4 * bn_channels + 1_000)
    assert round(file_bytes / 2**20, 1) == 4.0
    # darknet's layer listing: 224 -> 112 -> 56 -> 28 -> 14, 1000x14x14 before the avgpool
    assert str(n["conv1"].out_shape) == "16x224x224"
    assert str(n["pool1"].out_shape) == "16x112x112"
    assert str(n["pool4"].out_shape) == "256x14x14"
    assert str(n["conv7"].out_shape) == "1000x14x14"


def test_mobilenet_matches_paper():
    # Howard et al. 2017 (arXiv 1704.04861; also SPEC §2): 1.0 MobileNet-224 has 569 M
    # mult-adds and 4.2 M parameters
    t = net("mobilenet_v1.yaml").totals
    assert round(t["macs"] / 1e6) == 569
    assert round(t["params"] / 1e6, 1) == 4.2
    # by hand: first conv 3*3*3*32; depthwise 9*C and pointwise C*K per pair; FC 1024*1000
    pairs = [(32, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 512)] \
        + [(512, 512)] * 5 + [(512, 1024), (1024, 1024)]
    weights = 864 + sum(9 * c + c * k for c, k in pairs) + 1024 * 1000
    assert t["weights"] == weights
    assert t["bn_params"] == 2 * (32 + sum(c + k for c, k in pairs))
    assert t["biases"] == 1_000


def test_alexnet_grouped_by_hand():
    n = net("alexnet.yaml")
    # bvlc_alexnet: conv2, conv4, conv5 have group 2
    convs = {"conv1": 96 * 3 * 11 * 11, "conv2": 256 * 48 * 5 * 5, "conv3": 384 * 256 * 3 * 3,
             "conv4": 384 * 192 * 3 * 3, "conv5": 256 * 192 * 3 * 3}
    for name, w in convs.items():
        assert n[name].weights == w
    fcs = 9216 * 4096 + 4096 * 4096 + 4096 * 1000
    assert sum(convs.values()) + fcs == 60_954_656
    assert str(n["conv1"].out_shape) == "96x55x55"       # (227 - 11) // 4 + 1
    assert str(n["pool5"].out_shape) == "256x6x6"


def test_squeezenet_at_224_matches_torchvision():
    """SPEC §2: torchvision's SqueezeNet 1.0 / 1.1 at 224 have 1,248,424 / 1,235,496 parameters
    and 818.9 M / 349.2 M MACs.  torchvision's conv10 has no padding; otherwise the layers are
    the Caffe ones (ceil-mode max-pools)."""
    for fname, params, mmacs in (("squeezenet_v1.0.yaml", 1_248_424, 818.9),
                                 ("squeezenet_v1.1.yaml", 1_235_496, 349.2)):
        text = (NETWORKS / fname).read_text().replace("input: [3, 227, 227]",
                                                      "input: [3, 224, 224]")
        text = text.replace("kernel: 1, pad: 1}", "kernel: 1}")
        t = loads_network(text).totals
        assert t["params"] == params
        assert round(t["macs"] / 1e6, 1) == mmacs


def test_squeezenet_v10_conv10_padding():
    n = net("squeezenet_v1.0.yaml")
    # conv10 (1x1, pad 1) on the 13x13 map of fire9: 13 + 2 = 15
    assert str(n["conv10"].out_shape) == "1000x15x15"
    assert n["conv10"].macs == 512 * 1000 * 15 * 15 == 115_200_000
    assert str(net("squeezenet_v1.1.yaml")["conv10"].out_shape) == "1000x14x14"


# =============================================================================================
# 3b. Networks imported from ONNX (tests/data/make_onnx.py -> sqnxt-sim import): PUBLISHED
#     counts (torchvision's model docs: num_params and GFLOPS, which count MACs; timm's model
#     cards: Params (M), GMACs) and HAND arithmetic from the papers' layer tables.
# =============================================================================================
def test_resnet18_published_and_by_hand():
    t = net("resnet18.yaml").totals
    # torchvision ResNet18_Weights.IMAGENET1K_V1: num_params 11,689,512, GFLOPS 1.81
    assert t["params"] == 11_689_512
    assert round(t["macs"] / 1e9, 2) == 1.81
    # by hand: stem 7x7x3x64 at 112^2; per stage (width c, map m): the first block's 3x3 from
    # the previous width, three more 3x3 c->c, and a 1x1 projection from stage 2 on
    stages = [(64, 56, 64), (128, 28, 64), (256, 14, 128), (512, 7, 256)]
    weights = 7 * 7 * 3 * 64 + 512 * 1000
    macs = 7 * 7 * 3 * 64 * 112 ** 2 + 512 * 1000
    bn = 64
    for c, m, cin in stages:
        w = 9 * cin * c + 3 * 9 * c * c + (cin * c if c != 64 else 0)
        weights += w
        macs += w * m * m
        bn += 4 * c + (c if c != 64 else 0)
    assert t["weights"] == weights and t["macs"] == macs
    assert t["bn_params"] == 2 * bn and t["biases"] == 1_000


def test_resnet50_published_and_by_hand():
    t = net("resnet50.yaml").totals
    # torchvision ResNet50_Weights.IMAGENET1K_V1: num_params 25,557,032, GFLOPS 4.09
    assert t["params"] == 25_557_032
    assert round(t["macs"] / 1e9, 2) == 4.09
    # by hand: bottlenecks 1x1 -> c, 3x3 c -> c (stride here, "v1.5"), 1x1 -> 4c
    weights = 7 * 7 * 3 * 64 + 2048 * 1000
    macs = 7 * 7 * 3 * 64 * 112 ** 2 + 2048 * 1000
    cin, size = 64, 56
    for c, n, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(n):
            s = stride if i == 0 else 1
            out = size // s
            proj = cin * 4 * c if i == 0 else 0
            weights += cin * c + 9 * c * c + c * 4 * c + proj
            macs += cin * c * size ** 2 + (9 * c * c + c * 4 * c + proj) * out ** 2
            cin, size = 4 * c, out
    assert t["weights"] == weights and t["macs"] == macs


def test_mobilenet_v2_published_and_by_hand():
    t = net("mobilenet_v2.yaml").totals
    # torchvision MobileNet_V2_Weights.IMAGENET1K_V1: num_params 3,504,872, GFLOPS 0.30;
    # Sandler et al. 2018, Table 3: 300 M multiply-adds at 1.0-224
    assert t["params"] == 3_504_872
    assert round(t["macs"] / 1e9, 2) == 0.30
    assert round(t["macs"] / 1e6, -1) == 300
    # by hand from the paper's Table 2 (t, c, n, s)
    weights = 27 * 32 + 320 * 1280 + 1280 * 1000
    macs = 27 * 32 * 112 ** 2 + 320 * 1280 * 7 ** 2 + 1280 * 1000
    cin, size = 32, 112
    for e, c, n, stride in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                            (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            s = stride if i == 0 else 1
            h = cin * e
            out = size // s
            expand = cin * h if e != 1 else 0
            weights += expand + 9 * h + h * c
            macs += expand * size ** 2 + (9 * h + h * c) * out ** 2
            cin, size = c, out
    assert t["weights"] == weights and t["macs"] == macs


def deit_counts(d: int, heads: int) -> tuple[int, int]:
    """(params, MACs) of a DeiT at 224 with patch 16, depth 12, MLP 4d, by hand."""
    tokens, depth = 14 * 14 + 1, 12
    block_params = 2 * (2 * d) + (d * 3 * d + 3 * d) + (d * d + d) \
        + (d * 4 * d + 4 * d) + (4 * d * d + d)                  # 2 LN, qkv, proj, fc1, fc2
    params = (768 * d + d) + d + tokens * d + depth * block_params + 2 * d + (d * 1000 + 1000)
    block_macs = tokens * (d * 3 * d + d * d + 2 * d * 4 * d) \
        + 2 * tokens * tokens * d                                  # Q.K^T and A.V, all heads
    macs = 196 * 768 * d + depth * block_macs + d * 1000
    return params, macs


def test_deit_tiny_published_and_by_hand():
    t = net("deit_tiny.yaml").totals
    params, macs = deit_counts(192, 3)
    assert t["params"] == params == 5_717_416
    assert t["macs"] == macs
    # timm model card deit_tiny_patch16_224.fb_in1k: Params (M) 5.7, GMACs 1.3
    assert round(t["params"] / 1e6, 1) == 5.7
    assert round(t["macs"] / 1e9, 1) == 1.3
    assert t["weights"] - (768 * 192 + 12 * 4 * 192 * 192 * 3 + 192 * 1000) == (197 + 1) * 192


def test_deit_small_from_the_same_generator_matches_timm(tmp_path):
    """The generator at embed 384 / 6 heads is DeiT-Small: timm's card for
    deit_small_patch16_224.fb_in1k gives Params (M) 22.1 and GMACs 4.6 -- a check that the
    attention MatMuls are counted the way timm counts them."""
    import importlib.util

    onnx = pytest.importorskip("onnx")
    spec = importlib.util.spec_from_file_location(
        "make_onnx", NETWORKS.parent / "tests" / "data" / "make_onnx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    path = tmp_path / "deit_small.onnx"
    onnx.save(mod.deit("DeiT-Small", 384, 6), path)
    t = load_network(path).totals
    assert (t["params"], t["macs"]) == deit_counts(384, 6)
    assert round(t["params"] / 1e6, 1) == 22.1
    assert round(t["macs"] / 1e9, 1) == 4.6


# =============================================================================================
# 4. Shapes and wiring of SqueezeNext
# =============================================================================================
def _blocks(n):
    """Block prefixes in order, e.g. ['stage1.1', ..., 'stage4'] (those with an 'add')."""
    return [x.name[: -len("/add")] for x in n if x.name.endswith("/add")]


@pytest.mark.parametrize("fname", sorted(SQNXT))
def test_sqnxt_shapes(fname):
    stem_k, depths, w, _, _ = SQNXT[fname]
    n = net(fname)
    if stem_k == 7:
        assert (n["conv1"].out_shape.h, n["pool1"].out_shape.h) == (111, 55)
        maps = [55, 28, 14, 7]
    else:
        assert (n["conv1"].out_shape.h, n["pool1"].out_shape.h) == (112, 56)
        maps = [56, 28, 14, 7]
    assert n["pool1"].out_shape.c == 64
    for s, (depth, c0, hw) in enumerate(zip(depths, (32, 64, 128, 256), maps), start=1):
        last = f"stage{s}/add" if depth == 1 else f"stage{s}.{depth}/add"
        o = n[last].out_shape
        assert (o.c, o.h, o.w) == (int(c0 * w), hw, hw)
    assert str(n["conv2"].out_shape) == "128x7x7"
    assert str(n["fc"].out_shape) == "1000x1x1"
    assert len(_blocks(n)) == sum(depths)


@pytest.mark.parametrize("fname", sorted(SQNXT))
def test_sqnxt_projection_and_stride(fname):
    _, depths, _, _, pfirst = SQNXT[fname]
    n = net(fname)
    blocks = _blocks(n)
    names = {x.name for x in n}
    first = set()
    k = 0
    for depth in depths:
        first.add(blocks[k])
        k += depth
    prev = "pool1"
    for b in blocks:
        add = n[f"{b}/add"]
        if b in first:
            proj = n[f"{b}/proj"]
            assert proj.inputs == (prev,)
            assert f"{b}/proj" in add.inputs
            stride = 1 if b.startswith("stage1") else 2
            assert proj.layer.stride == (stride, stride)
            red1 = n[f"{b}/red1"]
            if pfirst:   # official 23v5: the branch takes the projection's output, stride 1
                assert red1.inputs == (f"{b}/proj",)
                assert red1.layer.stride == (1, 1)
            else:        # official 23: projection and branch in parallel, both strided
                assert red1.inputs == (prev,)
                assert red1.layer.stride == (stride, stride)
        else:
            assert f"{b}/proj" not in names
            assert prev in add.inputs                   # identity shortcut
        assert add.layer.relu
        prev = f"{b}/add"


@pytest.mark.parametrize("fname", sorted(SQNXT))
def test_sqnxt_separable_alternation(fname):
    """Official prototxts: block k (1-based, counted over the whole network) runs 3x1 then
    1x3 when k is odd and 1x3 then 3x1 when k is even; e.g. in 1.0-SqNxt-23 the first block of
    stage 2 (block 7: Convolution36 3x1, Convolution37 1x3) and block 8 (Convolution41 1x3,
    Convolution42 3x1).  All stage depths used here are even (or 1 for the last stage), so this
    is also 'restart at every stage'."""
    n = net(fname)
    for k, b in enumerate(_blocks(n), start=1):
        sep1, sep2 = n[f"{b}/sep1"].layer, n[f"{b}/sep2"].layer
        if k % 2 == 1:
            assert (sep1.kernel, sep1.pad, sep2.kernel, sep2.pad) == \
                ((3, 1), (1, 1, 0, 0), (1, 3), (0, 0, 1, 1))
        else:
            assert (sep1.kernel, sep1.pad, sep2.kernel, sep2.pad) == \
                ((1, 3), (0, 0, 1, 1), (3, 1), (1, 1, 0, 0))


def test_sqnxt23_official_alternation_spot_checks():
    n = net("sqnxt23.yaml")
    assert n["stage2.1/sep1"].layer.kernel == (3, 1)     # block 7
    assert n["stage2.2/sep1"].layer.kernel == (1, 3)     # block 8
    assert n["stage3.1/sep1"].layer.kernel == (3, 1)     # block 13
    assert n["stage4/sep1"].layer.kernel == (3, 1)       # block 21


@pytest.mark.parametrize("fname", sorted(SQNXT))
def test_sqnxt_conv_conventions(fname):
    g = SQNXT[fname][3]
    n = net(fname)
    for x in n:
        if isinstance(x.layer, Conv):
            assert (x.layer.bias, x.layer.bn, x.layer.relu) == (False, True, True), x.name
            short = x.name.rsplit("/", 1)[-1]
            want = g if short in ("red1", "sep1", "sep2") else 1
            assert x.layer.groups == want, x.name
    assert n["fc"].layer.bias is False


# =============================================================================================
# 5. Every bundled file
# =============================================================================================
def test_zoo_is_complete():
    assert sorted(p.name for p in NETWORKS.glob("*.yaml")) == sorted(ZOO)


@pytest.mark.parametrize("fname", sorted(ZOO))
def test_name_and_source_comment(fname):
    text = (NETWORKS / fname).read_text()
    assert text.startswith("#")
    header = text.split("\nname:", 1)[0]
    assert "Source" in header or "source" in header
    assert net(fname).name == ZOO[fname]


@pytest.mark.parametrize("fname", sorted(SQNXT))
def test_sqnxt_files_are_short(fname):
    assert len((NETWORKS / fname).read_text().splitlines()) < 100


@pytest.mark.parametrize("fname", sorted(ZOO))
def test_round_trip(fname):
    n = net(fname)
    again = loads_network(dump_network(n))
    assert again == n
    assert again.totals == n.totals
    assert [x.out_shape for x in again] == [x.out_shape for x in n]


@pytest.mark.parametrize("fname", sorted(ZOO))
def test_classifier_output(fname):
    n = net(fname)
    assert str(n.nodes[-1].out_shape) == "1000x1x1"
