"""The benchmark registry: a plain dict from benchmark name to the class that implements it.

Classes are named by import path and imported only when a benchmark is built, so `r1lit-eval --help`
and config validation never import torch, datasets or the code sandbox. A benchmark's constructor
arguments are the `loader:` block of `conf/benchmark/<name>.yaml`.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from r1lit_eval.benchmarks.base import Benchmark

from r1lit.io import read_jsonl

BENCHMARKS: dict[str, str] = {
    "aime24": "r1lit_eval.benchmarks.math_benchmarks:MathBenchmark",
    "aime25": "r1lit_eval.benchmarks.math_benchmarks:MathBenchmark",
    "math500": "r1lit_eval.benchmarks.math_benchmarks:MathBenchmark",
    "amc23": "r1lit_eval.benchmarks.math_benchmarks:MathBenchmark",
    "gpqa": "r1lit_eval.benchmarks.gpqa:GPQA",
    "livecodebench": "r1lit_eval.benchmarks.livecodebench:LiveCodeBench",
    "humaneval": "r1lit_eval.benchmarks.humaneval:HumanEval",
    "synthetic": "r1lit_eval.benchmarks.synthetic:SyntheticBenchmark",
}


def available() -> list[str]:
    """Registered benchmark names, sorted."""
    return sorted(BENCHMARKS)


def check_name(name: str) -> None:
    """Raise a ValueError naming the registered benchmarks when `name` is not one of them."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; registered benchmarks: {', '.join(available())}")


def benchmark_class(name: str) -> type:
    """Import and return the class registered under `name`."""
    check_name(name)
    module_name, _, attr = BENCHMARKS[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name == module_name:
            raise ValueError(f"benchmark {name!r} is registered but {module_name} is not installed") from err
        raise
    return getattr(module, attr)


def resolve_local_path(
    loader: dict[str, Any], local_file: str | None, data_dir: str | Path | None
) -> dict[str, Any]:
    """Fill `loader.local_path` with `data_dir/local_file` when no explicit `local_path` is given.

    A benchmark loads from `local_path` when set, else from the hub (`hub_id` at `revision`).
    `local_file` is the benchmark's file name inside a data folder such as ../shared/data.
    """
    loader = dict(loader)
    if not loader.get("local_path") and data_dir and local_file:
        loader["local_path"] = str(Path(data_dir) / local_file)
    return loader


def check_loader(name: str, loader: dict[str, Any]) -> None:
    """Raise a ValueError naming `benchmark.<name>.loader.<key>` for keys the class does not accept."""
    cls = benchmark_class(name)
    params = inspect.signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    unknown = sorted(set(loader) - set(params))
    if unknown:
        raise ValueError(
            f"benchmark.{name}.loader has unknown keys {unknown}; {cls.__name__} accepts {sorted(params)}"
        )


def build_benchmark(
    name: str, loader: dict[str, Any], local_file: str | None = None, data_dir: str | Path | None = None
) -> Benchmark:
    """Instantiate the benchmark `name` from its `loader:` config block.

    Args:
        name: a registered benchmark name.
        loader: constructor arguments (`conf/benchmark/<name>.yaml` -> `loader`).
        local_file: the benchmark's file name inside `data_dir`.
        data_dir: optional folder holding `local_file` (used when `loader.local_path` is empty).
    """
    check_loader(name, loader)
    cls = benchmark_class(name)
    kwargs = resolve_local_path(loader, local_file, data_dir)
    if "name" in inspect.signature(cls).parameters and "name" not in kwargs:
        kwargs["name"] = name
    return cls(**kwargs)


# ---------------------------------------------------------------- record sources shared by benchmarks


def missing_field(
    name: str, provenance: dict[str, Any], index: int, column: Any, key: str, row: dict
) -> ValueError:
    """The error for a row without a field a benchmark needs: benchmark, source, row, field and config key.

    Args:
        name: the benchmark.
        provenance: `load_records`' provenance (names the local file or the hub dataset).
        index: the row's 0-based position in the source (reported 1-based: a JSONL file's line).
        column: the missing column (or columns).
        key: the config key that names the column, e.g. `benchmark.aime24.loader.fields.question`.
        row: the row, whose fields are listed.
    """
    source = provenance.get("local_path") or f"{provenance.get('hub_id')} (split {provenance.get('split')})"
    return ValueError(
        f"{name}: {source} record {index + 1} has no field {column!r} ({key}); its fields are {sorted(row)}"
    )


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file (recorded in results so a table names the exact data it was computed on)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_local_records(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a local .jsonl / .json / .csv / .parquet file, as dicts."""
    import csv
    import json

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"benchmark file not found: {path}")
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return data["data"] if isinstance(data, dict) and "data" in data else list(data)
    if path.suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    raise ValueError(
        f"unsupported benchmark file type {path.suffix!r} ({path}); use .jsonl, .json, .csv or .parquet"
    )


@dataclass(frozen=True)
class RecordSource:
    """Where a benchmark's rows come from (its loader's keys): a local file, else a hub dataset."""

    local_path: str | None
    hub_id: str | None
    hub_config: str | None
    revision: str | None
    split: str | None

    def load(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The rows and their provenance (`load_records`)."""
        return load_records(**asdict(self))


def load_records(
    *,
    local_path: str | None,
    hub_id: str | None,
    hub_config: str | None,
    revision: str | None,
    split: str | None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Load benchmark rows from a local file (when given) or the HF hub at a pinned revision.

    Returns:
        The rows, and a provenance dict for the results JSON (file + sha256, or hub id + revision).
    """
    import logging

    if local_path:
        rows = read_local_records(local_path)
        return rows, {"local_path": str(local_path), "sha256": file_sha256(local_path), "rows": len(rows)}
    if not hub_id:
        raise ValueError(
            "a benchmark needs loader.local_path (or data_dir + loader.local_file) or loader.hub_id"
        )
    if revision is None:
        logging.getLogger(__name__).warning(
            "loading %s from the hub without a pinned revision; set loader.revision to a commit sha", hub_id
        )
    import datasets

    try:
        ds = datasets.load_dataset(hub_id, hub_config, split=split, revision=revision)
    except OSError as err:  # ConnectionError included: offline, gated, or no such dataset
        raise OSError(
            f"could not load {hub_id} from the hub ({err}); without hub access use a local copy: "
            "data_dir=<folder holding the benchmark's local_file> or benchmark.<name>.loader.local_path=<file>"
        ) from err
    rows = [dict(r) for r in ds]
    return rows, {
        "hub_id": hub_id,
        "hub_config": hub_config,
        "revision": revision,
        "split": split,
        "rows": len(rows),
    }
