"""The notebook-first API: sweeps and comparisons as pandas DataFrames (docs/tutorial.md).

The same functions the CLI runs: ``sweep`` gives exactly the rows and columns of
``sqnxt-sim sweep … --out FILE.csv`` read back with ``pandas.read_csv``, and ``compare`` the
cross table of ``sqnxt-sim compare … -f csv``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence

import pandas as pd


def _spec(spec):
    from .sweep.space import SweepSpec
    from .sweep.spec import load_sweep, loads_sweep

    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, Mapping):
        import yaml
        return loads_sweep(yaml.safe_dump(dict(spec), sort_keys=False))
    return load_sweep(spec)


def sweep(spec, jobs: int | None = 1, *, batch: int | None = None,
          scheduler: str | None = None) -> pd.DataFrame:
    """Run a design-space sweep and return its results as a DataFrame.

    ``spec``: a sweep YAML path, a mapping in the same layout (relative paths from the current
    directory) or a loaded ``SweepSpec``.  ``jobs``: local processes (1: this process; None:
    every core); ``scheduler``: a Dask scheduler address or ``"local"``.  The frame equals
    ``pandas.read_csv`` of the CLI's results file: one row per (design point, network)."""
    from dataclasses import replace

    from .sweep.run import run_sweep

    s = _spec(spec)
    if batch is not None:
        s = replace(s, batch=batch)
    with tempfile.TemporaryDirectory(prefix="sqnxt-sweep-") as tmp:
        out = os.path.join(tmp, "results.csv")
        run_sweep(s, out, jobs=jobs, scheduler=scheduler)
        return pd.read_csv(out)


def compare(networks: Sequence | str, accelerators: Sequence | str | None = None,
            dataflows: Sequence[str] | str | None = None, baseline: str | None = None, *,
            sets: Mapping | None = None, batch: int = 1) -> pd.DataFrame:
    """Every (network, accelerator, dataflow) combination: the cross table of
    ``sqnxt-sim compare`` (one row each, summary metrics, ``speedup`` and ``energy_ratio``
    against ``baseline``).  Networks and accelerators are paths or loaded values; ``dataflows``
    a list or a comma string (``"os,ws,hybrid"``).  For the per-layer diff use
    :func:`sqnxt_sim.report.compare.run_comparison` and its ``layer_diff()``."""
    from .report.compare import run_comparison

    if isinstance(networks, str | os.PathLike):
        networks = [networks]
    if isinstance(accelerators, str | os.PathLike):
        accelerators = [accelerators]
    return run_comparison(networks, accelerators, dataflows, sets=sets, batch=batch,
                          baseline=baseline).table()
