"""A disk cache for transformers' table of lazy imports, which it otherwise rebuilds in every process.

`import transformers` (and then `transformers.models`) walks all ~1,100 model folders and reads ~3,400
source files with regexes to learn which names each one defines and which backends they need
(`transformers.utils.import_utils.create_import_structure_from_path`, called twice per process with
different arguments). That is ~1 s of CPU before any model code runs, in a `r1lit-eval` run whose
whole start-up is ~5 s (`python -X importtime` and cProfile, bench/eval.py), and none of it is needed
to evaluate: the table depends only on the installed files.

`install()` caches the table as JSON under `r1lit.cache.cache_dir()`, keyed by the folder, the
transformers version and the modification times of the folder and its entries (a package upgrade or an
added model changes the key). It hooks the one function through an import hook, because `import
transformers` calls it before any caller could patch it. Whatever goes wrong (an unknown transformers
layout, an unreadable or corrupt cache file) falls back to transformers' own computation: the cache can
only make start-up faster, never change what is imported.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.abc
import importlib.machinery
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
TARGET_MODULE = "transformers.utils.import_utils"
TARGET_FUNCTION = "create_import_structure_from_path"


# ---------------------------------------------------------------- JSON for dicts keyed by frozensets


def encode(value: Any) -> Any:
    """The table as JSON-safe data: dicts (keys may be frozensets), sets and frozensets tagged."""
    if isinstance(value, dict):
        return {"d": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, frozenset):
        return {"f": sorted(encode(v) for v in value)}
    if isinstance(value, set):
        return {"s": sorted(encode(v) for v in value)}
    if isinstance(value, (list, tuple)):
        return {"t" if isinstance(value, tuple) else "l": [encode(v) for v in value]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__} in the import table")


def decode(value: Any) -> Any:
    """The inverse of `encode`."""
    if not isinstance(value, dict):
        return value
    ((tag, items),) = value.items()
    if tag == "d":
        return {decode(k): decode(v) for k, v in items}
    if tag == "f":
        return frozenset(decode(v) for v in items)
    if tag == "s":
        return {decode(v) for v in items}
    return tuple(decode(v) for v in items) if tag == "t" else [decode(v) for v in items]


# ---------------------------------------------------------------- the cached function


def cache_key(module_path: str | os.PathLike[str], version: str) -> str:
    """What the table of `module_path` depends on: its location, transformers' version, and mtimes."""
    path = Path(module_path)
    folder = path if path.is_dir() else path.parent  # a file stands for its folder, as in transformers
    parts = [str(folder.resolve()), version, str(folder.stat().st_mtime_ns)]
    with os.scandir(folder) as entries:
        parts += sorted(f"{e.name}:{e.stat().st_mtime_ns}" for e in entries)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def cached(original: Callable[[Any], Any], cache_root: Path, version: str) -> Callable[[Any], Any]:
    """`original` (module_path -> table) with a JSON file per key under `cache_root`.

    `original` recurses into sub-folders through the module's global name, i.e. through this wrapper:
    only the outermost call is cached (one file per table transformers asks for, not per sub-folder).
    """
    computing = [False]

    @functools.lru_cache
    def create_import_structure_from_path(module_path: Any) -> Any:
        if computing[0]:
            return original(module_path)
        try:
            file = cache_root / f"transformers-imports-{cache_key(module_path, version)}.json"
        except OSError:
            return original(module_path)
        try:
            return decode(json.loads(file.read_text()))
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # absent or unreadable: compute it, and store it for the next process
        computing[0] = True
        try:
            table = original(module_path)
        finally:
            computing[0] = False
        try:
            cache_root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=cache_root, suffix=".tmp", delete=False) as fh:
                json.dump(encode(table), fh)
            os.replace(fh.name, file)  # atomic: a concurrent process reads the old file or the whole new one
        except (OSError, TypeError) as err:
            log.debug("not caching transformers' import table: %s", err)
        return table

    return create_import_structure_from_path


class _Hook(importlib.abc.MetaPathFinder):
    """Wraps the loader of `transformers.utils.import_utils` so the function is replaced right after it runs."""

    def __init__(self, cache_root: Path) -> None:
        self.cache_root = cache_root

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET_MODULE:
            return None
        sys.meta_path.remove(self)  # one module, once
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module, cache_root = spec.loader.exec_module, self.cache_root

        def exec_and_wrap(module: Any) -> None:
            exec_module(module)
            original = getattr(module, TARGET_FUNCTION, None)
            version = getattr(sys.modules.get("transformers"), "__version__", None)
            if callable(original) and version:
                setattr(
                    module,
                    TARGET_FUNCTION,
                    cached(getattr(original, "__wrapped__", original), cache_root, version),
                )

        spec.loader.exec_module = exec_and_wrap  # type: ignore[method-assign]
        return spec


def install(cache_root: Path | None = None) -> bool:
    """Cache transformers' import table from now on in this process; False if transformers is already imported."""
    if TARGET_MODULE in sys.modules:
        return False
    if cache_root is None:
        from r1lit.cache import cache_dir

        cache_root = cache_dir()
    sys.meta_path.insert(0, _Hook(Path(cache_root)))
    return True
