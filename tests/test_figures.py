"""Figures (issue 14, part A): every plot function draws headless and writes PNG, SVG and PDF,
byte-for-byte reproducible; legends sit outside every axes; Pareto labels never overlap and
the front follows each metric's direction; per-layer bars leave out fused adds and are coloured
by the dataflow each layer ran; bad drawing options are one line and exit status 2."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from tiny_net import TINY, tiny_result

from sqnxt_sim import load_accelerator, load_network, metrics, plot, simulate
from sqnxt_sim.cli import main
from sqnxt_sim.network.yaml_io import loads_network
from sqnxt_sim.report import charts, style
from sqnxt_sim.sweep import plots

ROOT = Path(__file__).resolve().parents[1]


# a hand-made sweep results frame: point, network, two axes, then the metrics
SWEEP = pd.DataFrame({
    "point": [0, 1, 2, 3, 4],
    "network": ["n"] * 5,
    "pe_array.rows": [8, 16, 16, 32, 32],
    "dataflow": ["os", "os", "ws", "os", "ws"],
    "cycles": [400, 200, 300, 100, 150],
    "time_ms": [4.0, 2.0, 3.0, 1.0, 1.5],
    "energy": [10.0, 12.0, 9.0, 20.0, 30.0],
    "utilization": [0.9, 0.7, 0.8, 0.3, 0.2],
    "area_mm2": [0.5, 1.0, 1.0, 2.5, 2.5],
})


@pytest.fixture(scope="module")
def tiny():
    return tiny_result()


@pytest.fixture(scope="module")
def sqnxt():
    return simulate(load_network(ROOT / "networks/sqnxt23.yaml"),
                    load_accelerator(ROOT / "accelerators/squeezelerator_32x32.yaml"))


def _figures(r):
    net = loads_network(TINY)
    runs = {df: simulate(net, r.accelerator.with_dataflow(df)) for df in ("os", "ws", "hybrid")}
    frame = pd.DataFrame([{"network": "a", "accelerator": "x", "time_ms": 1.0, "energy": 2e6},
                          {"network": "b", "accelerator": "x", "time_ms": 0.5, "energy": 1e6},
                          {"network": "a", "accelerator": "y", "time_ms": 2.0, "energy": 3e6}])
    return {
        "layers": plot.layers(r),
        "layers_util": plot.layers(r, "utilization"),
        "energy": plot.energy(r),
        "variants": plot.variants({"os": runs["os"], "ws": runs["ws"]}),
        "groups": plot.groups({"os": runs["os"], "ws": runs["ws"]}, "energy"),
        "dataflows": plot.dataflows(runs),
        "dataflows_sim": plot.dataflows(net, r.accelerator, which=("os", "ws")),
        "comparison": plot.comparison(frame),
        "pareto": plot.pareto(SWEEP, "time_ms", "energy"),
        "heatmap": plot.heatmap(SWEEP, "time_ms", "pe_array.rows", "dataflow"),
    }


MAGIC = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}


def test_every_plot_function_writes_png_svg_and_pdf(tiny, tmp_path):
    for name, fig in _figures(tiny).items():
        paths = plot.save(fig, tmp_path / name)
        assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"], name
        for p in paths:
            assert p.read_bytes().startswith(MAGIC[p.suffix[1:]]), p


def test_every_format_is_byte_for_byte_reproducible(tiny, tmp_path):
    a = {n: plot.save(f, tmp_path / "a" / n) for n, f in _figures(tiny).items()}
    b = {n: plot.save(f, tmp_path / "b" / n) for n, f in _figures(tiny).items()}
    for n in a:
        for pa, pb in zip(a[n], b[n]):
            assert pa.read_bytes() == pb.read_bytes(), pa.name
    pdf = a["layers"][2].read_bytes()
    assert b"CreationDate" not in pdf and b"Matplotlib" not in pdf
    # the same figure object saved a second time
    fig = plot.energy(tiny)
    once = [p.read_bytes() for p in plot.save(fig, tmp_path / "c" / "e")]
    again = [p.read_bytes() for p in plot.save(fig, tmp_path / "d" / "e")]
    assert once == again


def _legends(fig):
    out = list(fig.legends)
    for ax in fig.axes:
        if ax.get_legend() is not None:
            out.append(ax.get_legend())
    return out


def test_no_legend_overlaps_any_axes(tiny, sqnxt):
    figs = dict(_figures(tiny))
    figs["sqnxt_cycles"] = plot.layers(sqnxt)
    figs["sqnxt_energy"] = plot.energy(sqnxt)
    assert sum(len(_legends(f)) for f in figs.values()) >= len(figs) // 2   # not vacuous
    for name, fig in figs.items():
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        for leg in _legends(fig):
            lb = leg.get_window_extent(r)
            for ax in fig.axes:
                assert not lb.overlaps(ax.get_window_extent(r)), name


def test_per_layer_bars_skip_fused_adds_and_show_the_dataflow(sqnxt):
    L = sqnxt.layers
    live = L[L["cycles"] > 0]
    assert len(live) < len(L)       # SqueezeNext fuses its residual adds
    fig = plot.layers(sqnxt)
    main_axes = [ax for ax in fig.axes if ax.get_ylabel().startswith("Cycles")]
    assert len(main_axes) >= 2       # 114 live layers do not fit one row
    colours = []
    for ax in main_axes:
        compute = ax.containers[0]   # the first bar series of a row: compute cycles
        colours += [to_hex(b.get_facecolor()) for b in compute]
    assert len(colours) == len(live)
    want = [style.dataflow_style(d)[0].lower() for d in live["dataflow"]]
    assert colours == want
    # both OS and WS layers are in this hybrid run, so both colours appear
    assert {style.dataflow_style("os")[0].lower(), style.dataflow_style("ws")[0].lower()} \
        <= set(colours)


def test_groups_are_labelled_not_every_layer(sqnxt):
    fig = plot.layers(sqnxt)
    labels = [t.get_text() for ax in fig.axes if ax.get_ylabel().startswith("Cycles")
              for t in ax.get_xticklabels() if t.get_text()]
    assert {"stage1", "stage2", "stage3", "stage4"} <= set(labels)
    assert len(labels) <= 12         # groups (stage2 in both rows), not 114 layer names


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.1/x", "b.1/y", "b.2/x", "c.1/z", "c.2/z", "d"]),
                min_size=1, max_size=200), st.integers(5, 80))
def test_split_rows_covers_every_layer_once_in_the_fewest_rows(names, cap):
    rows = charts.split_rows(names, cap)
    assert rows[0][0] == 0 and rows[-1][1] == len(names)
    assert all(a < b and b - a <= cap for a, b in rows)
    assert all(rows[i][1] == rows[i + 1][0] for i in range(len(rows) - 1))
    assert len(rows) == math.ceil(len(names) / cap)


def test_variants_are_told_apart():
    net = load_network(ROOT / "networks/sqnxt23.yaml")
    acc = load_accelerator(ROOT / "accelerators/squeezelerator_32x32.yaml")
    runs = {f"v{i}": simulate(net, acc) for i in range(1, 6)}
    fig = plot.variants(runs)
    ax = fig.axes[0]
    assert len(ax.containers) == 5
    looks = {(to_hex(c[0].get_facecolor()), c[0].get_hatch()) for c in ax.containers}
    assert len(looks) == 5
    # grouped per stage: one tick per layer group
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["conv1", "pool1", "stage1"]


def test_axis_titles_are_names_with_units_not_columns():
    fig = plot.heatmap(SWEEP, "time_ms", "pe_array.rows", "dataflow")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "PE array rows" and ax.get_xlabel() == "Dataflow"
    fig = plot.pareto(SWEEP, "time_ms", "energy")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Time (ms) — lower is better"
    assert ax.get_ylabel() == "Energy (MAC-normalised units) — lower is better"
    assert ax.get_title() == "Energy vs time"
    assert plot.heatmap(SWEEP, "time_ms", "pe_array.rows", "dataflow").axes[0].get_title() \
        .startswith("Time")


# -- Pareto ------------------------------------------------------------------------------------

def test_pareto_direction_follows_the_metric_table():
    assert metrics.better("utilization") == "higher"
    # time lower is better, utilisation higher: hand-worked front of SWEEP
    # (1.0, 0.3) fastest; (2.0, 0.7): nothing faster is as busy; (1.5, 0.2) is slower and
    # idler than (1.0, 0.3); (3.0, 0.8) and (4.0, 0.9) each the busiest so far
    m = plots.pareto_mask(SWEEP["time_ms"], SWEEP["utilization"], "lower", "higher")
    assert m.tolist() == [True, True, True, True, False]
    # minimising both would wrongly keep only the fastest, idlest points
    assert plots.pareto_mask(SWEEP["time_ms"], SWEEP["utilization"]).tolist() == \
        [False, False, False, True, True]
    fig = plot.pareto(SWEEP, "time_ms", "utilization")
    front = fig.axes[0].collections[1].get_offsets()
    assert sorted(map(tuple, np.asarray(front).tolist())) == \
        [(1.0, 0.3), (2.0, 0.7), (3.0, 0.8), (4.0, 0.9)]
    assert fig.axes[0].get_ylabel().endswith("higher is better")


def _dominates(a, b, dirs):
    ge = all((p <= q) if d == "lower" else (p >= q) for p, q, d in zip(a, b, dirs))
    return ge and a != b


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=40),
       st.sampled_from(["lower", "higher"]), st.sampled_from(["lower", "higher"]))
def test_pareto_front_is_exactly_the_undominated_points(pts, dx, dy):
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    m = plots.pareto_mask(x, y, dx, dy)
    for i, p in enumerate(pts):
        dominated = any(_dominates(q, p, (dx, dy)) for q in pts)
        first_copy = pts.index(p) == i
        assert m[i] == (not dominated and first_copy), (p, dx, dy)


def test_pareto_labels_never_overlap():
    n = 40   # a dense front: every point on x + y = 1
    xs = np.linspace(0.0, 1.0, n)
    df = pd.DataFrame({"point": range(n), "network": "n", "pe_array.rows": range(n),
                       "rf.registers": [16] * n, "cycles": 1, "time_ms": xs, "energy": 1 - xs})
    fig = plot.pareto(df, "time_ms", "energy", label=["pe_array.rows", "rf.registers"])
    ax = fig.axes[0]
    r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in ax.texts]
    assert len(boxes) >= 5
    frame = ax.get_window_extent(r)
    for i, b in enumerate(boxes):
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1
        for c in boxes[i + 1:]:
            assert not b.overlaps(c)


def test_where_keeps_only_the_points_that_meet_every_condition():
    kept = plots.apply_where(SWEEP, ["area_mm2<=1.0", "time_ms > 2"])
    assert kept["point"].tolist() == [0, 2]      # 0.5 mm², 4 ms and 1.0 mm², 3 ms


# -- the command line --------------------------------------------------------------------------

@pytest.fixture
def sweep_csv(tmp_path):
    p = tmp_path / "r.csv"
    SWEEP.to_csv(p, index=False)
    return p


@pytest.mark.parametrize("args, msg", [
    (["--where", "area_mm2 <= two"], "--where: 'two'"),
    (["--where", "area_mm2 ~ 2"], "--where: expected COLUMN OP NUMBER"),
    (["--where", "nosuch<=2"], "--where: unknown column 'nosuch'"),
    (["--where", "dataflow<=2"], "--where: column 'dataflow' is not numeric"),
    (["--figsize", "7"], "--figsize: figure size must be W,H"),
    (["--figsize", "7,0"], "--figsize: figure size must be 0.5 to 100"),
    (["--style", "poster"], "--style: unknown style 'poster'"),
    (["--dpi", "1"], "--dpi: must be 10 to 2400"),
    (["--figure-format", "png,jpg"], "--figure-format: unknown figure format jpg"),
])
def test_bad_drawing_options_are_one_line_and_exit_2(sweep_csv, tmp_path, args, msg):
    res = CliRunner().invoke(main, ["plot-sweep", str(sweep_csv), "-o", str(tmp_path / "f"),
                                    *args])
    assert res.exit_code == 2, res.output
    err = res.output.strip()
    assert "\n" not in err and "Traceback" not in err and msg in err, err


def test_plot_sweep_where_style_and_pdf(sweep_csv, tmp_path):
    out = tmp_path / "f"
    res = CliRunner().invoke(main, ["plot-sweep", str(sweep_csv), "-o", str(out), "--where",
                                    "area_mm2<2", "--style", "paper", "--figsize", "3.5,2.6",
                                    "--figure-format", "pdf,png"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["pareto_n.pdf", "pareto_n.png"]
    from PIL import Image
    w, h = Image.open(out / "pareto_n.png").size
    # 3.5 in at the paper style's 300 dpi, give or take the tight bounding box
    assert 0.8 * 3.5 * 300 <= w <= 1.2 * 3.5 * 300, (w, h)


def test_run_plot_names_charts_after_the_accelerator_file(tmp_path, write_net):
    net = write_net(TINY)
    acc = tmp_path / "my_array.yaml"
    acc.write_text("pe_array: {rows: 8, cols: 8}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["run", net, "-a", str(acc), "-d", "ws", "--plot",
                                    str(tmp_path / "p"), "--figure-format", "svg"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "tiny__my_array_ws__cycles.svg", "tiny__my_array_ws__energy.svg"]


def test_compare_plot_takes_the_figure_options_and_names_like_run(tmp_path, write_net):
    net = write_net(TINY)
    res = CliRunner().invoke(main, ["compare", net, "--set", "pe_array.rows=8", "--set",
                                    "pe_array.cols=8", "--plot", str(tmp_path / "p"),
                                    "--style", "paper", "--figure-format", "pdf"])
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert files == ["compare__default_8x8.pdf"]
    assert (tmp_path / "p" / files[0]).read_bytes().startswith(b"%PDF")
    res = CliRunner().invoke(main, ["compare", net, "--plot", str(tmp_path / "q"),
                                    "--dpi", "5"])
    assert res.exit_code == 2 and "--dpi" in res.output
