"""Where SCALE-Sim's own interpreter lives: $SQNXT_SCALESIM_PYTHON, else the user-writable cache
venv that .ci/run creates (${XDG_CACHE_HOME:-~/.cache}/sqnxt-sim/scalesim-venv)."""

import os
from pathlib import Path


def scalesim_python() -> str:
    if os.environ.get("SQNXT_SCALESIM_PYTHON"):
        return os.environ["SQNXT_SCALESIM_PYTHON"]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return str(cache / "sqnxt-sim" / "scalesim-venv" / "bin" / "python")
