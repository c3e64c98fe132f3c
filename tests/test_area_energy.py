"""Area, capacity-aware access energy, static energy and the unit tables as data (issue 13,
docs/model.md §7.1–§7.3).  Expected numbers are worked by hand from the tables' published
figures, not taken from the code."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sqnxt_sim import load_accelerator, simulate
from sqnxt_sim.cli import main
from sqnxt_sim.errors import AcceleratorError
from sqnxt_sim.hardware.accelerator import Accelerator, dump_accelerator, loads_accelerator
from sqnxt_sim.hardware.area import area_table, to_art
from sqnxt_sim.hardware.energy import ACTIONS, EYERISS, HOROWITZ45, energy_table, to_ert
from sqnxt_sim.network.yaml_io import loads_network

ROOT = Path(__file__).resolve().parents[1]

NET = """
name: two
input: [4, 8, 8]
layers:
  - {name: c1, type: conv, out: 8, kernel: 3, pad: 1}
  - {name: c2, type: conv, out: 8, kernel: 1}
"""


# -- the presets are the published figures -----------------------------------------------------
def test_area_preset_is_accelergys_eyeriss_like_figures():
    t = area_table("accelergy40")
    assert t.mac == 1239.5                               # intmac, 16 bits
    assert t.rf_bit == pytest.approx(414.68 / 256)       # psum_spad 16 × 16 bits
    assert t.network_pe == pytest.approx(4 * 1575 / 168)  # four XY NoCs over 168 PEs
    assert t.buffer_kb == pytest.approx(774388 / 100, rel=1e-6)   # shared_glb, 100 KiB


def test_preset_files_are_the_linked_copies():
    # accelerators/energy and accelerators/area are the package's presets, not copies
    for sub, name in (("energy", "eyeriss"), ("energy", "horowitz45"), ("area", "accelergy40")):
        user = ROOT / "accelerators" / sub / f"{name}.yaml"
        pkg = ROOT / "sqnxt_sim" / "hardware" / "presets" / sub / f"{name}.yaml"
        assert user.read_bytes() == pkg.read_bytes()


# -- area --------------------------------------------------------------------------------------
def test_hand_worked_area_of_a_small_accelerator():
    acc = Accelerator(rows=4, cols=4, rf_registers=8, buffer_kb=32.0)
    # 16 PEs × (MAC 1239.5 + RF 8 × 16 bits × 414.68/256 + network 37.5)
    # + stream/preload 2 × (4 + 4) words × 16 bits × 414.68/256 + buffer 32 × 7743.88
    rf_bit = 414.68 / 256
    macs = 16 * 1239.5
    rfs = 16 * 8 * 16 * rf_bit
    net = 16 * 37.5
    sp = 2 * 8 * 16 * rf_bit
    buf = 32 * 7743.88
    a = acc.area_parts
    assert (a.macs, a.register_files, a.network) == pytest.approx((macs, rfs, net))
    assert (a.stream_preload, a.global_buffer) == pytest.approx((sp, buf))
    assert acc.area_mm2 == pytest.approx((19832 + 3317.44 + 600 + 414.68 + 247804.16) / 1e6)


def test_eight_bit_words_shrink_the_multiplier_quadratically():
    a16 = Accelerator(rows=4, cols=4).area_parts
    a8 = Accelerator(rows=4, cols=4, word_bits=8).area_parts
    assert a8.macs == pytest.approx(a16.macs / 4)
    assert a8.register_files == pytest.approx(a16.register_files / 2)
    assert a8.global_buffer == a16.global_buffer        # the buffer is sized in KiB


sizes = st.tuples(st.integers(1, 64), st.integers(1, 64), st.integers(1, 256),
                  st.floats(1, 4096))


@settings(max_examples=100, deadline=None)
@given(sizes, st.sampled_from(["rows", "cols", "rf_registers", "buffer_kb"]))
def test_area_and_access_energy_grow_with_capacity(s, which):
    rows, cols, rf, kb = s
    small = Accelerator(rows=rows, cols=cols, rf_registers=rf, buffer_kb=kb)
    big = replace(small, **{which: getattr(small, which) * 2})
    assert big.area_mm2 > small.area_mm2
    e0, e1 = small.unit_energy, big.unit_energy
    if which == "buffer_kb":
        assert e1.sram_read > e0.sram_read and e1.sram_write > e0.sram_write
        assert e1.rf_read == e0.rf_read
    elif which == "rf_registers":
        assert e1.rf_read > e0.rf_read and e1.rf_write > e0.rf_write
        assert e1.sram_read == e0.sram_read
    else:
        assert e1 == e0
    assert (e1.mac, e1.array, e1.dram_read) == (e0.mac, e0.array, e0.dram_read)


# -- capacity-aware energy ----------------------------------------------------------------------
def test_the_papers_sizes_keep_eyeriss_numbers():
    for name in ("squeezelerator_32x32", "squeezelerator_16x16"):
        acc = load_accelerator(ROOT / "accelerators" / f"{name}.yaml")
        assert (acc.buffer_kb, acc.rf_registers) == (128, 16)
        assert acc.unit_energy is acc.energy
        assert [getattr(acc.unit_energy, a) for a in ACTIONS] == [1, 1, 1, 2, 6, 6, 200, 200]


def test_hand_worked_square_root_scaling():
    e = EYERISS.at(512, 4)          # 4× the buffer, a quarter of the RF
    assert (e.sram_read, e.sram_write) == (12.0, 12.0)       # 6 · √4
    assert (e.rf_read, e.rf_write) == (0.5, 0.5)             # 1 · √(1/4)
    assert (e.mac, e.array, e.dram_read) == (1.0, 2.0, 200.0)
    assert EYERISS.at(32, 16).sram_read == 3.0               # 6 · √(1/4)
    assert HOROWITZ45.at(8, 16).sram_read == pytest.approx(9.5 / 4)   # 9.5 · √(1/16)


def test_scaling_off_and_another_exponent():
    off = energy_table({"preset": "eyeriss", "capacity_exponent": 0})
    assert off.at(1024, 2) is off
    lin = energy_table({"preset": "eyeriss", "capacity_exponent": 1})
    assert lin.at(256, 16).sram_read == 12.0
    moved = energy_table({"preset": "eyeriss", "ref_buffer_kb": 512})
    assert moved.at(512, 16).sram_read == 6.0 and moved.at(128, 16).sram_read == 3.0


def test_buffer_energy_in_a_run_follows_the_scaled_table():
    net = loads_network(NET)
    a = Accelerator(rows=4, cols=4, buffer_kb=128.0)
    b = replace(a, buffer_kb=512.0)
    ra, rb = simulate(net, a), simulate(net, b)
    # the same mapping (the layers fit either buffer whole): buffer energy doubles (√4)
    assert [r.cycles for r in ra.records] == [r.cycles for r in rb.records]
    assert [r.sram_reads for r in ra.records] == [r.sram_reads for r in rb.records]
    for x, y in zip(ra.records, rb.records):
        assert y.energy_sram == pytest.approx(2 * x.energy_sram)
        assert y.energy_rf == x.energy_rf


# -- static energy ---------------------------------------------------------------------------
def test_hand_worked_static_energy_and_summary_metrics():
    net = loads_network(NET)
    leak = energy_table({"preset": "eyeriss", "leakage": 0.5})   # units per ns per mm²
    acc = Accelerator(rows=4, cols=4, clock_mhz=250.0, energy=leak)
    res = simulate(net, acc)
    dyn = simulate(net, replace(acc, energy=EYERISS)).records
    area = acc.area_mm2
    for r, d in zip(res.records, dyn):
        ns = r.cycles * 4.0                                    # 250 MHz: 4 ns per cycle
        assert r.energy_static == pytest.approx(0.5 * area * ns)
        assert r.energy == pytest.approx(d.energy + 0.5 * area * ns)
        assert r.cycles == d.cycles
    s = res.summary
    assert s["energy_static"] == pytest.approx(0.5 * area * s["cycles"] * 4.0)
    assert s["area_mm2"] == area
    assert s["edp"] == pytest.approx(s["energy"] * s["time_ms"])
    assert s["perf_per_area"] == pytest.approx(1000 / s["time_ms"] / area)


def test_static_energy_is_zero_in_the_presets():
    res = simulate(loads_network(NET), Accelerator(rows=4, cols=4))
    assert res.summary["energy_static"] == 0.0
    assert EYERISS.leakage == HOROWITZ45.leakage == 0.0


# -- tables as files, Accelergy round trip ------------------------------------------------
def _write(tmp_path, name, doc) -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(doc, sort_keys=False) if not isinstance(doc, str) else doc,
                 encoding="utf-8")
    return p


def test_a_copied_preset_file_is_the_same_table(tmp_path):
    text = (ROOT / "accelerators" / "energy" / "eyeriss.yaml").read_text(encoding="utf-8")
    _write(tmp_path, "mine.yaml", text.replace("sram_read: 6.0", "sram_read: 7.0"))
    acc_file = _write(tmp_path, "acc.yaml", "energy: mine.yaml\narea: "
                      + str(ROOT / "accelerators" / "area" / "accelergy40.yaml") + "\n")
    acc = load_accelerator(acc_file)        # relative to the accelerator file's folder
    assert acc.energy.sram_read == 7.0 and acc.energy.sram_write == 6.0
    assert acc.area == area_table("accelergy40")
    assert loads_accelerator(dump_accelerator(acc)) == acc


def test_accelergy_ert_and_art_round_trip(tmp_path):
    t = HOROWITZ45
    ert = _write(tmp_path, "ERT.yaml", to_ert(t))
    back = energy_table({"accelergy": str(ert)})
    assert [getattr(back, a) for a in ACTIONS] == [getattr(t, a) for a in ACTIONS]
    assert back.unit == "pJ"
    a = area_table("accelergy40")
    art = _write(tmp_path, "ART.yaml", to_art(a))
    back_a = area_table({"accelergy": str(art)})
    assert (back_a.mac, back_a.rf_bit, back_a.network_pe, back_a.buffer_kb) == \
        (a.mac, a.rf_bit, a.network_pe, a.buffer_kb)


# an excerpt in the shape of Accelergy's Eyeriss-like reference outputs (ERT_summary, ART)
FOREIGN_ERT = """\
ERT_summary:
  version: 0.3
  table_summary:
  - name: eyeriss_like.PE[0..167].mac
    actions:
    - {name: mac_random, energy: 2.2}
    - {name: idle, energy: 0.066}
  - name: eyeriss_like.PE[0..167].psum_spad
    actions:
    - {name: write, average_energy: 0.153, max_energy: 0.251, min_energy: 0.055}
    - {name: read, average_energy: 0.153, max_energy: 0.251, min_energy: 0.055}
  - name: eyeriss_like.shared_glb
    actions:
    - {name: write, average_energy: 28.386}
    - {name: read, average_energy: 28.074}
  - name: eyeriss_like.ifmap_NoC
    actions:
    - {name: transfer_random, average_energy: 0.221}
  - name: eyeriss_like.DRAM
    actions:
    - name: read
      energy: 400.0
    - name: read
      energy: 600.0
    - {name: write, energy: 512.0}
