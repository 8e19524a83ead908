"""Finished-job markers, so that rerunning a sweep skips the jobs that already finished.

`train()` writes `<run_dir>/DONE.json` after `trainer.fit` returns: the final step and every scalar
in `trainer.callback_metrics`. With `resume: auto`, a job whose run dir holds the marker returns the
stored `optimized_metric` without building anything. Sweep job dirs are deterministic (a fixed
`run_name` and `hydra.sweep.subdir = override_dirname`), so rerunning the same multirun command
resumes the sweep: finished jobs are skipped in a second, an interrupted job continues from its
`last.ckpt` (`resume: auto`), and jobs never started run. An Optuna sweep with a seeded sampler
proposes the same trials again (it is told the same values), so it resumes the same way.

Delete a job's DONE.json (or pass `resume=null`) to run it again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from r1lit.io import read_json, write_json_atomic

log = logging.getLogger(__name__)
MARKER = "DONE.json"


def read_done(run_dir: str | Path) -> dict[str, Any] | None:
    """The marker of a finished job, or None (not finished, or an unreadable marker)."""
    return read_json(Path(run_dir) / MARKER)


def scalar_metrics(callback_metrics: Mapping[str, Any]) -> dict[str, float]:
    """The finite scalar metrics of `trainer.callback_metrics` as floats (tensors included)."""
    out = {}
    for name, value in callback_metrics.items():
        try:
            number = float(value)
        except (TypeError, ValueError, RuntimeError):  # non-scalar tensors and the like
            continue
        if math.isfinite(number):
            out[str(name)] = number
    return out


def mark_done(run_dir: str | Path, metrics: Mapping[str, float], global_step: int) -> Path:
    """Write the marker atomically (a crash never leaves a half-written DONE.json)."""
    record = {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "global_step": int(global_step),
        "metrics": dict(metrics),
    }
    return write_json_atomic(Path(run_dir) / MARKER, record, sort_keys=True)


def optimized_value(metrics: Mapping[str, float], name: str | None) -> float | None:
    """`metrics[name]` (None when `name` is None); a clear error when the metric was never logged."""
    if name is None:
        return None
    if name not in metrics:
        raise KeyError(f"optimized_metric={name!r} was not logged; logged: {sorted(metrics)}")
    return float(metrics[name])
