"""CLI commands: interop (registered on sqnxt_sim.cli.main)."""

from __future__ import annotations
