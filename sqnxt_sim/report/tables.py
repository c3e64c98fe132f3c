"""Text renderings of networks and results for people (and JSON-ready dicts for tools)."""

from __future__ import annotations

import pandas as pd

from ..network.graph import Network


def fmt_int(v) -> str:
    return f"{int(v):,}"


def render(df: pd.DataFrame, formats: dict | None = None, align_left=("name", "type")) -> str:
    """A plain fixed-width table (no third-party dependency)."""
    formats = formats or {}
    cols = list(df.columns)
    cells = [[formats.get(c, str)(v) if not (isinstance(v, float) and pd.isna(v)) else ""
              for c, v in zip(cols, row)] for row in df.itertuples(index=False)]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]

    def line(vals):
        return "  ".join(v.ljust(w) if c in align_left else v.rjust(w)
                         for c, v, w in zip(cols, vals, widths)).rstrip()

    out = [line(cols), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def network_table(net: Network) -> str:
    df = net.table().drop(columns=["inputs"])
    t = net.totals
    body = render(df, {c: fmt_int for c in ("macs", "weights", "biases", "bn_params",
                                            "params")})
    foot = (f"\n\n{net.name}: {len(net)} layers, {fmt_int(t['macs'])} MACs, "
            f"{fmt_int(t['weights'])} weights, {fmt_int(t['params'])} parameters "
            f"(+{fmt_int(t['biases'])} biases, +{fmt_int(t['bn_params'])} batch-norm)")
    return body + foot + "\n"


def network_json(net: Network) -> dict:
    layers = net.table().to_dict(orient="records")
    return {"network": net.name, "summary": net.summary(), "layers": layers}
