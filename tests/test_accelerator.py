"""The accelerator schema (sqnxt_sim/hardware/accelerator.py, energy.py): defaults, derived
values, the bundled files, located errors for bad files and overrides, and load(dump(x)) == x.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqnxt_sim.errors import AcceleratorError
from sqnxt_sim.hardware.accelerator import (
    DATAFLOWS,
    SCHEMA,
    Accelerator,
    dump_accelerator,
    load_accelerator,
    loads_accelerator,
    parse_value,
)
from sqnxt_sim.hardware.energy import ACTIONS, EYERISS, HOROWITZ45, PRESETS, EnergyTable
from sqnxt_sim.limits import BANDWIDTH_GBPS, CLOCK_MHZ

ROOT = Path(__file__).resolve().parent.parent
ACCELS = sorted((ROOT / "accelerators").glob("*.yaml"))


# ---------------------------------------------------------------------------------------------
# Schema and defaults.
def test_schema_covers_every_field_once():
    # every init field of the record but its origin is one schema entry; the typed parts are
    # derived from them
    assert sorted(f.attr for f in SCHEMA) == sorted(f.name for f in fields(Accelerator)
                                                    if f.init and f.name != "origin")
    assert len({f.key for f in SCHEMA}) == len(SCHEMA)


def test_typed_parts_follow_the_fields():
    acc = Accelerator(rows=8, cols=4, rf_registers=2, buffer_kb=64, word_bits=8,
                      dram_bandwidth_gbps=8, clock_mhz=250, simd_lanes=0)
    assert (acc.array.rows, acc.array.cols, acc.array.rf_registers) == (8, 4, 2)
    assert acc.array.lanes == 4                                  # 0: the array's columns
    assert (acc.buffer.words, acc.buffer.word_bytes) == (64 * 1024, 1)
    assert acc.dram.bytes_per_cycle == 8e9 / 250e6              # 32 bytes a cycle
    # the parts are views: replacing a field rebuilds them, and they never affect equality
    assert replace(acc, rows=16).array.rows == 16
    assert replace(acc) == acc and hash(replace(acc)) == hash(acc)
    # equal parts are one object (the model's memos keyed by them then match by identity)
    other = replace(acc, dram_bandwidth_gbps=16)
    assert other.array is acc.array and other.buffer is acc.buffer
    assert other.dram != acc.dram and other.dram.bytes_per_cycle == 16e9 / 250e6
    assert replace(acc, rf_registers=4).array.rf_registers == 4


def test_defaults_are_the_papers_facts_and_the_documented_choices():
    acc = Accelerator()
    for f in SCHEMA:
        default = EYERISS if f.kind is EnergyTable else f.default
        assert getattr(acc, f.attr) == default, f.key
    # SPEC §1: 32x32 PEs (case of interest), RF 16 (final design), 16-bit data, 128 KB buffer,
    # 16 GB/s, 100 cycles, 40 % zero weights; 500 MHz is this project's choice (model.md §2)
    assert (acc.rows, acc.cols, acc.rf_registers, acc.word_bits) == (32, 32, 16, 16)
    assert (acc.buffer_kb, acc.dram_bandwidth_gbps, acc.dram_latency_cycles) == (128, 16, 100)
    assert (acc.clock_mhz, acc.sparsity, acc.dataflow) == (500, 0.4, "hybrid")


def test_derived_values():
    acc = Accelerator()
    assert acc.pes == 1024
    assert acc.word_bytes == 2
    assert acc.buffer_words == 128 * 1024 // 2
    assert acc.dram_bytes_per_cycle == pytest.approx(16e9 / 500e6)       # 32 B/cycle
    acc8 = Accelerator(word_bits=8, buffer_kb=0.5, dram_bandwidth_gbps=3, clock_mhz=1000)
    assert (acc8.word_bytes, acc8.buffer_words) == (1, 512)
    assert acc8.dram_bytes_per_cycle == pytest.approx(3.0)


@pytest.mark.parametrize("path", ACCELS, ids=lambda p: p.stem)
def test_bundled_files_load_and_name_themselves(path):
    acc = load_accelerator(path)
    assert acc.name == path.stem
    if acc.template == "squeezelerator":
        assert acc.dataflow == {"os": "os", "ws": "ws", "sq": "hybrid"}[path.stem[:2]]
        assert (acc.rows, acc.cols) == tuple(int(x) for x in path.stem.split("_")[-1].split("x"))
        # the baseline PE has 8 registers; the Squeezelerator's final design doubles it to 16
        assert acc.rf_registers == (16 if path.stem.startswith("squeezelerator") else 8)
        assert (acc.buffer_kb, acc.dram_bandwidth_gbps, acc.sparsity) == (128, 16, 0.4)
    assert loads_accelerator(dump_accelerator(acc)) == acc


# ---------------------------------------------------------------------------------------------
# Energy tables.
def test_energy_presets():
    assert energy_values(EYERISS) == [1, 1, 1, 2, 6, 6, 200, 200]      # Eyeriss, ISCA 2016
    assert EYERISS.unit == "mac" and HOROWITZ45.unit == "pJ"
    assert energy_values(HOROWITZ45) == [0.85, 0.85, 0.85, 1.7, 9.5, 9.5, 500, 500]
    assert set(PRESETS) == {"eyeriss", "horowitz45"}


def energy_values(t):
    return [getattr(t, a) for a in ACTIONS]


def test_energy_mapping_overrides_a_preset_with_shorthands():
    acc = loads_accelerator("energy: {preset: eyeriss, dram: 100, array: 3}\n")
    assert energy_values(acc.energy) == [1, 1, 1, 3, 6, 6, 100, 100]
    assert acc.energy.name == "eyeriss+custom"
    full = "energy: {unit: pJ, mac: 1, rf: 2, array: 3, sram: 4, dram: 5}\n"
    assert energy_values(loads_accelerator(full).energy) == [1, 2, 2, 3, 4, 4, 5, 5]


# ---------------------------------------------------------------------------------------------
# Bad files: one located error (file, line, field), never a silently wrong value.
BAD = [
    # (text, line, field, message fragment)
    ("name: x\npe_array: {rows: 4, colz: 4}\n", 2, "pe_array.colz", "unknown field"),
    ("name: x\nbogus: 1\n", 2, "bogus", "unknown field 'bogus'"),
    ("name: x\npe_array:\n  rows: 0\n", 3, "pe_array.rows", "must be positive"),
    ("name: x\nrf:\n  registers: -2\n", 3, "rf.registers", "must be positive"),
    ("global_buffer: {kb: 0}\n", 1, "global_buffer.kb", "must be positive"),
    ("global_buffer: {kb: .inf}\n", 1, "global_buffer.kb", "must be finite"),
    ("dram: {bandwidth_gbps: -16}\n", 1, "dram.bandwidth_gbps", "must be positive"),
    ("dram: {latency_cycles: -1}\n", 1, "dram.latency_cycles", "non-negative"),
    ("clock_mhz: 0\n", 1, "clock_mhz", "must be positive"),
    ("name: x\nclock_mhz: fast\n", 2, "clock_mhz", "must be a number"),
    ("pe_array: {rows: 4.5}\n", 1, "pe_array.rows", "must be an integer"),
    ("pe_array: {rows: true}\n", 1, "pe_array.rows", "must be an integer"),
    ("pe_array: {rows: '4'}\n", 1, "pe_array.rows", "must be an integer"),
    ("name: 7\n", 1, "name", "must be a string"),
    ("scalesim_compat: 1\n", 1, "scalesim_compat", "true or false"),
    ("word_bits: 12\n", 1, "word_bits", "8, 16 or 32"),
    ("sparsity: 1\n", 1, "sparsity", "[0, 1)"),
    ("sparsity: -0.1\n", 1, "sparsity", "[0, 1)"),
    ("name: x\n\nenergy: foo\n", 3, "energy", "unknown energy preset 'foo'"),
    ("energy: {preset: eyeriss, sram_rd: 1}\n", 1, "energy.sram_rd", "unknown energy field"),
    ("energy: {preset: eyeriss, dram: -1}\n", 1, "energy.dram_read", "non-negative"),
    ("energy: {preset: eyeriss, dram: .nan}\n", 1, "energy.dram_read", "non-negative"),
    ("energy: {unit: pJ, mac: 1}\n", 1, "energy", "misses"),
    ("energy: {preset: eyeriss, unit: eV}\n", 1, "energy.unit", "'mac' or 'pJ'"),
    ("energy: {preset: eyeriss, mac: 0}\n", 1, "energy.mac", "must be positive"),
    ("energy: [1, 2]\n", 1, "energy", "preset name or a mapping"),
    ("name: x\ndataflow: rs\n", 2, "dataflow", "'rs' is not one of"),
    ("template: systolic\ndataflow: hybrid\n", 2, "dataflow", "is not one of"),
    ("template: tpu\n", 1, "template", "unknown template"),
    ("scalesim_compat: true\n", 1, "scalesim_compat", "systolic only"),
    ("name: x\npe_array: 4\n", 2, "pe_array", "must be a mapping"),
    ("name: x\nname: y\n", 2, "name", "duplicate key"),
    ("- a\n- b\n", 1, None, "must be a mapping of fields"),
    ("", 1, None, "must be a mapping of fields"),
    ("name: x\npe_array: {rows: 4\n", 3, None, "malformed YAML"),
]


@pytest.mark.parametrize("text, line, field, fragment", BAD,
                         ids=[f"{i}-{b[3][:20]}" for i, b in enumerate(BAD)])
def test_bad_file_is_one_located_error(tmp_path, text, line, field, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AcceleratorError) as e:
        load_accelerator(path)
    err = e.value
    assert (err.file, err.line) == (str(path), line)
    if field is not None:
        assert err.field == field
    msg = str(err)
    assert msg.startswith(f"{path}:{line}: ")
    assert fragment in msg
    assert "\n" not in msg


def test_unreadable_file(tmp_path):
    with pytest.raises(AcceleratorError, match="cannot read accelerator file"):
        load_accelerator(tmp_path / "missing.yaml")


# ---------------------------------------------------------------------------------------------
# Overrides (--set): through the same schema.
def test_overrides_by_dotted_key():
    acc = load_accelerator(ACCELS[0], {"pe_array.rows": 16, "global_buffer.kb": 256,
                                       "energy": "horowitz45", "dataflow": "ws"})
    assert (acc.rows, acc.buffer_kb, acc.energy, acc.dataflow) == (16, 256.0, HOROWITZ45, "ws")
    assert load_accelerator(None, {"rf.registers": 4}) == Accelerator(rf_registers=4)


@pytest.mark.parametrize("key, value, fragment", [
    ("pe_array.rowz", 3, "--set pe_array.rowz: unknown accelerator field"),
    ("rows", 3, "--set rows: unknown accelerator field"),
    ("pe_array.rows", "abc", "--set pe_array.rows: pe_array.rows must be an integer"),
    ("sparsity", 1.0, "--set sparsity: sparsity must be in [0, 1)"),
    ("energy", "foo", "--set energy: unknown energy preset 'foo'"),
    ("dataflow", "rs", "dataflow 'rs' is not one of"),
])
def test_bad_override_is_one_line(key, value, fragment):
    with pytest.raises(AcceleratorError) as e:
        load_accelerator(None, {key: value})
    assert fragment in str(e.value)
    assert "\n" not in str(e.value)


def test_override_values_use_yaml_scalar_syntax():
    assert parse_value("k", "16") == 16
    assert parse_value("k", "0.5") == 0.5
    assert parse_value("k", "true") is True
    assert parse_value("k", "os") == "os"


def test_exponent_notation_is_a_number():
    assert load_accelerator(None, {"dram.bandwidth_gbps": parse_value("k", "1e3")}
                            ).dram_bandwidth_gbps == 1000.0


# ---------------------------------------------------------------------------------------------
# load(dump(x)) == x over random valid accelerators.
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
within = lambda lo_hi: st.floats(*lo_hi, allow_nan=False)   # a limits.py range  # noqa: E731
costs = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def energy_tables(draw):
    if draw(st.booleans()):
        return draw(st.sampled_from(sorted(PRESETS.values(), key=lambda t: t.name)))
    values = {a: draw(costs) for a in ACTIONS}
    values["mac"] = draw(positive)
    name = draw(st.sampled_from(["custom", "eyeriss+custom", "mine", "28nm"]))
    return EnergyTable(name, draw(st.sampled_from(["mac", "pJ"])), **values)


@st.composite
def accelerators(draw):
    template = draw(st.sampled_from(sorted(DATAFLOWS)))
    return Accelerator(
        name=draw(st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)),
        template=template,
        dataflow=draw(st.sampled_from(DATAFLOWS[template])),
        rows=draw(st.integers(1, 4096)), cols=draw(st.integers(1, 4096)),
        rf_registers=draw(st.integers(1, 1024)),
        word_bits=draw(st.sampled_from([8, 16, 32])),
        buffer_kb=draw(positive), dram_bandwidth_gbps=draw(within(BANDWIDTH_GBPS)),
        dram_latency_cycles=draw(st.integers(0, 10**6)), clock_mhz=draw(within(CLOCK_MHZ)),
        sparsity=draw(st.floats(min_value=0, max_value=0.999, allow_nan=False)),
        energy=draw(energy_tables()),
        scalesim_compat=template == "systolic" and draw(st.booleans()))


@settings(max_examples=100, deadline=None)
@given(accelerators())
def test_load_dump_round_trip(acc):
    text = dump_accelerator(acc)
    assert loads_accelerator(text) == acc
    assert dump_accelerator(loads_accelerator(text)) == text


def test_dump_uses_dotted_sections_and_preset_names():
    text = dump_accelerator(Accelerator(rows=8))
    assert re.search(r"^pe_array:\n  rows: 8\n  cols: 32$", text, re.M)
    assert re.search(r"^energy: eyeriss$", text, re.M)
    custom = replace(Accelerator(), energy=replace(EYERISS, name="mine", dram_read=150.0))
    assert "dram_read: 150.0" in dump_accelerator(custom)


# ---------------------------------------------------------------------------------------------
# The field reference is complete.
def test_every_field_is_documented():
    doc = (ROOT / "docs" / "accelerators.md").read_text(encoding="utf-8")
    for f in SCHEMA:
        assert f"`{f.key}`" in doc, f.key
    assert "--set" in doc
