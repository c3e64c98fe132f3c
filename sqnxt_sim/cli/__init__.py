"""The command line: thin click commands over the library (docs/architecture.md).

``main`` is the click group; each command family lives in its own module and is registered
here by name (``FAMILIES``): run.py (show, run), report.py (compare, report), sweep.py (sweep,
plot-sweep), interop.py (export, import, tables).  A family's module is imported when one of its
commands runs (options.py: ``Group``), so a command loads only its own family; options.py holds
what they share.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from .options import Group

# each command family's module → the commands its COMMANDS tuple defines (a test checks both
# agree); the module is imported when one of them is looked up
FAMILIES = {
    f"{__name__}.run": ("show", "run"),
    f"{__name__}.report": ("compare", "report"),
    f"{__name__}.sweep": ("sweep", "plot-sweep"),
    f"{__name__}.interop": ("export", "import", "tables"),
}


@click.group(cls=Group, families=FAMILIES,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sqnxt-sim")
def main() -> None:
    """sqnxt-sim: cycles, utilisation and energy of DNNs on PE-array accelerators.

    \b
    Typical use:
      sqnxt-sim show networks/sqnxt23v5.yaml
      sqnxt-sim run networks/sqnxt23v5.yaml --accel accelerators/os_32x32.yaml
    """
    # The model uses numpy only element-wise (no BLAS), and OpenBLAS starts a thread per core
    # when numpy is imported: one thread saves ≈ 90 ms of CPU per process (and sweep workers
    # inherit it).  Only before numpy is loaded, and never over the user's own setting.
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

