"""What the commands share: error handling, output and accelerator options.

Library errors (``SqnxtError``) become one line on stderr and exit status 2, never a traceback;
an error found while mapping (e.g. a buffer too small for a layer) is located in the accelerator
file or the ``--set`` that caused it, from the accelerator's own ``origin``.
"""

from __future__ import annotations

import functools
import sys

import click

from ..errors import SqnxtError
from ..machines import all_dataflows

FORMATS = ("table", "csv", "json")


# -- repeated options --------------------------------------------------------------------------
def single_valued(param: click.Parameter) -> bool:
    """An option that keeps one value: click would silently keep the last of several.  (Flags
    without a --no- form are exempt: saying one twice means the same.)"""
    return (isinstance(param, click.Option) and not param.multiple and not param.count
            and not (param.is_flag and not param.secondary_opts))


class Command(click.Command):
    """Every sqnxt-sim command: a single-valued option given twice (``run -d os -d ws``) is
    one clean error line and exit status 2, never a silently dropped value."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            try:
                _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            except click.UsageError:
                order = []          # reported by click's own parse below
            seen: set[str] = set()
            for param in order:
                if single_valued(param):
                    if param.name in seen:
                        names = "/".join(sorted(param.opts, key=len) + param.secondary_opts)
                        click.echo(f"error: {ctx.command_path}: option {names} given more than "
                                   f"once; it takes a single value", err=True)
                        ctx.exit(2)
                    seen.add(param.name)
        return super().parse_args(ctx, args)


class Group(click.Group):
    """The command group: it only takes :class:`Command` commands, so no command can escape
    the repeated-option check.

    Command families are registered by module (``families``: module → its command names) and
    imported when one of their commands is looked up, so ``sqnxt-sim run`` does not import
    (with PYTHONDONTWRITEBYTECODE, compile) the sweep, report and interop commands; reading
    ``commands`` (help, the docs tests) imports every family."""

    def __init__(self, *args, families: dict[str, tuple[str, ...]] | None = None, **kwargs):
        self._families = dict(families or {})     # module not imported yet → its commands
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> dict[str, click.Command]:
        for module in list(self._families):
            self._load(module)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def _load(self, module: str) -> None:
        from importlib import import_module

        names = self._families.pop(module)
        for cmd in import_module(module).COMMANDS:
            self.add_command(cmd)
        missing = [n for n in names if n not in self._commands]
        if missing:
            raise RuntimeError(f"{module} does not define the commands {missing} it is "
                               f"registered for in sqnxt_sim/cli/__init__.py")

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = next((m for m, names in self._families.items() if cmd_name in names), None)
        if module is not None:
            self._load(module)
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._commands, *(n for ns in self._families.values() for n in ns)})

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not isinstance(cmd, Command):
            raise TypeError(f"command {cmd.name!r}: declare it with "
                            f"@click.command(cls=Command) from sqnxt_sim/cli/options.py")
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        # into the dict itself: ``self.commands`` would import every family (the group is not
        # chained, so click's nested-chain check has nothing to check)
        self._commands[name] = cmd


_ACCELERATOR = "sqnxt.accelerator"     # click context key: this invocation's accelerator


def clean_errors(fn):
    """Turn library errors into one located line and exit status 2."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SqnxtError as e:
            ctx = click.get_current_context(silent=True)
            acc = ctx.meta.get(_ACCELERATOR) if ctx is not None else None
            if acc is not None:
                acc.origin.locate(e)
            # exactly one line, of a readable length, whatever value the message quotes
            text = " ".join(str(e).split("\n"))
            if len(text) > 2000:
                text = text[:2000] + " …"
            click.echo(f"error: {text}", err=True)
            sys.exit(2)
        except BrokenPipeError:  # e.g. `sqnxt-sim run … | head`
            sys.exit(0)
    return wrapper


def output_options(formats=FORMATS):
    """--format and --out, shared by every command that writes a result."""
    def deco(fn):
        fn = click.option("--out", "-o", type=click.Path(dir_okay=False, writable=True),
                          help="Write to this file instead of standard output.")(fn)
        fn = click.option("--format", "-f", "fmt", type=click.Choice(formats),
                          default=formats[0], show_default=True,
                          help="Output format: a table for people, CSV or JSON for tools.")(fn)
        return fn
    return deco


def emit(text: str, out: str | None) -> None:
    if out:
        from ..report.outputs import write_text
        write_text(out, text)   # atomic: a failed write leaves the old file as it was
    else:
        click.echo(text, nl=not text.endswith("\n"))


