"""The loop nest of one layer: what the dataflow templates and the tiler see.

A Workload is a frozen value with no name, so identical layers (SqueezeNext repeats the same
shapes many times) share one cache entry.  Dimension letters follow Timeloop / nn_dataflow:

    N batch, G groups, K output channels per group, C input channels per group,
    P output rows, Q output columns, R kernel rows, S kernel columns.

``kind`` says what the innermost operation is:

* ``conv`` – multiply-accumulate; fully connected layers are 1×1 convolutions on a 1×1 map,
  depthwise convolutions are G = channels with C = K = 1.
* ``pool_max`` / ``pool_avg`` – one compare / add per window element; no weights
  (expressed as G = channels, C = K = 1, like a depthwise conv without weights).
* ``eltwise`` – element-wise add of ``operands`` tensors of shape G×P×Q (C = K = R = S = 1).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

from .frozen import cached_hash, hash_field


def ceil_div(a: int, b: int) -> int:
    """⌈a / b⌉ for integers (b > 0), exact at any size."""
    return -(-a // b)


class Kind(str, Enum):
    CONV = "conv"
    POOL_MAX = "pool_max"
    POOL_AVG = "pool_avg"
    ELTWISE = "eltwise"


@cached_hash
@dataclass(frozen=True, slots=True)
class Workload:
    kind: Kind
    G: int
    K: int
    C: int
    P: int
    Q: int
    R: int = 1
    S: int = 1
    stride_h: int = 1
    stride_w: int = 1
    H: int = 0          # input rows before padding (0: derive from P, R, stride)
    W: int = 0          # input columns before padding
    pad_top: int = 0
    pad_bottom: int = 0
    pad_left: int = 0
    pad_right: int = 0
    N: int = 1
    operands: int = 2   # eltwise only: number of tensors summed
    residual: int = 0   # conv only: tensors of the output's shape added as results drain
                        # (an element-wise add fused into this layer, docs/model.md §6.4)
    vector_out: bool = False   # conv only: the layer's output map is 1×1 (FC, or a conv
                               # reducing its whole input); OS may spread its output neurons
                               # over the PEs (docs/model.md §3.2).  Tiles keep the flag.
    # the hash, worked out once: a workload is a cache key many times per layer and design
    # point (not a field of the value: excluded from equality and repr)
    _hash: int = hash_field()

    def __post_init__(self) -> None:
        for f in ("G", "K", "C", "P", "Q", "R", "S", "stride_h", "stride_w", "N", "operands"):
            v = getattr(self, f)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"Workload.{f} must be a positive integer, got {v!r}")
        if not isinstance(self.residual, int) or self.residual < 0:
            raise ValueError(f"Workload.residual must be >= 0, got {self.residual!r}")
        if self.H == 0:
            object.__setattr__(self, "H", (self.P - 1) * self.stride_h + self.R
                               - self.pad_top - self.pad_bottom)
        if self.W == 0:
            object.__setattr__(self, "W", (self.Q - 1) * self.stride_w + self.S
                               - self.pad_left - self.pad_right)
        for f in ("H", "W"):      # (given, or derived above: padding cannot exceed it)
            v = getattr(self, f)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"Workload.{f} must be a positive integer (input rows or "
                                 f"columns before padding), got {v!r}")

    @classmethod
    def tile_of(cls, w: Workload, G: int, K: int, C: int, P: int, Q: int, H: int, W: int,
                pad_top: int, pad_bottom: int, pad_left: int, pad_right: int,
                residual: int = 0) -> Workload:
        """A tile of the valid workload ``w``: its sizes, input extent and padding replaced,
        every other field kept.  Built without ``__post_init__``'s checks — the model makes
        tens of tiles per layer and design, and the caller's sizes are positive by
        construction (tile sizes, and input extents that count at least one row) — but equal
        to, and hashing like, the same value built through ``__init__``
        (tests/test_workload.py)."""
        t = object.__new__(cls)
        values = (w.kind, G, K, C, P, Q, w.R, w.S, w.stride_h, w.stride_w, H, W, pad_top,
                  pad_bottom, pad_left, pad_right, w.N, w.operands, residual, w.vector_out)
        for put, v in zip(_SETTERS, values):     # (the slots' own setters: what frozen's
            put(t, v)                             # object.__setattr__ reaches, found once)
        _SET_HASH(t, hash(values))
        return t

    # -- derived sizes (elements, not bytes) -------------------------------------------------
    @property
    def has_weights(self) -> bool:
        return self.kind is Kind.CONV

    @property
    def macs(self) -> int:
        """Multiply-accumulates (conv/FC); for pooling and eltwise, the basic ops instead."""
        if self.kind is Kind.ELTWISE:
            return self.N * self.G * self.P * self.Q * (self.operands - 1)
        return self.N * self.G * self.K * self.C * self.P * self.Q * self.R * self.S

    @property
    def weight_elems(self) -> int:
        return self.G * self.K * self.C * self.R * self.S if self.has_weights else 0

    @property
    def ifmap_elems(self) -> int:
        """Input elements actually stored (padding is generated, never fetched)."""
        per = self.N * self.G * self.C * self.H * self.W
        return per * self.operands if self.kind is Kind.ELTWISE else per

    @property
    def ofmap_elems(self) -> int:
        return self.N * self.G * self.K * self.P * self.Q

    @property
    def in_channels(self) -> int:
        return self.G * self.C

    @property
    def out_channels(self) -> int:
        return self.G * self.K

    @property
    def is_depthwise(self) -> bool:
        return self.kind is Kind.CONV and self.G > 1 and self.C == 1 and self.K == 1


# the fields ``__init__`` sets, in order (those the cached hash covers: every one but _hash)
_FIELDS = tuple(f.name for f in fields(Workload) if f.compare)
assert _FIELDS[-1] == "vector_out" and len(_FIELDS) == 20
_SETTERS = tuple(getattr(Workload, name).__set__ for name in _FIELDS)
_SET_HASH = Workload._hash.__set__


def fold_padding(w: Workload) -> Workload:
    """The layer as a SCALE-Sim topology row states it (docs/systolic.md §8): padding folded
    into the input size and unused trailing input rows/columns dropped, so that SCALE-Sim's
    ceil rule gives exactly the network's P×Q.  ``H' = (P−1)·s_h + R``, ``W' = (Q−1)·s_w + S``."""
    h = (w.P - 1) * w.stride_h + w.R
    wd = (w.Q - 1) * w.stride_w + w.S
    if (h, wd) == (w.H, w.W) and not (w.pad_top or w.pad_bottom or w.pad_left or w.pad_right):
        return w
    return Workload(w.kind, G=w.G, K=w.K, C=w.C, P=w.P, Q=w.Q, R=w.R, S=w.S,
                    stride_h=w.stride_h, stride_w=w.stride_w, H=h, W=wd, N=w.N,
                    operands=w.operands, residual=w.residual)
