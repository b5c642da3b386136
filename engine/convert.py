"""The package's one cattrs converter: every model read from or written to disk goes through it."""

from __future__ import annotations

import cattrs
import cattrs.v
from cattrs.gen import make_dict_structure_fn

converter = cattrs.Converter(forbid_extra_keys=True)


def _forbid_extra_keys_factory(cls):
    return make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True)


converter.register_structure_hook_factory(
    lambda cls: hasattr(cls, "__attrs_attrs__"), _forbid_extra_keys_factory
)


def _keep_validator_messages(exc: BaseException, type_) -> str:
    # Our own validators raise ValueError with a sentence worth showing; cattrs' wording otherwise.
    if type(exc) is ValueError and str(exc):
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


def describe_error(exc: Exception, root: str = "$") -> list[str]:
    """Turn a cattrs validation failure into readable messages with key paths."""
    if isinstance(exc, cattrs.BaseValidationError):
        return cattrs.transform_error(exc, path=root, format_exception=_keep_validator_messages)
    return [f"{root}: {exc}"]


# -- strict reading of hand-written YAML ---------------------------------------------------------
# cattrs coerces by default (bool("false") is True, "abc" becomes ('a', 'b', 'c')): harmless for
# artifacts we write ourselves, dangerous for a catalog a person typed. ``strict_converter``
# accepts only values of the declared type, and ``key_path_errors`` renders every failure as
# "$.engines.code_agent.fallback: message".


class InvalidValue(ValueError):
    """A value of the wrong type or outside its allowed set; str() is the message shown."""


def _strict_bool(value, _type):
    if type(value) is bool:
        return value
    raise InvalidValue(f"expected true or false, got {value!r}")


def _strict_int(value, _type):
    if type(value) is int:
        return value
    raise InvalidValue(f"expected an integer, got {value!r}")


def _strict_str(value, _type):
    if isinstance(value, str):
        return value
    raise InvalidValue(f"expected a string, got {value!r}")


def _is_tuple_type(cls) -> bool:
    return getattr(cls, "__origin__", None) is tuple


def _strict_tuple_factory(cls):
    args = getattr(cls, "__args__", ()) or ()
    if args and args[-1] is not Ellipsis and not (len(args) == 1 and args[0] == ()):
        # tuple[A, B, C]: exactly that many items, each of its own type
        def fixed(value, _type):
            if not isinstance(value, (list, tuple)) or len(value) != len(args):
                raise InvalidValue(f"expected a list of {len(args)} items, got {value!r}")
            return tuple(strict_converter.structure(item, t) for item, t in zip(value, args))

        return fixed
    item_type = args[0] if args else object

    def structure(value, _type):
        if not isinstance(value, (list, tuple)):
            raise InvalidValue(f"expected a list, got {value!r}")
        return tuple(strict_converter.structure(item, item_type) for item in value)

    return structure


strict_converter = converter.copy()
strict_converter.register_structure_hook(bool, _strict_bool)
strict_converter.register_structure_hook(int, _strict_int)
strict_converter.register_structure_hook(str, _strict_str)
strict_converter.register_structure_hook_factory(_is_tuple_type, _strict_tuple_factory)
strict_converter.register_structure_hook_factory(
    lambda cls: hasattr(cls, "__attrs_attrs__"),
    lambda cls: make_dict_structure_fn(cls, strict_converter, _cattrs_forbid_extra_keys=True),
)


def _format(exc: BaseException, type_) -> str:
    from typing import Literal, get_args, get_origin

    if isinstance(exc, InvalidValue):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required key missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown key{'s' if len(exc.extra_fields) > 1 else ''}: {', '.join(sorted(exc.extra_fields))}"
    if get_origin(type_) is Literal or "not in literal" in str(exc):
        allowed = get_args(type_) if get_origin(type_) is Literal else ()
        return f"must be one of {', '.join(map(str, allowed))}" if allowed else str(exc)
    if isinstance(exc, AttributeError) and str(exc).endswith("has no attribute 'items'"):
        return "expected a mapping"
    return cattrs.v.format_exception(exc, type_)


def key_path_errors(exc: Exception, root: str = "$") -> list[str]:
    """Every validation failure inside ``exc`` as "key.path: message", in a stable order."""
    import re as _re  # paths are our own short strings, never prompts

    if not isinstance(exc, cattrs.BaseValidationError):
        return [f"{root}: {exc}"]
    out = []
    for line in cattrs.transform_error(exc, path=root, format_exception=_format):
        message, _, path = line.rpartition(" @ ")
        path = _re.sub(r"\['([^'\]]*)'\]", r".\1", path)
        out.append(f"{path}: {message}")
    return sorted(out)
