"""Every upper limit on input sizes and on the work an input may ask for, in one place.

Bad input must get a located one-line error, never a hang, an exhausted memory or an overflow
deep in the model.  The limits are far above any real network or accelerator (VGG-19's largest
layer is 1.8·10⁹ MACs, its largest tensor 3.2·10⁶ values) and low enough that the model's
integer and float arithmetic stays exact or finite and a layer at the limits simulates in about
a second.  docs/errors.md lists them; tests/test_limits.py checks most of them at
their edges, tests/test_hostile.py past them.
"""

from __future__ import annotations

import math

from .errors import LimitError

# -- input files -------------------------------------------------------------------------------
MAX_INPUT_BYTES = 16 * 2**20        # a network, accelerator, topology or sweep file
MAX_MODEL_BYTES = 2**31 - 1         # an ONNX model, weights included (protobuf's own limit)
MAX_YAML_NODES = 1_000_000          # YAML values after alias expansion (an "alias bomb")
MAX_INT_DIGITS = 30                 # an integer written in a YAML or CSV file

# -- networks ----------------------------------------------------------------------------------
MAX_LAYERS = 100_000                # layers of one network, after templates and repeats
MAX_CHANNELS = 2**20                # channels of any tensor; a layer's out and groups
MAX_SPATIAL = 2**16                 # height or width of any tensor; padding
MAX_KERNEL = 1024                   # kernel and stride, each dimension
MAX_TENSOR_ELEMS = 2**32            # channels × height × width of one tensor
MAX_LAYER_MACS = 10**13             # multiply-accumulates one layer implies

# -- accelerators ------------------------------------------------------------------------------
MAX_ARRAY_DIM = 4096                # PE rows, PE columns
MAX_RF_REGISTERS = 2**16            # register-file entries per PE
MAX_BUFFER_KB = 2.0**24             # global buffer, KiB (16 GiB)
BANDWIDTH_GBPS = (0.1, 1e6)         # DRAM bandwidth, GB/s (inclusive range)
CLOCK_MHZ = (1e-3, 1e4)             # array clock, MHz (inclusive range)
MAX_DRAM_LATENCY = 10**9            # cycles
MAX_UNIT_ENERGY = 1e9               # any unit energy (MAC-normalised or pJ)

# -- sweeps and expressions ----------------------------------------------------------------------
MAX_AXIS_VALUES = 100_000           # values of one sweep axis
MAX_SPACE_POINTS = 10**12           # grid × zip points of one sweep (before filters)
MAX_SAMPLE_DRAWS = 20_000           # random draws a `sample` may spend finding points that
#                                     pass the filters (at least 100 × n)
MAX_EXPR_CHARS = 10_000             # an expression's text
MAX_EXPR_ELEMS = 10_000             # elements (and characters) of an expression's value
MAX_EXPR_INT_BITS = 4096            # an integer an expression computes


def check_count(value: int, limit: int, what: str, **where) -> None:
    """``value`` (an int) must be at most ``limit``."""
    if value > limit:
        raise LimitError(f"{what} {_show(value)} is above the limit of {_show(limit)} "
                         f"(docs/errors.md)", **where)


def check_range(value: float, lo: float, hi: float, what: str, **where) -> None:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise LimitError(f"{what} {_show(value)} is outside the supported range "
                         f"{_show(lo)} to {_show(hi)} (docs/errors.md)", **where)


def check_finite(value: float, what: str, **where) -> None:
    if not math.isfinite(value):
        raise LimitError(f"{what} is not a finite number ({value!r}); an input is too large "
                         f"(docs/errors.md)", **where)


def check_layer(layer, ins_shapes, out_shape, macs_of, **where) -> None:
    """A layer's own numbers (out, groups, kernel, stride, pad), then its output tensor, then
    the MACs it implies (``macs_of()``, computed only once the sizes are known to be bounded).
    ``where`` locates the error; its ``field`` is filled in per check."""
    fields = {"out": MAX_CHANNELS, "groups": MAX_CHANNELS, "kernel": MAX_KERNEL,
              "stride": MAX_KERNEL, "pad": MAX_SPATIAL}
    for name, limit in fields.items():
        v = getattr(layer, name, None)
        for x in (v if isinstance(v, tuple) else (v,)):
            if isinstance(x, int) and not isinstance(x, bool):
                check_count(x, limit, name, field=name, **where)
    check_shape(out_shape, "output", field=None, **where)
    check_count(macs_of(), MAX_LAYER_MACS, "the MACs of this layer", field=None, **where)


def check_shape(shape, what: str, **where) -> None:
    c, h, w = shape.c, shape.h, shape.w
    if (c <= MAX_CHANNELS and h <= MAX_SPATIAL and w <= MAX_SPATIAL
            and c * h * w <= MAX_TENSOR_ELEMS):
        return      # within every limit: skip building the four messages (twice a layer)
    check_count(shape.c, MAX_CHANNELS, f"{what} channels", **where)
    check_count(shape.h, MAX_SPATIAL, f"{what} height", **where)
    check_count(shape.w, MAX_SPATIAL, f"{what} width", **where)
    check_count(shape.c * shape.h * shape.w, MAX_TENSOR_ELEMS,
                f"{what} tensor size {shape} =", **where)


def _show(v) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        if v.bit_length() > 64:
            return f"about 2^{v.bit_length() - 1}"
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:g}"
    return repr(v)
MAX_BATCH = 4096                    # images in one simulated batch
