"""Check a composed config before anything heavy runs: missing `???` values, unknown keys, wrong types.

Every `_target_` node is checked against the signature of what it names (imported, never called), so
a misspelled key or a value outside a `Literal[...]` fails with the key, the allowed names/values and a
close-match suggestion, before any model or dataset is loaded.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import types
import typing
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf


class ConfigError(ValueError):
    """A config problem, reported with the full key path."""


def _locate(target: str) -> Any:
    module_name, _, attr = target.rpartition(".")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError:  # a class attribute path such as pkg.mod.Class.method
        module_name, _, cls = module_name.rpartition(".")
        obj = getattr(importlib.import_module(module_name), cls)
    return getattr(obj, attr)


def _type_ok(value: Any, hint: Any) -> tuple[bool, str]:
    """Loose structural check of a YAML value against an annotation; returns (ok, expected description)."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True, "any"
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        return value in allowed, f"one of {list(allowed)}"
    if origin in (typing.Union, types.UnionType):
        results = [_type_ok(value, arg) for arg in typing.get_args(hint)]
        return any(ok for ok, _ in results), " or ".join(desc for _, desc in results)
    if value is None:
        return hint is type(None), getattr(hint, "__name__", str(hint))
    if isinstance(value, dict) and "_target_" in value:
        return True, "an instantiated object"
    base = origin or hint
    if base is float:
        return isinstance(value, int | float) and not isinstance(value, bool), "float"
    if base is int:
        return isinstance(value, int) and not isinstance(value, bool), "int"
    if base in (list, tuple, typing.Sequence) or (isinstance(base, type) and base.__name__ == "Sequence"):
        return isinstance(value, list | tuple), "list"
    if base in (dict, typing.Mapping):
        return isinstance(value, dict), "dict"
    if isinstance(base, type):
        return isinstance(value, base), base.__name__
    return True, str(hint)


def _check_target(path: str, node: dict[str, Any]) -> None:
    target = node["_target_"]
    try:
        obj = _locate(target)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"{path}._target_={target!r} cannot be imported: {err}") from err
    sig = inspect.signature(obj)
    params = {n: p for n, p in sig.parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    try:
        hints = typing.get_type_hints(obj.__init__ if inspect.isclass(obj) else obj)
    except Exception:  # unresolvable forward refs: fall back to no type checks
        hints = {}
    for key, value in node.items():
        if key.startswith("_"):
            continue
        if key not in params:
            if takes_kwargs:
                continue
            close = difflib.get_close_matches(key, params, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{path}.{key}: unknown key for {target}.{hint} Allowed keys: {sorted(params)}")
        if key in hints:
            ok, expected = _type_ok(value, hints[key])
            if not ok:
                raise ConfigError(f"{path}.{key}={value!r}: expected {expected} (for {target})")


def _walk(path: str, node: Any) -> None:
    if isinstance(node, dict):
        if "_target_" in node:
            _check_target(path, node)
        for key, value in node.items():
            _walk(f"{path}.{key}" if path else str(key), value)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk(f"{path}[{i}]", value)


def validate_config(cfg: DictConfig | ListConfig, skip: tuple[str, ...] = ("hydra",)) -> None:
    """Raise ConfigError on the first problem found; return None when the config is sound."""
    missing = sorted(k for k in OmegaConf.missing_keys(cfg) if not k.startswith(skip))
    if missing:
        raise ConfigError(f"required values are missing (`???` in YAML): {missing}. Set them on the command line, e.g. {missing[0]}=...")
    try:
        container = OmegaConf.to_container(cfg, resolve=True)
    except Exception as err:  # interpolation to a missing key, bad resolver, ...
        raise ConfigError(f"config does not resolve: {err}") from err
    for key in skip:
        container.pop(key, None)
    _walk("", container)
