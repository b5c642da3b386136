"""Engine models share one repr, eq and hash (engine/model.py); they must behave exactly like
the methods attrs would have generated."""

from __future__ import annotations

import pickle

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hrouter.engine.model import frozen


@frozen
class Shared:
    name: str
    count: int = 0
    tags: tuple[str, ...] = ()
    note: str = attrs.field(default="", eq=False, repr=False)


@attrs.frozen
class Generated:
    name: str
    count: int = 0
    tags: tuple[str, ...] = ()
    note: str = attrs.field(default="", eq=False, repr=False)


values = st.tuples(st.text(max_size=5), st.integers(-3, 3), st.lists(st.text(max_size=3), max_size=3).map(tuple), st.text(max_size=3))


@given(values, values)
def test_same_behaviour_as_attrs_generated_methods(a, b):
    sa, sb, ga, gb = Shared(*a), Shared(*b), Generated(*a), Generated(*b)
    assert repr(sa).replace("Shared", "X") == repr(ga).replace("Generated", "X")
    assert (sa == sb) == (ga == gb) and (sa != sb) == (ga != gb)
    if sa == sb:
        assert hash(sa) == hash(sb)


def test_other_types_are_never_equal_and_instances_stay_frozen():
    one = Shared("a", 1)
    assert one != Generated("a", 1) and one != ("a", 1, (), "") and one != None  # noqa: E711
    assert len({one, Shared("a", 1), Shared("a", 2)}) == 2
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        one.name = "b"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(one)) == one
    assert attrs.evolve(one, count=5) == Shared("a", 5)
    assert Shared("a", note="x") == Shared("a", note="y")  # eq=False fields are not compared


def test_every_engine_model_uses_the_shared_methods():
    import importlib
    import pkgutil

    import hrouter.engine as engine

    models = []
    for info in pkgutil.iter_modules(engine.__path__):
        module = importlib.import_module(f"hrouter.engine.{info.name}")
        models += [obj for obj in vars(module).values() if isinstance(obj, type) and attrs.has(obj) and obj.__module__ == module.__name__]
    shared = [m for m in models if getattr(m, "_model_values", None) is not None]
    assert len(models) >= 25
    assert {m.__name__ for m in models} - {m.__name__ for m in shared} == {"RoutingHints"}
