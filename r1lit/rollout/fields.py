"""Typed dataclasses that check their own fields, so each rule is written once, next to the field.

A config value of the wrong type (`sampling.temperature=abc` arrives as the string "abc") would otherwise
fail deep inside a comparison with a bare TypeError. `check_types` compares every field with its type hint
and `require` states one value rule; both raise `FieldError`, which carries the field, the value and what
is allowed, so a CLI can re-raise it under its own config key.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, Literal, Union

_hints = functools.cache(typing.get_type_hints)  # per class: SamplingParams is built every GRPO step
_NAMES = {int: "an int", float: "a number", bool: "true or false", str: "a string", type(None): "null"}


class FieldError(ValueError):
    """A dataclass field with a value it does not allow."""

    def __init__(self, owner: str, field: str, value: Any, allowed: str) -> None:
        self.owner, self.field, self.value, self.allowed = owner, field, value, allowed
        super().__init__(f"{owner}.{field}={value!r}: expected {allowed}")


def _matches(hint: Any, value: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_matches(h, value) for h in typing.get_args(hint))
    if origin is Literal:
        return value in typing.get_args(hint)
    if hint is float:  # an int is a fine float; a bool is neither (True == 1 hides typos)
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is Any:
        return True
    target = origin or hint
    return isinstance(value, target) if isinstance(target, type) else True


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if origin is Literal:
        return f"one of {list(typing.get_args(hint))}"
    return _NAMES.get(hint, f"a {getattr(origin or hint, '__name__', hint)}")


def check_types(obj: Any) -> None:
    """Raise `FieldError` for the first field of dataclass `obj` whose value does not match its type hint."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if not _matches(hints[f.name], value):
            raise FieldError(type(obj).__name__, f.name, value, _describe(hints[f.name]))


def require(obj: Any, field: str, ok: bool, allowed: str) -> None:
    """Raise `FieldError` for `obj.<field>` with `allowed` as the explanation unless `ok`."""
    if not ok:
        raise FieldError(type(obj).__name__, field, getattr(obj, field), allowed)