def parse_sets(pairs: tuple[str, ...]) -> dict:
    from ..hardware.accelerator import parse_value

    out = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {p!r}", param_hint="--set")
        out[key.strip()] = parse_value(key.strip(), value.strip())
    return out


def accelerator_options(fn):
    """--accel, --dataflow and --set, shared by every command that simulates."""
    fn = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                      help="Override an accelerator field by its dotted key, e.g. "
                           "--set pe_array.rows=16 --set global_buffer.kb=256 (repeatable; "
                           "see docs/accelerators.md).")(fn)
    fn = click.option("--dataflow", "-d", type=click.Choice(all_dataflows()),
                      help="Override the accelerator's dataflow (hybrid: the faster of OS and WS "
                           "per layer).")(fn)
    fn = click.option("--accel", "-a", type=click.Path(dir_okay=False),
                      help="Accelerator YAML file (default: the built-in defaults, a 32x32 "
                           "hybrid Squeezelerator).")(fn)
    return fn


def resolve_accelerator(accel: str | None, dataflow: str | None, sets: tuple[str, ...]):
    from ..hardware.accelerator import load_accelerator

    overrides = parse_sets(sets)
    if dataflow:
        overrides["dataflow"] = dataflow
    acc = load_accelerator(accel, overrides)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_ACCELERATOR] = acc      # clean_errors locates later errors with it
    return acc


def batch_option(fn):
    """--batch, shared by the commands that simulate."""
    from ..limits import MAX_BATCH
    return click.option("--batch", type=click.IntRange(1, MAX_BATCH), default=None,
                        help="Images per batch (default 1, the papers' setting; for sweep, the "
                             "spec's `batch`). FC and matrix-product layers reuse each weight "
                             "across the batch; other layers run once per image "
                             "(docs/model.md §5.2).")(fn)



def figure_options(fn):
    """--style, --figsize, --dpi and --figure-format, shared by every command that draws.

    Put it directly on the function, under ``clean_errors``: it checks the options (a bad one
    is one located line and exit status 2) and draws the command's figures in that style
    (``report/style.py``)."""
    @functools.wraps(fn)
    def wrapper(*args, fig_style: str, figsize: str | None, dpi: int | None,
                fig_formats: str | None, **kwargs):
        if (fig_style == "screen" and figsize is None and dpi is None and fig_formats is None
                and "sqnxt_sim.report.style" not in sys.modules):
            # every option at its default and no style set yet (none can be without the
            # module): the command draws, if at all, in style.current()'s default, the same
            # style.use would set; `run` without --plot then never imports the style module
            return fn(*args, **kwargs)
        from ..report import style

        formats = None
        if fig_formats is not None:
            formats = tuple(f.strip().lower() for f in fig_formats.split(",") if f.strip())
            bad = [f for f in formats if f not in style.FORMATS]
            if bad or not formats:
                raise SqnxtError(f"unknown figure format {', '.join(bad) or repr(fig_formats)} "
                                 f"(choose from {', '.join(style.FORMATS)})",
                                 field="--figure-format")
        if fig_style not in style.STYLES:
            raise SqnxtError(f"unknown style {fig_style!r} (choose from "
                             f"{', '.join(style.STYLES)})", field="--style")
        size = None
        if figsize is not None:
            try:
                size = style.parse_figsize(figsize)
            except ValueError as e:
                raise SqnxtError(str(e), field="--figsize") from None
        if dpi is not None and not 10 <= dpi <= 2400:
            raise SqnxtError(f"must be 10 to 2400, got {dpi}", field="--dpi")
        with style.use(fig_style, figsize=size, dpi=dpi, formats=formats):
            return fn(*args, **kwargs)

    for opt in reversed((
        click.option("--style", "fig_style", default="screen", show_default=True,
                     metavar="screen|paper",
                     help="Figure style: screen (larger type, 110 dpi) or paper (7 in wide, "
                          "small type, 300 dpi)."),
        click.option("--figsize", metavar="W,H",
                     help="Figure size in inches (default: the style's width, a height that "
                          "fits the chart)."),
        click.option("--dpi", type=int, help="Resolution of PNG figures (default: the "
                                             "style's)."),
        click.option("--figure-format", "fig_formats", metavar="FMT[,FMT…]",
                     help="Figure files to write: any of png, svg, pdf (default: png,svg)."),
    )):
        wrapper = opt(wrapper)
    return wrapper
