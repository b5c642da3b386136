"""The package's one cattrs converter: every model read from or written to disk goes through it."""

from __future__ import annotations

import cattrs
from cattrs.gen import make_dict_structure_fn

converter = cattrs.Converter(forbid_extra_keys=True)


def _forbid_extra_keys_factory(cls):
    return make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True)


converter.register_structure_hook_factory(
    lambda cls: hasattr(cls, "__attrs_attrs__"), _forbid_extra_keys_factory
)


def describe_error(exc: Exception, root: str = "$") -> list[str]:
    """Turn a cattrs validation failure into readable messages with key paths."""
    if isinstance(exc, cattrs.BaseValidationError):
        return cattrs.transform_error(exc, path=root)
    return [f"{root}: {exc}"]
