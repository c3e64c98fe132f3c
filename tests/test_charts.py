"""Charts: files are written in both formats, byte-for-byte reproducible, layer groups right."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from tiny_net import TINY, tiny_result

from sqnxt_sim.cli import main
from sqnxt_sim.network.yaml_io import loads_network
from sqnxt_sim.report import charts
from sqnxt_sim.simulate import simulate


@pytest.fixture(scope="module")
def result():
    return tiny_result()


def test_layer_group_from_names():
    assert charts.layer_group("stage1.3/red1") == "stage1"
    assert charts.layer_group("stage4/proj") == "stage4"
    assert charts.layer_group("fire2/squeeze1x1") == "fire2"
    assert charts.layer_group("conv2_1/dw") == "conv2_1"
    assert charts.layer_group("conv1") == "conv1"
    names = ["conv1", "stage1.1/a", "stage1.1/b", "stage1.2/a", "pool", "fc"]
    assert charts.layer_groups(names) == [("conv1", 0, 1), ("stage1", 1, 4), ("pool", 4, 5),
                                          ("fc", 5, 6)]


def test_run_charts_write_png_and_svg(result, tmp_path):
    paths = charts.run_charts(result, tmp_path)
    assert sorted(p.suffix for p in paths) == [".png", ".png", ".svg", ".svg"]
    for p in paths:
        assert p.exists() and p.stat().st_size > 1000
    png = next(p for p in paths if p.suffix == ".png").read_bytes()
    assert png.startswith(b"\x89PNG")
    svg = next(p for p in paths if p.suffix == ".svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "<dc:date>" not in svg and "Matplotlib v" not in svg


def test_charts_are_byte_for_byte_reproducible(result, tmp_path):
    a = charts.run_charts(result, tmp_path / "a")
    b = charts.run_charts(result, tmp_path / "b")
    for pa, pb in zip(a, b):
        assert pa.name == pb.name
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_every_chart_kind_draws(result, tmp_path):
    acc = result.accelerator
    net = loads_network(TINY)
    runs = {df: simulate(net, acc.with_dataflow(df)) for df in ("os", "ws", "hybrid")}
    figs = {
        "df": charts.dataflow_chart(runs),
        "var": charts.variants_chart({"a": runs["os"], "b": runs["ws"]}),
        "grp": charts.groups_chart({"a": runs["os"], "b": runs["ws"]}, "energy"),
        "cmp": charts.comparison_chart([
            {"network": "a", "accelerator": "x", "time_ms": 1.0, "energy": 2e6},
            {"network": "b", "accelerator": "x", "time_ms": 0.5, "energy": 1e6},
            {"network": "a", "accelerator": "y", "time_ms": 2.0, "energy": 3e6}]),
    }
    for name, fig in figs.items():
        (p,) = charts.save(fig, tmp_path / name, ("png",))
        assert p.exists() and p.stat().st_size > 1000


def test_axis_labels_carry_units(result):
    fig = charts.cycles_chart(result)
    ax, ax2 = fig.axes
    assert ax.get_ylabel().startswith("Cycles (") and ax.get_ylabel().endswith("cycles)")
    assert ax2.get_ylabel() == "PE utilisation (%)"
    assert charts.energy_chart(result).axes[0].get_ylabel().endswith("MAC-normalised units)")


def test_run_plot_option(tmp_path, write_net):
    net = write_net(TINY)
    r = CliRunner().invoke(main, ["run", net, "--set", "pe_array.rows=8", "--plot",
                                  str(tmp_path / "plots")])
    assert r.exit_code == 0, r.output
    written = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert written == ["tiny__default_8x32__cycles.png", "tiny__default_8x32__cycles.svg",
                       "tiny__default_8x32__energy.png", "tiny__default_8x32__energy.svg"]
