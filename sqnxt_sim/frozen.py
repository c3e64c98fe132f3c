"""Caching helpers: frozen values that are cache keys hash once; memos by object identity.

The model memoises by value (a workload, the array's key, the buffer, the DRAM timing, a
tiling), and a sweep looks each of these up many times per layer and design point; a frozen
dataclass's generated ``__hash__`` rebuilds and hashes the tuple of its fields every time.
``cached_hash`` stores it at construction instead, in a ``_hash`` field the class declares
(excluded from equality and repr), and rebuilds the value through ``__init__`` when it is
unpickled — str hashes differ between processes, so a value sent to a sweep worker must hash
like an equal one made there.
"""

from __future__ import annotations

from dataclasses import field, fields
from operator import attrgetter


def hash_field():
    """The ``_hash`` field of a ``cached_hash`` class."""
    return field(default=0, init=False, repr=False, compare=False)


def cached_hash(cls):
    """Class decorator (outside ``@dataclass(frozen=True, slots=True)``) for a class with a
    ``_hash: int = hash_field()`` field."""
    keys = _getter(tuple(f.name for f in fields(cls) if f.compare))
    init = _getter(tuple(f.name for f in fields(cls) if f.init))
    made = cls.__init__

    def __init__(self, *args, **kwargs) -> None:
        made(self, *args, **kwargs)        # (the dataclass's, __post_init__ included)
        object.__setattr__(self, "_hash", hash(keys(self)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        return (type(self), init(self))

    __init__.__doc__ = made.__doc__
    cls.__init__ = __init__
    cls.__hash__ = __hash__
    cls.__reduce__ = __reduce__
    return cls


def _getter(names: tuple[str, ...]):
    """obj -> the tuple of its ``names`` attributes."""
    if len(names) == 1:
        return lambda obj, name=names[0]: (getattr(obj, name),)
    return attrgetter(*names)


class IdentityMemo(dict):
    """A memo of ``make(a, b)`` by the identity of ``a`` and ``b`` — for values that are
    expensive to hash but shared by reference (a LayerCost and its accelerator, a Counts and
    its energy table).  Each entry holds both objects, so their ids cannot be reused while it
    is there; the memo forgets everything when full.  ``cache_clear`` like an lru_cache's, so
    ``simulate.clear_caches`` finds it."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def get_or(self, a, b, make):
        hit = self.get((id(a), id(b)))
        if hit is not None and hit[0] is a and hit[1] is b:
            return hit[2]
        if len(self) >= self.maxsize:
            self.clear()
        value = make(a, b)
        self[(id(a), id(b))] = (a, b, value)
        return value

    cache_clear = dict.clear
