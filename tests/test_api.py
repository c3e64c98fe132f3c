"""The notebook-first API (issue 14): sqnxt_sim.sweep equals the CLI's results CSV,
sqnxt_sim.compare the CLI's cross table (tests/test_compare.py), and a Result displays itself
in Jupyter with every name escaped."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import sqnxt_sim
from sqnxt_sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
ACC = str(ROOT / "accelerators" / "squeezelerator_16x16.yaml")

TINY = """\
name: {name}
input: [8, 20, 20]
layers:
  - {{name: "{first}", type: conv, out: {k}, kernel: 3, pad: 1}}
  - {{name: c2, type: conv, out: 16, kernel: 1}}
  - {{name: p, type: gap}}
  - {{name: fc, type: fc, out: 10}}
"""


@pytest.fixture
def spec(tmp_path):
    nets = []
    for n, k in ((1, 16), (2, 24)):
        p = tmp_path / f"tiny{n}.yaml"
        p.write_text(TINY.format(name=f"tiny{n}", first="c1", k=k), encoding="utf-8")
        nets.append(str(p))
    doc = {"name": "api", "accelerator": ACC, "networks": nets,
           "grid": {"pe_array.rows": [8, 16], "dataflow": ["os", "hybrid"]},
           "layers": ["c1"]}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return str(path), doc


def test_api_sweep_equals_the_cli_results_file(spec, tmp_path):
    path, doc = spec
    out = tmp_path / "cli.csv"
    r = CliRunner().invoke(main, ["sweep", path, "--out", str(out), "-j", "1", "-q"])
    assert r.exit_code == 0, r.output
    cli = pd.read_csv(out)
    assert len(cli) == 2 * 2 * 2          # points × networks
    pd.testing.assert_frame_equal(sqnxt_sim.sweep(path), cli)
    pd.testing.assert_frame_equal(sqnxt_sim.sweep(doc), cli)   # a dict in the file's layout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli.csv", "spec.yaml", "tiny1.yaml",
                                                          "tiny2.yaml"]   # no file left behind


def test_api_sweep_errors_are_the_library_errors(spec):
    _, doc = spec
    with pytest.raises(sqnxt_sim.errors.SweepError, match="unknown key 'gird'"):
        sqnxt_sim.sweep({**doc, "gird": doc["grid"]})


def test_import_does_not_load_pandas():
    code = "import sys, sqnxt_sim; print('pandas' in sys.modules, callable(sqnxt_sim.sweep))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sqnxt_sim.nope  # noqa: B018


def test_result_html_escapes_names_and_shows_every_layer(tmp_path):
    p = tmp_path / "evil.yaml"
    p.write_text(TINY.format(name="<b>net</b>", first="<script>alert(1)</script>", k=8),
                 encoding="utf-8")
    res = sqnxt_sim.simulate(sqnxt_sim.load_network(str(p)), sqnxt_sim.load_accelerator(ACC))
    html = res._repr_html_()
    assert "<script>" not in html and "<b>net</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;net&lt;/b&gt;" in html
    assert html.count("<tr>") >= len(res.records) + 1      # the per-layer table
    assert "MAC-normalised units" in html and "Time" in html
    text = repr(res)
    assert text.startswith("<Result '<b>net</b>' on ")
    assert f"{res.summary['cycles']:,} cycles" in text


def test_to_frame_is_a_copy_of_the_layers(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text(textwrap.dedent(TINY.format(name="t", first="c1", k=8)), encoding="utf-8")
    res = sqnxt_sim.simulate(sqnxt_sim.load_network(str(p)), sqnxt_sim.load_accelerator(ACC))
    df = res.to_frame()
    pd.testing.assert_frame_equal(df, res.layers)
    df.loc[0, "cycles"] = -1
    assert res.layers.loc[0, "cycles"] != -1
