"""The per-tile count check shared by the OS and WS golden tests (test_os.py, test_ws.py)."""

from __future__ import annotations

import pytest


def check_counts(cost, *, cycles, macs, array, ifmap, weights, writes, psum_reads=0,
                 rf_writes=None):
    """Assert a template's cycles and counts; RF reads are one per MAC, RF writes default to
    one per MAC (OS partial sums) unless given (WS: weight loads)."""
    c = cost.counts
    assert cost.cycles == cycles
    assert c.macs == pytest.approx(macs)
    assert c.rf_reads == pytest.approx(macs)
    assert c.rf_writes == pytest.approx(macs if rf_writes is None else rf_writes)
    assert c.array == pytest.approx(array)
    assert c.sram_ifmap_reads == ifmap
    assert c.sram_weight_reads == weights
    assert c.sram_psum_reads == psum_reads
    assert c.sram_writes == writes
    # the array template never touches DRAM (that is the tiler's job)
    assert c.dram_reads == c.dram_writes == c.sram_fill_writes == c.sram_drain_reads == 0
    assert c.adds == 0
