"""The results folder every evaluation writes, `r1lit-eval`'s layout (paper_figs and report.html read it):

    <out_dir>/samples/<bench><suffix>.jsonl           one row per sample (r1lit.evaluation.rows)
    <out_dir>/samples/<bench><suffix>.problems.jsonl  what rescoring needs per problem (when given)
    <out_dir>/results<suffix>.json                    {"model": {...}, "benchmarks": {<bench>: summary}, ...}

Samples are written first and results.json last, atomically: a results.json marks a finished
evaluation, and its presence is what a rerun checks before skipping one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from r1lit.io import read_json, write_json_atomic, write_jsonl

RESULTS = "results.json"


def write_samples(
    out_dir: str | Path,
    name: str,
    rows: Sequence[dict[str, Any]],
    problems: Sequence[dict[str, Any]] | None = None,
    suffix: str = "",
) -> Path:
    """Write `samples/<name><suffix>.jsonl` (and `.problems.jsonl` when `problems` are given)."""
    path = write_jsonl(Path(out_dir) / "samples" / f"{name}{suffix}.jsonl", rows)
    if problems is not None:
        write_jsonl(path.with_name(f"{name}{suffix}.problems.jsonl"), problems)
    return path


def save_results(results: dict[str, Any], out_dir: str | Path, suffix: str = "") -> Path:
    """Write `results<suffix>.json` atomically (r1lit-eval writes it again after every benchmark)."""
    return write_json_atomic(Path(out_dir) / f"results{suffix}.json", results)


def write_results(
    out_dir: str | Path,
    name: str,
    summary: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    model: dict[str, Any],
) -> Path:
    """A one-benchmark folder: its samples first, then results.json."""
    write_samples(out_dir, name, rows)
    return save_results({"model": model, "benchmarks": {name: summary}}, out_dir)


def read_results(out_dir: str | Path) -> dict[str, Any] | None:
    """The results of a finished evaluation in `out_dir`, or None (none yet, or a file that does not parse)."""
    return read_json(Path(out_dir) / RESULTS)
