"""`sqnxt-sim run`: table / CSV / JSON output (SPEC §3, docs/output.md), --out, --dataflow,
--set, determinism, and one clean line with exit status 2 for every bad accelerator input.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sqnxt_sim.cli import main
from sqnxt_sim.hardware.accelerator import load_accelerator
from sqnxt_sim.network.yaml_io import load_network
from sqnxt_sim.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
SQNXT23 = str(ROOT / "networks" / "sqnxt23.yaml")

SPEC_COLUMNS = ["name", "type", "dataflow", "macs", "params", "cycles", "compute_cycles",
                "stall_cycles", "utilization", "energy", "energy_mac", "energy_rf",
                "energy_array", "energy_sram", "energy_dram", "dram_read_bytes",
                "dram_write_bytes"]
SPEC_SUMMARY = ["cycles", "time_ms", "energy", "macs", "params", "utilization"]

TINY = """
name: tiny
input: [3, 16, 16]
layers:
  - {name: conv1, type: conv, out: 16, kernel: 3, pad: 1, bn: true, relu: true}
  - {name: pool1, type: maxpool, kernel: 2, stride: 2}
  - {name: conv2, type: conv, out: 32, kernel: 1}
  - {name: gap, type: gap}
  - {name: fc, type: fc, out: 10}
