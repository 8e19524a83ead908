"""Check a composed config before anything heavy runs: missing `???` values, unknown keys, wrong types.

Every `_target_` node is checked against the signature of what it names (imported, never called), so
a misspelled key or a value outside a `Literal[...]` fails with the key, the allowed names/values and a
close-match suggestion, before any model or dataset is loaded. Two checks go past the type:
- `Annotated[T, check, ...]` parameters run each `check(value) -> str | None` (a problem, e.g. "must be
  >= 1"), so a constraint is declared once, next to the parameter it constrains;
- parameters named `*name_or_path` must be a loadable model source (`r1lit.model_source`), checked on the
  file system only, so a missing folder fails here and not as "Repo id must be in the form ..."; those
  annotated `r1lit.run_models.ModelOrRun` (loaded through `r1lit.run_models`) may also be a training run
  folder or a Lightning `.ckpt`.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from r1lit.chat_template import check_train_config
from r1lit.model_source import check_model_source
from r1lit.run_models import ACCEPTS_RUNS

SOURCE_SUFFIX = "name_or_path"  # parameters that name a model to load (model_, teacher_, tokenizer_, ...)


class ConfigError(ValueError):
    """A config problem, reported with the full key path."""


class ModelSourceError(ConfigError):
    """A `*name_or_path` that cannot be loaded; `key` is its config path."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


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
    if origin is typing.Annotated:
        return _type_ok(value, typing.get_args(hint)[0])
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


def _check_value(key: str, value: Any, hint: Any, target: str, check_sources: bool) -> None:
    """Type, `Annotated` constraints and model sources of one argument; `key` is its full config path."""
    ok, expected = _type_ok(value, hint)
    if not ok:
        raise ConfigError(f"{key}={value!r}: expected {expected} (for {target})")
    metadata = hint.__metadata__ if typing.get_origin(hint) is typing.Annotated else ()
    for check in metadata:
        problem = check(value) if callable(check) and value is not None else None
        if problem:
            raise ConfigError(f"{key}={value!r}: {problem} (for {target})")
    if check_sources and key.endswith(SOURCE_SUFFIX) and isinstance(value, str):
        try:
            check_model_source(value, key, accept_runs=ACCEPTS_RUNS in metadata)
        except ValueError as err:
            raise ModelSourceError(str(err), key) from err


def _check_target(path: str, node: dict[str, Any], check_sources: bool) -> None:
    target = node["_target_"]
    try:
        obj = _locate(target)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"{path}._target_={target!r} cannot be imported: {err}") from err
    sig = inspect.signature(obj)
    params = {n: p for n, p in sig.parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    try:
        hints = typing.get_type_hints(obj.__init__ if inspect.isclass(obj) else obj, include_extras=True)
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
        _check_value(f"{path}.{key}", value, hints.get(key, Any), target, check_sources)


def _walk(path: str, node: Any, check_sources: bool) -> None:
    if isinstance(node, dict):
        if "_target_" in node:
            _check_target(path, node, check_sources)
        for key, value in node.items():
            _walk(f"{path}.{key}" if path else str(key), value, check_sources)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk(f"{path}[{i}]", value, check_sources)


def validate_config(
    cfg: DictConfig | ListConfig, skip: tuple[str, ...] = ("hydra",), check_sources: bool = True
) -> None:
    """Raise ConfigError on the first problem found; return None when the config is sound.

    Args:
        cfg: a composed config.
        skip: top-level keys not to check.
        check_sources: check that every `*name_or_path` model exists; a pipeline plans its later stages
            with False, since their models are made by the stages before them.
    """
    try:  # a `${...}` into a key set to null (callbacks.model_checkpoint=null) fails here first
        missing = sorted(k for k in OmegaConf.missing_keys(cfg) if not k.startswith(skip))
    except Exception as err:
        raise _unresolved(err) from err
    if missing:
        raise ConfigError(
            f"required values are missing (`???` in YAML): {missing}. Set them on the command line, e.g. {missing[0]}=..."
        )
    try:
        container = OmegaConf.to_container(cfg, resolve=True)
    except Exception as err:  # interpolation to a missing key, bad resolver, ...
        raise _unresolved(err) from err
    for key in skip:
        container.pop(key, None)
    try:
        _walk("", container, check_sources)
    except ModelSourceError as err:
        origin = _interpolated_from(cfg, err.key)
        raise ModelSourceError(f"{err} (set by {origin})" if origin else str(err), err.key) from err
    if check_sources:  # chat prompt templates need a model with a chat template
        check_train_config(container, error=ConfigError)


def check_run_folder(cfg: DictConfig, hydra_overrides: Sequence[str]) -> None:
    """Raise ConfigError for a run over several nodes whose run folder is the default timestamp.

    `run_name` defaults to `${now:...}`, which each process resolves itself: under torchrun or srun,
    nodes started a second apart would write, and resume from, different folders (docs/multinode.md).

    Args:
        cfg: the composed config.
        hydra_overrides: Hydra's own overrides of this run (`HydraConfig.get().overrides.hydra`).
    """
    nodes = (cfg.get("trainer") or {}).get("num_nodes") or 1
    if nodes <= 1 or any(o.startswith("hydra.run.dir=") for o in hydra_overrides):
        return
    if "${now:" in str(OmegaConf.to_container(cfg, resolve=False).get("run_name")):
        raise ConfigError(
            f"trainer.num_nodes={nodes}: set run_name=... (or hydra.run.dir=...): the default run_name is "
            "a timestamp each node resolves itself, so the nodes would write and resume from different folders"
        )


def _unresolved(err: Exception) -> ConfigError:
    """A ConfigError naming the key whose `${...}` does not resolve, and how to set it directly."""
    key = getattr(err, "full_key", None)
    if not key:
        return ConfigError(f"config does not resolve: {err}")
    reason = (getattr(err, "msg", None) or str(err)).splitlines()[0]
    return ConfigError(f"{key}: does not resolve ({reason}). Set it on the command line, e.g. {key}=...")


def _interpolated_from(cfg: DictConfig | ListConfig, key: str) -> str | None:
    """The key that `key` copies through `${...}` (what the user set), or None.

    The interpolation may sit on `key` or on an ancestor: with `stage.module.rewards: ${reward}`,
    `stage.module.rewards.rm.fn.name_or_path` was set as `reward.rm.fn.name_or_path`.
    """
    parts = key.split(".")
    for depth in range(len(parts), 0, -1):
        parent, leaf, rest = ".".join(parts[: depth - 1]), parts[depth - 1], parts[depth:]
        try:
            node = OmegaConf.select(cfg, parent) if parent else cfg
            raw = OmegaConf.to_container(node, resolve=False)[leaf]
        except Exception:  # a path select cannot follow: the message keeps the full key alone
            return None
        match = re.fullmatch(r"\$\{([\w.]+)\}", raw) if isinstance(raw, str) else None
        if match:
            return ".".join([match.group(1), *rest])
    return None
