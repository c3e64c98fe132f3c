"""Design-space sweeps: spec.py (the YAML format), space.py (the points), run.py (the runners),
plots.py (the figures) — docs/sweeps.md.

The package is also the API function ``sqnxt_sim.sweep(spec, jobs=1)`` (``api.sweep``): a
subpackage and a function cannot share the name ``sqnxt_sim.sweep``, so the package module is
made callable and calling it runs the sweep."""

from __future__ import annotations

import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from ..api import sweep
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
