"""Frozen layer values: each layer derives its own output shape, MACs and parameter counts.

A layer value carries only what the layer *is* (kernel, stride, channels…), never its name or
position in the graph, so equal layers compare and hash equal and per-layer results can be cached
by value.  Shapes are ``Shape(c, h, w)`` with batch 1.

Conventions (SPEC §2): MACs count conv and fully-connected multiply-accumulates only; parameters
are reported as ``weights`` (conv/FC weights), ``biases`` and ``bn`` (batch-norm scale and shift,
two per channel) separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from ..errors import NetworkError
from ..workload import Kind, Workload, ceil_div


@dataclass(frozen=True, slots=True, order=True)
class Shape:
    c: int
    h: int
    w: int

    @property
    def elems(self) -> int:
        return self.c * self.h * self.w

    def __str__(self) -> str:
        return f"{self.c}x{self.h}x{self.w}"


def _pair(v, name: str) -> tuple[int, int]:
    if isinstance(v, bool):
        raise NetworkError(f"{name} must be an integer or a list of two integers, got {v!r}",
                           field=name)
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(
            isinstance(x, int) and not isinstance(x, bool) for x in v):
        return (v[0], v[1])
    raise NetworkError(f"{name} must be an integer or a list of two integers, got {v!r}",
                       field=name)


def _pads(v) -> tuple[int, int, int, int]:
    """Padding as (top, bottom, left, right) from an int, [rows, cols] or [t, b, l, r]."""
    if isinstance(v, (list, tuple)) and len(v) == 4 and all(
            isinstance(x, int) and not isinstance(x, bool) for x in v):
        return (v[0], v[1], v[2], v[3])
    h, w = _pair(v, "pad")
    return (h, h, w, w)


def _normalise_window(layer) -> None:
    """Accept ``kernel=3`` / ``pad=[1, 0]`` in Python as in YAML; store tuples so the frozen
    value stays hashable."""
    object.__setattr__(layer, "kernel", _pair(layer.kernel, "kernel"))
    object.__setattr__(layer, "stride", _pair(layer.stride, "stride"))
    object.__setattr__(layer, "pad", _pads(layer.pad))


def _positive(name: str, v) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise NetworkError(f"{name} must be a positive integer, got {v!r}", field=name)


def _non_negative(name: str, v) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise NetworkError(f"{name} must be a non-negative integer, got {v!r}", field=name)


def _flag(name: str, v) -> None:
    if not isinstance(v, bool):
        raise NetworkError(f"{name} must be true or false, got {v!r}", field=name)


_ABSENT = object()


@dataclass(frozen=True, slots=True)
class YamlField:
    """One field of a layer type's YAML form (docs/network-format.md), declared once on the
    layer class: the reader, the writer and the docs check all follow it."""

    name: str
    codec: str = "value"          # value | pair | pads | shape | list
    required: bool = False
    default: Any = _ABSENT        # when absent from the YAML (default: the class's own)
    always: bool = True           # the writer writes it even when it equals the default

    def decode(self, v):
        if self.codec == "pair":
            return _pair(v, self.name)
        if self.codec == "pads":
            return _pads(v)
        return v

    def encode(self, v):
        if self.codec == "pair":
            return v[0] if v[0] == v[1] else list(v)
        if self.codec == "pads":
            return self.encode_pair((v[0], v[2])) if v[0] == v[1] and v[2] == v[3] else list(v)
        if self.codec == "shape":
            return [v.c, v.h, v.w]
        if self.codec == "list":
            return list(v)
        return v

    @staticmethod
    def encode_pair(p):
        return p[0] if p[0] == p[1] else list(p)


class Layer:
    """Behaviour shared by every layer value (the values themselves are frozen dataclasses)."""

    __slots__ = ()    # the slotted dataclasses below then really have no __dict__

    type_name: ClassVar[str] = ""
    arity: ClassVar[tuple[int, int | None]] = (1, 1)   # (min, max) number of inputs
    compute: ClassVar[bool] = False                     # does it cost anything on the array?
    # the YAML vocabulary (docs/network-format.md): the `type:` names this class reads and its
    # fields, in the order the writer writes them
    yaml_types: ClassVar[tuple[str, ...]] = ()
    yaml_fields: ClassVar[tuple[YamlField, ...]] = ()

    @classmethod
    def from_yaml(cls, ltype: str, values: dict) -> Layer:
        """The layer of YAML type ``ltype`` with already-evaluated field ``values``."""
        kwargs = {}
        for f in cls.yaml_fields:
            v = values.get(f.name, f.default)
            if v is not _ABSENT:
                kwargs[f.name] = f.decode(v)
        return cls(**kwargs, **cls.yaml_fixed(ltype))

    @classmethod
    def yaml_fixed(cls, ltype: str) -> dict:
        """Constructor arguments the YAML type name itself sets (e.g. maxpool → mode max)."""
        return {}

    @classmethod
    def yaml_accepts(cls, ltype: str) -> set[str]:
        """The fields a layer of YAML type ``ltype`` may give."""
        return {f.name for f in cls.yaml_fields}

    @classmethod
    def yaml_required(cls, ltype: str) -> set[str]:
        return {f.name for f in cls.yaml_fields if f.required}

    def to_yaml(self) -> dict:
        """The YAML fields of this value, compact but explicit (inverse of ``from_yaml``)."""
        out = {}
        for f in self.yaml_fields:
            v = getattr(self, f.name)
            default = next(d.default for d in fields(self) if d.name == f.name)
            if f.always or v != default:
                out[f.name] = f.encode(v)
        return out

    def output_shape(self, ins: tuple[Shape, ...]) -> Shape:
        return ins[0]

    def macs(self, ins: tuple[Shape, ...]) -> int:
        return 0

    def weights(self, ins: tuple[Shape, ...]) -> int:
        return 0

    def biases(self, ins: tuple[Shape, ...]) -> int:
        return 0

    def bn_params(self, ins: tuple[Shape, ...]) -> int:
        return 0

    def workload(self, ins: tuple[Shape, ...]) -> Workload | None:
        """The loop nest the accelerator runs, or None for a layer that costs nothing."""
        return None

    # helpers for YAML dumping: the fields in their YAML spelling
    def spec(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


def _check_window(kind: str, in_hw: tuple[int, int], k: tuple[int, int],
                  pad: tuple[int, int, int, int]) -> None:
    ph = in_hw[0] + pad[0] + pad[1]
    pw = in_hw[1] + pad[2] + pad[3]
    if k[0] > ph or k[1] > pw:
        raise NetworkError(f"kernel {k[0]}x{k[1]} is larger than its padded input "
                           f"{ph}x{pw}", field="kernel")


@dataclass(frozen=True, slots=True)
class Conv(Layer):
    out: int
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)
    groups: int = 1
    bias: bool = False
    bn: bool = False
    relu: bool = False
    dilation: tuple[int, int] = (1, 1)

    type_name: ClassVar[str] = "conv"
    compute: ClassVar[bool] = True
    yaml_types: ClassVar[tuple[str, ...]] = ("conv",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (
        YamlField("out", required=True), YamlField("kernel", "pair", required=True),
        YamlField("stride", "pair"), YamlField("pad", "pads"), YamlField("groups"),
        YamlField("bias"), YamlField("bn"), YamlField("relu"),
        YamlField("dilation", "pair", always=False))

    def __post_init__(self) -> None:
        _normalise_window(self)
        _positive("out", self.out)
        for v in self.kernel:
            _positive("kernel", v)
        for v in self.stride:
            _positive("stride", v)
        for v in self.pad:
            _non_negative("pad", v)
        _positive("groups", self.groups)
        object.__setattr__(self, "dilation", _pair(self.dilation, "dilation"))
        for v in self.dilation:
            _positive("dilation", v)
        for f in ("bias", "bn", "relu"):
            _flag(f, getattr(self, f))
        if self.out % self.groups:
            raise NetworkError(f"groups={self.groups} does not divide out={self.out}",
                               field="groups")

    def _check(self, ins: tuple[Shape, ...]) -> Shape:
        x = ins[0]
        if x.c % self.groups:
            raise NetworkError(f"groups={self.groups} does not divide c_in={x.c}",
                               field="groups")
        _check_window("conv", (x.h, x.w), self.span, self.pad)
        return x

    @property
    def span(self) -> tuple[int, int]:
        """Rows and columns of input one (dilated) window covers: (k - 1) * d + 1."""
        return ((self.kernel[0] - 1) * self.dilation[0] + 1,
                (self.kernel[1] - 1) * self.dilation[1] + 1)

    def output_shape(self, ins):
        x = self._check(ins)
        sh, sw = self.span
        p = (x.h + self.pad[0] + self.pad[1] - sh) // self.stride[0] + 1
        q = (x.w + self.pad[2] + self.pad[3] - sw) // self.stride[1] + 1
        return Shape(self.out, p, q)

    def weights(self, ins):
        return self.out * (ins[0].c // self.groups) * self.kernel[0] * self.kernel[1]

    def macs(self, ins):
        o = self.output_shape(ins)
        return self.weights(ins) * o.h * o.w

    def biases(self, ins):
        return self.out if self.bias else 0

    def bn_params(self, ins):
        return 2 * self.out if self.bn else 0

    def workload(self, ins):
        # A dilated conv runs its kh x kw real taps (R, S): MACs and weights are exact; the
        # input extent (H, W) is the real one, so only a tile's halo, estimated from R and S by
        # the templates, is short by (k - 1)(d - 1) rows/columns (docs/onnx.md).
        x, o = ins[0], self.output_shape(ins)
        return Workload(Kind.CONV, G=self.groups, K=self.out // self.groups,
                        C=x.c // self.groups, P=o.h, Q=o.w, R=self.kernel[0],
                        S=self.kernel[1], stride_h=self.stride[0], stride_w=self.stride[1],
                        H=x.h, W=x.w, pad_top=self.pad[0], pad_bottom=self.pad[1],
                        pad_left=self.pad[2], pad_right=self.pad[3],
                        vector_out=o.h == o.w == 1)


@dataclass(frozen=True, slots=True)
class FC(Layer):
    """Fully connected: flattens its input (C×H×W) and produces ``out`` features (out×1×1)."""

    out: int
    bias: bool = True
    bn: bool = False
    relu: bool = False

    type_name: ClassVar[str] = "fc"
    compute: ClassVar[bool] = True
    yaml_types: ClassVar[tuple[str, ...]] = ("fc",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (
        YamlField("out", required=True), YamlField("bias"), YamlField("bn"), YamlField("relu"))

    def __post_init__(self) -> None:
        _positive("out", self.out)
        for f in ("bias", "bn", "relu"):
            _flag(f, getattr(self, f))

    def output_shape(self, ins):
        return Shape(self.out, 1, 1)

    def weights(self, ins):
        return self.out * ins[0].elems

    def macs(self, ins):
        return self.weights(ins)

    def biases(self, ins):
        return self.out if self.bias else 0

    def bn_params(self, ins):
        return 2 * self.out if self.bn else 0

    def workload(self, ins):
        # batch 1: a 1×1 convolution of the flattened input on a 1×1 map
        return Workload(Kind.CONV, G=1, K=self.out, C=ins[0].elems, P=1, Q=1,
                        vector_out=True)


def pool_extent(size: int, k: int, s: int, pad_lo: int, pad_hi: int, ceil: bool) -> int:
    """Output extent of a pooling window; ``ceil`` follows Caffe (and clips a window that would
    start inside the bottom/right padding only)."""
    span = size + pad_lo + pad_hi - k
    if not ceil:
        return span // s + 1
    out = -(-span // s) + 1
    if (pad_lo or pad_hi) and (out - 1) * s >= size + pad_lo:
        out -= 1
    return out


@dataclass(frozen=True, slots=True)
class Pool(Layer):
    mode: str                     # "max" or "avg"
    kernel: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)
    ceil: bool = False

    compute: ClassVar[bool] = True
    yaml_types: ClassVar[tuple[str, ...]] = ("maxpool", "avgpool")
    # (the YAML stride defaults to 1, not to the kernel)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (
        YamlField("kernel", "pair", required=True), YamlField("stride", "pair", default=1),
        YamlField("pad", "pads"), YamlField("ceil"))

    @classmethod
    def yaml_fixed(cls, ltype: str) -> dict:
        return {"mode": ltype[:3]}

    @property
    def type_name(self) -> str:  # type: ignore[override]
        return f"{self.mode}pool"

    def __post_init__(self) -> None:
        if self.mode not in ("max", "avg"):
            raise NetworkError(f"pool mode must be max or avg, got {self.mode!r}", field="type")
        _normalise_window(self)
        for v in self.kernel:
            _positive("kernel", v)
        for v in self.stride:
            _positive("stride", v)
        for v in self.pad:
            _non_negative("pad", v)
        _flag("ceil", self.ceil)
        # Caffe's rule (CHECK_LT(pad, kernel)): otherwise a window can lie wholly in padding
        kh, kw = self.kernel
        if any(p >= k for p, k in zip(self.pad, (kh, kh, kw, kw))):
            raise NetworkError(f"pad {list(self.pad)} must be smaller than the kernel "
                               f"{kh}x{kw}", field="pad")

    def output_shape(self, ins):
        x = ins[0]
        _check_window("pool", (x.h, x.w), self.kernel, self.pad)
        return Shape(x.c,
                     pool_extent(x.h, self.kernel[0], self.stride[0], self.pad[0], self.pad[1],
                                 self.ceil),
                     pool_extent(x.w, self.kernel[1], self.stride[1], self.pad[2], self.pad[3],
                                 self.ceil))

    def workload(self, ins):
        x, o = ins[0], self.output_shape(ins)
        # Caffe ceil mode may let the last window overhang the input: count it as extra
        # (implicit) padding so the loop nest stays exact.
        extra_h = max(0, (o.h - 1) * self.stride[0] + self.kernel[0]
                      - (x.h + self.pad[0] + self.pad[1]))
        extra_w = max(0, (o.w - 1) * self.stride[1] + self.kernel[1]
                      - (x.w + self.pad[2] + self.pad[3]))
        return Workload(Kind.POOL_MAX if self.mode == "max" else Kind.POOL_AVG,
                        G=x.c, K=1, C=1, P=o.h, Q=o.w, R=self.kernel[0], S=self.kernel[1],
                        stride_h=self.stride[0], stride_w=self.stride[1], H=x.h, W=x.w,
                        pad_top=self.pad[0], pad_bottom=self.pad[1] + extra_h,
                        pad_left=self.pad[2], pad_right=self.pad[3] + extra_w)


@dataclass(frozen=True, slots=True)
class GlobalPool(Layer):
    mode: str = "avg"

    compute: ClassVar[bool] = True
    yaml_types: ClassVar[tuple[str, ...]] = ("gap", "gmp")

    @classmethod
    def yaml_fixed(cls, ltype: str) -> dict:
        return {"mode": "avg" if ltype == "gap" else "max"}

    @property
    def type_name(self) -> str:  # type: ignore[override]
        return "gap" if self.mode == "avg" else "gmp"

    def __post_init__(self) -> None:
        if self.mode not in ("max", "avg"):
            raise NetworkError(f"global pool mode must be max or avg, got {self.mode!r}",
                               field="type")

    def output_shape(self, ins):
        return Shape(ins[0].c, 1, 1)

    def workload(self, ins):
        x = ins[0]
        return Workload(Kind.POOL_MAX if self.mode == "max" else Kind.POOL_AVG,
                        G=x.c, K=1, C=1, P=1, Q=1, R=x.h, S=x.w, H=x.h, W=x.w)


@dataclass(frozen=True, slots=True)
class Add(Layer):
    relu: bool = False

    type_name: ClassVar[str] = "add"
    arity: ClassVar[tuple[int, int | None]] = (2, None)
    compute: ClassVar[bool] = True
    yaml_types: ClassVar[tuple[str, ...]] = ("add",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (YamlField("relu"),)

    def __post_init__(self) -> None:
        _flag("relu", self.relu)

    def output_shape(self, ins):
        return broadcast(ins)

    def workload(self, ins):
        # a broadcast operand (e.g. C x 1 x 1) is counted as if it were full size: an upper
        # bound on its traffic, and exact for the common equal-shape case
        x = self.output_shape(ins)
        return Workload(Kind.ELTWISE, G=x.c, K=1, C=1, P=x.h, Q=x.w, H=x.h, W=x.w,
                        operands=len(ins))


def broadcast(ins: tuple[Shape, ...]) -> Shape:
    """The shape of an element-wise op's result: per dimension the inputs agree or are 1
    (numpy / ONNX broadcasting on C x H x W)."""
    dims = []
    for axis in ("c", "h", "w"):
        sizes = {getattr(s, axis) for s in ins}
        big = sizes - {1}
        if len(big) > 1:
            a, b = next((x, y) for x in ins for y in ins
                        if getattr(x, axis) != getattr(y, axis) and 1 not in
                        (getattr(x, axis), getattr(y, axis)))
            raise NetworkError(f"inputs have mismatched shapes {a} and {b}", field="inputs")
        dims.append(big.pop() if big else 1)
    return Shape(*dims)


@dataclass(frozen=True, slots=True)
class Mul(Layer):
    """Element-wise product of two inputs (broadcasting), e.g. a squeeze-excite scale;
    costed like an add: one operation per output element per extra operand."""

    type_name: ClassVar[str] = "mul"
    arity: ClassVar[tuple[int, int | None]] = (2, 2)
    compute: ClassVar[bool] = True
    yaml_types: ClassVar[tuple[str, ...]] = ("mul",)

    def output_shape(self, ins):
        return broadcast(ins)

    def workload(self, ins):
        x = self.output_shape(ins)
        return Workload(Kind.ELTWISE, G=x.c, K=1, C=1, P=x.h, Q=x.w, H=x.h, W=x.w,
                        operands=len(ins))


@dataclass(frozen=True, slots=True)
class Concat(Layer):
    """Concatenation along ``axis`` (0 = channels, 1 = rows, 2 = columns): free (producers
    write into adjacent buffer regions)."""

    axis: int = 0

    type_name: ClassVar[str] = "concat"
    arity: ClassVar[tuple[int, int | None]] = (2, None)
    yaml_types: ClassVar[tuple[str, ...]] = ("concat",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (YamlField("axis", always=False),)

    def __post_init__(self) -> None:
        _axis(self.axis)

    def output_shape(self, ins):
        first = ins[0]
        keep = [a for a in range(3) if a != self.axis]
        for s in ins[1:]:
            if any(_dim(s, a) != _dim(first, a) for a in keep):
                what = "maps" if self.axis == 0 else "shapes"
                raise NetworkError(f"inputs have mismatched {what} {first} and {s}",
                                   field="inputs")
        dims = [_dim(first, a) for a in range(3)]
        dims[self.axis] = sum(_dim(s, self.axis) for s in ins)
        return Shape(*dims)


def _dim(s: Shape, axis: int) -> int:
    return (s.c, s.h, s.w)[axis]


def _axis(v) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v not in (0, 1, 2):
        raise NetworkError(f"axis must be 0 (channels), 1 (rows) or 2 (columns), got {v!r}",
                           field="axis")


def _shape3(v, name: str) -> Shape:
    if isinstance(v, Shape):
        return v
    if (isinstance(v, (list, tuple)) and len(v) == 3
            and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v)):
        return Shape(*v)
    raise NetworkError(f"{name} must be [channels, height, width] of positive integers, "
                       f"got {v!r}", field=name)


@dataclass(frozen=True, slots=True)
class Flatten(Layer):
    type_name: ClassVar[str] = "flatten"
    yaml_types: ClassVar[tuple[str, ...]] = ("flatten",)

    def output_shape(self, ins):
        return Shape(ins[0].elems, 1, 1)


@dataclass(frozen=True, slots=True)
class BatchNorm(Layer):
    """A stand-alone batch norm: scale and shift per channel, folded into the producer on the
    accelerator (no cycles)."""

    type_name: ClassVar[str] = "bn"
    yaml_types: ClassVar[tuple[str, ...]] = ("bn",)

    def bn_params(self, ins):
        return 2 * ins[0].c


@dataclass(frozen=True, slots=True)
class PassThrough(Layer):
    """ReLU, dropout, softmax, LRN and other element-wise functions: recorded for fidelity, free
    on the accelerator (ReLU and the other activations sit in the PE's output path; dropout is
    identity at inference; softmax/LRN are left to the host; ``scale`` is a multiply or divide
    by one constant, folded into the producer's output path)."""

    op: str = "relu"

    OPS: ClassVar[tuple[str, ...]] = (
        "relu", "dropout", "softmax", "lrn", "sigmoid", "tanh", "hardswish", "hardsigmoid",
        "clip", "leakyrelu", "elu", "selu", "gelu", "softplus", "erf", "exp", "log", "sqrt",
        "abs", "neg", "scale")
    yaml_types: ClassVar[tuple[str, ...]] = OPS
    # dropout's ratio and LRN's window are accepted for fidelity and cost nothing
    YAML_IGNORED: ClassVar[dict[str, tuple[str, ...]]] = {
        "dropout": ("ratio",), "lrn": ("size", "alpha", "beta")}

    @classmethod
    def yaml_accepts(cls, ltype: str) -> set[str]:
        return set(cls.YAML_IGNORED.get(ltype, ()))

    @classmethod
    def yaml_fixed(cls, ltype: str) -> dict:
        return {"op": ltype}

    @property
    def type_name(self) -> str:  # type: ignore[override]
        return self.op

    def __post_init__(self) -> None:
        if self.op not in self.OPS:
            raise NetworkError(f"unknown pass-through op {self.op!r}", field="type")


@dataclass(frozen=True, slots=True)
class Input(Layer):
    shape: Shape = field(default_factory=lambda: Shape(3, 224, 224))

    type_name: ClassVar[str] = "input"
    arity: ClassVar[tuple[int, int | None]] = (0, 0)

    def __post_init__(self) -> None:
        for f in ("c", "h", "w"):
            _positive(f"input {f}", getattr(self.shape, f))

    def output_shape(self, ins):
        return self.shape


@dataclass(frozen=True, slots=True)
class Linear(Layer):
    """A matrix product with a constant weight over the last axis: an input of b x M x K (C x H x
    W read as batch, rows, columns) times a K x ``out`` weight gives b x M x out.  Costed as a
    1x1 convolution with C = K and K = out over a (b*M) x 1 map."""

    out: int
    bias: bool = False

    type_name: ClassVar[str] = "linear"
    compute: ClassVar[bool] = True
    yaml_types: ClassVar[tuple[str, ...]] = ("linear",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (
        YamlField("out", required=True), YamlField("bias"))

    def __post_init__(self) -> None:
        _positive("out", self.out)
        _flag("bias", self.bias)

    def output_shape(self, ins):
        return Shape(ins[0].c, ins[0].h, self.out)

    def weights(self, ins):
        return ins[0].w * self.out

    def macs(self, ins):
        x = ins[0]
        return x.c * x.h * x.w * self.out

    def biases(self, ins):
        return self.out if self.bias else 0

    def workload(self, ins):
        x = ins[0]
        return Workload(Kind.CONV, G=1, K=self.out, C=x.w, P=x.c * x.h, Q=1)


@dataclass(frozen=True, slots=True)
class MatMul(Layer):
    """The product of two activations: A (b x M x K) times B (b x K x N, or 1 x K x N shared by
    all b) gives b x M x N, e.g. attention's Q.K^T and A.V with b = heads.  No parameters; B
    takes the weights' place on the array (G = b groups of a 1x1 conv with C = K, K = N over an
    M x 1 map)."""

    type_name: ClassVar[str] = "matmul"
    arity: ClassVar[tuple[int, int | None]] = (2, 2)
    compute: ClassVar[bool] = True
    yaml_types: ClassVar[tuple[str, ...]] = ("matmul",)

    def output_shape(self, ins):
        a, b = ins
        if b.h != a.w:
            raise NetworkError(f"inner sizes differ: {a} times {b} ({a.w} vs {b.h})",
                               field="inputs")
        if b.c not in (1, a.c):
            raise NetworkError(f"batch sizes differ: {a} times {b} ({a.c} vs {b.c})",
                               field="inputs")
        return Shape(a.c, a.h, b.w)

    def macs(self, ins):
        a, b = ins
        return a.c * a.h * a.w * b.w

    def workload(self, ins):
        a, b = ins
        if b.c == 1:   # one B for every batch: the rows of all batches share it
            return Workload(Kind.CONV, G=1, K=b.w, C=a.w, P=a.c * a.h, Q=1)
        return Workload(Kind.CONV, G=a.c, K=b.w, C=a.w, P=a.h, Q=1)


@dataclass(frozen=True, slots=True)
class Reshape(Layer):
    """A reshape or transpose to ``shape``: the same elements relabelled; free (data layout in
    the buffer is not modelled, as for concat)."""

    shape: Shape

    type_name: ClassVar[str] = "reshape"
    yaml_types: ClassVar[tuple[str, ...]] = ("reshape",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (YamlField("shape", "shape", required=True),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _shape3(self.shape, "shape"))

    def output_shape(self, ins):
        if ins[0].elems != self.shape.elems:
            raise NetworkError(f"cannot reshape {ins[0]} ({ins[0].elems} elements) to "
                               f"{self.shape} ({self.shape.elems})", field="shape")
        return self.shape


@dataclass(frozen=True, slots=True)
class Slice(Layer):
    """Elements ``start`` to ``end`` (exclusive) along ``axis`` (0 = channels, 1 = rows,
    2 = columns); free (the consumer reads that part of the buffer)."""

    axis: int
    start: int
    end: int

    type_name: ClassVar[str] = "slice"
    yaml_types: ClassVar[tuple[str, ...]] = ("slice",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (
        YamlField("axis", required=True), YamlField("start", required=True),
        YamlField("end", required=True))

    def __post_init__(self) -> None:
        _axis(self.axis)
        _non_negative("start", self.start)
        _positive("end", self.end)
        if self.end <= self.start:
            raise NetworkError(f"end {self.end} must be greater than start {self.start}",
                               field="end")

    def output_shape(self, ins):
        size = _dim(ins[0], self.axis)
        if self.end > size:
            raise NetworkError(f"end {self.end} is past the input's {size} along axis "
                               f"{self.axis}", field="end")
        dims = [ins[0].c, ins[0].h, ins[0].w]
        dims[self.axis] = self.end - self.start
        return Shape(*dims)


@dataclass(frozen=True, slots=True)
class Pad(Layer):
    """Explicit zero padding of the map (top, bottom, left, right): free (the consumer's windows
    read generated zeros); the consumer sees the padded size."""

    pad: tuple[int, int, int, int] = (0, 0, 0, 0)

    type_name: ClassVar[str] = "pad"
    yaml_types: ClassVar[tuple[str, ...]] = ("pad",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (YamlField("pad", "pads", required=True),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pad", _pads(self.pad))
        for v in self.pad:
            _non_negative("pad", v)

    def output_shape(self, ins):
        x = ins[0]
        return Shape(x.c, x.h + self.pad[0] + self.pad[1], x.w + self.pad[2] + self.pad[3])


@dataclass(frozen=True, slots=True)
class Resize(Layer):
    """Resize the map to ``size`` (rows, columns).  ``nearest`` copies pixels: free, like a
    reshape.  ``linear`` blends 2 x 2 input pixels per output (``cubic``: 4 x 4): costed as an
    average pool of that window per output pixel, the interpolation weights not counted as
    multiplies."""

    size: tuple[int, int]
    mode: str = "nearest"

    MODES: ClassVar[dict[str, int]] = {"nearest": 1, "linear": 2, "cubic": 4}
    type_name: ClassVar[str] = "resize"
    yaml_types: ClassVar[tuple[str, ...]] = ("resize",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (
        YamlField("size", "list", required=True), YamlField("mode"))

    @classmethod
    def from_yaml(cls, ltype: str, values: dict) -> Layer:
        return cls(size=_pair(values["size"], "size"), mode=values.get("mode", "nearest"))

    @property
    def compute(self) -> bool:  # type: ignore[override]
        return self.mode != "nearest"

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", _pair(self.size, "size"))
        for v in self.size:
            _positive("size", v)
        if self.mode not in self.MODES:
            raise NetworkError(f"resize mode must be one of {', '.join(self.MODES)}, got "
                               f"{self.mode!r}", field="mode")

    def output_shape(self, ins):
        return Shape(ins[0].c, *self.size)

    def workload(self, ins):
        if self.mode == "nearest":
            return None
        k = self.MODES[self.mode]
        h, w = self.size
        return Workload(Kind.POOL_AVG, G=ins[0].c, K=1, C=1, P=h, Q=w, R=k, S=k)


@dataclass(frozen=True, slots=True)
class Const(Layer):
    """A learned tensor used as an operand (a ViT's class token and position embedding): no
    input, no cost; its elements are counted as weights."""

    shape: Shape

    type_name: ClassVar[str] = "const"
    arity: ClassVar[tuple[int, int | None]] = (0, 0)
    yaml_types: ClassVar[tuple[str, ...]] = ("const",)
    yaml_fields: ClassVar[tuple[YamlField, ...]] = (YamlField("shape", "shape", required=True),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _shape3(self.shape, "shape"))

    def output_shape(self, ins):
        return self.shape

    def weights(self, ins):
        return self.shape.elems


@dataclass(frozen=True, slots=True)
class LayerNorm(Layer):
    """Layer normalisation over the last axis (columns): free on the array like softmax (left
    to the host); its scale and shift, 2 per normalised element, are counted with the batch-norm
    parameters."""

    type_name: ClassVar[str] = "layernorm"
    yaml_types: ClassVar[tuple[str, ...]] = ("layernorm",)

    def bn_params(self, ins):
        return 2 * ins[0].w


__all__ = ["Shape", "Layer", "Conv", "FC", "Pool", "GlobalPool", "Add", "Mul", "Concat",
           "Flatten", "BatchNorm", "PassThrough", "Input", "Linear", "MatMul", "Reshape",
           "Slice", "Pad", "Resize", "Const", "LayerNorm", "broadcast", "pool_extent",
           "ceil_div"]


def yaml_vocabulary() -> dict[str, type[Layer]]:
    """Every YAML ``type:`` name and the layer class that reads it (docs/network-format.md)."""
    out: dict[str, type[Layer]] = {}
    stack = list(Layer.__subclasses__())
    while stack:
        cls = stack.pop(0)
        stack.extend(cls.__subclasses__())
        for t in cls.yaml_types:
            out[t] = cls
    return out
