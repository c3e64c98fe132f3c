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
from typing import ClassVar

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


class Layer:
    """Behaviour shared by every layer value (the values themselves are frozen dataclasses)."""

    __slots__ = ()    # the slotted dataclasses below then really have no __dict__

    type_name: ClassVar[str] = ""
    arity: ClassVar[tuple[int, int | None]] = (1, 1)   # (min, max) number of inputs
    compute: ClassVar[bool] = False                     # does it cost anything on the array?

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

    type_name: ClassVar[str] = "conv"
    compute: ClassVar[bool] = True

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
        _check_window("conv", (x.h, x.w), self.kernel, self.pad)
        return x

    def output_shape(self, ins):
        x = self._check(ins)
        p = (x.h + self.pad[0] + self.pad[1] - self.kernel[0]) // self.stride[0] + 1
        q = (x.w + self.pad[2] + self.pad[3] - self.kernel[1]) // self.stride[1] + 1
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

    def __post_init__(self) -> None:
        _flag("relu", self.relu)

    def output_shape(self, ins):
        first = ins[0]
        for s in ins[1:]:
            if s != first:
                raise NetworkError(f"inputs have mismatched shapes {first} and {s}",
                                   field="inputs")
        return first

    def workload(self, ins):
        x = ins[0]
        return Workload(Kind.ELTWISE, G=x.c, K=1, C=1, P=x.h, Q=x.w, H=x.h, W=x.w,
                        operands=len(ins))


@dataclass(frozen=True, slots=True)
class Concat(Layer):
    """Channel concatenation: free (producers write into adjacent buffer regions)."""

    type_name: ClassVar[str] = "concat"
    arity: ClassVar[tuple[int, int | None]] = (2, None)

    def output_shape(self, ins):
        first = ins[0]
        for s in ins[1:]:
            if (s.h, s.w) != (first.h, first.w):
                raise NetworkError(f"inputs have mismatched maps {first} and {s}",
                                   field="inputs")
        return Shape(sum(s.c for s in ins), first.h, first.w)


@dataclass(frozen=True, slots=True)
class Flatten(Layer):
    type_name: ClassVar[str] = "flatten"

    def output_shape(self, ins):
        return Shape(ins[0].elems, 1, 1)


@dataclass(frozen=True, slots=True)
class BatchNorm(Layer):
    """A stand-alone batch norm: scale and shift per channel, folded into the producer on the
    accelerator (no cycles)."""

    type_name: ClassVar[str] = "bn"

    def bn_params(self, ins):
        return 2 * ins[0].c


@dataclass(frozen=True, slots=True)
class PassThrough(Layer):
    """ReLU, dropout, softmax, LRN: recorded for fidelity, free on the accelerator (ReLU sits in
    the PE's output path; dropout is identity at inference; softmax/LRN are left to the host)."""

    op: str = "relu"

    OPS: ClassVar[tuple[str, ...]] = ("relu", "dropout", "softmax", "lrn")

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


__all__ = ["Shape", "Layer", "Conv", "FC", "Pool", "GlobalPool", "Add", "Concat", "Flatten",
           "BatchNorm", "PassThrough", "Input", "pool_extent", "ceil_div"]
