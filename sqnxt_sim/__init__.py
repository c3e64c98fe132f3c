"""sqnxt-sim: performance and energy simulation of DNNs on PE-array accelerators.

The Python API is the same functions the command line uses::

    from sqnxt_sim import load_network, load_accelerator, simulate
    result = simulate(load_network("networks/sqnxt23.yaml"),
                      load_accelerator("accelerators/squeezelerator_32x32.yaml"))
    result.layers, result.summary

    import sqnxt_sim
    sqnxt_sim.sweep("sweeps/rf_size.yaml")          # a DataFrame: the sweep's results
    sqnxt_sim.compare(["networks/sqnxt23.yaml"], dataflows="os,ws,hybrid")
"""

__version__ = "0.1.0"

# Bound eagerly, not through a PEP 562 __getattr__: ``simulate`` is also a submodule's name, and
# importing the submodule rebinds the package attribute to the module, which a lazy hook would
# then never replace.  Cheap: networkx, numpy and pandas are imported where first used.  (The
# package import also loads the machine registry, which accelerator validation reads.)
from .hardware.accelerator import load_accelerator  # noqa: E402
from .network.yaml_io import load_network  # noqa: E402
from .simulate import simulate  # noqa: E402

# loaded on first use (PEP 562), so `import sqnxt_sim` does not import pandas or matplotlib.
# `sweep` is the sweep package, which is callable (sweep/__init__.py): importing any of its
# modules binds the name to the package anyway; `plot` pulls in matplotlib when it draws.
_LAZY = {"compare": ".api", "sweep": ".sweep", "plot": ".plot"}

__all__ = ["__version__", "compare", "load_accelerator", "load_network", "plot", "simulate",
           "sweep"]


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module
        mod = import_module(_LAZY[name], __name__)
        return mod if mod.__name__ == f"{__name__}.{name}" else getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
