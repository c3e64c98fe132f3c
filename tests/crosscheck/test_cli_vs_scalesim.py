"""End to end: `sqnxt-sim export --to scalesim`, then SCALE-Sim 3.0.0 on that very CSV, against
`sqnxt-sim run` (template: systolic, scalesim_compat: true) on the CSV and on the YAML network.

Per layer, SCALE-Sim's "Total Cycles" must equal the CLI's `cycles`.  The network is small (a
few seconds of SCALE-Sim) but has what the export has to get right: padding folded (including a
stride-2 padded conv whose floor rule drops a row that SCALE-Sim's ceil rule would keep), a 3x1
kernel with asymmetric padding, a depthwise conv ("DP"), a grouped conv (one row per group), an
FC layer, and pooling/add layers that are omitted.  Skipped when SCALE-Sim is not installed.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from scalesim_locate import scalesim_python

from sqnxt_sim.cli import main

SCALESIM_PYTHON = scalesim_python()
DRIVER = Path(__file__).with_name("scalesim_driver.py")
ROOT = Path(__file__).resolve().parents[2]

ROWS, COLS = 8, 4
DATAFLOWS = ["os", "ws", "is"]

NETWORK = """\
name: crosscheck_small
input: [3, 18, 18]
layers:
  - {name: stem, type: conv, out: 8, kernel: 3, stride: 2, pad: 1}      # 18+2-3=17 -> 9x9
  - {name: dw, type: conv, out: 8, groups: 8, kernel: 3, pad: 1}        # depthwise, 9x9
  - {name: pw, type: conv, out: 12, kernel: 1, groups: 2}               # grouped 1x1
  - {name: k31, type: conv, out: 12, kernel: [3, 1], pad: [1, 0]}       # SqueezeNext-style
  - {name: sum, type: add, inputs: [pw, k31]}
  - {name: pool, type: maxpool, kernel: 3, stride: 2}                   # 9 -> 4
  - {name: c5, type: conv, out: 6, kernel: 2, stride: 2}                # 4 -> 2
  - {name: fc, type: fc, out: 10}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    if not Path(SCALESIM_PYTHON).exists():
        pytest.skip(f"SCALE-Sim interpreter {SCALESIM_PYTHON} not found")
    probe = subprocess.run([SCALESIM_PYTHON, "-c", "import scalesim.scale_sim"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"{SCALESIM_PYTHON} cannot import scalesim")
    tmp = tmp_path_factory.mktemp("cli_scalesim")
    yaml_path = tmp / "net.yaml"
    yaml_path.write_text(NETWORK)
    csv_path = tmp / "net.csv"
    r = CliRunner().invoke(main, ["export", str(yaml_path), "--to", "scalesim", "--out",
                                  str(csv_path)])
    assert r.exit_code == 0, r.output

    def scalesim(dataflow: str) -> dict[str, int]:
        workdir = tmp / dataflow
        workdir.mkdir()
        spec = {"rows": ROWS, "cols": COLS, "dataflow": dataflow, "workdir": str(workdir),
                "topology": str(csv_path)}
        (workdir / "spec.json").write_text(json.dumps(spec))
        proc = subprocess.run([SCALESIM_PYTHON, str(DRIVER), str(workdir / "spec.json"),
                               str(workdir / "out.json")], capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr
        cycles: dict[str, int] = {}
        for e in json.loads((workdir / "out.json").read_text())["layers"]:
            name = e["name"].split("Channel_")[0] if "DP" in e["name"] else e["name"]
            assert e["stall_cycles"] == 0
            cycles[name] = cycles.get(name, 0) + e["total_cycles"]
        return cycles

    with ThreadPoolExecutor(max_workers=len(DATAFLOWS)) as pool:
        theirs = dict(zip(DATAFLOWS, pool.map(scalesim, DATAFLOWS)))
    return yaml_path, csv_path, theirs


def _cli(path: Path, dataflow: str) -> list[dict]:
    r = CliRunner().invoke(main, [
        "run", str(path), "--accel", str(ROOT / "accelerators/systolic_32x32.yaml"),
        "--dataflow", dataflow, "--set", f"pe_array.rows={ROWS}",
        "--set", f"pe_array.cols={COLS}", "--set", "scalesim_compat=true", "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["layers"]


@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_cli_on_exported_csv_matches_scalesim(setup, dataflow):
    _, csv_path, theirs = setup
    ours = {x["name"]: x["cycles"] for x in _cli(csv_path, dataflow)}
    assert ours == theirs[dataflow]
    assert set(ours) == {"stem", "dw_DP", "pw_g0", "pw_g1", "k31", "c5", "fc"}


@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_cli_on_yaml_matches_scalesim(setup, dataflow):
    yaml_path, _, theirs = setup
    layers = _cli(yaml_path, dataflow)
    skipped = {x["name"] for x in layers if x["dataflow"] == "skipped"}
    assert skipped == {"sum", "pool"}
    ours = {x["name"]: x["cycles"] for x in layers if x["name"] not in skipped}
    want = {"stem": theirs[dataflow]["stem"], "dw": theirs[dataflow]["dw_DP"],
            "pw": theirs[dataflow]["pw_g0"] + theirs[dataflow]["pw_g1"],
            "k31": theirs[dataflow]["k31"], "c5": theirs[dataflow]["c5"],
            "fc": theirs[dataflow]["fc"]}
    assert ours == want
