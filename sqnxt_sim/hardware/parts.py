"""The typed parts of an accelerator that the model reads (docs/architecture.md).

``Accelerator`` (accelerator.py) is the flat record the YAML keys, ``--set`` and sweep axes
address; these frozen parts are derived from it and are what the layers below take: the array
templates an ``ArraySpec`` (through ``Template.key``, their cache key), the tiler a
``BufferSpec``, the DRAM timing a ``DramSpec``.  No YAML, no network, no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..frozen import cached_hash, hash_field


@cached_hash
@dataclass(frozen=True, slots=True)
class ArraySpec:
    """What the array templates read (docs/model.md §3–§5.1), and so the cache key of every
    array cost: a template keys on ``tmpl.key(array)``, this part with the fields it does not
    read set to fixed values."""

    rows: int = 32
    cols: int = 32
    rf_registers: int = 16
    sparsity: float = 0.4
    os_preload_overlap: bool = True
    os_fc_across_pes: bool = True
    ws_pack_groups: bool = False
    simd_lanes: int = 0
    dataflow: str = "hybrid"          # systolic: which of os / ws / is the array runs
    scalesim_compat: bool = False     # systolic: SCALE-Sim's reporting conventions
    # the hash, worked out once (every array cost is cached under this part)
    _hash: int = hash_field()

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @property
    def lanes(self) -> int:
        """SIMD lanes (docs/model.md §5.1): the array's columns unless set."""
        return self.simd_lanes or self.cols

    def only(self, *names: str, **fixed) -> ArraySpec:
        """This part as far as a template that reads only ``names`` can tell: every other field
        at its default (``fixed`` pins a field to a normalised value)."""
        keep = {n: getattr(self, n) for n in names}
        return ArraySpec(**{**keep, **fixed})


@cached_hash
@dataclass(frozen=True, slots=True)
class BufferSpec:
    """The global buffer and how the tiling search ranks tilings (docs/model.md §6)."""

    kb: float = 128.0
    word_bits: int = 16
    objective: str = "time"
    _hash: int = hash_field()        # (see frozen.py)

    @property
    def word_bytes(self) -> int:
        return self.word_bits // 8

    @property
    def words(self) -> int:
        return int(self.kb * 1024) // self.word_bytes


@cached_hash
@dataclass(frozen=True, slots=True)
class DramSpec:
    """DRAM as the array clock sees it (docs/model.md §6.3)."""

    bandwidth_gbps: float = 16.0
    latency_cycles: int = 100
    clock_mhz: float = 500.0
    _hash: int = hash_field()        # (see frozen.py)

    @property
    def bytes_per_cycle(self) -> float:
        return self.bandwidth_gbps * 1e9 / (self.clock_mhz * 1e6)