"""

FOREIGN_ART = """\
ART:
  version: 0.3
  tables:
  - name: eyeriss_like.PE[0..167].mac
    area: 1239.5
  - name: eyeriss_like.PE[0..167].psum_spad
    area: 414.68
  - name: eyeriss_like.shared_glb
    area: 774388.0
  - name: eyeriss_like.ifmap_NoC
    area: 1575.0
"""


def test_a_foreign_accelergy_run_plugs_in(tmp_path):
    ert = _write(tmp_path, "ERT_summary.yaml", FOREIGN_ERT)
    t = energy_table({"accelergy": str(ert), "components": {
        "mac": ["mac", "mac_random"], "rf_read": ["psum_spad", "read"],
        "rf_write": ["psum_spad", "write"], "array": ["ifmap_NoC", "transfer_random"],
        "sram_read": ["shared_glb", "read", 4], "sram_write": ["shared_glb", "write", 4],
        "dram_read": ["DRAM", "read", 4], "dram_write": ["DRAM", "write", 4]},
        "ref_buffer_kb": 100})
    assert t.unit == "pJ" and t.mac == 2.2 and t.rf_read == 0.153
    assert t.sram_read == pytest.approx(28.074 / 4)        # a 64-bit read is four words
    assert t.dram_read == pytest.approx((400 + 600) / 2 / 4)   # argument variants average
    assert t.ref_buffer_kb == 100
    art = _write(tmp_path, "ART.yaml", FOREIGN_ART)
    a = area_table({"accelergy": str(art), "components": {
        "mac": "mac", "rf_bit": {"component": "psum_spad", "bits": 256},
        "network_pe": {"component": "ifmap_NoC", "pes": 42},
        "buffer_kb": {"component": "shared_glb", "kb": 100}}})
    assert (a.mac, a.rf_bit, a.network_pe, a.buffer_kb) == pytest.approx(
        (1239.5, 414.68 / 256, 1575 / 42, 7743.88))


OWN_ERT = yaml.safe_dump(to_ert(HOROWITZ45), sort_keys=False)


@pytest.mark.parametrize("doc, where, fragment", [
    (FOREIGN_ERT, "energy.components.mac", "has no action 'mac'"),
    (OWN_ERT.replace("sqnxt.rf", "sqnxt.regs"), "energy.components.rf_read",
     "component 'rf' is not in the ERT"),
    ("ERT:\n  version: 0.3\n  tables: 3\n", "ERT.tables", "list of tables"),
    ("nothing: here\n", "ERT", "not an Accelergy ERT"),
    (OWN_ERT.replace("energy: 0.85", "energy: lots", 1), "mac.mac.energy", "finite number"),
])
def test_malformed_ert_is_a_located_error(tmp_path, doc, where, fragment):
    ert = _write(tmp_path, "ERT.yaml", doc)
    acc_file = _write(tmp_path, "acc.yaml", "energy:\n  accelergy: ERT.yaml\n")
    with pytest.raises(AcceleratorError) as e:
        load_accelerator(acc_file)
    assert e.value.file == str(ert) and e.value.field == where
    assert fragment in str(e.value)
    assert e.value.line is not None or "not in" in fragment


def test_unknown_table_fields_are_located(tmp_path):
    p = _write(tmp_path, "t.yaml", "preset: eyeriss\nsram_raed: 3\n")
    with pytest.raises(AcceleratorError) as e:
        energy_table(str(p))
    assert (e.value.file, e.value.line, e.value.field) == (str(p), 2, "energy.sram_raed")
    p = _write(tmp_path, "a.yaml", "preset: accelergy40\nmac: -1\n")
    with pytest.raises(AcceleratorError) as e:
        area_table(str(p))
    assert (e.value.file, e.value.line, e.value.field) == (str(p), 2, "area.mac")
    with pytest.raises(AcceleratorError, match="capacity_exponent"):
        energy_table({"preset": "eyeriss", "capacity_exponent": math.inf})


def test_cli_prints_area_and_rejects_a_missing_table(tmp_path):
    r = CliRunner().invoke(main, ["run", str(ROOT / "networks" / "sqnxt23v5.yaml"), "-a",
                                  str(ROOT / "accelerators" / "squeezelerator_16x16.yaml")])
    assert r.exit_code == 0
    line = next(x for x in r.output.splitlines() if x.strip().startswith("area"))
    assert "mm²" in line and "accelergy40" in line
    r = CliRunner().invoke(main, ["run", str(ROOT / "networks" / "sqnxt23v5.yaml"), "--set",
                                  f"energy={tmp_path}/none.yaml"])
    assert r.exit_code == 2 and "none.yaml" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_tables_command_round_trips_a_design_through_accelergy(tmp_path):
    run = CliRunner().invoke
    r = run(main, ["tables", "--set", "energy=horowitz45", "--set", "global_buffer.kb=512",
                   "--set", "rf.registers=4", "--to", "ert", "-o", str(tmp_path / "ERT.yaml")])
    assert r.exit_code == 0, r.output
    design = load_accelerator(None, {"energy": "horowitz45", "global_buffer.kb": 512,
                                     "rf.registers": 4})
    back = energy_table({"accelergy": str(tmp_path / "ERT.yaml"), "ref_buffer_kb": 512,
                         "ref_rf_registers": 4})
    again = replace(design, energy=back)
    for a in ACTIONS:
        assert getattr(again.unit_energy, a) == pytest.approx(getattr(design.unit_energy, a))
    assert again.unit_energy.sram_read == pytest.approx(9.5 * 2)      # 9.5 pJ · √(512/128)
    assert again.unit_energy.rf_read == pytest.approx(0.85 / 2)       # 0.85 pJ · √(4/16)
    r = run(main, ["tables", "--to", "ert", "-o", str(tmp_path / "u.yaml")])
    assert r.exit_code == 2 and "picojoules" in r.output
    r = run(main, ["tables", "--to", "art", "-o", str(tmp_path / "ART.yaml")])
    assert r.exit_code == 0
    assert area_table({"accelergy": str(tmp_path / "ART.yaml")}).buffer_kb == \
        area_table("accelergy40").buffer_kb
    r = run(main, ["tables", "--set", "global_buffer.kb=512"])
    assert r.exit_code == 0
    sram = next(x for x in r.output.splitlines() if x.split()[:1] == ["sram_read"])
    assert sram.split()[1:] == ["12", "6"]                            # 6 · √4, reference 6


def test_area_study_tables_in_the_readme_are_read_from_the_committed_csv():
    import runpy
    study = runpy.run_path(str(ROOT / "reports" / "sweeps" / "area_study.py"))
    readme = (ROOT / "reports" / "sweeps" / "README.md").read_text(encoding="utf-8")
    assert study["block"]() in readme


def test_area_study_front_follows_declared_directions():
    import runpy

    import pandas as pd
    front = runpy.run_path(str(ROOT / "reports" / "sweeps" / "area_study.py"))["front"]
    df = pd.DataFrame({"time_ms": [1.0, 2.0, 3.0], "perf_per_area": [5.0, 9.0, 1.0]})
    # 3 is dominated by 1 (slower and less per mm²); 1 and 2 trade time for throughput
    assert front(df, ["time_ms", "perf_per_area"]).tolist() == [True, True, False]


def test_static_energy_shows_in_the_table_and_the_energy_chart():
    # with leakage, the per-layer shares and the stacked bars still account for all energy
    from sqnxt_sim.report import charts
    from sqnxt_sim.report.tables import result_table

    leak = energy_table({"preset": "eyeriss", "leakage": 5.0})
    res = simulate(loads_network(NET), Accelerator(rows=4, cols=4, energy=leak))
    assert "static (%)" in result_table(res).splitlines()[0]
    fig = charts.energy_chart(res)
    ax = fig.axes[0]
    tops = {}
    for p in ax.patches:
        x = round(p.get_x() + p.get_width() / 2)
        tops[x] = max(tops.get(x, 0.0), p.get_y() + p.get_height())
    live = [r for r in res.records if r.energy > 0]
    div = max(r.energy for r in res.records) / max(tops.values())
    assert [t * div for _, t in sorted(tops.items())] == pytest.approx([r.energy for r in live])
    plain = simulate(loads_network(NET), Accelerator(rows=4, cols=4))
    assert "static (%)" not in result_table(plain).splitlines()[0]
