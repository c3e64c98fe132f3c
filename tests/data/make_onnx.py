"""Build the structure-only ONNX models of the zoo with onnx.helper (no PyTorch needed).

    python tests/data/make_onnx.py            # writes tests/data/*.onnx
    sqnxt-sim import tests/data/resnet18.onnx -o networks/resnet18.yaml   # and so on

Each graph follows the layer layout of its reference implementation, written the way
``torch.onnx.export`` (opset 17) writes it: Conv with explicit pads and a separate
BatchNormalization, ReLU6 as Clip(0, 6), a Flatten before the classifier's Gemm, linear layers
as MatMul + Add, GELU as its Erf formula, multi-head attention as Reshape / Transpose / Gather
around two batched MatMuls.  References:

* ResNet-18 / ResNet-50: torchvision ``models/resnet.py`` (BasicBlock [2, 2, 2, 2]; Bottleneck
  [3, 4, 6, 3] with the stride on the 3x3 conv, "ResNet v1.5").
* MobileNet v2 1.0-224: torchvision ``models/mobilenetv2.py`` (the inverted-residual table
  t, c, n, s of Sandler et al. 2018, Table 2; last conv 1280; dropout 0.2 and a 1280 -> 1000
  linear).
* DeiT-Tiny (ViT-Ti/16 at 224): timm ``vision_transformer.py`` with embed 192, depth 12,
  3 heads, MLP ratio 4, a class token and a learned position embedding (Touvron et al. 2021);
  ``deit(d=384, heads=6)`` is DeiT-Small, used by the tests as a cross-check.

Float weights are written as EXTERNAL data whose file is deliberately absent: the files stay a
few tens of KB, and reading them exercises the "initializers external or stripped" path (only
the tensors' dims are read).  Small integer constants (Reshape shapes, Clip bounds, Gather
indices) are stored inline, as an exporter stores them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parent
OPSET = 17


class Builder:
    def __init__(self, name: str, weights_file: str) -> None:
        self.name = name
        self.weights_file = weights_file
        self.nodes: list = []
        self.inits: list = []
        self.count = 0

    # -- tensors ---------------------------------------------------------------------------
    def weight(self, name: str, dims: list[int]) -> str:
        """A float weight whose values live in an external file that is not shipped."""
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.weights_file), ("offset", "0"),
                     ("length", str(4 * int(np.prod(dims))))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.inits.append(t)
        return name

    def const(self, name: str, values, dtype=np.int64) -> str:
        self.inits.append(numpy_helper.from_array(np.array(values, dtype=dtype), name))
        return name

    def node(self, op: str, ins: list[str], name: str, n_out: int = 1, **attrs) -> list[str]:
        outs = [f"{name}_out{i}" if n_out > 1 else f"{name}_out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, ins, outs, name=name, **attrs))
        return outs

    def one(self, op: str, ins: list[str], name: str, **attrs) -> str:
        return self.node(op, ins, name, **attrs)[0]

    # -- blocks ----------------------------------------------------------------------------
    def conv_bn(self, x: str, name: str, cin: int, cout: int, k: int, s: int = 1,
                g: int = 1, act: str | None = "relu", bias: bool = False) -> str:
        p = k // 2
        ins = [x, self.weight(f"{name}.weight", [cout, cin // g, k, k])]
        if bias:
            ins.append(self.weight(f"{name}.bias", [cout]))
        y = self.one("Conv", ins, name, kernel_shape=[k, k], strides=[s, s],
                     pads=[p, p, p, p], group=g, dilations=[1, 1])
        if not bias:
            bn = name.replace("conv", "bn") if "conv" in name else f"{name}.bn"
            y = self.one("BatchNormalization",
                         [y] + [self.weight(f"{bn}.{t}", [cout])
                                for t in ("weight", "bias", "running_mean", "running_var")],
                         bn)
        if act == "relu":
            y = self.one("Relu", [y], f"{name}.relu")
        elif act == "relu6":
            y = self.one("Clip", [y, self.const(f"{name}.min", 0.0, np.float32),
                                  self.const(f"{name}.max", 6.0, np.float32)], f"{name}.relu6")
        return y

    def linear(self, x: str, name: str, cin: int, cout: int) -> str:
        y = self.one("MatMul", [x, self.weight(f"{name}.weight", [cin, cout])], name)
        return self.one("Add", [y, self.weight(f"{name}.bias", [cout])], f"{name}.bias_add")

    def classifier(self, x: str, cin: int, dropout: bool = False) -> str:
        x = self.one("GlobalAveragePool", [x], "avgpool")
        x = self.one("Flatten", [x], "flatten", axis=1)
        if dropout:
            x = self.one("Dropout", [x], "classifier.0")
        return self.one("Gemm", [x, self.weight("fc.weight", [1000, cin]),
                                 self.weight("fc.bias", [1000])], "fc", transB=1)

    def model(self, x_shape: list, out: str, out_shape: list, doc: str) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", *x_shape])],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", *out_shape])],
            self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="sqnxt-sim tests/data/make_onnx.py")
        m.ir_version = 8
        m.doc_string = doc
        return m


def resnet(depth: int) -> onnx.ModelProto:
    blocks, bottleneck = {18: ([2, 2, 2, 2], False), 50: ([3, 4, 6, 3], True)}[depth]
    b = Builder(f"ResNet-{depth}", f"resnet{depth}.weights")
    x = b.conv_bn("x", "conv1", 3, 64, 7, 2)
    x = b.one("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    exp = 4 if bottleneck else 1
    for stage, (n, width) in enumerate(zip(blocks, (64, 128, 256, 512)), start=1):
        for i in range(n):
            s = 2 if i == 0 and stage > 1 else 1
            pre = f"layer{stage}.{i}"
            if bottleneck:
                y = b.conv_bn(x, f"{pre}.conv1", cin, width, 1)
                y = b.conv_bn(y, f"{pre}.conv2", width, width, 3, s)
                y = b.conv_bn(y, f"{pre}.conv3", width, width * 4, 1, act=None)
            else:
                y = b.conv_bn(x, f"{pre}.conv1", cin, width, 3, s)
                y = b.conv_bn(y, f"{pre}.conv2", width, width, 3, act=None)
            short = x
            if s != 1 or cin != width * exp:
                short = b.conv_bn(x, f"{pre}.downsample.0", cin, width * exp, 1, s, act=None)
            x = b.one("Add", [y, short], f"{pre}.add")
            x = b.one("Relu", [x], f"{pre}.relu")
            cin = width * exp
    out = b.classifier(x, cin)
    return b.model([3, 224, 224], out, [1000],
                   f"torchvision models/resnet.py resnet{depth} layout (structure only)")


def mobilenet_v2() -> onnx.ModelProto:
    b = Builder("MobileNet v2 1.0-224", "mobilenet_v2.weights")
    x = b.conv_bn("x", "features.0", 3, 32, 3, 2, act="relu6")
    cin, idx = 32, 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            stride = s if i == 0 else 1
            pre = f"features.{idx}"
            hidden = cin * t
            y = x
            if t != 1:
                y = b.conv_bn(y, f"{pre}.expand", cin, hidden, 1, act="relu6")
            y = b.conv_bn(y, f"{pre}.dw", hidden, hidden, 3, stride, g=hidden, act="relu6")
            y = b.conv_bn(y, f"{pre}.project", hidden, c, 1, act=None)
            if stride == 1 and cin == c:
                y = b.one("Add", [x, y], f"{pre}.add")
            x, cin, idx = y, c, idx + 1
    x = b.conv_bn(x, f"features.{idx}", cin, 1280, 1, act="relu6")
    out = b.classifier(x, 1280, dropout=True)
    return b.model([3, 224, 224], out, [1000],
                   "torchvision models/mobilenetv2.py mobilenet_v2 width 1.0 (structure only)")


def deit(name: str = "DeiT-Tiny", d: int = 192, heads: int = 3) -> onnx.ModelProto:
    """A DeiT / ViT-B/16-style encoder: embed ``d``, ``heads`` heads, depth 12, MLP ratio 4."""
    depth, mlp, patch, size = 12, 4 * d, 16, 224
    hd, tokens = d // heads, (size // patch) ** 2 + 1
    b = Builder(name, "deit.weights")
    x = b.one("Conv", ["x", b.weight("patch_embed.proj.weight", [d, 3, patch, patch]),
                       b.weight("patch_embed.proj.bias", [d])], "patch_embed.proj",
              kernel_shape=[patch, patch], strides=[patch, patch])
    x = b.one("Flatten", [x], "patch_embed.flatten", axis=2)          # 1 x 192 x 196
    x = b.one("Reshape", [x, b.const("patch_embed.shape", [1, d, tokens - 1])],
              "patch_embed.reshape")
    x = b.one("Transpose", [x], "patch_embed.transpose", perm=[0, 2, 1])   # 1 x 196 x 192
    x = b.one("Concat", [b.weight("cls_token", [1, 1, d]), x], "cat_cls", axis=1)
    x = b.one("Add", [x, b.weight("pos_embed", [1, tokens, d])], "pos_add")
    scale = b.const("attn_scale", hd ** -0.5, np.float32)
    for i in range(depth):
        pre = f"blocks.{i}"
        h = b.one("LayerNormalization", [x, b.weight(f"{pre}.norm1.weight", [d]),
                                         b.weight(f"{pre}.norm1.bias", [d])],
                  f"{pre}.norm1", axis=-1, epsilon=1e-6)
        qkv = b.linear(h, f"{pre}.attn.qkv", d, 3 * d)                  # 1 x 197 x 576
        qkv = b.one("Reshape", [qkv, b.const(f"{pre}.attn.qkv_shape", [1, tokens, 3, heads, hd])],
                    f"{pre}.attn.reshape")
        qkv = b.one("Transpose", [qkv], f"{pre}.attn.permute", perm=[2, 0, 3, 1, 4])
        q, k, v = (b.one("Gather", [qkv, b.const(f"{pre}.attn.i{j}", j)], f"{pre}.attn.{n}",
                         axis=0) for j, n in enumerate("qkv"))          # 1 x 3 x 197 x 64
        q = b.one("Mul", [q, scale], f"{pre}.attn.scale")
        kt = b.one("Transpose", [k], f"{pre}.attn.k_t", perm=[0, 1, 3, 2])
        a = b.one("MatMul", [q, kt], f"{pre}.attn.qk")                 # 1 x 3 x 197 x 197
        a = b.one("Softmax", [a], f"{pre}.attn.softmax", axis=-1)
        o = b.one("MatMul", [a, v], f"{pre}.attn.av")                  # 1 x 3 x 197 x 64
        o = b.one("Transpose", [o], f"{pre}.attn.merge", perm=[0, 2, 1, 3])
        o = b.one("Reshape", [o, b.const(f"{pre}.attn.out_shape", [1, tokens, d])],
                  f"{pre}.attn.merge_reshape")
        o = b.linear(o, f"{pre}.attn.proj", d, d)
        x = b.one("Add", [x, o], f"{pre}.add1")
        h = b.one("LayerNormalization", [x, b.weight(f"{pre}.norm2.weight", [d]),
                                         b.weight(f"{pre}.norm2.bias", [d])],
                  f"{pre}.norm2", axis=-1, epsilon=1e-6)
        h = b.linear(h, f"{pre}.mlp.fc1", d, mlp)
        # GELU as torch.onnx.export (opset 17) writes it: x * 0.5 * (1 + erf(x / sqrt 2))
        e = b.one("Div", [h, b.const(f"{pre}.mlp.sqrt2", 2 ** 0.5, np.float32)],
                  f"{pre}.mlp.gelu.div")
        e = b.one("Erf", [e], f"{pre}.mlp.gelu.erf")
        e = b.one("Add", [e, b.const(f"{pre}.mlp.one", 1.0, np.float32)], f"{pre}.mlp.gelu.add")
        h = b.one("Mul", [h, e], f"{pre}.mlp.gelu.mul")
        h = b.one("Mul", [h, b.const(f"{pre}.mlp.half", 0.5, np.float32)],
                  f"{pre}.mlp.gelu.half")
        h = b.linear(h, f"{pre}.mlp.fc2", mlp, d)
        x = b.one("Add", [x, h], f"{pre}.add2")
    x = b.one("LayerNormalization", [x, b.weight("norm.weight", [d]),
                                     b.weight("norm.bias", [d])], "norm", axis=-1,
              epsilon=1e-6)
    x = b.one("Gather", [x, b.const("cls_index", 0)], "cls_pick", axis=1)   # 1 x 192
    out = b.one("Gemm", [x, b.weight("head.weight", [1000, d]), b.weight("head.bias", [1000])],
                "head", transB=1)
    return b.model([3, size, size], out, [1000],
                   f"timm vision_transformer.py deit_*_patch16_224 layout, embed {d}, {heads} "
                   f"heads (structure only)")


MODELS = {"resnet18.onnx": lambda: resnet(18), "resnet50.onnx": lambda: resnet(50),
          "mobilenet_v2.onnx": mobilenet_v2, "deit_tiny.onnx": deit}


def check(model: onnx.ModelProto) -> None:
    """onnx.checker on a copy whose external (absent) weights are graph inputs instead, since
    the checker opens external data files."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    ext = [t for t in m.graph.initializer if t.data_location == TensorProto.EXTERNAL]
    for t in ext:
        m.graph.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        m.graph.initializer.remove(t)
    onnx.checker.check_model(m, full_check=True)


def main(out: Path = OUT) -> list[Path]:
    written = []
    for fname, build in MODELS.items():
        model = build()
        check(model)
        path = Path(out) / fname
        onnx.save(model, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(f"wrote {p}")
