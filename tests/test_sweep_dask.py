"""A sweep on a real Dask LocalCluster gives exactly the rows of the local run."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("distributed")

from sqnxt_sim.sweep.run import run_sweep  # noqa: E402
from sqnxt_sim.sweep.spec import loads_sweep  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

NET = """\
name: tinyd
input: [8, 20, 20]
layers:
  - {name: c1, type: conv, out: 16, kernel: 3, pad: 1}
  - {name: c2, type: conv, out: 16, kernel: 1}
  - {name: fc, type: fc, out: 10}
"""


def test_local_cluster_rows_equal_local_run(tmp_path):
    net = tmp_path / "tinyd.yaml"
    net.write_text(NET, encoding="utf-8")
    spec = loads_sweep(f"""
accelerator: {ROOT / "accelerators" / "squeezelerator_16x16.yaml"}
networks: [{net}]
grid:
  pe_array.rows: [4, 8, 16]
  pe_array.cols: [4, 8]
  dataflow: [os, ws, hybrid]
""", str(tmp_path / "spec.yaml"))
    local, dask = tmp_path / "local.csv", tmp_path / "dask.csv"
    run_sweep(spec, str(local), jobs=1)
    stats = run_sweep(spec, str(dask), jobs=2, scheduler="local", chunk=3)
    assert stats.rows == 18
    assert dask.read_bytes() == local.read_bytes()
