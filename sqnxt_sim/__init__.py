"""sqnxt-sim: performance and energy simulation of DNNs on PE-array accelerators."""

__version__ = "0.1.0"

from .network.yaml_io import load_network  # noqa: E402

__all__ = ["__version__", "load_network"]
