"""Read run outputs for the figure and table scripts: TensorBoard scalars, JSONL/JSON, Hydra overrides.

Nothing here needs a model. A *run* is a directory written by one `r1lit-train` job (a single run,
or one job of a Hydra multirun): it holds `config.yaml` and/or `.hydra/overrides.yaml`, TensorBoard
event files (under `tb/` with the default logger) and, for GRPO, `heldout.jsonl`. An *eval dir* is
an `r1lit-eval` output folder: a results JSON with one summary per benchmark and
`samples/<benchmark>.jsonl` with one row per sample.

Scalars are read from TensorBoard event files (`EventAccumulator`) and from the CSV logger's
`metrics.csv`, so a run logged with `logger=csv` alone draws every figure; a tag both loggers hold is
taken from TensorBoard. When a resumed run re-logged a step, the last value written for that step wins.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from r1lit.io import read_jsonl  # re-exported: paper_figs scripts import it from here

log = logging.getLogger(__name__)

EVENT_GLOB = "events.out.tfevents.*"
CSV_METRICS = "metrics.csv"  # Lightning's CSVLogger: a `step` column, one column per metric, blanks elsewhere
HELDOUT_JSONL = "heldout.jsonl"
# GRPO logs each held-out number `x` of a heldout.jsonl line (pass@1, cons@k, response_length,
# no_answer_frac, ...) under the TensorBoard tag `heldout/x`.
HELDOUT_PREFIX = "heldout/"


@dataclass(frozen=True)
class Curve:
    """One scalar over training steps (steps ascending, one value per step)."""

    steps: tuple[int, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.steps) != len(self.values):
            raise ValueError(f"Curve: {len(self.steps)} steps but {len(self.values)} values")

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def from_pairs(cls, pairs: list[tuple[int, float]]) -> Curve:
        """Sorted by step; a step given twice keeps the value given last (a resumed run re-logging it)."""
        by_step: dict[int, float] = {}
        for step, value in pairs:
            by_step[int(step)] = float(value)
        steps = sorted(by_step)
        return cls(tuple(steps), tuple(by_step[s] for s in steps))


def read_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def has_config(path: Path) -> bool:
    """A run's root folder: it holds the saved config (`config.yaml`) or Hydra's `.hydra/`."""
    return (path / "config.yaml").is_file() or (path / ".hydra").is_dir()


def _own_files(run_dir: Path, pattern: str) -> list[Path]:
    """Files matching `pattern` below `run_dir` that are not inside a run nested in it (a pipeline's stage)."""
    return [
        p for p in run_dir.rglob(pattern) if not any(has_config(d) for d in p.parents if run_dir in d.parents)
    ]


def event_dirs(run_dir: str | Path) -> list[Path]:
    """Folders of the run's own TensorBoard event files, shallowest first.

    Event files of a run nested inside this one (a pipeline's stage folders) belong to that run.
    """
    dirs = {p.parent for p in _own_files(Path(run_dir), EVENT_GLOB)}
    return sorted(dirs, key=lambda d: (len(d.parts), str(d)))


def csv_metric_files(run_dir: str | Path) -> list[Path]:
    """The run's own CSV-logger files (`<run>/csv/metrics.csv` by default), shallowest first.

    Only files with the logger's `step` column: an eval folder's `tables/metrics.csv` (r1lit-eval's metrics
    table) is not a training log, and counting it made eval folders look like runs.
    """
    files = [p for p in _own_files(Path(run_dir), CSV_METRICS) if _has_step_column(p)]
    return sorted(files, key=lambda p: (len(p.parts), str(p)))


def _has_step_column(path: Path) -> bool:
    with open(path, encoding="utf-8") as fh:
        return "step" in fh.readline().strip().split(",")


def read_csv_scalars(path: str | Path) -> dict[str, Curve]:
    """Every metric column of a CSV-logger file as a Curve over its `step` column (blank cells skipped)."""
    import csv

    pairs: dict[str, list[tuple[int, float]]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row.get("step"):
                continue
            step = int(float(row["step"]))
            for tag, value in row.items():
                if tag not in ("step", "epoch") and value not in (None, ""):
                    pairs.setdefault(tag, []).append((step, float(value)))
    return {tag: Curve.from_pairs(p) for tag, p in pairs.items()}


def read_scalars(event_dir: str | Path) -> dict[str, Curve]:
    """Every scalar tag of the event files in one folder (all sessions, in file order)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(event_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {
        tag: Curve.from_pairs([(e.step, e.value) for e in acc.Scalars(tag)]) for tag in acc.Tags()["scalars"]
    }


def parse_overrides(lines: list[str]) -> dict[str, str]:
    """Hydra task overrides (`key=value`, `+key=value`, `~key`) as a dict of key -> value string."""
    out: dict[str, str] = {}
    for line in lines:
        key, _, value = str(line).partition("=")
        out[key.lstrip("+~")] = value
    return out


@dataclass
class Run:
    """One training job's output directory, read lazily."""

    path: Path
    overrides: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    order: int = 0  # a pipeline stage's position in its pipeline (figures and tables keep that order)

    @classmethod
    def load(cls, path: str | Path) -> Run:
        path = Path(path)
        overrides_file = path / ".hydra" / "overrides.yaml"
        overrides = (
            parse_overrides(yaml.safe_load(overrides_file.read_text()) or [])
            if overrides_file.is_file()
            else {}
        )
        config_file = path / "config.yaml"
        if not config_file.is_file():
            config_file = path / ".hydra" / "config.yaml"
        config = (yaml.safe_load(config_file.read_text()) or {}) if config_file.is_file() else {}
        return cls(path, overrides, config)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def seed(self) -> int | None:
        seed = self.overrides.get("seed", self.config.get("seed"))
        return None if seed is None else int(seed)

    def config_value(self, dotted: str, default: Any = None) -> Any:
        """A value of the saved config by dotted key (`stage.module.beta`), or `default`."""
        node: Any = self.config
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    @cached_property
    def scalars(self) -> dict[str, Curve]:
        """All scalars of the run: CSV-logger files, then TensorBoard over them (in each, the shallowest wins)."""
        merged: dict[str, Curve] = {}
        for f in reversed(csv_metric_files(self.path)):
            merged.update(read_csv_scalars(f))
        for d in reversed(event_dirs(self.path)):
            merged.update(read_scalars(d))
        return merged

    @cached_property
    def heldout(self) -> list[dict[str, Any]]:
        """The per-evaluation summary lines of `heldout.jsonl` ([] when the run wrote none)."""
        path = self.path / HELDOUT_JSONL
        return read_jsonl(path) if path.is_file() else []

    def curve(self, tag: str) -> Curve | None:
        """A scalar by TensorBoard tag; `heldout/*` tags fall back to heldout.jsonl."""
        if tag in self.scalars:
            return self.scalars[tag]
        key = tag.removeprefix(HELDOUT_PREFIX)
        pairs = [(row["step"], row[key]) for row in self.heldout if row.get(key) is not None]
        if tag.startswith(HELDOUT_PREFIX) and pairs:
            return Curve.from_pairs(pairs)
        return None

    @property
    def heldout_k(self) -> int | None:
        """k of the held-out evaluation (samples per prompt; the `k` of cons@k)."""
        if self.heldout and "k" in self.heldout[-1]:
            return int(self.heldout[-1]["k"])
        k = self.config_value("stage.module.eval_sampling.n")
        return None if k is None else int(k)


def is_run_dir(path: Path) -> bool:
    """A job folder: has a saved config and some output of its own to plot."""
    own = (path / HELDOUT_JSONL).is_file() or bool(event_dirs(path)) or bool(csv_metric_files(path))
    return has_config(path) and own


PIPELINE_STAGE = "pipeline_stage"  # the setting key that tells a pipeline's stages apart


def _inherit_overrides(run: Run, root: Path) -> Run:
    """A run without Hydra overrides of its own inside one with them (a stage of a pipeline job) is
    labelled by the job's overrides plus its stage folder, so stages are never averaged as seeds."""
    if (run.path / ".hydra").is_dir():
        return run
    for parent in run.path.parents:
        if parent != root and root not in parent.parents:
            break
        if (parent / ".hydra" / "overrides.yaml").is_file() or (parent / "config.yaml").is_file():
            outer = Run.load(parent)
            stage = str(run.path.relative_to(parent))
            run.overrides = {**outer.overrides, **run.overrides, PIPELINE_STAGE: stage}
            stages = list(outer.config_value("pipeline.stages") or [])
            run.order = stages.index(stage) if stage in stages else len(stages)
            break
    return run


def discover_runs(root: str | Path) -> list[Run]:
    """Every run at or below `root` (a run, a sweep, a pipeline, a sweep of pipelines), sorted by path.

    A run is a folder with a saved config and output of its own (heldout.jsonl or event files not in a
    nested run); a pipeline folder whose outputs all live in its stage folders is not a run itself.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no such run or sweep directory: {root}")
    candidates = {p.parent.parent for p in root.rglob(".hydra/overrides.yaml")}
    candidates |= {p.parent for p in root.rglob("config.yaml")} | {root}
    runs = [_inherit_overrides(Run.load(p), root) for p in candidates if is_run_dir(p)]
    return sorted(runs, key=lambda r: str(r.path))


# ---- eval harness outputs ----------------------------------------------------------------------------


@dataclass
class EvalResult:
    """One `r1lit-eval` output folder: benchmark name -> summary dict (`pass@1`, `cons@k`, `k`, `response_length`, ...).

    Fractions are in [0, 1] as the harness writes them (`cons@k` may be None); `response_length` is the
    mean completion length in tokens (the harness's `mean_completion_tokens`, or recomputed from samples).
    """

    path: Path
    benchmarks: dict[str, dict[str, Any]]
    model: str | None = None


def _summaries_from_json(data: Any) -> dict[str, dict[str, Any]]:
    """Find `{benchmark: summary}` in a results JSON, whatever the nesting the harness uses."""
    if isinstance(data, dict) and isinstance(data.get("benchmarks"), dict):
        data = data["benchmarks"]
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if isinstance(v, dict) and "pass@1" in v}
    return {}


def summarize_samples(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """pass@1 (mean over samples, then problems) and mean response length from per-sample rows.

    cons@k is not recomputed here (it needs answer equivalence); it comes from the results JSON.
    """
    by_problem: dict[str, list[bool]] = {}
    for row in rows:
        by_problem.setdefault(str(row["problem_id"]), []).append(bool(row["correct"]))
    pass1 = sum(sum(c) / len(c) for c in by_problem.values()) / max(len(by_problem), 1)
    lengths = [row["n_tokens"] for row in rows if "n_tokens" in row]
    k = max((len(c) for c in by_problem.values()), default=0)
    out: dict[str, Any] = {"pass@1": pass1, "n_problems": len(by_problem), "k": k}
    if lengths:
        out["response_length"] = sum(lengths) / len(lengths)
    return out


def _model_label(model: Any) -> str | None:
    """r1lit-eval stores the model as an identity dict (`label`, `name_or_path`, ...); older files as a string."""
    if isinstance(model, dict):
        return model.get("label") or model.get("name_or_path")
    return model


def read_eval_dir(path: str | Path) -> EvalResult:
    """Summaries from the results JSON(s) in `path`, completed from `samples/*.jsonl`.

    A benchmark found only as per-sample JSONL gets pass@1 / length recomputed from its rows; a mean
    response length missing from a summary is filled in from the rows.
    """
    path = Path(path)
    benchmarks: dict[str, dict[str, Any]] = {}
    model = None
    json_files = sorted(path.glob("*.json"))
    merged = [p for p in json_files if ".shard-" not in p.name]
    for json_file in merged or json_files:  # shard files only until `r1lit-eval mode=merge` has run
        data = read_json(json_file)
        found = _summaries_from_json(data)
        if found and isinstance(data, dict):
            model = model or _model_label(data.get("model"))
        for name, summary in found.items():
            summary = dict(summary)
            if summary.get("response_length") is None and summary.get("mean_completion_tokens") is not None:
                summary["response_length"] = summary["mean_completion_tokens"]
            benchmarks.setdefault(name, summary)
    for jsonl in sorted((path / "samples").glob("*.jsonl")):
        name = jsonl.name.removesuffix(".jsonl")
        if name.endswith(".problems") or ".shard-" in name:
            continue
        if name in benchmarks and "response_length" in benchmarks[name]:
            continue
        recomputed = summarize_samples(read_jsonl(jsonl))
        benchmarks[name] = {**recomputed, **benchmarks.get(name, {})}
    return EvalResult(path, benchmarks, model)


def is_eval_dir(path: Path) -> bool:
    return (path / "samples").is_dir() or any(_summaries_from_json(read_json(p)) for p in path.glob("*.json"))


def discover_eval_dirs(root: str | Path) -> list[Path]:
    """Every eval output folder at or below `root` (`<run>/eval/<label>/` by convention), sorted."""
    root = Path(root)
    found = {p.parent.parent for p in root.rglob("samples/*.jsonl")}
    found |= {p.parent for p in root.rglob("*.json") if p.parent not in found and _safe_summaries(p)}
    return sorted(found)


def _safe_summaries(path: Path) -> bool:
    try:
        return bool(_summaries_from_json(read_json(path)))
    except (OSError, ValueError):
        return False
