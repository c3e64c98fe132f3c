"""The layering rules of docs/architecture.md, checked on the source: which package may import
which, and that nothing below the report, sweep and CLI layers prints, exits, plots or opens
files other than through the one input reader (sqnxt_sim/source.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "sqnxt_sim"

# module (or package) → the sqnxt_sim modules/packages it may import (besides itself)
ALLOWED = {
    "errors": set(),
    "operands": set(),
    "metrics": set(),
    "frozen": set(),
    "workload": {"frozen"},
    "limits": {"errors"},
    "expr": {"errors", "limits"},
    "source": {"errors", "limits"},
    "hardware": {"errors", "source", "limits", "frozen"},
    "network": {"errors", "workload", "expr", "source", "limits"},
    "dataflow": {"errors", "workload", "hardware.parts", "frozen"},
    "tiling": {"errors", "workload", "operands", "dataflow", "hardware", "frozen"},
    "machines": {"errors", "workload", "operands", "dataflow", "hardware", "tiling", "frozen"},
}
# the layers whose job is output: they alone may print, exit, plot or use click
OUTPUT_LAYERS = {"cli", "report", "sweep", "api", "plot"}


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        yield ".".join(parts), path, path.name == "__init__.py"


def _imports(name: str, path: Path, is_pkg: bool) -> set[str]:
    """Every sqnxt_sim module imported anywhere in the file (function-level imports too)."""
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                mod = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
                names = [mod] if node.module else [f"{mod}.{a.name}".strip(".") for a in node.names]
                out.update(names)
            elif node.module and node.module.startswith("sqnxt_sim"):
                out.add(node.module.removeprefix("sqnxt_sim").strip("."))
        elif isinstance(node, ast.Import):
            out.update(a.name.removeprefix("sqnxt_sim").strip(".") for a in node.names
                       if a.name.startswith("sqnxt_sim"))
    return {m for m in out if m}


def _owner(module: str) -> str | None:
    """The ALLOWED entry a module falls under (longest matching prefix)."""
    for key in sorted(ALLOWED, key=len, reverse=True):
        if module == key or module.startswith(key + "."):
            return key
    return None


def _allowed(importer: str, imported: str) -> bool:
    owner = _owner(importer)
    if imported == owner or imported.startswith(f"{owner}."):
        return True
    return any(imported == a or imported.startswith(f"{a}.") for a in ALLOWED[owner])


CASES = [(n, p, pkg) for n, p, pkg in _modules() if _owner(n) is not None]


@pytest.mark.parametrize("name, path, is_pkg", CASES, ids=[c[0] or "sqnxt_sim" for c in CASES])
def test_module_imports_only_what_lies_below_it(name, path, is_pkg):
    bad = sorted(m for m in _imports(name, path, is_pkg) if not _allowed(name, m))
    assert not bad, f"{name} imports {bad} (allowed: {sorted(ALLOWED[_owner(name)])})"


def test_the_rules_cover_the_model_core():
    """Every module below simulate/result is under a rule (a new package must be placed)."""
    core = [n for n, _, _ in _modules()
            if n and n.split(".")[0] not in OUTPUT_LAYERS | {"simulate", "result", "__init__"}]
    assert all(_owner(n) for n in core), [n for n in core if not _owner(n)]


FORBIDDEN_CALLS = {"print", "exit", "quit", "breakpoint", "input"}


@pytest.mark.parametrize("name, path", [(n, p) for n, p, _ in _modules()
                                        if n.split(".")[0] not in OUTPUT_LAYERS and n])
def test_no_output_below_the_output_layers(name, path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{name}:{node.lineno} {node.func.id}()"
            if node.func.id == "open":
                assert name == "source", f"{name}:{node.lineno} opens a file"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert (node.value.id, node.attr) != ("sys", "exit"), f"{name}:{node.lineno}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""]
            for m in mods:
                assert not m.startswith(("click", "matplotlib", "logging")), \
                    f"{name}:{node.lineno} imports {m}"


def test_the_checker_sees_a_violation(tmp_path):
    """The import parser itself: a network module importing the dataflow package is caught."""
    bad = tmp_path / "layers.py"
    bad.write_text("from ..dataflow.base import Counts\nfrom . import graph\n", encoding="utf-8")
    found = _imports("network.layers", bad, False)
    assert found == {"dataflow.base", "network.graph"}
    assert not _allowed("network.layers", "dataflow.base")
    assert _allowed("network.layers", "network.graph")
