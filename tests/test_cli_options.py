"""Repeated single-value options are an error on every command (issue 14): click alone keeps
the last value silently (`run -d os -d ws` ran WS).  Checked over the whole command tree, so a
command or option added later cannot escape."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from sqnxt_sim.cli import main
from sqnxt_sim.cli.options import Command, single_valued


def _cases():
    for name, cmd in sorted(main.commands.items()):
        for p in cmd.params:
            if single_valued(p):
                yield name, p


CASES = list(_cases())


def test_every_command_is_checked():
    assert all(isinstance(c, Command) for c in main.commands.values())
    with pytest.raises(TypeError, match="cls=Command"):
        type(main)().add_command(click.Command("plain"))   # a plain click command is refused


def test_the_check_covers_the_options_that_were_dropped():
    names = {(c, p.name) for c, p in CASES}
    assert {("run", "dataflow"), ("run", "accel"), ("run", "fmt"), ("run", "out"),
            ("compare", "baseline"), ("sweep", "jobs"), ("plot-sweep", "axes"),
            ("export", "target")} <= names
    assert len(CASES) >= 30


@pytest.mark.parametrize(("command", "param"), CASES,
                         ids=[f"{c}-{p.name}" for c, p in CASES])
def test_single_value_option_given_twice_is_one_line_and_exit_2(command, param):
    opt = min(param.opts, key=len)
    if param.is_flag:
        once = [param.opts[0]]
        twice = [*once, param.secondary_opts[0]]
    else:
        once = [opt, *(["x"] * param.nargs)]
        twice = [*once, *once]
    r = CliRunner().invoke(main, [command, *twice])
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert opt in lines[0] and "more than once" in lines[0]


@pytest.mark.parametrize("args", [["compare", "a.yaml", "-a", "x.yaml", "-a", "y.yaml"],
                                  ["compare", "a.yaml", "-d", "os", "-d", "ws"],
                                  ["run", "a.yaml", "--set", "rf.registers=8",
                                   "--set", "pe_array.rows=8"]])
def test_repeatable_options_stay_repeatable(args):
    r = CliRunner().invoke(main, args)
    assert "more than once" not in r.output


def test_dash_o_names_the_output_on_every_command():
    """`-o` is the command's output everywhere (docs/output.md): `--out FILE` for a command
    whose result is one file, `--out-dir DIR` for one whose result is a folder of files;
    nothing else takes `-o`."""
    for name, cmd in main.commands.items():
        opts = [p for p in cmd.params if "-o" in getattr(p, "opts", ())]
        assert len(opts) == 1, f"{name} has no -o"
        p = opts[0]
        if "--out" in p.opts:
            assert isinstance(p.type, click.Path) and not p.type.dir_okay, name
        else:
            assert "--out-dir" in p.opts and not p.type.file_okay, name


def test_each_family_defines_the_commands_it_is_registered_for():
    """The group imports a family's module only when one of its commands is looked up, by the
    names FAMILIES lists: a command missing from the list could never be found."""
    import importlib

    from sqnxt_sim.cli import FAMILIES

    for module, names in FAMILIES.items():
        assert tuple(c.name for c in importlib.import_module(module).COMMANDS) == names
    assert sorted(main.commands) == sorted(n for ns in FAMILIES.values() for n in ns)


def test_a_command_imports_only_its_own_family():
    import subprocess
    import sys

    code = ("import sys; from sqnxt_sim.cli import main\n"
            "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('sqnxt_sim.cli.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.splitlines()[-1] == "['sqnxt_sim.cli.options', 'sqnxt_sim.cli.run']"
