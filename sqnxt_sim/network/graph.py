"""A network: a DAG of layer values with every tensor shape inferred (``Network.graph`` gives
it as a networkx DiGraph, built on first use: loading and simulating need no networkx, which
keeps the command line's start-up short)."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import cached_property

from ..errors import LimitError, NetworkError
from ..limits import check_layer
from ..workload import Workload
from .layers import Input, Layer, Shape


@dataclass(frozen=True, slots=True)
class Node:
    """One layer in place: its name, value, producers and inferred shapes."""

    name: str
    layer: Layer
    inputs: tuple[str, ...]
    in_shapes: tuple[Shape, ...]
    out_shape: Shape
    line: int | None = None

    @property
    def type(self) -> str:
        return self.layer.type_name

    @property
    def macs(self) -> int:
        return self.layer.macs(self.in_shapes)

    @property
    def weights(self) -> int:
        return self.layer.weights(self.in_shapes)

    @property
    def biases(self) -> int:
        return self.layer.biases(self.in_shapes)

    @property
    def bn_params(self) -> int:
        return self.layer.bn_params(self.in_shapes)

    @property
    def params(self) -> int:
        return self.weights + self.biases + self.bn_params

    @property
    def workload(self) -> Workload | None:
        return self.layer.workload(self.in_shapes)


@dataclass(frozen=True, slots=True)
class LayerDef:
    """A layer as declared, before shapes are known."""

    name: str
    layer: Layer
    inputs: tuple[str, ...]
    line: int | None = None
    field_lines: tuple[tuple[str, int], ...] = ()   # (field, line) as written, for errors

    def line_of(self, field: str | None) -> int | None:
        return dict(self.field_lines).get(field, self.line) if field else self.line


class Network:
    """Built from layer declarations; validates the graph and infers shapes on construction.

    Errors name the source file and the declaring line.
    """

    def __init__(self, name: str, defs: list[LayerDef], *, source: str | None = None) -> None:
        self.name = name
        self.source = source
        order: dict[str, int] = {}
        for i, d in enumerate(defs):
            if d.name in order:
                raise NetworkError(f"layer name {d.name!r} is defined twice", file=source,
                                   line=d.line, field="name")
            order[d.name] = i
        by_name = {d.name: d for d in defs}
        succ: dict[str, dict[str, None]] = {d.name: {} for d in defs}   # insertion-ordered sets
        for d in defs:
            lo, hi = d.layer.arity
            n = len(d.inputs)
            if n < lo or (hi is not None and n > hi):
                want = f"{lo}" if lo == hi else (f"at least {lo}" if hi is None else
                                                 f"{lo} to {hi}")
                raise NetworkError(f"{d.layer.type_name} {d.name!r} takes {want} input(s), "
                                   f"got {n}", file=source, line=d.line_of("inputs"),
                                   field="inputs")
            for src in d.inputs:
                if src not in order:
                    raise NetworkError(f"{d.layer.type_name} {d.name!r}: input {src!r} is not "
                                       f"a layer of this network", file=source, line=d.line,
                                       field="inputs")
                if src == d.name:
                    raise NetworkError(f"{d.name!r} takes itself as input", file=source,
                                       line=d.line, field="inputs")
                succ[src][d.name] = None
        self._defs = defs
        self._succ = succ
        # the lexicographical topological order (declaration order wherever the edges allow):
        # Kahn's algorithm taking the earliest-declared ready layer each time
        indeg = {name: 0 for name in order}
        for outs in succ.values():
            for t in outs:
                indeg[t] += 1
        ready = [order[name] for name, k in indeg.items() if k == 0]
        heapq.heapify(ready)
        topo: list[str] = []
        while ready:
            name = defs[heapq.heappop(ready)].name
            topo.append(name)
            for t in succ[name]:
                indeg[t] -= 1
                if indeg[t] == 0:
                    heapq.heappush(ready, order[t])
        if len(topo) < len(defs):
            import networkx as nx  # only to name the cycle, as networkx finds it

            cycle = nx.find_cycle(self._digraph(with_nodes=False))
            first = by_name[cycle[0][0]]
            raise NetworkError("the graph has a cycle: " + " -> ".join(
                [u for u, _ in cycle] + [cycle[0][0]]), file=source, line=first.line,
                field="inputs")
        if not any(isinstance(d.layer, Input) for d in defs):
            raise NetworkError("the network has no input", file=source, field="input")

        nodes: dict[str, Node] = {}
        for name in topo:
            d = by_name[name]
            ins = tuple(nodes[s].out_shape for s in d.inputs)
            try:
                # sizes first (docs/errors.md): the model's arithmetic must stay bounded
                check_layer(d.layer, ins, Shape(1, 1, 1), lambda: 0)
                out = d.layer.output_shape(ins)
                check_layer(d.layer, ins, out, lambda d=d, ins=ins: d.layer.macs(ins))
            except NetworkError as e:
                e.message = f"{d.layer.type_name} {d.name!r}: {e.message}"
                raise e.located(file=source, line=d.line_of(e.field)) from None
            except LimitError as e:
                e.message = f"{d.layer.type_name} {d.name!r}: {e.message}"
                raise e.located(file=source, line=d.line_of(e.field)) from None
            if out.c < 1 or out.h < 1 or out.w < 1:
                raise NetworkError(f"{d.layer.type_name} {d.name!r}: output shape {out} is "
                                   f"empty", file=source, line=d.line_of("kernel"),
                                   field="kernel")
            nodes[name] = Node(name, d.layer, d.inputs, ins, out, d.line)
        self._nodes = nodes

    def _digraph(self, with_nodes: bool = True):
        import networkx as nx

        g = nx.DiGraph()
        for d in self._defs:
            g.add_node(d.name, defn=d)
            if with_nodes:
                g.nodes[d.name]["node"] = self._nodes[d.name]
        for src, outs in self._succ.items():
            for t in outs:
                g.add_edge(src, t)
        return g

    @cached_property
    def graph(self):
        """The network as a networkx DiGraph (node attributes ``defn`` and ``node``)."""
        return self._digraph()

    def consumers(self, name: str) -> int:
        """How many distinct layers take ``name``'s output (its out-degree in the graph)."""
        return len(self._succ[name])

    # -- access ---------------------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        """Every node in topological order (declaration order where the graph allows)."""
        return list(self._nodes.values())

    def __getitem__(self, name: str) -> Node:
        return self._nodes[name]

    def __iter__(self):
        return iter(self._nodes.values())

    def __len__(self) -> int:
        return len(self._nodes)

    @property
    def compute_nodes(self) -> list[Node]:
        """Nodes that cost something on the accelerator (conv, FC, pooling, add)."""
        return [n for n in self._nodes.values() if n.layer.compute]

    @property
    def input_shape(self) -> Shape:
        return next(n.out_shape for n in self._nodes.values() if isinstance(n.layer, Input))

    def defs(self) -> list[LayerDef]:
        return [LayerDef(n.name, n.layer, n.inputs, n.line) for n in self._nodes.values()]

    # -- totals ---------------------------------------------------------------------------
    @cached_property
    def totals(self) -> dict[str, int]:
        t = {"macs": 0, "weights": 0, "biases": 0, "bn_params": 0}
        for n in self._nodes.values():
            t["macs"] += n.macs
            t["weights"] += n.weights
            t["biases"] += n.biases
            t["bn_params"] += n.bn_params
        t["params"] = t["weights"] + t["biases"] + t["bn_params"]
        return t

    @property
    def macs(self) -> int:
        return self.totals["macs"]

    @property
    def weights(self) -> int:
        return self.totals["weights"]

    @property
    def params(self) -> int:
        return self.totals["params"]

    def summary(self) -> dict:
        return {"layers": len(self._nodes), "compute_layers": len(self.compute_nodes),
                "input": str(self.input_shape), **self.totals}

    def table(self):
        """One row per layer as a pandas DataFrame."""
        import pandas as pd  # (pandas only when a table is asked for: a faster CLI start)

        rows = []
        for n in self._nodes.values():
            lay = n.layer
            kernel = getattr(lay, "kernel", None)
            stride = getattr(lay, "stride", None)
            rows.append({
                "name": n.name,
                "type": n.type,
                "inputs": ",".join(n.inputs),
                "in_shape": ",".join(str(s) for s in n.in_shapes),
                "out_shape": str(n.out_shape),
                "kernel": f"{kernel[0]}x{kernel[1]}" if kernel else "",
                "stride": f"{stride[0]}x{stride[1]}" if stride else "",
                "groups": getattr(lay, "groups", 1),
                "macs": n.macs,
                "weights": n.weights,
                "biases": n.biases,
                "bn_params": n.bn_params,
                "params": n.params,
            })
        return pd.DataFrame(rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        strip = lambda net: [(n.name, n.layer, n.inputs) for n in net]  # noqa: E731
        return self.name == other.name and strip(self) == strip(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Network({self.name!r}, {len(self)} layers, {self.macs:,} MACs)"
