"""A six-layer network in the SqueezeNext naming (stages, blocks) that draws every chart quickly:
shared by the chart and figure tests."""

from __future__ import annotations

from functools import cache

TINY = """
name: tiny
input: [3, 32, 32]
layers:
  - {name: conv1, type: conv, out: 16, kernel: 3, stride: 2, bn: true, relu: true}
  - {name: stage1.1/a, type: conv, out: 16, kernel: 1}
  - {name: stage1.1/b, type: conv, out: 16, kernel: 3, pad: 1}
  - {name: stage1.2/a, type: conv, out: 16, kernel: 1}
  - {name: pool, type: gap}
  - {name: fc, type: fc, out: 10, bias: false}
"""


@cache
def tiny_result():
    """TINY on an 8×8 hybrid Squeezelerator."""
    from sqnxt_sim.hardware.accelerator import load_accelerator
    from sqnxt_sim.network.yaml_io import loads_network
    from sqnxt_sim.simulate import simulate

    return simulate(loads_network(TINY), load_accelerator(None, {"pe_array.rows": 8,
                                                                 "pe_array.cols": 8}))
