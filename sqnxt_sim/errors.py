"""One exception family for every bad input.

Each error knows where it came from (file, line, field) so the CLI can print exactly one line
such as ``networks/x.yaml:14: conv 'c3': groups=3 does not divide c_in=64`` and exit with status 2.
Library code raises these; only ``cli.py`` turns them into output.
"""

from __future__ import annotations

import re


class SqnxtError(Exception):
    """Base of every error raised for bad input."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def located(self, *, file: str | None = None, line: int | None = None,
                field: str | None = None) -> SqnxtError:
        """Fill in location details that are not known yet (inner details win)."""
        if self.file is None:
            self.file = file
        if self.line is None:
            self.line = line
        if self.field is None:
            self.field = field
        return self

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        named = self.field and (
            repr(str(self.field)) in self.message
            or re.search(rf"(?<![\w.]){re.escape(str(self.field))}(?!\w)", self.message))
        field = f"{self.field}: " if self.field and not named else ""
        return f"{where}{field}{self.message}"


class NetworkError(SqnxtError):
    """A network description is malformed or describes an impossible graph."""


class AcceleratorError(SqnxtError):
    """An accelerator description is malformed or impossible."""


class MappingError(SqnxtError):
    """A layer cannot be mapped onto the accelerator (e.g. no tile fits the buffer)."""


class SweepError(SqnxtError):
    """A sweep specification is malformed."""


class OutputError(SqnxtError):
    """An output file or folder cannot be written (missing folder, no permission, full disk)."""


class LimitError(SqnxtError):
    """A size, a count or an amount of work is beyond the documented limits (docs/errors.md)."""
