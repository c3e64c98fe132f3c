"""sqnxt-sim: performance and energy simulation of DNNs on PE-array accelerators.

The Python API is the same functions the command line uses::

    from sqnxt_sim import load_network, load_accelerator, simulate
    result = simulate(load_network("networks/sqnxt23.yaml"),
                      load_accelerator("accelerators/squeezelerator_32x32.yaml"))
    result.layers, result.summary
"""

__version__ = "0.1.0"

from .hardware.accelerator import load_accelerator  # noqa: E402
from .network.yaml_io import load_network  # noqa: E402
from .simulate import simulate  # noqa: E402

__all__ = ["__version__", "load_accelerator", "load_network", "plot", "simulate"]

# submodules imported on first use (PEP 562): ``sqnxt_sim.plot`` pulls in matplotlib
_LAZY = {"plot": ".plot"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        return importlib.import_module(_LAZY[name], __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
