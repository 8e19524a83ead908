"""Held-out evaluation inside GRPO training: grade k samples per prompt, pass@1 (mean over k) and cons@k.

These are the numbers of the paper's Figure 2 (AIME pass@1 averaged over 16 samples, and cons@16 by
majority vote) and Figure 3 (mean response length), computed with the same grader and metric
functions as the evaluation harness and the training reward (`r1lit.tasks.check`,
`r1lit.grading.metrics`). Results are also
appended as JSONL so figure scripts need no TensorBoard:

- `<heldout_jsonl>`: one line per evaluation, `{"step", "k", "n_prompts", "pass@1", "cons@k", ...}`;
- `<heldout_jsonl stem>_samples.jsonl`: one line per prompt per evaluation, with every sample's
  text, extracted answer, correctness and length.

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
from r1lit.grading import is_equivalent
from r1lit.grading.metrics import cons_at_k, mean_pass1, pass_at_k
from r1lit.rollout.base import Completion
from r1lit.tasks.checks import check, gold_text, records_from_columns

PREFIX = "heldout"


def score_groups(
    groups: Sequence[Sequence[Completion]], batch: dict[str, Any], kind: str
) -> list[dict[str, Any]]:
    """Grade every sample of every prompt of a held-out batch with its task's check; one dict per prompt."""
    records = records_from_columns(batch, len(groups))
    results = []
    for b, group in enumerate(groups):
        verdicts = [check(records[b], c.text, kind=kind) for c in group]  # the reward's own check
        results.append({
            "id": str(batch["id"][b]),
            "prompt": batch["prompt"][b] if "prompt" in batch else None,  # what a report shows beside the samples
            "answer": gold_text(records[b].get("answer")),
            "preds": [v.pred for v in verdicts],
            "correct": [v.correct for v in verdicts],
            "status": [v.status for v in verdicts],
            "lengths": [len(c.token_ids) for c in group],
            "truncated": [c.finish_reason == "length" for c in group],
            "texts": [c.text for c in group],
        })  # fmt: skip
    return results


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
    """pass@1 (mean over k samples), cons@k (majority vote), pass@k, mean response length, truncation.

    Prompts whose gold is unusable (``bad_gold``) say nothing about the model: they are left out of
    every rate and counted in ``heldout/bad_gold``.
    """
    n_bad = sum("bad_gold" in r["status"] for r in results)
    results = [r for r in results if "bad_gold" not in r["status"]]
    correct = [r["correct"] for r in results]
    lengths = [n for r in results for n in r["lengths"]]
    truncated = [t for r in results for t in r["truncated"]]
    no_answer = [s == "no_answer" for r in results for s in r["status"]]
    cons = cons_at_k([r["preds"] for r in results], correct, is_equivalent, k)
    return {
        f"{PREFIX}/pass@1": mean_pass1(correct),
        f"{PREFIX}/cons@k": cons,
        f"{PREFIX}/pass@k": sum(pass_at_k(len(c), sum(c), k) for c in correct) / max(len(correct), 1),
        f"{PREFIX}/response_length": sum(lengths) / max(len(lengths), 1),
        f"{PREFIX}/truncated_frac": sum(truncated) / max(len(truncated), 1),
        f"{PREFIX}/no_answer_frac": sum(no_answer) / max(len(no_answer), 1),
        f"{PREFIX}/bad_gold": float(n_bad),
    }


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
