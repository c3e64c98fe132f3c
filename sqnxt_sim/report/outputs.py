"""The one writer of every output file (run/show/compare/export -o, sweep results, report files,
charts): a failed write never leaves a cut-off or emptied file behind.  (It lives in report/
because the model's own layers do no file I/O; the CLI and the sweep runner use it too.)

Each file is written to a temporary file in the same folder, flushed to disk (fsync) and renamed
over the target, so a reader sees either the old file whole or the new one whole.  A missing or
unwritable folder, a full disk or a file-size limit becomes one :class:`OutputError` naming the
path, and the previous file, if any, is left unchanged.  A target that exists and is not a
regular file (``/dev/stdout``, a pipe, ``/dev/full``) cannot be replaced by a rename, so it is
written in place; its errors are reported the same way.  (Python ignores SIGXFSZ, so a write past
``ulimit -f`` fails with EFBIG and is reported like any other.)
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ..errors import OutputError


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def ensure_dir(path: str | os.PathLike) -> Path:
    """``mkdir -p path`` with failures as one located error."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create output folder: {_reason(e)}", file=str(p)) from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError("cannot write into output folder: Permission denied", file=str(p))
    return p


def check_output(path: str | os.PathLike | None) -> None:
    """Fail fast, before any work, when ``path`` could not be written: its folder is missing or
    not writable, or it is a folder.  (The write itself is still checked.)"""
    if path is None:
        return
    target = os.fspath(path)
    if os.path.isdir(target):
        raise OutputError("cannot write output file: it is a folder", file=target)
    if _is_special(target):
        return
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise OutputError("cannot write output file: its folder does not exist", file=target)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError("cannot write output file: its folder is not writable "
                          "(Permission denied)", file=target)


def _is_special(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False



@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on a clean exit it replaces ``path``.

    ``mode`` is ``"w"`` (UTF-8 text, ``\\n`` line ends kept as written) or ``"wb"``.
    """
    target = os.fspath(path)
    binary = "b" in mode
    enc = {} if binary else {"encoding": "utf-8", "newline": ""}
    if _is_special(target):
        try:
            with open(target, mode, **enc) as fh:
                yield fh
        except OSError as e:
            raise OutputError(f"cannot write output file: {_reason(e)}",
                              file=target) from None
        return
    folder = os.path.dirname(target) or "."
    # imported here: output to stdout (run … -f csv) never needs it (≈ 3 ms)
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.",
                                   suffix=".tmp", dir=folder)
    except OSError as e:
        raise OutputError(f"cannot write output file: {_reason(e)}", file=target) from None
    try:
        with os.fdopen(fd, mode, **enc) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _put_in_place(tmp, target)
    except OSError as e:
        _discard(tmp)
        if os.path.isdir(target):
            raise OutputError("cannot write output file: it is a folder",
                              file=target) from None
        raise OutputError(f"cannot write output file: {_reason(e)}", file=target) from None
    except BaseException:
        _discard(tmp)
        raise


def _put_in_place(tmp: str, target: str) -> None:
    """Give the written temporary file the target's permissions (a new file: the usual
    0666 & ~umask) and rename it over the target in one step."""
    try:
        os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
    except FileNotFoundError:
        os.chmod(tmp, _umask_mode())
    os.replace(tmp, target)


def _discard(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as fh:
        fh.write(text)


def write_with(path: str | os.PathLike, writer: Callable[[str], None], suffix: str) -> None:
    """For writers that need a file name (matplotlib's ``savefig``): ``writer(tmp_name)`` writes
    a temporary file beside ``path`` (ending in ``suffix``), which then replaces ``path``."""
    target = os.fspath(path)
    folder = os.path.dirname(target) or "."
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=suffix,
                                   dir=folder)
        os.close(fd)
    except OSError as e:
        raise OutputError(f"cannot write output file: {_reason(e)}", file=target) from None
    try:
        writer(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _put_in_place(tmp, target)
    except OSError as e:
        _discard(tmp)
        raise OutputError(f"cannot write output file: {_reason(e)}", file=target) from None
    except BaseException:
        _discard(tmp)
        raise
