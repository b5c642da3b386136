"""The advisor's cattrs converter: scan results and the model catalog go through it."""

from __future__ import annotations

import cattrs
from cattrs.v import format_exception
from cattrs.gen import make_dict_structure_fn

converter = cattrs.Converter(forbid_extra_keys=True)

converter.register_structure_hook_factory(
    lambda cls: hasattr(cls, "__attrs_attrs__"),
    lambda cls: make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True),
)


def _format(exc: BaseException, type_) -> str:
    # Our validators raise ValueError with a sentence worth showing; keep cattrs' wording otherwise.
    if type(exc) is ValueError and str(exc):
        return str(exc)
    return format_exception(exc, type_)


def describe_error(exc: Exception, root: str = "$") -> str:
    """One line naming the key path of a validation failure."""
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, path=root, format_exception=_format))
    return f"{root}: {exc}"
