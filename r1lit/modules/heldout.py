"""Held-out evaluation inside GRPO training: the Lightning/distributed glue around the one evaluator.

These are the numbers of the paper's Figure 2 (AIME pass@1 averaged over 16 samples, and cons@16 by
majority vote) and Figure 3 (mean response length). Grading, the per-sample rows and every number come
from `r1lit.evaluation` (the code `r1lit-eval` runs: each task's one check, `summarize`), in-process;
`heldout_metrics` gives them the logged names (`heldout/pass@1`, `heldout/cons@k`, `heldout/pass@k`,
`heldout/response_length`, `heldout/truncated_frac`, `heldout/no_answer_frac`, `heldout/bad_gold`).
What is left here: one result per prompt (the view the trackers' sample tables read), gathered over
ranks, and the JSONL files figure scripts read without TensorBoard:

- `<heldout_jsonl>`: one line per evaluation, `{"step", "k", "n_prompts", "pass@1", "cons@k", ...}`;
- `<heldout_jsonl stem>_samples.jsonl`: one line per prompt per evaluation, with every sample's
  text, extracted answer, correctness and length (`r1lit.evaluation.rows.prompt_result`).

A resumed run first drops the lines of evaluations after its checkpoint, so the files read as if the
run had never stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch.distributed as dist

from r1lit import io
from r1lit.evaluation.rows import grade_group, prompt_result, result_rows
from r1lit.evaluation.summary import heldout_metrics
from r1lit.evaluation.summary import summarize as summarize_rows
from r1lit.rollout.base import Completion
from r1lit.tasks.checks import records_from_columns

PREFIX = "heldout"


def score_groups(
    groups: Sequence[Sequence[Completion]], batch: dict[str, Any], kind: str
) -> list[dict[str, Any]]:
    """Grade every sample of every prompt of a held-out batch into rows; one `prompt_result` per prompt."""
    records = records_from_columns(batch, len(groups))
    prompts = batch.get("prompt")  # what a report shows beside the samples
    return [
        prompt_result(grade_group(PREFIX, group, record, kind, None if prompts is None else prompts[b]))
        for b, (group, record) in enumerate(zip(groups, records, strict=True))
    ]


def gather_results(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every rank's results on every rank, one per prompt id (DistributedSampler pads with repeats)."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        everything: list[list[dict[str, Any]]] = [[] for _ in range(dist.get_world_size())]
        dist.all_gather_object(everything, results)
        results = [r for part in everything for r in part]
    unique: dict[str, dict[str, Any]] = {}
    for r in results:
        unique.setdefault(r["id"], r)
    return sorted(unique.values(), key=lambda r: r["id"])


def summarize(results: list[dict[str, Any]], k: int) -> dict[str, float]:
    """pass@1 (mean over k samples), cons@k, pass@k, response length, truncation, no-answer and bad-gold
    counts: `r1lit.evaluation.summary.summarize` (r1lit-eval's) under the `heldout/` names.

    Prompts whose gold is unusable (``bad_gold``) say nothing about the model: they are left out of
    every rate and counted in ``heldout/bad_gold``.
    """
    summary = summarize_rows(result_rows(results), k, n_boot=0)  # no CI: nothing logs it
    return {f"{PREFIX}/{key}": value for key, value in heldout_metrics(summary).items()}


def truncate_jsonl(path: str | Path, last_step: int) -> None:
    """Drop lines of evaluations after `last_step` (a resumed run redoes them), from both files.

    A line that does not parse (a kill tore it mid-write) is dropped too, with a warning naming it.
    """
    path = Path(path)
    for file in (path, path.with_name(f"{path.stem}_samples.jsonl")):
        if not file.is_file():
            continue
        kept = []
        for number, line in enumerate(file.read_text().splitlines(keepends=True), start=1):
            try:
                step = json.loads(line)["step"]
            except (ValueError, KeyError, TypeError):
                logging.getLogger(__name__).warning("%s:%d: dropping a torn line", file, number)
                continue
            if step <= last_step:
                kept.append(line if line.endswith("\n") else line + "\n")
        file.write_text("".join(kept))


def append_jsonl(
    path: str | Path, step: int, metrics: dict[str, float], results: list[dict[str, Any]]
) -> None:
    """Append the summary line to `path` and the per-prompt lines to `<stem>_samples.jsonl`."""
    path = Path(path)
    k = len(results[0]["correct"]) if results else 0
    summary = {"step": step, "k": k, "n_prompts": len(results)}
    summary.update({key.split("/", 1)[1]: value for key, value in metrics.items()})
    io.append_jsonl(path, [summary])
    io.append_jsonl(path.with_name(f"{path.stem}_samples.jsonl"), [{"step": step, **r} for r in results])
