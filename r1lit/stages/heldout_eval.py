"""Held-out evaluation of one checkpoint between pipeline stages: pass@1 over k samples and cons@k.

The paper reports every model with pass@1 averaged over k samples (T=0.6, top-p 0.95) and cons@k by
majority vote over equivalent answers. This is the same measurement GRPO runs during training
(`r1lit.modules.heldout`: same grader, same metric functions), applied to a saved HF folder, so the
pipeline can score the model each stage hands to the next.

Output, in the layout of an `r1lit-eval` output folder (so `paper_figs` tables read it unchanged):

    <out_dir>/results.json                {"model": {...}, "benchmarks": {<name>: {"pass@1", "cons@k", "k", ...}}}
    <out_dir>/samples/<name>.jsonl        one row per sample: problem_id, sample_idx, completion, pred, correct, ...

No Lightning here; r1lit never imports the harness itself (`r1lit_eval`), only the pieces it shares.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from r1lit.data.sources import Record
from r1lit.data.templates import build_prompt
from r1lit.io import write_json_atomic, write_jsonl
from r1lit.modules.heldout import PREFIX, score_groups, summarize
from r1lit.rollout import SamplingParams

log = logging.getLogger(__name__)
RESULTS = "results.json"


def read_results(out_dir: str | Path) -> dict[str, Any] | None:
    """The results of a finished evaluation in `out_dir`, or None."""
    path = Path(out_dir) / RESULTS
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def sample_rows(name: str, results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-prompt results of `score_groups` -> one row per sample (the harness's samples JSONL schema)."""
    rows = []
    for r in results:
        for j, text in enumerate(r["texts"]):
            rows.append({
                "benchmark": name, "problem_id": r["id"], "sample_idx": j, "completion": text, "gold": r["answer"],
                "pred": r["preds"][j], "correct": r["correct"][j], "status": r["status"][j],
                "finish_reason": "length" if r["truncated"][j] else "stop", "n_tokens": r["lengths"][j],
            })  # fmt: skip
    return rows


def write_results(
    out_dir: Path, name: str, summary: dict[str, Any], rows: list[dict[str, Any]], model: dict[str, Any]
) -> Path:
    """Write samples first and results.json last (atomically): results.json marks a finished evaluation."""
    write_jsonl(out_dir / "samples" / f"{name}.jsonl", rows)
    return write_json_atomic(out_dir / RESULTS, {"model": model, "benchmarks": {name: summary}})


def evaluate_checkpoint(
    model_name_or_path: str,
    problems: Callable[[], list[Record]],
    template: str,
    sampling: SamplingParams,
    answer_kind: str,
    out_dir: str | Path,
    label: str,
    benchmark: str = "synthetic",
    limit: int | None = None,
    batch_size: int = 50,
    device: str = "cpu",
    dtype: str = "float32",
) -> dict[str, Any]:
    """Sample `sampling.n` completions per held-out problem, grade them, write and return the summary.

    Args:
        model_name_or_path: the checkpoint (an HF folder, hub id or `r1lit-tiny*`).
        problems: zero-argument loader of `{id, question, answer}` records (e.g. `${data.heldout}`).
        template: prompt template the model was trained with (r1lit.data.templates).
        sampling: `n` is k; the seed is offset per batch so batches differ but reruns repeat.
        answer_kind: grader kind (math | int | choice).
        out_dir: the eval folder (results.json + samples/).
        label: our row's name in tables.
        benchmark: the benchmark name the numbers are filed under.
        limit: the first `limit` problems only (None: all).
        batch_size: prompts per generate call.
        device, dtype: where and how the model runs.
    """
    from r1lit.models import load_causal_lm, load_tokenizer
    from r1lit.rollout import build_generator

    records = problems()
    records = records[:limit] if limit else records
    if not records:
        raise ValueError("the held-out set is empty")
    t0 = time.perf_counter()
    tokenizer = load_tokenizer(model_name_or_path)
    generator = build_generator(
        "hf", load_causal_lm(model_name_or_path, None, dtype, device).eval(), tokenizer
    )
    results: list[dict[str, Any]] = []
    base_seed = 0 if sampling.seed is None else sampling.seed
    for i in range(0, len(records), batch_size):
        chunk = records[i : i + batch_size]
        params = dataclasses.replace(sampling, seed=base_seed * 7_919 + i // batch_size)
        groups = generator.generate([build_prompt(template, r["question"]) for r in chunk], params)
        batch = {"id": [r["id"] for r in chunk], "answer": [r["answer"] for r in chunk]}
        results += score_groups(groups, batch, answer_kind)
    metrics = summarize(results, k=sampling.n)
    summary = {key.removeprefix(f"{PREFIX}/"): value for key, value in metrics.items()}
    summary.update(k=sampling.n, n_problems=len(results), wall_seconds=round(time.perf_counter() - t0, 3),
                   sampling=dataclasses.asdict(sampling), template=template)  # fmt: skip
    model = {"label": label, "name_or_path": str(model_name_or_path)}
    write_results(Path(out_dir), benchmark, summary, sample_rows(benchmark, results), model)
    log.info(
        "%s: pass@1 %.3f cons@%d %.3f over %d problems",
        label,
        summary["pass@1"],
        sampling.n,
        summary["cons@k"],
        len(results),
    )
    return summary
