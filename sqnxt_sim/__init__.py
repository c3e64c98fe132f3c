"""sqnxt-sim: performance and energy simulation of DNNs on PE-array accelerators.

The Python API is the same functions the command line uses::

    from sqnxt_sim import load_network, load_accelerator, simulate
    result = simulate(load_network("networks/sqnxt23.yaml"),
                      load_accelerator("accelerators/squeezelerator_32x32.yaml"))
    result.layers, result.summary
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it, imported on first use (PEP 562), so importing the
# package (the command line does) costs nothing until a name is asked for
_LAZY = {
    "load_accelerator": "sqnxt_sim.hardware.accelerator",
    "load_network": "sqnxt_sim.network.yaml_io",
    "simulate": "sqnxt_sim.simulate",
}

__all__ = ["__version__", *_LAZY]


# the machine registry fills the accelerator schema's templates and dataflows (validation reads
# it), so it is loaded with the package, whichever module is imported first
from . import machines  # noqa: E402,F401


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sqnxt_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
