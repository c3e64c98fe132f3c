"""SCALE-Sim topology CSV: import (`sqnxt-sim run FILE.csv`), export (`sqnxt-sim export`), and
the round trip.  Expected shapes and MACs are worked out by hand from SCALE-Sim's rules
(docs/systolic.md §1, §7, §9): output = ceil((H − R)/stride) + 1, no padding column, a "DP" in
the name means one single-channel layer per channel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqnxt_sim.cli import main
from sqnxt_sim.errors import NetworkError
from sqnxt_sim.network.layers import FC, Conv
from sqnxt_sim.network.topology import load_topology, to_scalesim
from sqnxt_sim.network.yaml_io import load_network

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
          "Num Filter, Strides,\n")


def convs(net):
    return [n for n in net if isinstance(n.layer, Conv)]


def test_load_scalesim_csv():
    text = HEADER + (
        "Conv1, 11, 11, 3, 3, 3, 16, 2,\n"      # ragged: ceil((11-3)/2)+1 = 5 (= floor too)
        "  ragged , 10, 9, 3, 3, 2, 4, 2,\n"   # ceil(7/2)+1 = 5 rows, ceil(6/2)+1 = 4 cols
        "\n"
        "dw3DP, 8, 8, 3, 3, 6, 1, 1,\n"        # depthwise: 6 channels, 1 filter each
        "fc, 1, 1, 1, 1, 64, 20, 1\n")         # no trailing comma: tolerated
    net = load_topology(text, "t.csv")
    assert net.name == "t"
    rows = convs(net)
    assert [n.name for n in rows] == ["Conv1", "ragged", "dw3DP", "fc"]
    c1, rg, dw, fc = rows
    assert str(c1.out_shape) == "16x5x5" and c1.macs == 5 * 5 * 16 * 27
    assert str(rg.out_shape) == "4x5x4" and rg.macs == 5 * 4 * 4 * (3 * 3 * 2)
    assert rg.layer.pad == (0, 1, 0, 0)      # the ragged last row reads zeros: padding
    assert dw.layer.groups == 6 and str(dw.out_shape) == "6x6x6"
    assert dw.macs == 6 * 36 * 9
    assert fc.macs == 64 * 20
    assert [n.line for n in rows] == [2, 3, 5, 6]


def test_header_is_by_name_case_and_spacing_free():
    text = ("layer name,channels,num filter,strides,ifmap  height,IFMAP Width,"
            "filter height,Filter Width\n"
            "a,4,8,1,6,6,3,3\n")
    (a,) = convs(load_topology(text, "x.csv"))
    assert a.in_shapes[0].c == 4 and str(a.out_shape) == "8x4x4"


def test_gemm_layout():
    # SCALE-Sim's GEMM lowering: M×K times K×N = an M×K one-channel map, N filters of 1×K
    (g,) = convs(load_topology("Layer, M, N, K,\ng1, 64, 32, 128,\n", "g.csv"))
    assert g.macs == 64 * 32 * 128
    assert str(g.out_shape) == "32x64x1"


@pytest.mark.parametrize("body,line,needle", [
    ("c1, 8, x, 3, 3, 1, 1, 1,\n", 2, "IFMAP Width: expected a positive integer, got 'x'"),
    ("c1, 8, 8, 3, 3, 0, 1, 1,\n", 2, "Channels: expected a positive integer, got '0'"),
    ("ok, 8, 8, 3, 3, 1, 1, 1,\nc1, 8, 8, 3, 3, 1\n", 3, "Num Filter: missing"),
    ("c1, 8, 8, 9, 3, 1, 1, 1,\n", 2, "Filter Height: filter height 9 is larger"),
    ("c1, 8, 8, 3, 3, 1, 1, 1, 2:4, 7\n", 2, "fields but the header has"),
    ("c1, 8, 8, 3, 3, 1, 1, 1,\nc1, 8, 8, 3, 3, 1, 1, 1,\n", 3, "defined twice"),
])
def test_bad_rows_are_located(tmp_path, body, line, needle):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + body)
    r = CliRunner().invoke(main, ["run", str(path)])
    assert r.exit_code == 2
    assert r.output.startswith(f"error: {path}:{line}: ")
    assert needle in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("text,needle", [
    ("Layer name, IFMAP Hieght, IFMAP Width\n", "unknown column 'IFMAP Hieght'"),
    ("Layer name, IFMAP Height, IFMAP Width, Filter Height,\n", "no 'Filter Width' column"),
    ("", "empty SCALE-Sim topology"),
    (HEADER, "no layer rows"),
])
def test_bad_headers(text, needle):
    with pytest.raises(NetworkError, match=needle):
        load_topology(text, "h.csv")


def test_sparsity_column():
    ok = HEADER.rstrip(",\n") + ", Sparsity,\nc1, 4, 4, 1, 1, 2, 2, 1, 1:1,\n"
    assert len(convs(load_topology(ok, "s.csv"))) == 1
    with pytest.raises(NetworkError, match="2:4"):
        load_topology(ok.replace("1:1", "2:4"), "s.csv")


# -- export -----------------------------------------------------------------------------------
def test_export_alexnet_by_hand():
    text, notes = to_scalesim(load_network(ROOT / "networks/alexnet.yaml"))
    lines = text.splitlines()
    assert lines[0] == HEADER.strip()
    # conv1 227, no pad; conv2 (5x5 pad 2, 2 groups of 48 -> 128 each) on 27: 27 + 4 = 31;
    # conv3..5 (3x3 pad 1) on 13: 15; fc6 on the 256x6x6 map: 9216 channels on a 1x1 map
    assert lines[1:] == [
        "conv1, 227, 227, 11, 11, 3, 96, 4,",
        "conv2_g0, 31, 31, 5, 5, 48, 128, 1,", "conv2_g1, 31, 31, 5, 5, 48, 128, 1,",
        "conv3, 15, 15, 3, 3, 256, 384, 1,",
        "conv4_g0, 15, 15, 3, 3, 192, 192, 1,", "conv4_g1, 15, 15, 3, 3, 192, 192, 1,",
        "conv5_g0, 15, 15, 3, 3, 192, 128, 1,", "conv5_g1, 15, 15, 3, 3, 192, 128, 1,",
        "fc6, 1, 1, 1, 1, 9216, 4096, 1,", "fc7, 1, 1, 1, 1, 4096, 4096, 1,",
        "fc8, 1, 1, 1, 1, 4096, 1000, 1,"]
    joined = "\n".join(notes)
    assert "pool1, pool2, pool5" in joined and "conv2 (2 groups)" in joined
    assert "padding folded" in joined


def test_export_depthwise_and_floor_crop(write_net):
    net = load_network(write_net("""
        name: t
        input: [4, 16, 16]
        layers:
          - {name: c1, type: conv, out: 8, kernel: 3, stride: 2, pad: 1}
          - {name: dw, type: conv, out: 8, groups: 8, kernel: 3, pad: 1}
          - {name: xDPy, type: conv, out: 4, kernel: 1}
          - {name: p, type: maxpool, kernel: 2}
          - {name: g, type: gap}
          - {name: fc, type: fc, out: 10}
        """))
    text, notes = to_scalesim(net)
    # c1: 16 + 2 - 3 = 15, floor(15/2) + 1 = 8 outputs; SCALE-Sim would make 9 of 18, so the
    # unused last padded row is dropped: (8-1)*2 + 3 = 17.  dw: 8 + 2 = 10, "DP" marker.
    # A non-depthwise "DP" name would be split per channel by SCALE-Sim: renamed.
    assert text.splitlines()[1:] == [
        "c1, 17, 17, 3, 3, 4, 8, 2,", "dw_DP, 10, 10, 3, 3, 8, 1, 1,",
        "xDpy, 8, 8, 1, 1, 8, 4, 1,", "fc, 1, 1, 1, 1, 4, 10, 1,"]
    joined = "\n".join(notes)
    assert "xDPy -> xDpy" in joined and "p, g" in joined


def _conv_list(net):
    """(kernel, stride, in channels per group, out channels per group, P, Q, MACs) per
    single-group conv: a grouped conv counts as its groups (how SCALE-Sim must be given it),
    an FC as a 1x1 conv on a 1x1 map; padding is not compared (export folds it)."""
    out = []
    for n in net:
        lay, w = n.layer, n.workload
        if isinstance(lay, (Conv, FC)):
            depthwise = w.G > 1 and w.C == 1
            per = 1 if depthwise else w.G
            macs = n.macs // per
            item = ((w.R, w.S), (w.stride_h, w.stride_w) if w.P > 1 and w.Q > 1 else None,
                    w.C, w.K * (w.G if depthwise else 1), w.P, w.Q, macs,
                    w.G if depthwise else 1)
            out += [item] * per
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "networks").glob("*.yaml")))
def test_round_trip_zoo(name, tmp_path):
    net = load_network(ROOT / "networks" / name)
    text, _ = to_scalesim(net)
    back = load_topology(text, str(tmp_path / "x.csv"))
    assert _conv_list(back) == _conv_list(net)
    conv_macs = sum(n.macs for n in net if isinstance(n.layer, (Conv, FC)))
    assert back.macs == conv_macs
    # and the round trip is a fixed point: export(import(export(net))) == export(net)
    assert to_scalesim(back)[0] == text


def test_cli_export_writes_file_and_warns(tmp_path):
    out = tmp_path / "a.csv"
    r = CliRunner().invoke(main, ["export", str(ROOT / "networks/alexnet.yaml"), "--to",
                                  "scalesim", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "warning: 3 pooling/add layer(s) omitted" in r.output   # stderr (mixed in)
    assert out.read_text().startswith("Layer name, IFMAP Height")
    r2 = CliRunner().invoke(main, ["run", str(out), "-a",
                                   str(ROOT / "accelerators/systolic_32x32.yaml"), "-f", "json"])
    assert r2.exit_code == 0, r2.output
    assert json.loads(r2.output)["summary"]["layers"] == 11


def test_cli_export_needs_target():
    r = CliRunner().invoke(main, ["export", str(ROOT / "networks/alexnet.yaml")])
    assert r.exit_code == 2


def test_brief_command(tmp_path):
    """The documented interop command: SCALE-Sim topology, IS on a 16x8 array, compat."""
    path = tmp_path / "topo.csv"
    path.write_text(HEADER + "Conv1, 11, 11, 3, 3, 3, 16, 2,\n")
    r = CliRunner().invoke(main, [
        "run", str(path), "--accel", str(ROOT / "accelerators/systolic_32x32.yaml"),
        "--dataflow", "is", "--set", "pe_array.rows=16", "--set", "pe_array.cols=8",
        "--set", "scalesim_compat=true", "--format", "json"])
    assert r.exit_code == 0, r.output
    (layer,) = json.loads(r.output)["layers"]
    # IS: Sr = window = 27, Sc = M = 5*5 = 25, T = K = 16; folds ceil(27/16)*ceil(25/8) = 2*4;
    # per fold 2*16 + 8 + 16 - 2 = 54 cycles; SCALE-Sim reports the last index: 8*54 - 1.
    assert layer["cycles"] == 8 * 54 - 1 == layer["compute_cycles"]
    assert layer["stall_cycles"] == 0 and layer["dataflow"] == "is"
    assert layer["mapping_efficiency"] == pytest.approx(27 * 25 / (8 * 16 * 8))


def test_a_topology_cannot_be_written_as_network_yaml(tmp_path):
    """A topology's layers are independent (one input each): the flat YAML has one input, so
    `show --format yaml` refuses with one line instead of writing a file that will not load."""
    from click.testing import CliRunner

    from sqnxt_sim.cli import main

    topo = tmp_path / "t.csv"
    topo.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\na, 8, 8, 3, 3, 4, 8, 1,\n"
                    "b, 8, 8, 1, 1, 8, 8, 1,\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["show", str(topo), "--format", "yaml"])
    assert res.exit_code == 2
    assert "separate inputs" in res.output and res.output.count("\n") == 1