"""
SMALL = ["--set", "pe_array.rows=8", "--set", "pe_array.cols=8"]


@pytest.fixture
def tiny(write_net):
    return write_net(TINY, "tiny.yaml")


def run(*args):
    return CliRunner().invoke(main, ["run", *args])


def ok(*args):
    res = run(*args)
    assert res.exit_code == 0, res.output
    return res.stdout


# ---------------------------------------------------------------------------------------------
# Output formats.
def test_table_has_layers_and_totals(tiny):
    out = ok(tiny, *SMALL)
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["name", "type", "flow"]
    assert [ln.split()[0] for ln in lines[2:7]] == ["conv1", "pool1", "conv2", "gap", "fc"]
    res = simulate(load_network(tiny), load_accelerator(None, {"pe_array.rows": 8,
                                                                "pe_array.cols": 8}))
    s = res.summary
    assert f"cycles   {s['cycles']:,}" in out
    assert f"MACs     {s['macs']:,}" in out and f"params {s['params']:,}" in out
    assert "energy" in out and "DRAM" in out


def test_json_has_every_key_of_the_contract(tiny):
    doc = json.loads(ok(tiny, *SMALL, "--format", "json"))
    assert {"network", "accelerator", "summary", "layers"} <= set(doc)
    assert doc["network"] == "tiny" and doc["accelerator"] == "accelerator"
    assert set(SPEC_SUMMARY) <= set(doc["summary"])
    assert [row["name"] for row in doc["layers"]] == ["conv1", "pool1", "conv2", "gap", "fc"]
    for row in doc["layers"]:
        assert list(row)[:len(SPEC_COLUMNS)] == SPEC_COLUMNS
        assert "energy_pj" not in row                  # the default table is MAC-normalised
    assert "energy_pj" not in doc["summary"]
    s = doc["summary"]
    assert s["cycles"] == sum(r["cycles"] for r in doc["layers"])
    assert s["macs"] == sum(r["macs"] for r in doc["layers"])
    assert s["time_ms"] == pytest.approx(s["cycles"] / (500 * 1000))
    assert doc["provenance"]["accelerator"]["pe_array"] == {"rows": 8, "cols": 8}


def test_json_energy_pj_iff_picojoule_table(tiny):
    doc = json.loads(ok(tiny, *SMALL, "--format", "json", "--set", "energy=horowitz45"))
    for row in doc["layers"]:
        assert "energy_pj" in row
        assert row["energy"] == pytest.approx(row["energy_pj"] / 0.85)   # MAC-normalised
    assert doc["summary"]["energy_pj"] == pytest.approx(
        sum(r["energy_pj"] for r in doc["layers"]))


def test_csv_columns_and_rows(tiny):
    df = pd.read_csv(io.StringIO(ok(tiny, *SMALL, "--format", "csv")))
    assert list(df.columns[:len(SPEC_COLUMNS)]) == SPEC_COLUMNS
    assert "energy_pj" not in df.columns
    assert list(df["name"]) == ["conv1", "pool1", "conv2", "gap", "fc"]
    assert (df["cycles"] == df["compute_cycles"] + df["stall_cycles"]).all()
    pj = pd.read_csv(io.StringIO(ok(tiny, *SMALL, "-f", "csv", "--set", "energy=horowitz45")))
    assert "energy_pj" in pj.columns


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_out_file(tiny, tmp_path, fmt):
    path = tmp_path / f"result.{fmt}"
    res = run(tiny, *SMALL, "--format", fmt, "--out", str(path))
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    assert path.read_text(encoding="utf-8") == ok(tiny, *SMALL, "--format", fmt)


def test_dataflow_override_changes_layer_dataflows(tiny):
    def flows(*extra):
        df = pd.read_csv(io.StringIO(ok(tiny, *SMALL, "-f", "csv", *extra)))
        return dict(zip(df["name"], df["dataflow"]))

    assert set(flows("--dataflow", "os").values()) == {"os", "simd"}
    ws = flows("--dataflow", "ws")
    assert ws["conv1"] == ws["conv2"] == ws["fc"] == "ws"
    assert ws["pool1"] == ws["gap"] == "simd"        # no weights: the SIMD unit, whatever is asked
    hybrid = flows("--dataflow", "hybrid")
    assert set(hybrid.values()) <= {"os", "ws", "simd"}
    on_array = flows("--dataflow", "ws", "--set", "pooling.unit=array")
    assert on_array["pool1"] == on_array["gap"] == "os"
    # the accelerator file's dataflow is overridden too
    assert set(flows("--accel", str(ROOT / "accelerators" / "ws_16x16.yaml"),
                     "--dataflow", "os").values()) == {"os", "simd"}


def test_set_overrides_the_accelerator_file(tiny):
    doc = json.loads(ok(tiny, "-a", str(ROOT / "accelerators" / "os_16x16.yaml"),
                        "--set", "pe_array.rows=8", "--set", "rf.registers=4", "-f", "json"))
    acc = doc["provenance"]["accelerator"]
    assert acc["pe_array"] == {"rows": 8, "cols": 16}
    assert acc["rf"] == {"registers": 4} and acc["dataflow"] == "os"


def test_byte_identical_runs(tiny):
    for fmt in ("json", "csv", "table"):
        assert ok(tiny, *SMALL, "-f", fmt) == ok(tiny, *SMALL, "-f", fmt)


def test_byte_identical_across_processes(tiny):
    # separate interpreters with different hash seeds: no set/dict-order or cache dependence
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-c", "from sqnxt_sim.cli import main; main()",
                               "run", tiny, *SMALL, "-f", "json"],
                              capture_output=True, text=True, env=env, check=True)
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["summary"]["cycles"] > 0


def test_python_api_matches_the_cli(tiny):
    res = simulate(load_network(tiny), load_accelerator(None, {"pe_array.rows": 8,
                                                                "pe_array.cols": 8}))
    assert isinstance(res.layers, pd.DataFrame)
    assert set(SPEC_SUMMARY) <= set(res.summary)
    assert res.to_json() == ok(tiny, *SMALL, "-f", "json")
    assert res.to_csv() == ok(tiny, *SMALL, "-f", "csv")


def test_run_help_names_the_contract():
    res = CliRunner().invoke(main, ["run", "--help"])
    assert res.exit_code == 0
    for opt in ("--accel", "--dataflow", "--set", "--format", "--out"):
        assert opt in res.stdout


# ---------------------------------------------------------------------------------------------
# Bad accelerator input: one located line, exit status 2, no traceback.
BAD_FILES = [
    ("unknown-key", "name: x\npe_array: {rows: 4, colz: 4}\n", 2, "unknown field"),
    ("unknown-top-key", "name: x\nbogus: 1\n", 2, "unknown field 'bogus'"),
    ("zero-size", "name: x\npe_array:\n  rows: 0\n", 3, "pe_array.rows must be positive"),
    ("negative-size", "name: x\nrf:\n  registers: -2\n", 3, "rf.registers must be positive"),
    ("negative-buffer", "global_buffer: {kb: -1}\n", 1, "global_buffer.kb must be positive"),
    ("infinite-buffer", "global_buffer: {kb: .inf}\n", 1, "global_buffer.kb must be finite"),
    ("wrong-type", "name: x\nclock_mhz: fast\n", 2, "clock_mhz must be a number"),
    ("float-for-int", "pe_array: {cols: 2.5}\n", 1, "pe_array.cols must be an integer"),
    ("unknown-preset", "name: x\nenergy: foo\n", 2, "unknown energy preset 'foo'"),
    ("nan-energy", "energy: {preset: eyeriss, dram: .nan}\n", 1, "non-negative"),
    ("unknown-dataflow", "name: x\ndataflow: rs\n", 2, "dataflow 'rs' is not one of"),
    ("malformed-yaml", "name: x\npe_array: {rows: 4\n", 3, "malformed YAML"),
    ("not-a-mapping", "- a\n", 1, "must be a mapping of fields"),
]


@pytest.mark.parametrize("text, line, fragment", [b[1:] for b in BAD_FILES],
                         ids=[b[0] for b in BAD_FILES])
def test_bad_accelerator_file(tmp_path, text, line, fragment):
    path = tmp_path / "BAD.yaml"
    path.write_text(text, encoding="utf-8")
    res = run(SQNXT23, "--accel", str(path))
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"error: {path}:{line}: ")
    assert fragment in res.stderr


def test_buffer_too_small_is_one_line(tmp_path):
    path = tmp_path / "BAD.yaml"
    path.write_text("name: tiny_buffer\nglobal_buffer: {kb: 0.01}\n", encoding="utf-8")
    res = run(SQNXT23, "--accel", str(path))
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "global_buffer.kb" in res.stderr and "layer 'conv1'" in res.stderr
    assert "too small for any tile" in res.stderr


def test_buffer_too_small_names_file_and_line(tmp_path):
    path = tmp_path / "BAD.yaml"
    path.write_text("name: tiny_buffer\nglobal_buffer: {kb: 0.01}\n", encoding="utf-8")
    res = run(SQNXT23, "--accel", str(path))
    assert res.stderr.startswith(f"error: {path}:2: ")


def test_missing_accelerator_file(tmp_path):
    res = run(SQNXT23, "--accel", str(tmp_path / "nope.yaml"))
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "cannot read accelerator file" in res.stderr


@pytest.mark.parametrize("setting, fragment", [
    ("pe_array.rowz=3", "error: --set pe_array.rowz: unknown accelerator field"),
    ("pe_array.rows=abc", "error: --set pe_array.rows: pe_array.rows must be an integer"),
    ("pe_array.rows=0", "error: --set pe_array.rows: pe_array.rows must be positive"),
    ("sparsity=1", "error: --set sparsity: sparsity must be in [0, 1)"),
    ("energy=foo", "error: --set energy: unknown energy preset 'foo'"),
    ("dataflow=rs", "dataflow 'rs' is not one of"),
])
def test_bad_set(setting, fragment):
    res = run(SQNXT23, "--set", setting)
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(fragment) or fragment in res.stderr


def test_set_without_equals_is_a_usage_error():
    res = run(SQNXT23, "--set", "pe_array.rows")
    assert res.exit_code == 2
    assert "expected KEY=VALUE" in res.stderr and "Traceback" not in res.stderr


def test_bad_dataflow_choice():
    res = run(SQNXT23, "--dataflow", "rs")
    assert res.exit_code == 2 and "Traceback" not in res.stderr


def test_output_doc_lists_every_column_and_summary_key(tiny):
    from sqnxt_sim.result import LayerResult

    doc = (ROOT / "docs" / "output.md").read_text(encoding="utf-8")
    for col in LayerResult.columns(with_pj=True, systolic=True):
        assert f"`{col}`" in doc, col
    summary = json.loads(ok(tiny, *SMALL, "-f", "json", "--set", "energy=horowitz45"))["summary"]
    for key in summary:
        assert f"`{key}`" in doc, key
