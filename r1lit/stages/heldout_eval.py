"""Held-out evaluation of one checkpoint between pipeline stages: pass@1 over k samples and cons@k.

The paper reports every model with pass@1 averaged over k samples (T=0.6, top-p 0.95) and cons@k by
majority vote over equivalent answers. The numbers come from the one evaluator, `r1lit.evaluation`:
each task's one check grades the samples into r1lit-eval's per-sample rows, `summarize` is the one
`r1lit-eval` reports, and the folder is written by the same writer, so it is an `r1lit-eval` output
folder (paper_figs tables and report.html read it unchanged):

    <out_dir>/samples/<name>.jsonl        one row per sample (r1lit.evaluation.rows)
    <out_dir>/results.json                {"model": {...}, "benchmarks": {<name>: summary}}, written last

In-process rather than an `r1lit-eval` subprocess: what this stage needs beyond the pure code is a
generate loop over `${data.heldout}` records (any loader, the training template), which r1lit-eval
would need a benchmark config for; its cache, sharding and benchmark registry buy nothing here.
No Lightning here; r1lit never imports the harness itself (`r1lit_eval`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from r1lit.data.sources import Record
from r1lit.evaluation.results import RESULTS, read_results, write_results
from r1lit.evaluation.rows import Row, grade_group
from r1lit.evaluation.summary import summarize
from r1lit.prompts import build_prompt
from r1lit.rollout import Generator, SamplingParams
from r1lit.run_models import ModelOrRun

log = logging.getLogger(__name__)
__all__ = ["RESULTS", "evaluate_checkpoint", "generate_rows", "read_results"]


def generate_rows(
    generator: Generator,
    records: Sequence[Record],
    template: str,
    sampling: SamplingParams,
    answer_kind: str,
    benchmark: str,
    batch_size: int,
) -> list[Row]:
    """Sample `sampling.n` completions per record, `batch_size` prompts per generate call, into graded rows.

    The seed is offset per batch, so batches differ but reruns repeat.
    """
    rows: list[Row] = []
    base_seed = 0 if sampling.seed is None else sampling.seed
    for i in range(0, len(records), batch_size):
        chunk = records[i : i + batch_size]
        params = dataclasses.replace(sampling, seed=base_seed * 7_919 + i // batch_size)
        prompts = [build_prompt(template, r["question"]) for r in chunk]
        groups = generator.generate(prompts, params)
        for record, prompt, group in zip(chunk, prompts, groups, strict=True):
            rows += grade_group(benchmark, group, record, answer_kind, prompt)
    return rows


def evaluate_checkpoint(
    model_name_or_path: ModelOrRun,
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
        model_name_or_path: the checkpoint: any source `r1lit.run_models` loads (an HF folder, hub id,
            `r1lit-tiny*`, a training run folder or its Lightning `.ckpt`).
        problems: zero-argument loader of `{id, question, answer}` records (e.g. `${data.heldout}`;
            `task`, `numbers`, `target` where the task has them: its check reads them).
        template: prompt template the model was trained with (r1lit.prompts).
        sampling: `n` is k; the seed is offset per batch so batches differ but reruns repeat.
        answer_kind: grader kind (math | int | choice).
        out_dir: the eval folder (results.json + samples/).
        label: our row's name in tables.
        benchmark: the benchmark name the numbers are filed under.
        limit: the first `limit` problems only (None: all).
        batch_size: prompts per generate call.
        device, dtype: where and how the model runs.
    """
    from r1lit.rollout import build_generator
    from r1lit.run_models import load_model_and_tokenizer

    records = problems()
    records = records[:limit] if limit else records
    if not records:
        raise ValueError("the held-out set is empty")
    t0 = time.perf_counter()
    model, tokenizer = load_model_and_tokenizer(model_name_or_path, None, dtype, device)
    generator = build_generator("hf", model.eval(), tokenizer)
    rows = generate_rows(generator, records, template, sampling, answer_kind, benchmark, batch_size)
    summary: dict[str, Any] = summarize(rows, sampling.n)
    summary.update(
        wall_seconds=round(time.perf_counter() - t0, 3),
        sampling=dataclasses.asdict(sampling),
        template=template,
    )
    model = {"label": label, "name_or_path": str(model_name_or_path)}
    write_results(Path(out_dir), benchmark, summary, rows, model)
    log.info(
        "%s: pass@1 %.3f cons@%d %s over %d problems",
        label,
        summary["pass@1"],
        sampling.n,
        summary["cons@k"],
        summary["n_problems"],
    )
    return summary
