"""Output details (issue 14): CSV floats read back exactly, every table header names its unit."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from sqnxt_sim.cli import main
from sqnxt_sim.hardware.accelerator import load_accelerator
from sqnxt_sim.network.yaml_io import load_network
from sqnxt_sim.simulate import simulate

NET = """
name: tiny
input: [3, 17, 17]
layers:
  - {name: conv1, type: conv, out: 12, kernel: 3, pad: 1, bn: true, relu: true}
  - {name: pool1, type: maxpool, kernel: 2, stride: 2}
  - {name: conv2, type: conv, out: 20, kernel: 1}
  - {name: gap, type: gap}
  - {name: fc, type: fc, out: 10}
"""
SMALL = {"pe_array.rows": 8, "pe_array.cols": 8}


def test_run_csv_floats_read_back_exactly(write_net):
    path = write_net(NET)
    result = simulate(load_network(path), load_accelerator(None, dict(SMALL)))
    r = CliRunner().invoke(main, ["run", path, "-f", "csv", "--set", "pe_array.rows=8",
                                  "--set", "pe_array.cols=8"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    floats = 0
    for rec, row in zip(result.records, rows, strict=True):
        for col, text in row.items():
            value = getattr(rec, col)
            if isinstance(value, float):
                floats += 1
                assert float(text) == value, (rec.name, col, text, value)
    assert floats > 20     # utilisation and energies are not round numbers: the test has teeth


def test_csv_and_json_agree_to_the_last_bit(write_net):
    path = write_net(NET)
    runner = CliRunner()
    args = ["run", path, "--set", "pe_array.rows=8", "--set", "rf.registers=8"]
    doc = json.loads(runner.invoke(main, [*args, "-f", "json"]).stdout)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*args, "-f", "csv"]).stdout)))
    for layer, row in zip(doc["layers"], rows, strict=True):
        for col in ("utilization", "energy", "energy_dram", "sram_reads"):
            assert float(row[col]) == layer[col]


def test_run_table_headers_carry_units(write_net):
    r = CliRunner().invoke(main, ["run", write_net(NET), "--set", "pe_array.rows=8"])
    assert r.exit_code == 0, r.output
    head = r.stdout.splitlines()[0]
    for col in ("energy (MAC units)", "util (%)", "stall (%)", "time (%)", "dram (%)"):
        assert col in head
