"""A tile built without the checks (``Workload.tile_of``) is the value ``__init__`` builds."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from sqnxt_sim.workload import Kind, Workload

sizes = st.integers(1, 64)


@given(st.sampled_from(list(Kind)), sizes, sizes, sizes, sizes, sizes, st.integers(1, 5),
       st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.booleans(), st.data())
def test_tile_of_equals_and_hashes_like_the_checked_value(kind, g, k, c, p, q, r, s, stride,
                                                          residual, vector_out, data):
    w = Workload(kind, G=g, K=k, C=c, P=p, Q=q, R=r, S=s, stride_h=stride, stride_w=stride,
                 residual=residual, vector_out=vector_out, operands=data.draw(st.integers(2, 3)))
    tile = dict(G=data.draw(sizes), K=data.draw(sizes), C=data.draw(sizes), P=data.draw(sizes),
                Q=data.draw(sizes), H=data.draw(sizes), W=data.draw(sizes),
                pad_top=data.draw(st.integers(0, 2)), pad_bottom=data.draw(st.integers(0, 2)),
                pad_left=data.draw(st.integers(0, 2)), pad_right=data.draw(st.integers(0, 2)))
    fast = Workload.tile_of(w, **tile)
    checked = Workload(w.kind, R=w.R, S=w.S, stride_h=w.stride_h, stride_w=w.stride_w, N=w.N,
                       operands=w.operands, vector_out=w.vector_out, **tile)
    assert fast == checked and hash(fast) == hash(checked) and repr(fast) == repr(checked)
    assert fast.residual == 0                      # (a tile does not carry the fused add)
    again = pickle.loads(pickle.dumps(fast))
    assert again == checked and hash(again) == hash(checked)
    assert {fast: 1}[checked] == 1
