"""ONNX models: read one as a Network (``load_onnx``), write a Network as a structure-only ONNX
model (``to_onnx``).  The mapping of every operator is documented in docs/onnx.md.

Reading:

* Shapes come from onnx's own shape inference, after the input's batch dimension is fixed to 1
  (dynamic or 1; a fixed batch above 1 is refused: sqnxt-sim simulates batch 1).
* Only dims are read from weight tensors, never values: a model whose initializers are external
  (and the data file missing) or stripped loads the same.  Values are read only from small
  integer constants that say *how* an operator works (Slice starts, Pad pads).
* Nodes whose inputs are all constants (shape arithmetic such as Shape → Gather → Concat, or a
  weight transposed in the graph) are constant folding: they make no layer.
* An N-d tensor is read as C × H × W (``canon``): [1, C, H, W] → C × H × W, [1, K] → K × 1 × 1,
  and in general the last two axes are H and W and the leading ones multiply into C.  Layers that
  work on the last axis (linear, matmul, layernorm) read it as (batch, rows, columns).  Where a
  consumer needs a different reading of the same elements a free ``reshape`` layer is inserted.
* Batch norm, a bias ``Add`` and ``Relu`` are folded into the conv / FC / linear / add that
  produces their input when it has no other consumer (``bn: true``, ``bias: true``,
  ``relu: true``), so parameters are still counted as SPEC §2 counts them.
* Any other operator is one located error naming the node, its op_type and what to do.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace

from ..errors import NetworkError
from ..source import read_bytes
from .graph import LayerDef, Network
from .layers import (
    FC,
    Add,
    BatchNorm,
    Concat,
    Const,
    Conv,
    Flatten,
    GlobalPool,
    Input,
    Layer,
    LayerNorm,
    Linear,
    MatMul,
    Mul,
    Pad,
    PassThrough,
    Pool,
    Reshape,
    Resize,
    Shape,
    Slice,
)

MIN_OPSET = 7
CEIL_CLIP_OPSET = 22    # MaxPool/AveragePool-22: ceil_mode drops a window starting in padding
WEIGHTS_AS_INPUTS = "sqnxt-sim:weights"     # metadata key written by to_onnx
INPUT_NAME = "input"
MISSING = ("reading ONNX needs the onnx package: pip install 'sqnxt-sim[onnx]' "
           "(or pip install onnx)")

# ONNX op -> pass-through op of the IR (element-wise, free on the array)
UNARY = {
    "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hardswish", "HardSigmoid": "hardsigmoid",
    "Clip": "clip", "LeakyRelu": "leakyrelu", "Elu": "elu", "Selu": "selu", "Gelu": "gelu",
    "Softplus": "softplus", "Erf": "erf", "Exp": "exp", "Log": "log", "Sqrt": "sqrt",
    "Abs": "abs", "Neg": "neg", "Softmax": "softmax", "LogSoftmax": "softmax", "LRN": "lrn",
    "Dropout": "dropout", "Relu": "relu",
}
RESHAPES = ("Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Identity", "Cast")
BINARY = {"Add": "add", "Sum": "add", "Sub": "add", "Mul": "mul", "Div": "mul"}


def _clip_matters(hw, kernel, stride, pad) -> bool:
    """Does the rule that drops a ceil-mode window starting in the bottom/right padding change
    this pool's output size (so that ONNX before opset 22 and after disagree)?"""
    from .layers import pool_extent
    for i, (size, k, s) in enumerate(zip(hw, kernel, stride)):
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if pool_extent(size, k, s, lo, hi, True) != -(-(size + lo + hi - k) // s) + 1:
            return True
    return False


def onnx_module():
    try:
        import onnx
    except ImportError:
        raise NetworkError(MISSING) from None
    return onnx


# -- tensor shapes ------------------------------------------------------------------------------
def canon(dims: list[int]) -> Shape:
    """An N-d tensor read as C x H x W (module docstring)."""
    d = [int(x) for x in dims]
    if not d:
        return Shape(1, 1, 1)
    if len(d) == 1:
        return Shape(d[0], 1, 1)
    if len(d) == 2:
        return Shape(d[1], 1, 1) if d[0] == 1 else Shape(1, d[0], d[1])
    return Shape(math.prod(d[:-2]), d[-2], d[-1])


def matview(dims: list[int]) -> Shape:
    """A tensor read as (batch, rows, columns) for a layer that works on its last axis."""
    d = [int(x) for x in dims]
    while len(d) < 3:
        d.insert(0, 1)
    return Shape(math.prod(d[:-2]), d[-2], d[-1])


def canon_axis(dims: list[int], axis: int) -> tuple[int, int] | None:
    """(C/H/W axis, stride) that ONNX ``axis`` of a tensor of ``dims`` becomes under ``canon``:
    a range [s, e) along ``axis`` is [s * stride, e * stride) along the canon axis.  None when a
    concat / slice along it is not one contiguous range of a canon axis."""
    r = len(dims)
    a = axis + r if axis < 0 else axis
    if r <= 1:
        return (0, 1) if a == 0 else None
    if r == 2:
        if dims[0] == 1:
            return (0, 1) if a == 1 else None
        return (a + 1, 1)
    if a == r - 1:
        return (2, 1)
    if a == r - 2:
        return (1, 1)
    # a leading axis, collapsed into C: contiguous when every axis before it has size 1
    return (0, math.prod(dims[a + 1:r - 2])) if math.prod(dims[:a]) == 1 else None


class _Importer:
    def __init__(self, model, source: str) -> None:
        onnx = onnx_module()
        self.onnx = onnx
        self.source = source
        self.model = model
        g = model.graph
        self.graph = g
        self.defs: list[LayerDef] = []
        self.index: dict[str, int] = {}          # IR name -> position in defs
        self.vals: dict[str, tuple[str, Shape]] = {}   # ONNX value -> (IR node, IR shape)
        self.owner: dict[str, str] = {}          # IR node -> ONNX value that is its output
        self.reshape_name: dict[str, str] = {}   # value -> name for a reshape made of it
        self.reshaped: dict[tuple[str, Shape], str] = {}
        self.static: set[str] = set()            # constants (weights, shape arithmetic)
        self.consts: dict[tuple[str, Shape], str] = {}   # constant -> its IR const node
        self.names: set[str] = set()
        self.node_label = ""
        self.dims: dict[str, list[int]] = {}
        self.inits = {t.name: t for t in g.initializer}
        self.const_nodes = {}
        self.uses: dict[str, int] = {}
        for n in g.node:
            for v in n.input:
                if v:
                    self.uses[v] = self.uses.get(v, 0) + 1
            if n.op_type == "Constant":
                for o in n.output:
                    self.const_nodes[o] = n
        for o in g.output:
            self.uses[o.name] = self.uses.get(o.name, 0) + 1

    # -- errors -----------------------------------------------------------------------------
    def err(self, msg: str, field: str | None = None):
        where = f"{self.node_label}: " if self.node_label else ""
        raise NetworkError(where + msg, file=self.source, field=field)

    # -- set-up -----------------------------------------------------------------------------
    def check_opset(self) -> None:
        onnx = self.onnx
        top = onnx.defs.onnx_opset_version()
        version = None
        for o in self.model.opset_import:
            if o.domain in ("", "ai.onnx"):
                version = o.version
        if version is None:
            self.err("the model imports no ONNX operator set (opset_import has no default "
                     "domain)", "opset_import")
        if version < MIN_OPSET:
            self.err(f"opset {version} is too old: sqnxt-sim reads opset {MIN_OPSET} to {top}; "
                     f"convert it with onnx.version_converter.convert_version(model, "
                     f"{max(MIN_OPSET, 13)})", "opset_import")
        self.opset = version
        if version > top:
            self.err(f"opset {version} is newer than this onnx package knows ({top}); upgrade "
                     f"onnx (pip install -U onnx) or export with opset_version <= {top}",
                     "opset_import")

    def data_input(self):
        g = self.graph
        meta = {p.key: p.value for p in self.model.metadata_props}
        inputs = [i for i in g.input if i.name not in self.inits]
        if not inputs:
            self.err("the graph has no input (every graph input is an initializer)", "input")
        if meta.get(WEIGHTS_AS_INPUTS) == "inputs":
            # sqnxt-sim's structure-only export: the first input is the data, the rest weights
            self.static.update(i.name for i in inputs[1:])
        elif len(inputs) > 1:
            self.err(f"the graph has {len(inputs)} inputs "
                     f"({', '.join(i.name for i in inputs)}); sqnxt-sim networks take one "
                     f"input: keep one (e.g. make the others initializers)", "input")
        return inputs[0]

    def fix_input(self, inp) -> None:
        t = inp.type.tensor_type
        if not t.HasField("shape") or len(t.shape.dim) == 0:
            self.err(f"input {inp.name!r} has no shape; export it with a fixed input size",
                     "input")
        dims = t.shape.dim
        d0 = dims[0]
        if d0.HasField("dim_value") and d0.dim_value > 1 and len(dims) >= 2:
            self.err(f"input {inp.name!r} has a fixed batch of {d0.dim_value}; sqnxt-sim "
                     f"simulates batch 1: export with batch 1 or a dynamic batch", "input")
        if not d0.HasField("dim_value") or d0.dim_value == 0:
            d0.Clear()
            d0.dim_value = 1                     # a dynamic batch becomes 1
        for i, d in enumerate(dims):
            if not d.HasField("dim_value") or d.dim_value < 1:
                label = f" ({d.dim_param!r})" if d.dim_param else ""
                self.err(f"input {inp.name!r} dimension {i}{label} is dynamic and cannot be "
                         f"inferred; export with a fixed input size (e.g. 1x3x224x224)",
                         "input")

    def infer(self) -> None:
        onnx = self.onnx
        try:
            self.model = onnx.shape_inference.infer_shapes(self.model, strict_mode=True,
                                                           data_prop=True)
        except Exception as e:   # onnx raises its own InferenceError / ValidationError types
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            self.err(f"onnx shape inference failed: {first}")
        g = self.model.graph
        for vi in list(g.input) + list(g.value_info) + list(g.output):
            t = vi.type.tensor_type
            if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
                self.dims[vi.name] = [d.dim_value for d in t.shape.dim]
        for t in g.initializer:
            self.dims[t.name] = list(t.dims)
        for name, n in self.const_nodes.items():
            for a in n.attribute:
                if a.name == "value":
                    self.dims[name] = list(a.t.dims)

    # -- values -----------------------------------------------------------------------------
    def shape_of(self, v: str) -> list[int]:
        if v not in self.dims:
            self.err(f"the shape of {v!r} cannot be inferred (a dynamic size?); export the "
                     f"model with a fixed input size, or simplify it first "
                     f"(e.g. onnxsim) so every tensor has a static shape")
        return self.dims[v]

    def value(self, v: str):
        """The numeric value of a small constant, or None when it is not stored."""
        onnx = self.onnx
        t = self.inits.get(v)
        if t is None and v in self.const_nodes:
            for a in self.const_nodes[v].attribute:
                if a.name == "value":
                    t = a.t
                elif a.name in ("value_ints", "value_int"):
                    return list(a.ints) if a.name == "value_ints" else [a.i]
        if t is None or t.data_location == onnx.TensorProto.EXTERNAL:
            return None
        try:
            return onnx.numpy_helper.to_array(t).reshape(-1).tolist()
        except Exception:   # stripped tensor: dims but no data
            return None

    def ints(self, node, attr_or_input: str, index: int, default=None):
        """An integer list from an attribute (older opsets) or a constant input (newer)."""
        for a in node.attribute:
            if a.name == attr_or_input:
                return list(a.ints) if a.ints else [a.i]
        if index < len(node.input) and node.input[index]:
            got = self.value(node.input[index])
            if got is None:
                self.err(f"{attr_or_input} (input {node.input[index]!r}) is not a stored "
                         f"constant; sqnxt-sim needs its value")
            return [int(x) for x in got]
        return default

    def need(self, v: str, want: Shape) -> str:
        """The IR node holding value ``v`` read as ``want`` (a free reshape when needed)."""
        if v in self.static:
            return self.const(v, want)
        name, have = self.vals[v]
        if have == want:
            return name
        if have.elems != want.elems:
            self.err(f"{v!r}: {have} cannot be read as {want}")
        key = (v, want)
        if key not in self.reshaped:
            rname = self.unique(self.reshape_name.get(v, f"{v}/reshape"))
            self.add(rname, Reshape(want), (name,))
            self.ir_shape[rname] = want
            self.reshaped[key] = rname
        return self.reshaped[key]

    def const(self, v: str, want: Shape) -> str:
        """A learned constant operand (e.g. a position embedding) as an IR const node."""
        key = (v, want)
        if key not in self.consts:
            name = self.add(self.unique(v), Const(want), ())
            self.ir_shape[name] = want
            self.consts[key] = name
        return self.consts[key]

    def unique(self, name: str) -> str:
        base, k = name or "node", 2
        out = base
        while out in self.names or out == INPUT_NAME and self.defs:
            out = f"{base}#{k}"
            k += 1
        return out

    def add(self, name: str, layer: Layer, inputs: tuple[str, ...]) -> str:
        self.names.add(name)
        self.index[name] = len(self.defs)
        self.defs.append(LayerDef(name, layer, inputs))
        return name

    def shape_from_defs(self, name: str) -> Shape:
        """The IR output shape of a node already added (computed from its inputs)."""
        d = self.defs[self.index[name]]
        ins = tuple(self.ir_shape[i] for i in d.inputs)
        try:
            return d.layer.output_shape(ins)
        except NetworkError as e:
            self.err(f"{d.layer.type_name}: {e.message}", e.field)

    def emit(self, node, layer: Layer, inputs: tuple[str, ...], out: str,
             check: bool = True) -> str:
        name = self.unique(node.name or out)
        self.add(name, layer, inputs)
        shape = self.shape_from_defs(name)
        self.ir_shape[name] = shape
        want = canon(self.shape_of(out))
        if shape.elems != want.elems or (check and shape != want):
            self.err(f"sqnxt-sim computes {shape} for {out!r} but onnx infers "
                     f"{'x'.join(map(str, self.shape_of(out)))}")
        self.vals[out] = (name, shape)
        self.owner[name] = out
        return name

    def foldable(self, v: str, types: tuple[type, ...]) -> str | None:
        """The IR node that produced ``v`` if it may absorb the next op: of one of ``types``,
        ``v`` is exactly its output, and ``v`` has no other consumer."""
        if v in self.static or v not in self.vals:
            return None
        name, _ = self.vals[v]
        d = self.defs[self.index[name]]
        if (isinstance(d.layer, types) and self.owner.get(name) == v
                and self.uses.get(v, 0) == 1):
            return name
        return None

    def refold(self, name: str, out: str, **changes) -> None:
        i = self.index[name]
        d = self.defs[i]
        self.defs[i] = replace(d, layer=replace(d.layer, **changes))
        self.vals[out] = self.vals[self.owner[name]]
        self.owner[name] = out

    def alias(self, node, src: str, out: str) -> None:
        if src in self.static:
            self.static.add(out)
            return
        self.vals[out] = self.vals[src]
        self.reshape_name[out] = node.name or out

    # -- the walk ---------------------------------------------------------------------------
    def run(self) -> Network:
        self.check_opset()
        inp = self.data_input()
        self.fix_input(inp)
        self.infer()
        self.ir_shape: dict[str, Shape] = {}
        self.add(INPUT_NAME, Input(canon(self.shape_of(inp.name))), ())
        self.ir_shape[INPUT_NAME] = canon(self.shape_of(inp.name))
        self.vals[inp.name] = (INPUT_NAME, self.ir_shape[INPUT_NAME])
        self.owner[INPUT_NAME] = inp.name
        self.static.update(self.inits)
        self.static.update(self.const_nodes)
        for i, node in enumerate(self.graph.node):
            self.node_label = f"node {i} {node.name or node.output[0]!r} ({node.op_type})"
            if node.domain not in ("", "ai.onnx"):
                self.unsupported(node)
            ins = [v for v in node.input if v]
            if node.op_type in ("Constant", "Shape", "Size") or all(
                    v in self.static for v in ins):
                self.static.update(o for o in node.output if o)
                continue
            for v in ins:
                if v not in self.static and v not in self.vals:
                    self.err(f"input {v!r} is produced by no node before this one")
            handler = getattr(self, "op_" + node.op_type, None)
            if handler is None:
                if node.op_type in UNARY:
                    handler = self.unary
                elif node.op_type in RESHAPES:
                    handler = self.reshape
                elif node.op_type in BINARY:
                    handler = self.binary
                else:
                    self.unsupported(node)
            handler(node)
        self.node_label = ""
        g = self.model.graph
        name = g.name if g.name and g.name not in ("main_graph", "torch_jit",
                                                     "torch-jit-export") else \
            os.path.splitext(os.path.basename(self.source))[0]
        return Network(name, self.defs, source=self.source)

    def unsupported(self, node) -> None:
        dom = f" of domain {node.domain!r}" if node.domain not in ("", "ai.onnx") else ""
        self.err(f"operator {node.op_type}{dom} is not supported (docs/onnx.md lists those "
                 f"that are); replace it in the model (e.g. simplify or re-export it), or "
                 f"describe the network in YAML (docs/network-format.md)")

    def attrs(self, node) -> dict:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def act(self, node) -> str:
        """The one activation input of ``node``."""
        acts = [v for v in node.input if v and v not in self.static]
        if len(acts) != 1:
            self.err(f"expected one computed input, got {len(acts)}")
        return acts[0]

    # -- operators --------------------------------------------------------------------------
    def _window(self, node, in_dims, kernel, dil=(1, 1)):
        a = self.attrs(node)
        strides = tuple(a.get("strides", [1, 1]))
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = []
            for size, k, s, d in zip(in_dims[2:], kernel, strides, dil):
                out = -(-size // s)
                total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
                lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
                pads.append((lo, total - lo))
            pad = (pads[0][0], pads[0][1], pads[1][0], pads[1][1])
        elif auto == "VALID":
            pad = (0, 0, 0, 0)
        else:
            p = a.get("pads", [0, 0, 0, 0])
            pad = (p[0], p[2], p[1], p[3])
        return strides, pad

    def _rank4(self, v: str) -> list[int]:
        d = self.shape_of(v)
        if len(d) != 4:
            self.err(f"only 2-D maps (rank-4 tensors N x C x H x W) are supported, "
                     f"{v!r} has rank {len(d)}")
        return d

    def op_Conv(self, node) -> None:
        x, w = node.input[0], node.input[1]
        if x in self.static or w not in self.static:
            self.err("the weights must be a constant (initializer) and the data computed")
        xd = self._rank4(x)
        wd = self.shape_of(w)
        a = self.attrs(node)
        dil = tuple(a.get("dilations", [1, 1]))
        strides, pad = self._window(node, xd, wd[2:], dil)
        bias = len(node.input) > 2 and bool(node.input[2])
        layer = Conv(out=wd[0], kernel=(wd[2], wd[3]), stride=strides, pad=pad,
                     groups=a.get("group", 1), bias=bias, dilation=dil)
        self.emit(node, layer, (self.need(x, canon(xd)),), node.output[0])

    def _pool(self, node, mode: str) -> None:
        x = self.act(node)
        xd = self._rank4(x)
        a = self.attrs(node)
        if any(d != 1 for d in a.get("dilations", [1, 1])):
            self.err("dilated pooling is not supported")
        k = tuple(a["kernel_shape"])
        strides, pad = self._window(node, xd, k)
        ceil = bool(a.get("ceil_mode", 0))
        if ceil and self.opset < CEIL_CLIP_OPSET and _clip_matters(xd[2:], k, strides, pad):
            # ONNX before opset 22 keeps a last window that starts in the bottom/right padding
            # (so lies wholly in it); the IR, Caffe, PyTorch and ONNX from opset 22 drop it.
            # Which one the exporter meant cannot be told from the file.
            self.err(f"with ceil_mode, opset {self.opset} gives this pool a last window lying "
                     f"wholly in the padding (PyTorch and opset {CEIL_CLIP_OPSET} drop it); "
                     f"re-export with opset_version >= {CEIL_CLIP_OPSET}, or without ceil_mode")
        try:
            layer = Pool(mode, kernel=k, stride=strides, pad=pad, ceil=ceil)
        except NetworkError as e:
            self.err(e.message, e.field)
        self.emit(node, layer, (self.need(x, canon(xd)),), node.output[0])

    def op_MaxPool(self, node) -> None:
        if len([o for o in node.output if o]) > 1 and self.uses.get(node.output[1], 0):
            self.err("the Indices output of MaxPool is not supported")
        self._pool(node, "max")

    def op_AveragePool(self, node) -> None:
        self._pool(node, "avg")

    def _global(self, node, mode: str) -> None:
        x = self.act(node)
        xd = self._rank4(x)
        self.emit(node, GlobalPool(mode), (self.need(x, canon(xd)),), node.output[0])

    def op_GlobalAveragePool(self, node) -> None:
        self._global(node, "avg")

    def op_GlobalMaxPool(self, node) -> None:
        self._global(node, "max")

    def op_Gemm(self, node) -> None:
        a_, b_ = node.input[0], node.input[1]
        at = self.attrs(node)
        if a_ in self.static or b_ not in self.static:
            self.err("Gemm is supported with a computed A and a constant B (a fully connected "
                     "layer)")
        if at.get("transA", 0):
            self.err("Gemm with transA=1 is not supported")
        ad, bd = self.shape_of(a_), self.shape_of(b_)
        n = bd[0] if at.get("transB", 0) else bd[1]
        bias = len(node.input) > 2 and bool(node.input[2])
        if ad[0] == 1:
            self.emit(node, FC(out=n, bias=bias), (self.vals[a_][0],), node.output[0])
        else:
            self.emit(node, Linear(out=n, bias=bias), (self.need(a_, matview(ad)),),
                      node.output[0], check=False)

    def op_MatMul(self, node) -> None:
        a_, b_ = node.input
        if a_ in self.static:
            self.err("MatMul with a constant first operand is not supported")
        ad, bd = self.shape_of(a_), self.shape_of(b_)
        out = node.output[0]
        if b_ in self.static:
            if len(bd) != 2:
                self.err(f"a constant second operand must be a K x N matrix, got rank "
                         f"{len(bd)}")
            if len(ad) <= 2 and math.prod(ad[:-1]) == 1:
                self.emit(node, FC(out=bd[1], bias=False), (self.vals[a_][0],), out)
            else:
                self.emit(node, Linear(out=bd[1]), (self.need(a_, matview(ad)),), out,
                          check=False)
            return
        r = max(len(ad), len(bd))
        pa, pb = [1] * (r - len(ad)) + ad, [1] * (r - len(bd)) + bd
        self.emit(node, MatMul(), (self.need(a_, matview(pa)), self.need(b_, matview(pb))),
                  out, check=False)

    def binary(self, node) -> None:
        op = BINARY[node.op_type]
        ins = [v for v in node.input if v]
        acts = [v for v in ins if v not in self.static]
        consts = [v for v in ins if v in self.static]
        out = node.output[0]
        od = self.shape_of(out)
        if node.op_type in ("Sub", "Div") and ins[0] in self.static:
            self.err(f"{node.op_type} of a constant by a computed tensor is not supported")
        if len(ins) == 1:
            self.alias(node, ins[0], out)
            return
        if len(acts) == 1 and consts:
            cd = [self.shape_of(c) for c in consts]
            if all(math.prod(d) == 1 for d in cd):
                self.unary(node, "scale")
                return
            if node.op_type == "Add" and len(consts) == 1:
                prod = self.foldable(acts[0], (Conv, FC, Linear))
                if prod is not None:
                    lay = self.defs[self.index[prod]].layer
                    n = lay.out
                    last = [x for x in cd[0] if x != 1]
                    axis_ok = (cd[0][-1] == n if isinstance(lay, (Linear, FC))
                               else len(cd[0]) >= 3 and cd[0][-3] == n)
                    if (not lay.bias and not getattr(lay, "bn", False)
                            and not getattr(lay, "relu", False) and last == [n] and axis_ok):
                        self.refold(prod, out, bias=True)
                        return
        r = len(od)
        inputs = []
        for v in ins:
            d = self.shape_of(v)
            inputs.append(self.need(v, canon([1] * (r - len(d)) + d)))
        layer = Add() if op == "add" else Mul()
        if op == "mul" and len(inputs) > 2:
            self.err("Mul of more than two inputs is not supported")
        self.emit(node, layer, tuple(inputs), out)

    def unary(self, node, op: str | None = None) -> None:
        op = op or UNARY[node.op_type]
        x = self.act(node)
        out = node.output[0]
        if op == "relu":
            prod = self.foldable(x, (Conv, FC, Add))
            if prod is not None and not self.defs[self.index[prod]].layer.relu:
                self.refold(prod, out, relu=True)
                return
        if node.op_type == "Dropout" and len([o for o in node.output if o]) > 1 \
                and self.uses.get(node.output[1], 0):
            self.err("the mask output of Dropout is not supported")
        self.emit(node, PassThrough(op), (self.need(x, canon(self.shape_of(x))),), out)

    def op_BatchNormalization(self, node) -> None:
        x = node.input[0]
        out = node.output[0]
        if any(o and self.uses.get(o, 0) for o in node.output[1:]):
            self.err("training-mode BatchNormalization (running mean/var outputs) is not "
                     "supported")
        prod = self.foldable(x, (Conv, FC))
        if prod is not None:
            lay = self.defs[self.index[prod]].layer
            if not lay.bn and not lay.relu:
                self.refold(prod, out, bn=True)
                return
        xd = self.shape_of(x)
        if len(xd) not in (2, 4):
            self.err(f"BatchNormalization of a rank-{len(xd)} tensor is not supported (only "
                     f"N x C and N x C x H x W)")
        self.emit(node, BatchNorm(), (self.need(x, canon(xd)),), out)

    def op_LayerNormalization(self, node) -> None:
        x = node.input[0]
        xd = self.shape_of(x)
        axis = self.attrs(node).get("axis", -1)
        if axis not in (-1, len(xd) - 1):
            self.err(f"LayerNormalization over axis {axis} is not supported (only the last)")
        if any(o and self.uses.get(o, 0) for o in node.output[1:]):
            self.err("the mean / inverse std outputs of LayerNormalization are not supported")
        self.emit(node, LayerNorm(), (self.need(x, matview(xd)),), node.output[0],
                  check=False)

    def reshape(self, node) -> None:
        self.alias(node, node.input[0], node.output[0])

    def op_Concat(self, node) -> None:
        out = node.output[0]
        od = self.shape_of(out)
        axis = canon_axis(od, self.attrs(node)["axis"])
        axis = axis and axis[0]
        if axis is None:
            self.err(f"Concat along axis {self.attrs(node)['axis']} of a {len(od)}-d tensor "
                     f"{od} is not along channels, rows or columns")
        ins = [v for v in node.input if v]
        if len(ins) == 1:
            self.alias(node, ins[0], out)
            return
        inputs = tuple(self.need(v, canon(self.shape_of(v))) for v in ins)
        self.emit(node, Concat(axis=axis), inputs, out)

    def _slice(self, node, x: str, out: str, axis_onnx: int, start: int, name: str) -> None:
        xd = self.shape_of(x)
        od = self.shape_of(out)
        found = canon_axis(xd, axis_onnx)
        if found is None:
            self.err(f"slicing axis {axis_onnx} of a {len(xd)}-d tensor {xd} is not along "
                     f"channels, rows or columns")
        axis, stride = found
        size = od[axis_onnx] if len(od) == len(xd) else 1
        src = self.need(x, canon(xd))
        lname = self.unique(name)
        self.add(lname, Slice(axis=axis, start=start * stride, end=(start + size) * stride),
                 (src,))
        shape = self.shape_from_defs(lname)
        self.ir_shape[lname] = shape
        if shape.elems != math.prod(od):
            self.err(f"sqnxt-sim computes {shape} for {out!r} but onnx infers {od}")
        self.vals[out] = (lname, shape)
        self.owner[lname] = out

    def op_Split(self, node) -> None:
        x = node.input[0]
        xd = self.shape_of(x)
        axis = self.attrs(node).get("axis", 0)
        axis = axis + len(xd) if axis < 0 else axis
        start = 0
        for i, o in enumerate(node.output):
            if not o:
                continue
            size = self.shape_of(o)[axis]
            self._slice(node, x, o, axis, start, f"{node.name}/{i}" if node.name else o)
            start += size

    def op_Slice(self, node) -> None:
        x = node.input[0]
        xd = self.shape_of(x)
        od = self.shape_of(node.output[0])
        starts = self.ints(node, "starts", 1)
        axes = self.ints(node, "axes", 3, default=list(range(len(starts))))
        steps = self.ints(node, "steps", 4, default=[1] * len(starts))
        changed = [a for a in range(len(xd)) if xd[a] != od[a]]
        if not changed:
            self.alias(node, x, node.output[0])
            return
        if len(changed) > 1 or any(s != 1 for s in steps):
            self.err("only a slice along one axis with step 1 is supported")
        ax = changed[0]
        axes = [a + len(xd) if a < 0 else a for a in axes]
        if ax not in axes:
            self.err("cannot tell the sliced axis")
        st = starts[axes.index(ax)]
        st = max(0, min(xd[ax], st + xd[ax] if st < 0 else st))
        self._slice(node, x, node.output[0], ax, st, node.name or node.output[0])

    def op_Gather(self, node) -> None:
        x, idx = node.input
        if idx not in self.static:
            self.err("Gather with computed indices is not supported")
        got = self.value(idx)
        if got is None or len(got) != 1 or self.shape_of(idx):
            self.err("only Gather of one constant scalar index is supported (it is read as a "
                     "slice)")
        xd = self.shape_of(x)
        axis = self.attrs(node).get("axis", 0)
        axis = axis + len(xd) if axis < 0 else axis
        i = int(got[0])
        i = i + xd[axis] if i < 0 else i
        self._slice(node, x, node.output[0], axis, i, node.name or node.output[0])

    def op_Pad(self, node) -> None:
        x = node.input[0]
        xd = self._rank4(x)
        a = self.attrs(node)
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode != "constant":
            self.err(f"Pad mode {mode!r} is not supported (only constant)")
        pads = self.ints(node, "pads", 1) if "paddings" not in a else list(a["paddings"])
        if len(node.input) > 3 and node.input[3]:
            self.err("Pad with axes is not supported")
        if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
            self.err("only padding of the two map axes (H, W) is supported")
        if any(p < 0 for p in pads):
            self.err("negative padding (cropping) is not supported")
        self.emit(node, Pad((pads[2], pads[6], pads[3], pads[7])),
                  (self.need(x, canon(xd)),), node.output[0])

    def _resize(self, node) -> None:
        x = node.input[0]
        xd = self._rank4(x)
        od = self._rank4(node.output[0])
        if od[:2] != xd[:2]:
            self.err("Resize of the batch or channel axes is not supported")
        mode = self.attrs(node).get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        mode = {"bilinear": "linear"}.get(mode, mode)
        self.emit(node, Resize(size=(od[2], od[3]), mode=mode),
                  (self.need(x, canon(xd)),), node.output[0])

    op_Resize = _resize
    op_Upsample = _resize


def load_onnx(path: str | os.PathLike) -> Network:
    """An ONNX model file as a Network (module docstring)."""
    onnx = onnx_module()
    path = os.fspath(path)
    data = read_bytes(path)
    try:
        model = onnx.ModelProto()
        model.ParseFromString(data)
    except Exception as e:   # google.protobuf.message.DecodeError and relatives
        raise NetworkError(f"not an ONNX model, or a truncated one ({e})", file=path) from None
    if not model.HasField("graph") or not model.graph.node or model.ir_version < 1:
        raise NetworkError("not an ONNX model: the file parses as protobuf but holds no ONNX "
                           "graph (ir_version and graph.node are missing)", file=path)
    return _Importer(model, path).run()


def describe(path: str) -> str:
    """One line on an ONNX file's provenance: producer and doc string (for an imported YAML)."""
    onnx = onnx_module()
    m = onnx.ModelProto()
    m.ParseFromString(read_bytes(path))
    parts = [f"Source: ONNX model {os.path.basename(path)}"]
    if m.producer_name:
        parts.append(f"produced by {m.producer_name} {m.producer_version}".rstrip())
    if m.doc_string:
        parts.append(m.doc_string.strip())
    return "; ".join(parts)


# -- export -------------------------------------------------------------------------------------
PASS_OPS = {v: k for k, v in UNARY.items() if k not in ("LogSoftmax",)}


def to_onnx(net: Network, *, zero_weights: bool = False, opset: int = 17):
    """A structure-only ONNX ModelProto of ``net`` (valid per onnx.checker).

    Weights are graph inputs with their shapes (no values; the model's metadata says so, and
    ``load_onnx`` reads them as weights), or with ``zero_weights`` initializers full of zeros
    (a runnable model).  Every tensor is [1, C, H, W] (an FC's output [1, N]), so reading the
    model back gives the same layers, names, shapes, MACs and parameters (docs/onnx.md)."""
    onnx = onnx_module()
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    inputs = [n for n in net if isinstance(n.layer, Input)]
    if len(inputs) != 1:
        raise NetworkError(f"cannot write {net.name!r} as ONNX: it has {len(inputs)} separate "
                           f"inputs (a SCALE-Sim topology's layers are independent)",
                           file=net.source)
    if any(isinstance(n.layer, PassThrough) and n.layer.op == "gelu" for n in net):
        opset = max(opset, 20)
    if any(isinstance(n.layer, Pool) and n.layer.ceil and _clip_matters(
            (n.in_shapes[0].h, n.in_shapes[0].w), n.layer.kernel, n.layer.stride, n.layer.pad)
            for n in net):
        opset = max(opset, CEIL_CLIP_OPSET)   # the first opset whose ceil_mode is the IR's
    nodes, inits, weight_inputs = [], [], []
    dims: dict[str, list[int]] = {}
    consumed = {s for n in net for s in n.inputs}

    def d4(s: Shape) -> list[int]:
        return [1, s.c, s.h, s.w]

    def weight(name: str, shape: list[int]) -> str:
        if zero_weights:
            inits.append(numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name))
        else:
            weight_inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def ints(name: str, values: list[int]) -> str:
        inits.append(numpy_helper.from_array(np.array(values, dtype=np.int64), name))
        return name

    def node(op: str, ins: list[str], out: str, name: str, **attrs) -> str:
        nodes.append(helper.make_node(op, ins, [out], name=name, **attrs))
        return out

    def as4d(src: str, shape: Shape, tag: str) -> str:
        """``src`` as a rank-4 tensor (an FC's [1, N] output is reshaped, free on import)."""
        if len(dims[src]) == 4:
            return src
        out = f"{tag}/4d"
        return node("Reshape", [src, ints(f"{tag}/4d_shape", d4(shape))], out, out)

    def tail(name: str, cur: str, lay) -> str:
        """Batch norm and ReLU written after a conv / FC / add as ONNX nodes of their own."""
        if getattr(lay, "bn", False):
            n = lay.out
            ws = [weight(f"{name}/bn_{p}", [n]) for p in ("scale", "bias", "mean", "var")]
            cur = node("BatchNormalization", [cur, *ws], f"{name}/bn", f"{name}/bn")
        if getattr(lay, "relu", False):
            cur = node("Relu", [cur], f"{name}/relu", f"{name}/relu")
        return cur

    out_of: dict[str, str] = {}
    for n in net:
        lay, name, s = n.layer, n.name, n.out_shape
        ins = [out_of[i] for i in n.inputs]
        out_dims = d4(s)

        def in4(k: int | None = None, n=n, ins=ins, name=name) -> list[str]:
            """The inputs (or input k) as rank-4 tensors."""
            ks = range(len(ins)) if k is None else [k]
            return [as4d(ins[j], n.in_shapes[j], f"{name}/in{j}") for j in ks]

        if isinstance(lay, Input):
            out_of[name] = name
            dims[name] = out_dims
            continue
        if isinstance(lay, Conv):
            cin = n.in_shapes[0].c // lay.groups
            w_ = weight(f"{name}/weight", [lay.out, cin, *lay.kernel])
            extra = [weight(f"{name}/bias", [lay.out])] if lay.bias else []
            p = lay.pad
            cur = node("Conv", [in4(0)[0], w_, *extra], name if not (lay.bn or lay.relu)
                       else f"{name}/conv", name, kernel_shape=list(lay.kernel),
                       strides=list(lay.stride), pads=[p[0], p[2], p[1], p[3]],
                       dilations=list(lay.dilation), group=lay.groups)
            cur = tail(name, cur, lay)
        elif isinstance(lay, FC):
            src = ins[0]
            if len(dims[src]) != 2:
                src = node("Flatten", [src], f"{name}/flatten", f"{name}/flatten", axis=1)
            w_ = weight(f"{name}/weight", [lay.out, n.in_shapes[0].elems])
            extra = [weight(f"{name}/bias", [lay.out])] if lay.bias else []
            cur = node("Gemm", [src, w_, *extra], name if not (lay.bn or lay.relu)
                       else f"{name}/gemm", name, transB=1)
            cur = tail(name, cur, lay)
            out_dims = [1, s.c]
        elif isinstance(lay, Linear):
            w_ = weight(f"{name}/weight", [n.in_shapes[0].w, lay.out])
            cur = node("MatMul", [in4(0)[0], w_], name if not lay.bias else f"{name}/matmul",
                       name)
            if lay.bias:
                cur = node("Add", [cur, weight(f"{name}/bias", [lay.out])], name,
                           f"{name}/bias_add")
        elif isinstance(lay, MatMul):
            cur = node("MatMul", in4(), name, name)
        elif isinstance(lay, Pool):
            p = lay.pad
            cur = node("MaxPool" if lay.mode == "max" else "AveragePool", in4(0), name, name,
                       kernel_shape=list(lay.kernel), strides=list(lay.stride),
                       pads=[p[0], p[2], p[1], p[3]], ceil_mode=int(lay.ceil))
        elif isinstance(lay, GlobalPool):
            cur = node("GlobalAveragePool" if lay.mode == "avg" else "GlobalMaxPool", in4(0),
                       name, name)
        elif isinstance(lay, Add):
            cur = node("Add" if len(ins) == 2 else "Sum", in4(),
                       name if not lay.relu else f"{name}/add", name)
            cur = tail(name, cur, lay)
        elif isinstance(lay, Mul):
            cur = node("Mul", in4(), name, name)
        elif isinstance(lay, Concat):
            cur = node("Concat", in4(), name, name, axis=lay.axis + 1)
        elif isinstance(lay, Flatten):
            cur = node("Flatten", ins[:1], name, name, axis=1)
            out_dims = [1, s.c]
        elif isinstance(lay, BatchNorm):
            c = n.in_shapes[0].c
            ws = [weight(f"{name}/{p}", [c]) for p in ("scale", "bias", "mean", "var")]
            cur = node("BatchNormalization", [in4(0)[0], *ws], name, name)
        elif isinstance(lay, LayerNorm):
            w = n.in_shapes[0].w
            cur = node("LayerNormalization", [in4(0)[0], weight(f"{name}/scale", [w]),
                                              weight(f"{name}/bias", [w])], name, name, axis=-1)
        elif isinstance(lay, Reshape):
            cur = node("Reshape", [ins[0], ints(f"{name}/shape", out_dims)], name, name)
        elif isinstance(lay, Slice):
            cur = node("Slice", [in4(0)[0], ints(f"{name}/starts", [lay.start]),
                                 ints(f"{name}/ends", [lay.end]),
                                 ints(f"{name}/axes", [lay.axis + 1])], name, name)
        elif isinstance(lay, Pad):
            t, b, l_, r = lay.pad
            cur = node("Pad", [in4(0)[0], ints(f"{name}/pads", [0, 0, t, l_, 0, 0, b, r])], name,
                       name)
        elif isinstance(lay, Resize):
            cur = node("Resize", [in4(0)[0], "", "", ints(f"{name}/sizes", out_dims)], name, name,
                       mode=lay.mode)
        elif isinstance(lay, Const):
            # a learned tensor: a weight in its own right, named as the layer
            if zero_weights:
                inits.append(numpy_helper.from_array(np.zeros(out_dims, dtype=np.float32),
                                                     name))
            else:
                weight_inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                                   out_dims))
            cur = name
        elif isinstance(lay, PassThrough):
            src = ins[0]
            if lay.op == "scale":
                cur = node("Mul", [src, weight(f"{name}/scale", [1])], name, name)
            elif lay.op == "clip":
                cur = node("Clip", [src], name, name)
            elif lay.op == "softmax":
                cur = node("Softmax", [src], name, name, axis=1 if len(dims[src]) > 1 else 0)
            elif lay.op == "lrn":
                cur = node("LRN", [as4d(src, n.in_shapes[0], f"{name}/in0")], name, name,
                           size=5)
            else:
                cur = node(PASS_OPS[lay.op], [src], name, name)
            out_dims = dims[src]
        else:   # pragma: no cover - every layer type is handled above
            raise NetworkError(f"layer {name!r} ({lay.type_name}) cannot be written as ONNX")
        if cur != name:
            # the last node of the layer writes a tensor named as the layer
            nodes[-1].output[0] = name
        out_of[name] = name
        dims[name] = out_dims
    outputs = [helper.make_tensor_value_info(n.name, TensorProto.FLOAT, dims[n.name])
               for n in net if n.name not in consumed and not isinstance(n.layer, Const)]
    graph_inputs = [helper.make_tensor_value_info(inputs[0].name, TensorProto.FLOAT,
                                                  ["batch", *d4(inputs[0].out_shape)[1:]])]
    graph = helper.make_graph(nodes, net.name, graph_inputs + weight_inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="sqnxt-sim")
    model.ir_version = min(model.ir_version, 10)
    if not zero_weights:
        helper.set_model_props(model, {WEIGHTS_AS_INPUTS: "inputs"})
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:   # pragma: no cover - a bug in this writer, not in the network
        raise NetworkError(f"the ONNX model written for {net.name!r} is invalid: {e}",
                           file=net.source) from None
    return model
