"""Generators of hostile inputs for tests/test_hostile.py (issue 11).

Every case is a *certainly bad* input: a mutation of a bundled network, accelerator, SCALE-Sim
topology or sweep spec at a place the loader is sure to reach, given a value no field accepts
there; or one of the reproductions of issue 11.  A case is (id, argv, files, name): the
command line, the files to write first (name → bytes) and the file the error must name.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = sorted((ROOT / "networks").glob("*.yaml"))
ACCELERATORS = sorted((ROOT / "accelerators").glob("*.yaml"))
TINY = "name: tiny\ninput: [3, 8, 8]\nlayers:\n  - {type: conv, out: 4, kernel: 3}\n"

BIG_INT = 10**40          # past the 30-digit limit on a written integer
HUGE_DIGITS = "9" * 5000  # Python itself refuses to convert it


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    files: tuple[tuple[str, bytes], ...] | Callable[[], tuple[tuple[str, bytes], ...]]
    #      (a callable writes the mutated file only when the case runs: generating all cases
    #       stays cheap)
    name: str                 # the file (or option) the one error line must name
    line: bool = True         # the error must carry a line number too
    out: str | None = "out.txt"   # a pre-existing output file that must stay unchanged


# -- values no field accepts at a given key -----------------------------------------------------
POSITIVE = [0, -1, BIG_INT, 1.0e30, float("nan"), float("inf"), "abc", True, [1, 2, 3], {},
            None, "=1/0", "=int(1e308)", "=[0] * 99999", "=undefined_name", "=str([[0]*99]*999)",
            "='x' * 10**9", "=10 ** 10 ** 10", 2.5, -0.0]
NON_NEGATIVE = [-1, BIG_INT, 1.0e30, float("nan"), "abc", [1, 2, 3], {}, True, "=1/0",
                "=undefined_name", 2.5, [1, -1]]
FLAG = ["yes please", 2, [True], {}, 1.5, "=1/0", "=undefined_name"]
WHEN = ["false", "true", [0], [], 0, 1, "no thanks", {}, "=1", "=[]", "=undefined_name"]
REPEAT = [-1, BIG_INT, "abc", 1.5, [2], True, "=undefined_name", "=-3"]
KEYS = {"out": POSITIVE, "kernel": POSITIVE, "stride": POSITIVE, "groups": POSITIVE,
        "pad": NON_NEGATIVE, "bias": FLAG, "bn": FLAG, "relu": FLAG, "ceil": FLAG,
        "when": WHEN, "repeat": REPEAT,
        "type": ["nonsense", 3, None, ["conv"]], "use": ["no_such_template", 3, None],
        "input": ["no_such_layer", 3, ["a", "b"], None]}
INPUT = [[0, 8, 8], [-1, 8, 8], [10**22, 1, 1], [1, 10**11, 10**11], [3, 8], "abc", None,
         [3.5, 8, 8], [BIG_INT, 1, 1], [True, 8, 8], {"channels": 3}, [1, 65537, 1],
         [2**20 + 1, 1, 1], [1024, 4096, 4096]]


def _dump(doc) -> bytes:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000).encode()


def _reached_sites(doc: dict):
    """(container, key) of every layer field the loader certainly evaluates: fields of top-level
    layers and of the layers of templates used at top level, when neither is gated by `when`;
    and the `defaults`."""
    used = {it.get("use") for it in doc.get("layers", []) if isinstance(it, dict)}
    items = [it for it in doc.get("layers", []) if isinstance(it, dict)]
    for name, t in (doc.get("templates") or {}).items():
        if name in used and isinstance(t, dict):
            items += [it for it in t.get("layers", []) if isinstance(it, dict)]
    for it in items:
        if "when" in it and it.get("when") is not True:
            continue
        for k in it:
            if k in KEYS and not (k == "input" and it.get(k) == "in"):
                yield it, k
        yield it, None                    # an unknown field added here
    for _t, fields in (doc.get("defaults") or {}).items():
        for k in fields:
            if k in KEYS:
                yield fields, k


def network_cases() -> list[Case]:
    cases = []
    for path in NETWORKS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        stem = path.stem
        for value in INPUT:
            cases.append(_net_case(f"{stem}:input={value!r}"[:120], doc, (), "input", value))
        sites = list(_reached_sites(doc))
        for si, (container, key) in enumerate(sites):
            path_to = _locate(doc, container)
            if key is None:
                cases.append(_net_case(f"{stem}:site{si}:unknown-field", doc, path_to,
                                       "no_such_field", 1))
                continue
            for vi, value in enumerate(KEYS[key]):
                cases.append(_net_case(f"{stem}:site{si}:{key}={vi}", doc, path_to, key, value))
        for drop in ("input", "layers"):
            cases.append(_net_case(f"{stem}:no-{drop}", doc, (), drop, _DROP))
        dangling = doc["layers"] + [{"type": "conv", "out": 8, "kernel": 1,
                                     "input": "not_a_layer"}]
        cases.append(_net_case(f"{stem}:dangling-input", doc, (), "layers", dangling))
    return cases


_DROP = object()   # "delete the key" as a mutation


def _mutated(doc, trail, key, value) -> bytes:
    bad = copy.deepcopy(doc)
    node = _follow(bad, trail)
    if value is _DROP:
        del node[key]
    else:
        node[key] = value
    return _dump(bad)


def _net_files(doc, trail, key, value):
    return (("net.yaml", _mutated(doc, trail, key, value)),)


def _net_case(cid: str, doc, trail, key, value) -> Case:
    return Case(cid, ("show", "net.yaml", "-o", "out.txt"),
                partial(_net_files, doc, trail, key, value), "net.yaml")


def _locate(doc, target, trail=()):
    """The key path from ``doc`` to the object ``target`` (by identity)."""
    if doc is target:
        return trail
    items = doc.items() if isinstance(doc, dict) else (
        enumerate(doc) if isinstance(doc, list) else ())
    for k, v in items:
        if isinstance(v, (dict, list)):
            found = _locate(v, target, (*trail, k))
            if found is not None:
                return found
    return None


def _follow(doc, trail):
    for k in trail:
        doc = doc[k]
    return doc


# -- accelerators ---------------------------------------------------------------------------
ACCEL_BAD = {
    ("pe_array", "rows"): [0, -1, 1.0e30, BIG_INT, float("nan"), float("inf"), "abc", True,
                           [1], 4097, 2.5],
    ("pe_array", "cols"): [0, -3, 1.0e30, float("nan"), "x", 100000],
    ("rf", "registers"): [0, -1, 10**9, "x", 1.5],
    ("global_buffer", "kb"): [0, -1, 1.0e30, float("nan"), float("inf"), "x"],
    ("dram", "bandwidth_gbps"): [0, -1, 1.0e-300, 1.0e308, float("nan"), "x"],
    ("dram", "latency_cycles"): [-1, 1.0e30, 1.5, "x"],
    ("clock_mhz",): [0, -1, 1.0e308, 1.0e-300, float("nan"), "x"],
    ("word_bits",): [0, 7, 64, "x"],
    ("sparsity",): [1, -0.1, 1.5, float("nan"), "x"],
    ("energy",): ["nope", 3, {"preset": "eyeriss", "dram": 1.0e308},
                  {"preset": "eyeriss", "dram": -1}, {"unit": "bogus"},
                  {"preset": "eyeriss", "mac": 0}, {"preset": "eyeriss", "bogus": 1},
                  {"preset": "eyeriss", "sram": float("inf")}],
    ("template",): ["nope", 3],
    ("dataflow",): ["nope", 3],
    ("scalesim_compat",): ["yes please", 2],
    ("tiling", "objective"): ["speed", 1],
    ("bogus_field",): [1],
    ("pe_array", "bogus"): [1],
}


def _set_text(v) -> str:
    if isinstance(v, float) and v != v:
        return ".nan"
    if isinstance(v, float) and v in (float("inf"), -float("inf")):
        return ".inf" if v > 0 else "-.inf"
    if isinstance(v, (dict, list)):
        return yaml.safe_dump(v, default_flow_style=True).strip()
    if v is True:
        return "true"
    return str(v)


def _accel_files(doc, keys, value):
    bad = copy.deepcopy(doc)
    node = bad
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    return (("acc.yaml", _dump(bad)), ("tiny.yaml", TINY.encode()))


def accelerator_cases() -> list[Case]:
    cases = []
    for path in ACCELERATORS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for keys, values in ACCEL_BAD.items():
            for vi, value in enumerate(values):
                cases.append(Case(f"{path.stem}:{'.'.join(keys)}={vi}",
                                  ("run", "tiny.yaml", "-a", "acc.yaml", "-o", "out.txt"),
                                  partial(_accel_files, doc, keys, value), "acc.yaml"))
    for keys, values in ACCEL_BAD.items():       # the same values through --set
        for vi, value in enumerate(values):
            if isinstance(value, dict) and not value:
                continue
            cases.append(Case(f"--set:{'.'.join(keys)}={vi}",
                              ("run", "tiny.yaml", "--set", f"{'.'.join(keys)}={_set_text(value)}",
                               "-o", "out.txt"),
                              (("tiny.yaml", TINY.encode()),), "--set", line=False))
    return cases


# -- energy and area table files, Accelergy ERT/ART (issue 13) ----------------------------------
NUMBER_BAD = [-1, "abc", [1], {}, None, True, float("nan"), float("inf"), 1.0e30]
TABLE_BAD = {
    "energy": {**{k: NUMBER_BAD for k in ("mac", "rf_read", "array", "sram_write", "dram_read",
                                          "leakage")},
               "mac": [0, *NUMBER_BAD], "unit": ["joules", 3, None],
               "ref_buffer_kb": [0, *NUMBER_BAD], "ref_rf_registers": [0, 1.5, 10**9, "x", True],
               "capacity_exponent": [2.5, *NUMBER_BAD], "name": [3, None, [1]],
               "source": [3, {}], "bogus": [1], "components": [{"mac": ["mac", "mac"]}],
               "preset": ["nope", 3]},
    "area": {**{k: NUMBER_BAD for k in ("mac", "rf_bit", "network_pe", "buffer_kb")},
             "node": [3, None], "bogus": [1], "preset": ["nope", 3],
             "components": [{"mac": "mac"}]},
}
OWN_ERT = {"ERT": {"version": 0.3, "tables": [
    {"name": f"x.{c}", "actions": [{"name": a, "arguments": None, "energy": 1.0} for a in acts]}
    for c, acts in (("mac", ["mac"]), ("rf", ["read", "write"]), ("array", ["transfer"]),
                    ("global_buffer", ["read", "write"]), ("dram", ["read", "write"]))]}}
ERT_BAD = [  # (document, the error carries a line number)
    ({"ERT": 3}, True), ({"nothing": 1}, True), ({"ERT": {"tables": [{"actions": []}]}}, True),
    ({"ERT": {"tables": [{"name": "x.mac", "actions": 3}]}}, True),
    ({"ERT": {"tables": [{"name": "x.mac", "actions": [{"name": "mac", "energy": "lots"}]}]}},
     True),
    ({"ERT": {"tables": OWN_ERT["ERT"]["tables"][1:]}}, False),              # no mac at all
    ({"ERT": {"tables": [*OWN_ERT["ERT"]["tables"], {"name": "y.mac", "actions": []}]}}, False),
    ({"ERT": {"tables": [{**t, "actions": [{"name": "idle", "energy": 0}]}
                         for t in OWN_ERT["ERT"]["tables"]]}}, True),        # no such action
    ({"ERT": {"tables": [{"name": "x.mac", "actions": [{"name": "mac", "energy": -1.0}]},
                         *OWN_ERT["ERT"]["tables"][1:]]}}, True),
]


def _table_files(kind, key, value):
    preset = (ROOT / "accelerators" / kind / ("eyeriss.yaml" if kind == "energy"
                                              else "accelergy40.yaml"))
    doc = yaml.safe_load(preset.read_text(encoding="utf-8"))
    doc[key] = value
    return (("acc.yaml", f"{kind}: table.yaml\n".encode()), ("table.yaml", _dump(doc)),
            ("tiny.yaml", TINY.encode()))


def table_cases() -> list[Case]:
    cases = []
    for kind, keys in TABLE_BAD.items():
        for key, values in keys.items():
            for vi, value in enumerate(values):
                cases.append(Case(f"table:{kind}.{key}={vi}",
                                  ("run", "tiny.yaml", "-a", "acc.yaml", "-o", "out.txt"),
                                  partial(_table_files, kind, key, value), "table.yaml"))
    for i, (doc, line) in enumerate(ERT_BAD):
        cases.append(Case(f"table:ert={i}", ("run", "tiny.yaml", "-a", "acc.yaml", "-o",
                                             "out.txt"),
                          (("acc.yaml", b"energy: {accelergy: ERT.yaml}\n"),
                           ("ERT.yaml", _dump(doc)), ("tiny.yaml", TINY.encode())),
                          "ERT.yaml", line=line))
    cases.append(Case("table:missing-file", ("run", "tiny.yaml", "-a", "acc.yaml", "-o",
                                             "out.txt"),
                      (("acc.yaml", b"area: no_such_table.yaml\n"), ("tiny.yaml", TINY.encode())),
                      "no_such_table.yaml", line=False))
    return cases


# -- SCALE-Sim topologies -----------------------------------------------------------------------
CSV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
              "Num Filter, Strides,")
CSV_ROWS = ["conv1, 227, 227, 11, 11, 3, 96, 4,", "conv2, 27, 27, 5, 5, 96, 256, 1,",
            "conv3, 13, 13, 3, 3, 256, 384, 1,", "fc6, 1, 1, 1, 1, 9216, 4096, 1,",
            "dw_DP, 56, 56, 3, 3, 32, 1, 1,"]
CSV_BAD_CELL = ["0", "-1", "abc", "1e3", HUGE_DIGITS, "1" * 40, "", "1.5", "99999999999",
                "0x10", "+-3", "1 000"]


def topology_cases() -> list[Case]:
    cases = []
    for ri in range(len(CSV_ROWS)):
        for col in range(8):
            for vi, value in enumerate(CSV_BAD_CELL):
                if col == 0 and value not in ("",):
                    continue                  # any non-empty name is a valid name
                rows = list(CSV_ROWS)
                cells = rows[ri].rstrip(",").split(",")
                cells[col] = f" {value}"
                rows[ri] = ",".join(cells) + ","
                text = "\n".join([CSV_HEADER, *rows]) + "\n"
                cases.append(_csv_case(f"csv:r{ri}c{col}={vi}", text))
    cases.append(_csv_case("csv:empty", ""))
    cases.append(_csv_case("csv:header-only", CSV_HEADER + "\n", line=False))
    cases.append(_csv_case("csv:unknown-column", CSV_HEADER.replace("Strides", "Stridez")
                           + "\n" + CSV_ROWS[0] + "\n"))
    cases.append(_csv_case("csv:twice-column", CSV_HEADER.replace("Strides", "Channels")
                           + "\n" + CSV_ROWS[0] + "\n"))
    cases.append(_csv_case("csv:extra-field", CSV_HEADER + "\n" + CSV_ROWS[0] + " 7, 8,\n"))
    cases.append(_csv_case("csv:short-row", CSV_HEADER + "\n" + "c1, 8, 8,\n"))
    cases.append(_csv_case("csv:huge-layer", CSV_HEADER
                           + "\nc1,10000000000,10000000000,1,1,1000,1000,1,\n"))
    cases.append(_csv_case("csv:filter>input", CSV_HEADER + "\nc1,8,8,9,9,3,4,1,\n"))
    cases.append(_csv_case("csv:sparsity", CSV_HEADER.rstrip(",") + ", Sparsity,\n"
                           + "c1,8,8,3,3,3,4,1,2:4,\n"))
    return cases


def _csv_case(cid: str, text: str, line: bool = True) -> Case:
    return Case(cid, ("run", "topo.csv", "-a", str(ROOT / "accelerators/systolic_32x32.yaml"),
                      "-o", "out.txt"), (("topo.csv", text.encode()),), "topo.csv", line=line)


# -- sweep specs ----------------------------------------------------------------------------
SWEEP_BASE = {
    "name": "hostile",
    "accelerator": str(ROOT / "accelerators/squeezelerator_32x32.yaml"),
    "networks": ["tiny.yaml"],
    "grid": {"pe_array.rows": [8, 16], "dataflow": ["os", "ws"]},
}
SWEEP_MUTATIONS = [
    ("grid", {"pe_array.rowz": [8]}), ("grid", {"pe_array.rows": [0]}),
    ("grid", {"pe_array.rows": [-1]}), ("grid", {"pe_array.rows": [1.0e30]}),
    ("grid", {"pe_array.rows": ["x"]}), ("grid", {"pe_array.rows": []}),
    ("grid", {"pe_array.rows": [8, 8]}), ("grid", {"pe_array.rows": 8}),
    ("grid", {"pe_array.rows": {"start": 1, "stop": 1.0e30, "step": 1}}),
    ("grid", {"pe_array.rows": {"start": 1, "stop": 8, "step": 0}}),
    ("grid", {"pe_array.rows": {"start": 1, "stop": 8}}),
    ("grid", {"pe_array.rows": {"start": "a", "stop": 8, "step": 1}}),
    ("grid", {"template": ["systolic", "squeezelerator"], "dataflow": ["os", "is"]}),
    ("grid", {"dram.bandwidth_gbps": [1.0e-300]}), ("grid", {"clock_mhz": [1.0e308]}),
    ("grid", {"energy": [{"preset": "eyeriss", "dram": 1.0e308}]}),
    ("grid", {"name": ["a", "b"]}), ("grid", [1, 2]),
    ("zip", {"pe_array.rows": [8, 16], "pe_array.cols": [8]}),
    ("zip", {"pe_array.rows": [8], "dataflow": ["os"]}),      # swept twice with the grid
    ("sample", {"n": 0}), ("sample", {"n": "x"}), ("sample", {"n": 1, "seed": "x"}),
    ("sample", {"n": 1, "bogus": 1}), ("sample", 5),
    ("filters", ["banana > 2"]), ("filters", ["rows >"]), ("filters", [3]),
    ("filters", "=1/0"), ("filters", ["'x' * 10**9"]),
    ("networks", []), ("networks", ["no_such.yaml"]), ("networks", ["tiny.yaml", "tiny.yaml"]),
    ("networks", 3), ("accelerator", "no_such_accel.yaml"), ("accelerator", 3),
    ("bogus", 1), ("name", 3), ("description", [1]), ("layers", [1]),
    ("layers", ["c", "c"]),
]


def sweep_cases() -> list[Case]:
    cases = []
    for mi, (key, value) in enumerate(SWEEP_MUTATIONS):
        spec = copy.deepcopy(SWEEP_BASE)
        spec[key] = value
        cases.append(_sweep_case(f"sweep:{key}:{mi}", spec))
    # a filter nothing satisfies, with a sample: must end, with an error
    spec = copy.deepcopy(SWEEP_BASE)
    spec["grid"] = {"dram.latency_cycles": {"start": 0, "stop": 9999, "step": 1}}
    spec["sample"] = {"n": 5, "seed": 1}
    spec["filters"] = ["dram_latency_cycles < 0"]
    cases.append(_sweep_case("sweep:unsatisfiable-sample", spec))
    return cases


def _sweep_case(cid: str, spec: dict) -> Case:
    return Case(cid, ("sweep", "spec.yaml", "-o", "out.csv", "-j", "1"),
                (("spec.yaml", _dump(spec)), ("tiny.yaml", TINY.encode())), "spec.yaml",
                out="out.csv")


# -- the reproductions of issue 11 --------------------------------------------------------------
def _alias_bomb(depth: int = 9) -> str:
    lines = ["vars:", "  a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, depth + 1):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _hundred_mb():
    layer = b"  - {type: relu}\n"
    return (("big.yaml", b"name: x\ninput: [3, 8, 8]\nlayers:\n"
             + layer * (100 * 10**6 // len(layer))),)


def issue_cases() -> list[Case]:
    alex = str(ROOT / "networks/alexnet.yaml")
    net = lambda body: (("net.yaml", body.encode()),)  # noqa: E731
    run = ("run", "net.yaml", "-o", "out.txt")
    conv = "name: x\ninput: [3, 8, 8]\nlayers:\n  - {type: conv, kernel: 1, out: %s}\n"
    c = [
        Case("issue:-o-missing-folder", ("run", alex, "-o", "no/dir/x.json"), (), "no/dir/x.json",
             line=False, out=None),
        Case("issue:export-missing-folder", ("export", alex, "--to", "scalesim", "-o",
                                             "no/dir/x.csv"), (), "no/dir/x.csv", line=False,
             out=None),
        Case("issue:-o-/dev/full", ("run", alex, "-o", "/dev/full"), (), "/dev/full",
             line=False, out=None),
        Case("issue:--plot-unwritable", ("run", alex, "--plot", "/proc/no/such"), (),
             "/proc/no/such", line=False, out=None),
        Case("issue:report-unwritable", ("report", "--out-dir", "/proc/no/such", "--root",
                                         str(ROOT)), (), "/proc/no/such", line=False, out=None),
        Case("issue:sweep-missing-folder", ("sweep", "spec.yaml", "-o", "no/dir/r.csv"),
             (("spec.yaml", _dump(SWEEP_BASE)), ("tiny.yaml", TINY.encode())),
             "no/dir/r.csv", line=False, out=None),
        Case("issue:rows=1e30", ("run", alex, "--set", "pe_array.rows=1e30", "-o", "out.txt"),
             (), "--set", line=False),
        Case("issue:bandwidth=1e-300", ("run", alex, "--set", "dram.bandwidth_gbps=1.0e-300",
                                        "-o", "out.txt"), (), "--set", line=False),
        Case("issue:clock=1e308", ("run", alex, "--set", "clock_mhz=1.0e+308", "-o",
                                   "out.txt"), (), "--set", line=False),
        Case("issue:energy-dram-1e308", ("run", alex, "--set",
                                          "energy={preset: eyeriss, dram: 1.0e+308}", "-f",
                                          "json", "-o", "out.txt"), (), "--set", line=False),
        Case("issue:1e22-channels-fc", run, net(
            "name: x\ninput: [100000000000000000000000, 1, 1]\nlayers:\n"
            "  - {type: fc, out: 10}\n"), "net.yaml"),
        Case("issue:out=int(1e308)", run, net(conv % '"=int(1e308)"'), "net.yaml"),
        Case("issue:5000-digit-yaml", run, net(conv % HUGE_DIGITS), "net.yaml"),
        Case("issue:5000-digit-csv", ("run", "t.csv", "-o", "out.txt"), (("t.csv", (
            CSV_HEADER + f"\nc1,8,8,1,1,3,{HUGE_DIGITS},1,\n").encode()),), "t.csv"),
        Case("issue:huge-input", run, net(
            "name: x\ninput: [1, 100000000000, 100000000000]\nlayers:\n"
            "  - {type: conv, kernel: 1, out: 8}\n"), "net.yaml"),
        Case("issue:huge-csv-row", ("run", "t.csv", "-o", "out.txt"), (("t.csv", (
            CSV_HEADER + "\nc1,10000000000,10000000000,1,1,1000,1000,1,\n").encode()),),
             "t.csv"),
        Case("issue:alias-bomb-kernel", run, net(
            _alias_bomb() + "name: x\ninput: [3, 8, 8]\nlayers:\n"
            "  - {type: conv, kernel: *a9, out: 8}\n"), "net.yaml"),
        Case("issue:alias-bomb-input", run, net(
            _alias_bomb() + "name: x\ninput: *a9\nlayers:\n  - {type: relu}\n"), "net.yaml"),
        Case("issue:str-expression", run, net(conv % '"=str([[[0]*9999]*9999]*9999)"'),
             "net.yaml"),
        Case("issue:binary-times-2e9", run, net(
            "name: x\nvars: {b: !!binary aGVsbG8=}\ninput: [3, 8, 8]\nlayers:\n"
            "  - {type: conv, kernel: 1, out: \"=b*2000000000\"}\n"), "net.yaml"),
        Case("issue:when-'false'", run, net(
            "name: x\ninput: [3, 8, 8]\nlayers:\n  - {type: conv, kernel: 1, out: 8, "
            "when: 'false'}\n"), "net.yaml"),
        Case("issue:when-[0]", run, net(
            "name: x\ninput: [3, 8, 8]\nlayers:\n  - {type: conv, kernel: 1, out: 8, "
            "when: [0]}\n"), "net.yaml"),
        Case("issue:sweep-template-x-dataflow", ("sweep", "spec.yaml", "-o", "out.csv",
                                                 "-j", "1"), (("spec.yaml", _dump({
                                                     **SWEEP_BASE, "grid": {
                                                         "template": ["systolic",
                                                                      "squeezelerator"],
                                                         "dataflow": ["os", "is"]}})),
                                                     ("tiny.yaml", TINY.encode())),
             "spec.yaml", out="out.csv"),
        Case("issue:resume-cut-header", ("sweep", "spec.yaml", "-o", "r.csv", "--resume",
                                         "-j", "1"),
             (("spec.yaml", _dump(SWEEP_BASE)), ("tiny.yaml", TINY.encode()),
              ("r.csv", b"point,netw")), "r.csv", out="r.csv"),
        Case("issue:resume-foreign-row", ("sweep", "spec.yaml", "-o", "r.csv", "--resume",
                                          "-j", "1"),
             (("spec.yaml", _dump(SWEEP_BASE)), ("tiny.yaml", TINY.encode()),
              ("r.csv", b"")), "r.csv", out="r.csv"),   # the header is filled in by the test
        Case("issue:scheduler-malformed", ("sweep", "spec.yaml", "-o", "out.csv",
                                           "--scheduler", "tcp://:::bad"),
             (("spec.yaml", _dump(SWEEP_BASE)), ("tiny.yaml", TINY.encode())), "--scheduler",
             line=False, out="out.csv"),
        Case("issue:100MB-network", ("show", "big.yaml", "-o", "out.txt"), _hundred_mb,
             "big.yaml", line=False),
    ]
    return c


def all_cases() -> list[Case]:
    cases = (issue_cases() + network_cases() + accelerator_cases() + topology_cases()
             + sweep_cases() + table_cases())
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be distinct"
    return cases


def sample(cases: list[Case], n: int, seed: int = 11) -> list[Case]:
    """The issue's reproductions always, plus a seeded sample of the rest."""
    fixed = [c for c in cases if c.id.startswith("issue:")]
    rest = [c for c in cases if not c.id.startswith("issue:")]
    rng = random.Random(seed)
    return fixed + (rest if n >= len(rest) else rng.sample(rest, n))
