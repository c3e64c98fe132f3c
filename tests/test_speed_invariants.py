"""What the speed work of issue 15 must not change (docs/sweeps.md, Performance).

* A network's layer order is the lexicographical topological order of its declarations —
  computed without networkx since issue 15, checked here against networkx itself.
* Tiling fronts are shared by buffer sizes that admit the same candidate tilings, and what
  does not depend on the buffer's size (the candidates' layout, the templates' cycle tables)
  by every buffer size: a search after another buffer's search must give what a search from
  cold gives.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqnxt_sim.dataflow.base import template
from sqnxt_sim.hardware.accelerator import Accelerator
from sqnxt_sim.network.graph import LayerDef, Network
from sqnxt_sim.network.layers import Add, Input, Shape
from sqnxt_sim.simulate import clear_caches
from sqnxt_sim.tiling import best_tiling, exhaustive_best, objective
from sqnxt_sim.workload import Kind, Workload

ROOT = Path(__file__).resolve().parent.parent


@st.composite
def dags(draw):
    """Layer declarations of a random DAG of inputs and adds, in a random declaration order
    (a topological one is hidden; adds take two or three earlier layers)."""
    n = draw(st.integers(4, 12))
    inputs = draw(st.integers(2, 3))
    edges = {}
    for j in range(inputs, n):
        srcs = draw(st.lists(st.integers(0, j - 1), min_size=2, max_size=min(3, j), unique=True))
        edges[j] = srcs
    order = draw(st.permutations(range(n)))
    defs = []
    for i in order:
        if i < inputs:
            defs.append(LayerDef(f"n{i}", Input(Shape(2, 4, 4)), ()))
        else:
            defs.append(LayerDef(f"n{i}", Add(), tuple(f"n{s}" for s in edges[i])))
    return defs


@settings(max_examples=200, deadline=None)
@given(dags())
def test_layer_order_is_networkx_lexicographical_topological_order(defs):
    g = nx.DiGraph()
    rank = {d.name: i for i, d in enumerate(defs)}
    g.add_nodes_from(rank)
    for d in defs:
        g.add_edges_from((s, d.name) for s in d.inputs)
    want = list(nx.lexicographical_topological_sort(g, key=rank.__getitem__))
    net = Network("dag", defs)
    assert [n.name for n in net] == want
    assert {(u, v) for u, v in net.graph.edges} == set(g.edges)
    assert all(net.consumers(u) == g.out_degree(u) for u in g)


@st.composite
def conv_layers(draw):
    return Workload(Kind.CONV, G=1, K=draw(st.integers(1, 40)), C=draw(st.integers(1, 40)),
                    P=draw(st.integers(1, 20)), Q=draw(st.integers(1, 20)),
                    R=draw(st.sampled_from([1, 3])), S=draw(st.sampled_from([1, 3])),
                    residual=draw(st.integers(0, 1)))


@settings(max_examples=60, deadline=None)
@given(conv_layers(), st.lists(st.sampled_from([0.5, 1.0, 2.0, 4.0, 8.0, 64.0]),
                               min_size=2, max_size=4),
       st.sampled_from(["os", "ws"]))
def test_fronts_shared_across_buffers_change_nothing(w, kbs, dataflow):
    tmpl = template(dataflow)
    accs = [Accelerator(rows=4, cols=4, rf_registers=4, buffer_kb=kb) for kb in kbs]
    clear_caches()
    warm = []
    for acc in accs:                  # one after another: later ones may reuse fronts
        try:
            warm.append(best_tiling(w, tmpl, acc))
        except Exception as e:        # too small a buffer: the same error either way
            warm.append(type(e).__name__)
    for acc, got in zip(accs, warm):
        clear_caches()
        try:
            cold = best_tiling(w, tmpl, acc)
        except Exception as e:
            cold = type(e).__name__
        assert got == cold
        if not isinstance(cold, str):
            # and the definition agrees: min(candidates, key=objective)
            ref = exhaustive_best(w, tmpl, acc)
            assert objective(cold, acc.buffer) == objective(ref, acc.buffer)


@pytest.mark.parametrize("field, value", [
    ("G", 0), ("K", -3), ("C", 2.0), ("P", True), ("R", "3"), ("stride_w", None),
    ("operands", 0), ("N", 1.5), ("H", -1), ("W", 2.5)])
def test_workload_checks_every_size_field(field, value):
    """Every size field is checked, whatever builds the Workload (the tiler builds thousands
    of tiles per cold run without dataclasses.replace): refused with the field's name, except
    True, an int subclass, which is 1."""
    sizes = dict(G=1, K=4, C=4, P=3, Q=3, R=1, S=1, stride_h=1, stride_w=1, N=1, operands=2)
    sizes[field] = value
    if value is True:
        assert Workload(Kind.CONV, **sizes).P == 1
        return
    with pytest.raises(ValueError, match=rf"Workload\.{field} must be a positive integer"):
        Workload(Kind.CONV, **sizes)


def test_workload_tiles_keep_every_field():
    """_channel_tile spells out every Workload field instead of dataclasses.replace: the tile
    must equal what replace gives, for a workload with every field off its default."""
    from dataclasses import fields, replace

    from sqnxt_sim.dataflow.base import _channel_tile

    w = Workload(Kind.CONV, G=2, K=6, C=5, P=7, Q=9, R=3, S=2, stride_h=2, stride_w=3, H=15,
                 W=26, pad_top=1, pad_bottom=0, pad_left=2, pad_right=1, N=3, operands=3,
                 residual=2, vector_out=True)
    assert {f.name for f in fields(Workload) if f.compare} == {
        "kind", "G", "K", "C", "P", "Q", "R", "S", "stride_h", "stride_w", "H", "W", "pad_top",
        "pad_bottom", "pad_left", "pad_right", "N", "operands", "residual", "vector_out"}
    assert _channel_tile.__wrapped__(w, 1, 4, 3) == replace(w, G=1, K=4, C=3, residual=0)


def test_cached_hashes_survive_a_trip_to_another_process():
    """Frozen cache keys keep their hash (hashed many times per design point); str hashes
    differ between processes, so one sent to a sweep worker must hash like an equal value made
    there, and every cached-hash class must hash equal values alike."""
    import os
    import pickle
    import subprocess
    import sys

    from sqnxt_sim.hardware.parts import ArraySpec

    w = Workload(Kind.CONV, G=2, K=6, C=5, P=7, Q=9, R=3, S=2, stride_h=2, stride_w=3,
                 pad_top=1, residual=2, vector_out=True)
    a = ArraySpec(rows=8, dataflow="ws")
    code = ("import pickle, sys\n"
            "from sqnxt_sim.workload import Workload, Kind\n"
            "from sqnxt_sim.hardware.parts import ArraySpec\n"
            "w, a = pickle.loads(sys.stdin.buffer.read())\n"
            "same = Workload(Kind.CONV, G=2, K=6, C=5, P=7, Q=9, R=3, S=2, stride_h=2,"
            " stride_w=3, pad_top=1, residual=2, vector_out=True)\n"
            "print(hash(w) == hash(same), w == same, hash(a) == hash(ArraySpec(rows=8,"
            " dataflow='ws')))\n")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], input=pickle.dumps((w, a)),
                             capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed},
                             check=True)
        assert out.stdout.split() == [b"True", b"True", b"True"]


def test_every_cached_hash_class_hashes_by_value():
    import pickle

    from sqnxt_sim.dataflow.base import Granularity
    from sqnxt_sim.hardware.parts import ArraySpec, BufferSpec, DramSpec
    from sqnxt_sim.tiling import Tiling

    for make in (lambda: Workload(Kind.POOL_MAX, G=4, K=1, C=1, P=3, Q=3, R=2, S=2),
                 lambda: ArraySpec(rows=4, sparsity=0.25), lambda: BufferSpec(64.0, 8, "traffic"),
                 lambda: DramSpec(8.0, 50, 700.0), lambda: Granularity(K=16, P=32),
                 lambda: Tiling(1, 16, 3, 32, 28, ("K", "P"))):
        a, b = make(), make()
        assert a == b and hash(a) == hash(b) and a._hash != 0
        c = pickle.loads(pickle.dumps(a))
        assert c == a and hash(c) == hash(a)
        assert len({a, b, c}) == 1
    assert hash(BufferSpec(64.0)) != hash(BufferSpec(32.0))


def test_workload_refuses_padding_that_leaves_no_input():
    """A derived input extent (H, W = 0) must leave at least one row and column once the
    padding is taken off: 3×3 taps on one output row with two rows of padding on each side
    would read a map of −1 rows (the tiling search's working-set arithmetic assumes ≥ 1)."""
    with pytest.raises(ValueError, match=r"Workload\.H must be a positive integer"):
        Workload(Kind.CONV, G=1, K=2, C=5, P=1, Q=12, R=3, S=3, pad_top=2, pad_bottom=2)
    assert Workload(Kind.CONV, G=1, K=2, C=5, P=1, Q=12, R=3, S=3, pad_top=1,
                    pad_bottom=1).H == 1


def test_design_points_sharing_memos_get_what_a_cold_simulation_gets():
    """A sweep's points share per-tiling memos (every field of a tiling's cost but its time,
    its operand bytes and text, a fused add's row per energy table, the front per buffer):
    each point's rows must be those a simulation from cold gives, whatever ran before it —
    here points differing in DRAM bandwidth and latency, clock, buffer, RF and leakage, on a
    network with fused adds."""
    from dataclasses import replace

    from sqnxt_sim.hardware.energy import EYERISS
    from sqnxt_sim.network.yaml_io import load_network
    from sqnxt_sim.simulate import simulate

    net = load_network(ROOT / "networks" / "sqnxt23v5.yaml")
    leaky = replace(EYERISS, leakage=0.002)
    base = Accelerator(rows=16, cols=16, energy=leaky)
    points = [base, replace(base, dram_bandwidth_gbps=3.0), replace(base, dram_latency_cycles=7),
              replace(base, clock_mhz=250.0), replace(base, buffer_kb=64.0),
              replace(base, rf_registers=8), replace(base, energy=EYERISS),
              replace(base, dram_bandwidth_gbps=3.0, buffer_kb=64.0)]
    clear_caches()
    warm = [simulate(net, acc).to_dict() for acc in points]
    for acc, got in zip(points, warm):
        clear_caches()
        assert simulate(net, acc).to_dict() == got
    clear_caches()
