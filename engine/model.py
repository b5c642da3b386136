"""The decorator of every engine model: a frozen attrs class whose methods are shared.

attrs writes each class's ``__init__``, ``__repr__``, ``__eq__`` and ``__hash__`` as source text
and compiles it when the module is imported, and a one-prompt process such as `hrouter decide`
imports some thirty models: that compiling was a quarter of its import time. Only
``__init__`` must be per class; one function each, reading ``__attrs_attrs__``, gives the same
text, equality and hashing to all of them. The one model hashed on a hot path
(``RoutingHints``, a key of the router's tables) keeps attrs' generated methods.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

import attrs

T = TypeVar("T", bound=type)


def _repr(self: Any) -> str:
    fields = ", ".join(f"{a.name}={getattr(self, a.name)!r}" for a in type(self).__attrs_attrs__ if a.repr)
    return f"{type(self).__qualname__}({fields})"


def _getter(names: list[str]) -> Any:
    """A function returning these attributes of an instance, always as a tuple."""
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names) if names else (lambda obj: ())


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    values = self.__class__._model_values
    return values(self) == values(other)


def _hash(self: Any) -> int:
    return hash((self.__class__.__qualname__, self.__class__._model_values(self)))


def _reduce(self: Any) -> tuple:
    # Pickled as a call of the class: unpickling then runs attrs' compiled __init__, which is
    # about 40% quicker than its generic __setstate__ (the artifact cache holds ~1,400 models).
    return (self.__class__, self.__class__._model_args(self))


@dataclass_transform(frozen_default=True, field_specifiers=(attrs.field,))
def frozen(cls: T) -> T:
    """``attrs.frozen`` (slotted, immutable, compared and hashed by value) with shared methods."""
    made = attrs.frozen(cls, repr=False, eq=False)
    fields = made.__attrs_attrs__
    made._model_values = staticmethod(_getter([a.name for a in fields if a.eq]))  # compared
    made._model_args = staticmethod(_getter([a.name for a in fields if a.init]))  # to rebuild
    made.__repr__ = _repr
    made.__eq__ = _eq
    made.__hash__ = _hash
    made.__reduce__ = _reduce
    return made
