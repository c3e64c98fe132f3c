"""The limits of docs/errors.md at their edges, the atomic writer, and the sweep's up-front
checks and Dask TLS options (issue 11).  Expected values are worked by hand in each test."""

from __future__ import annotations

import os
import stat

import pytest

from sqnxt_sim.errors import (
    AcceleratorError,
    LimitError,
    NetworkError,
    OutputError,
    SqnxtError,
    SweepError,
)
from sqnxt_sim.expr import ExprError, evaluate
from sqnxt_sim.hardware.accelerator import load_accelerator
from sqnxt_sim.network.yaml_io import loads_network
from sqnxt_sim.report.outputs import atomic_open, check_output, write_text
from sqnxt_sim.sweep.spec import loads_sweep

NET = "name: x\ninput: [{c}, {h}, {w}]\nlayers:\n  - {{type: conv, out: {k}, kernel: 1}}\n"


# -- the atomic writer --------------------------------------------------------------------------
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "o.json"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_open(out) as fh:
        fh.write("half of the new")
        raise RuntimeError("the writer fails midway")
    assert out.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["o.json"]


def test_write_replaces_whole_and_keeps_permissions(tmp_path):
    out = tmp_path / "o.txt"
    out.write_text("old\n", encoding="utf-8")
    os.chmod(out, 0o640)
    write_text(out, "new\n")
    assert out.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
    fresh = tmp_path / "fresh.txt"
    write_text(fresh, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o666 & ~mask   # as open() would make it


def test_unwritable_targets_are_one_located_error(tmp_path):
    with pytest.raises(OutputError, match="folder does not exist") as e:
        check_output(tmp_path / "no" / "x.json")
    assert str(e.value).startswith(str(tmp_path / "no" / "x.json") + ": ")
    with pytest.raises(OutputError, match="No space left"):
        write_text("/dev/full", "x")                  # a device is written in place
    with pytest.raises(OutputError, match="is a folder"):
        check_output(tmp_path)
    write_text(os.devnull, "fine")                   # and /dev/null stays a device
    assert not stat.S_ISREG(os.stat(os.devnull).st_mode)


# -- accelerator limits at their edges --------------------------------------------------------
@pytest.mark.parametrize("key, ok, bad", [
    ("pe_array.rows", 4096, 4097), ("pe_array.cols", 4096, 4097),
    ("rf.registers", 65536, 65537), ("global_buffer.kb", 2.0**24, 2.0**24 + 1),
    ("dram.bandwidth_gbps", 0.1, 0.0999), ("dram.bandwidth_gbps", 1e6, 1.01e6),
    ("clock_mhz", 1e4, 1.0001e4), ("clock_mhz", 1e-3, 0.9e-3),
    ("dram.latency_cycles", 10**9, 10**9 + 1),
])
def test_accelerator_limits(key, ok, bad):
    load_accelerator(None, {key: ok})
    with pytest.raises(AcceleratorError, match="limit|range"):
        load_accelerator(None, {key: bad})


def test_unit_energies_must_keep_totals_finite():
    load_accelerator(None, {"energy": {"preset": "eyeriss", "dram": 1e9}})
    with pytest.raises(AcceleratorError, match="energy.dram_read .* limit"):
        load_accelerator(None, {"energy": {"preset": "eyeriss", "dram": 1.0e308}})


# -- network limits -----------------------------------------------------------------------------
def test_channel_and_spatial_limits_are_located():
    loads_network(NET.format(c=2**20, h=1, w=1, k=1), "n.yaml")
    with pytest.raises(LimitError, match="channels .* limit of 1,048,576") as e:
        loads_network(NET.format(c=2**20 + 1, h=1, w=1, k=1), "n.yaml")
    assert str(e.value).startswith("n.yaml:2: ")     # the input's line
    with pytest.raises(LimitError, match="height .* limit of 65,536"):
        loads_network(NET.format(c=1, h=65537, w=1, k=1), "n.yaml")
    with pytest.raises(LimitError, match="out .* limit") as e:
        loads_network(NET.format(c=1, h=1, w=1, k=2**20 + 1), "n.yaml")
    assert str(e.value).startswith("n.yaml:4: ")     # the conv's line


def test_the_work_of_a_layer_is_bounded():
    # a 1x1 conv does C*K*H*W MACs: 3162² * 1000² = 9.998e12 is within 1e13, 3163² * 1000²
    # = 1.00046e13 is not (each tensor, 3.163e9 values, stays within 2**32)
    loads_network(NET.format(c=3162, h=1000, w=1000, k=3162), "n.yaml")
    with pytest.raises(LimitError, match="MACs of this layer"):
        loads_network(NET.format(c=3163, h=1000, w=1000, k=3163), "n.yaml")


def test_a_tensor_is_bounded():
    # 2**10 channels × 2**11 × 2**11 = 2**32 values: at the limit; one more row is past it
    loads_network("name: x\ninput: [1024, 2048, 2048]\nlayers: [{type: relu}]\n")
    with pytest.raises(LimitError, match="tensor size"):
        loads_network("name: x\ninput: [1024, 2049, 2048]\nlayers: [{type: relu}]\n")


def _bomb(depth: int) -> str:
    lines = ["vars:", "  a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]"
              for i in range(1, depth + 1)]
    return "\n".join(lines) + "\nname: x\ninput: [3, 8, 8]\nlayers: [{type: relu}]\n"


def test_yaml_alias_expansion_is_bounded():
    # a list of nine level-(k-1) lists holds 1 + 9 × size(k-1) values; size(0) = 10, so
    # size(5) = 66,430 and the vars mapping of a0..a5 stays far below 1,000,000; size(7) =
    # 5,380,840 is past it
    loads_network(_bomb(5))
    with pytest.raises(NetworkError, match="expands to more than 1,000,000"):
        loads_network(_bomb(7), "b.yaml")


def test_long_integers_binary_and_dates_are_refused():
    with pytest.raises(NetworkError, match="31 digits"):
        loads_network(NET.format(c=10**30, h=1, w=1, k=1), "n.yaml")
    with pytest.raises(NetworkError, match="binary values"):
        loads_network("name: x\nvars: {b: !!binary aGVsbG8=}\ninput: [3, 8, 8]\nlayers: []\n")
    with pytest.raises(NetworkError, match="date/time"):
        loads_network("name: 2024-01-01\ninput: [3, 8, 8]\nlayers: []\n")


def test_expression_values_are_bounded_through_every_level():
    # [[0]*99]*99 holds 1 + 99 × (1 + 99) = 9,901 values (within 10,000); [[0]*100]*100 holds
    # 1 + 100 × 101 = 10,101 (one shared inner list, but that many once written out)
    assert len(evaluate("[[0]*99]*99", {})) == 99
    with pytest.raises(ExprError, match="too long|more than"):
        evaluate("[[0]*100]*100", {})
    with pytest.raises(ExprError, match="too long|more than"):
        evaluate("str([[[0]*9999]*9999]*9999)", {})
    with pytest.raises(ExprError):
        evaluate("b * 2", {"b": b"bytes"})


@pytest.mark.parametrize("when, kept", [("true", 2), ("false", 1), ("=1 > 0", 2),
                                        ("=1 < 0", 1)])
def test_when_takes_booleans(when, kept):
    written = f"'{when}'" if when.startswith("=") else when
    net = loads_network(f"name: x\ninput: [3, 8, 8]\nlayers:\n  - {{type: relu, when: {written}}}")
    assert len(net.nodes) == kept   # the input and, when kept, the relu


@pytest.mark.parametrize("when", ["'false'", "'true'", "[0]", "0", "1", "'=1'"])
def test_when_refuses_what_is_not_a_boolean(when):
    with pytest.raises(NetworkError, match="when must be true, false") as e:
        loads_network(f"name: x\ninput: [3, 8, 8]\nlayers:\n  - {{type: relu, when: {when}}}",
                      "n.yaml")
    assert str(e.value).startswith("n.yaml:4: ")


# -- sweeps ---------------------------------------------------------------------------------------
@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text("name: tiny\ninput: [3, 8, 8]\nlayers: [{type: conv, out: 4, kernel: 3}]\n",
                 encoding="utf-8")
    return str(p)


def test_the_whole_space_is_checked_before_any_point_runs(tiny, tmp_path):
    text = (f"networks: [{tiny}]\naccelerator: null\ngrid:\n  template: [systolic, "
            "squeezelerator]\n  dataflow: [os, is]\n")
    with pytest.raises(SweepError, match="template=squeezelerator, dataflow=is") as e:
        loads_sweep(text, "s.yaml")
    assert str(e.value).startswith("s.yaml:5: grid.dataflow: ")
    # zipped, the pairs are all valid
    loads_sweep(f"networks: [{tiny}]\nzip:\n  template: [systolic, squeezelerator]\n"
                "  dataflow: [is, os]\n")


def test_a_100000_value_axis_parses_and_one_more_is_refused(tiny):
    spec = loads_sweep(f"networks: [{tiny}]\ngrid:\n  dram.latency_cycles: "
                       "{start: 0, stop: 99999, step: 1}\n")
    assert spec.space_size == 100_000
    with pytest.raises(SweepError, match="more than 100000"):
        loads_sweep(f"networks: [{tiny}]\ngrid:\n  dram.latency_cycles: "
                    "{start: 0, stop: 100000, step: 1}\n")


def test_a_sample_nothing_satisfies_ends_with_an_error(tiny):
    spec = loads_sweep(f"networks: [{tiny}]\ngrid:\n  dram.latency_cycles: "
                       "{start: 0, stop: 99999, step: 1}\nsample: {n: 3}\n"
                       "filters: [dram_latency_cycles < 0]\n", "s.yaml")
    with pytest.raises(SweepError, match="only 0 of n=3 points .* 20,000 random draws"):
        spec.sample_indices()
    # a small space is searched exhaustively: the two points that pass are found
    spec = loads_sweep(f"networks: [{tiny}]\ngrid:\n  pe_array.rows: [1, 2, 3, 4, 5, 6]\n"
                       "sample: {n: 5, seed: 3}\nfilters: [rows > 4]\n")
    assert spec.sample_indices() == [4, 5]


def test_dask_tls_options_become_a_security_object(tmp_path):
    pytest.importorskip("distributed")
    from sqnxt_sim.sweep.run import check_scheduler_address, dask_security

    ca, cert, key = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    for p in (ca, cert, key):
        p.write_text("not checked until a connection is made\n", encoding="utf-8")
    assert dask_security() is None
    sec = dask_security(str(ca), str(cert), str(key))
    assert (sec.tls_ca_file, sec.tls_client_cert, sec.tls_client_key) == (str(ca), str(cert),
                                                                           str(key))
    assert sec.require_encryption
    with pytest.raises(SweepError, match="--tls-key needs --tls-cert"):
        dask_security(str(ca), None, str(key))
    with pytest.raises(SweepError, match="--tls-ca-file: no such file"):
        dask_security(str(tmp_path / "nope.pem"))
    check_scheduler_address("tls://scheduler.example:8786")
    check_scheduler_address("tcp://[::1]:8786")
    for bad in ("tcp://:::bad", "host:8786", "tcp://h:port"):
        with pytest.raises(SweepError, match="malformed address"):
            check_scheduler_address(bad)


def test_every_error_is_a_sqnxt_error():
    assert issubclass(LimitError, SqnxtError) and issubclass(OutputError, SqnxtError)
