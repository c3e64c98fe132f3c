"""The metric table: one declaration of each reported quantity's name, unit and direction."""

from __future__ import annotations

from sqnxt_sim import metrics
from sqnxt_sim.hardware.accelerator import BY_KEY
from sqnxt_sim.result import LayerResult, summary_keys


def test_directions_are_declared_and_physical():
    # utilisation and throughput per area are figures of merit that grow; time, energy,
    # area and traffic shrink (the old Pareto plot minimised utilisation)
    assert metrics.better("utilization") == "higher"
    assert metrics.better("perf_per_area") == "higher"
    for k in ("cycles", "time_ms", "energy", "energy_dram", "area_mm2", "edp",
              "dram_read_bytes", "stall_cycles"):
        assert metrics.better(k) == "lower", k
    assert all(m.better in ("lower", "higher", "") for m in metrics.METRICS.values())


def test_every_summary_and_numeric_layer_column_is_named():
    for k in summary_keys():
        m = metrics.get(k)
        assert m.label and m.label != k, k
    for k in ("cycles", "energy", "utilization", "stall_cycles", "energy_sram"):
        assert k in LayerResult.columns(with_pj=True)
        assert k in metrics.METRICS


def test_sweepable_fields_exist_in_the_accelerator_schema():
    for k in ("pe_array.rows", "rf.registers", "global_buffer.kb", "dram.bandwidth_gbps",
              "clock_mhz", "sparsity"):
        assert k in BY_KEY and k in metrics.METRICS


def test_labels_carry_units():
    assert metrics.label("time_ms") == "Time (ms)"
    assert metrics.label("utilization") == "PE utilisation"
    assert metrics.label("energy") == "Energy (MAC-normalised units)"   # SPEC §3
    assert metrics.label("energy_pj") == "Energy (pJ)"
    assert metrics.unit("edp") == "MAC-normalised units·ms"
    assert metrics.label("layers_ws") == "Layers in WS"
    assert metrics.label("no_such_column") == "no_such_column"
