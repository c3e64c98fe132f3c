"""`sqnxt-sim show`: table / csv / json / yaml output, --out, --help, clean errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from sqnxt_sim.cli import main
from sqnxt_sim.network.yaml_io import load_network, loads_network

TINY = """
name: tiny
input: [3, 32, 32]
layers:
  - {name: conv1, type: conv, out: 16, kernel: 3, stride: 2, bn: true, relu: true}
  - {name: pool, type: gap}
  - {name: fc, type: fc, out: 10, bias: false}
"""
# by hand: conv1 (32 - 3) // 2 + 1 = 15; weights 16 * 3 * 3 * 3 = 432; MACs 432 * 15 * 15
CONV1_MACS = 16 * 3 * 3 * 3 * 15 * 15
FC_MACS = 16 * 10
WEIGHTS = 432 + 160
PARAMS = WEIGHTS + 2 * 16


@pytest.fixture
def tiny(write_net):
    return write_net(TINY, "tiny.yaml")


def show(*args):
    return CliRunner().invoke(main, ["show", *args])


def test_table(tiny):
    res = show(tiny)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split()[:3] == ["name", "type", "in_shape"]
    conv = next(line for line in lines if line.startswith("conv1"))
    assert "16x15x15" in conv and f"{CONV1_MACS:,}" in conv
    assert (f"tiny: 4 layers, {CONV1_MACS + FC_MACS:,} MACs, {WEIGHTS:,} weights, "
            f"{PARAMS:,} parameters") in res.stdout


def test_csv(tiny):
    res = show(tiny, "--format", "csv")
    assert res.exit_code == 0, res.output
    df = pd.read_csv(io.StringIO(res.stdout))
    assert list(df["name"]) == ["input", "conv1", "pool", "fc"]
    assert {"name", "type", "macs", "weights", "biases", "bn_params", "params",
            "out_shape"} <= set(df.columns)
    row = df.set_index("name").loc["conv1"]
    assert (row["macs"], row["weights"], row["bn_params"]) == (CONV1_MACS, 432, 32)
    assert df["macs"].sum() == CONV1_MACS + FC_MACS


def test_json(tiny):
    res = show(tiny, "-f", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc) == {"network", "summary", "layers"}
    assert doc["network"] == "tiny"
    s = doc["summary"]
    assert (s["macs"], s["weights"], s["params"]) == (CONV1_MACS + FC_MACS, WEIGHTS, PARAMS)
    assert (s["biases"], s["bn_params"], s["layers"]) == (0, 32, 4)
    assert [layer["name"] for layer in doc["layers"]] == ["input", "conv1", "pool", "fc"]
    fc = doc["layers"][-1]
    assert (fc["type"], fc["macs"], fc["out_shape"]) == ("fc", FC_MACS, "10x1x1")


def test_yaml_is_a_flat_dump_that_loads_back(tiny):
    res = show(tiny, "--format", "yaml")
    assert res.exit_code == 0, res.output
    assert loads_network(res.stdout) == load_network(tiny)
    assert "inputs: [conv1]" in res.stdout


def test_out_file(tiny, tmp_path):
    out = tmp_path / "tiny.json"
    res = show(tiny, "--format", "json", "--out", str(out))
    assert res.exit_code == 0 and res.stdout == ""
    assert json.loads(out.read_text())["summary"]["macs"] == CONV1_MACS + FC_MACS
    out2 = tmp_path / "flat.yaml"
    assert show(tiny, "-f", "yaml", "-o", str(out2)).exit_code == 0
    assert load_network(out2) == load_network(tiny)


def test_deterministic(tiny):
    for fmt in ("table", "csv", "json", "yaml"):
        assert show(tiny, "-f", fmt).stdout == show(tiny, "-f", fmt).stdout


def test_help():
    res = CliRunner().invoke(main, ["show", "--help"])
    assert res.exit_code == 0
    for word in ("NETWORK", "--format", "table|csv|json|yaml", "--out"):
        assert word in res.stdout
    assert "show" in CliRunner().invoke(main, ["--help"]).stdout


def test_bad_format_is_a_usage_error(tiny):
    res = show(tiny, "-f", "xml")
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_missing_file_one_line(tmp_path):
    res = show(str(tmp_path / "nope.yaml"))
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "cannot read network file" in res.stderr


def test_bad_file_in_a_real_process(write_net):
    path = write_net("name: x\ninput: [64, 8, 8]\nlayers:\n"
                     "  - {name: c3, type: conv, out: 6, kernel: 1, groups: 3}\n", "BAD.yaml")
    proc = subprocess.run([sys.executable, "-c", "from sqnxt_sim.cli import main; main()",
                           "show", path],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"error: {path}:4: conv 'c3': groups=3 does not divide c_in=64\n"


def test_every_command_has_help_and_is_documented():
    """Each command answers --help and is shown in the README or docs/ (sqlite-utils' habit)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    docs = (root / "README.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in sorted((root / "docs").glob("*.md")))
    runner = CliRunner()
    assert main.commands
    for name, cmd in main.commands.items():
        res = runner.invoke(main, [name, "--help"])
        assert res.exit_code == 0, name
        assert cmd.help and len(cmd.help.strip()) > 20, name
        assert f"sqnxt-sim {name}" in docs, f"command {name} is not documented"
