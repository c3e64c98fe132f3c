"""sqnxt-sim: performance and energy simulation of DNNs on PE-array accelerators.

The Python API is the same functions the command line uses::

    from sqnxt_sim import load_network, load_accelerator, simulate
    result = simulate(load_network("networks/sqnxt23.yaml"),
                      load_accelerator("accelerators/squeezelerator_32x32.yaml"))
    result.layers, result.summary
"""

__version__ = "0.1.0"

# Bound eagerly, not through a PEP 562 __getattr__: ``simulate`` is also a submodule's name, and
# importing the submodule rebinds the package attribute to the module, which a lazy hook would
# then never replace.  Cheap: networkx, numpy and pandas are imported where first used.  (The
# package import also loads the machine registry, which accelerator validation reads.)
from .hardware.accelerator import load_accelerator  # noqa: E402
from .network.yaml_io import load_network  # noqa: E402
from .simulate import simulate  # noqa: E402

__all__ = ["__version__", "load_accelerator", "load_network", "simulate"]
