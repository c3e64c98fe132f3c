"""The one vocabulary of operands used everywhere in the model."""

from __future__ import annotations

from enum import Enum


class Operand(str, Enum):
    IFMAP = "ifmap"
    WEIGHT = "weight"
    PSUM = "psum"
    OFMAP = "ofmap"
