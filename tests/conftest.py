"""Shared fixtures: keep this small."""

from __future__ import annotations

import textwrap

import pytest


@pytest.fixture
def write_net(tmp_path):
    """Write network YAML text (dedented) to a file and return its path as a string."""
    def write(text: str, name: str = "net.yaml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return str(path)
    return write
