"""The one per-sample row format: what every evaluation writes to `samples/<bench>.jsonl` and summarizes.

`r1lit-eval` (`r1lit_eval.runner`), the pipeline's per-stage eval (`r1lit.stages.heldout_eval`) and the
in-training held-out eval (`r1lit.modules.heldout`) grade into these rows; `r1lit.evaluation.summary`
reads nothing else. One row is one sample of one problem, keys in this order:

| key                | what                                                                          |
|--------------------|-------------------------------------------------------------------------------|
| `benchmark`        | the name the numbers are filed under                                          |
| `problem_id`       | the problem's stable id                                                       |
| `sample_idx`       | 0..k-1, in sampling order (cons@k votes over the first k)                     |
| `kind`             | grader kind (math, int, choice, code): picks cons@k's answer equivalence      |
| `prompt`           | what the model was given (text or chat messages; None when not kept)          |
| `response_prefix`  | text forced at the start of the response ("" for none)                        |
| `completion`       | the generated text                                                            |
| `gold`             | the reference answer (None: none usable, graded `bad_gold`)                   |
| `pred`, `correct`, `status`, `detail` | the verdict (`detail`: e.g. code tests passed)             |
| `finish_reason`    | "stop" or "length" (cut at its token budget)                                  |
| `n_tokens`, `n_prompt_tokens`, `max_new_tokens`, `prompt_truncated` | lengths and the context's cap |

The in-training held-out eval also keeps a per-prompt view (`prompt_result`: one dict per prompt with
lists `preds`, `correct`, `status`, `lengths`, `truncated`, `texts`): `heldout_samples.jsonl`, the
trackers' sample tables and the paper figures read that view. `result_rows` turns it back into rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from r1lit.rollout.base import Completion, Prompt
from r1lit.tasks.checks import check, gold_text

Row = dict[str, Any]
DEFAULT_KIND = "math"  # the grader's default kind: what a row without `kind` is summarized as


def completion_fields(completion: Completion) -> dict[str, Any]:
    """A completion as the generation fields of a row (the generation cache stores the same keys)."""
    return {
        "text": completion.text,
        "finish_reason": completion.finish_reason,
        "n_tokens": len(completion.token_ids),
        "n_prompt_tokens": len(completion.prompt_token_ids),
        "max_new_tokens": completion.max_new_tokens,
        "prompt_truncated": completion.prompt_truncated,
    }


def sample_row(
    benchmark: str,
    problem_id: str,
    sample_idx: int,
    kind: str,
    gold: str | None,
    verdict: Any,
    generation: Mapping[str, Any],
    *,
    prompt: Prompt | None = None,
    response_prefix: str = "",
) -> Row:
    """One row of the format above.

    Args:
        benchmark, problem_id, sample_idx, kind, gold, prompt, response_prefix: as in the table.
        verdict: the grade, with `correct`, `pred`, `status` (an `r1lit.grading.Verdict`, or the
            harness's `SampleGrade`, which also has a `detail` dict).
        generation: `text`, `finish_reason`, `n_tokens`, `n_prompt_tokens` and optionally
            `max_new_tokens`, `prompt_truncated` (`completion_fields`, or a generation-cache record).
    """
    return {
        "benchmark": benchmark,
        "problem_id": problem_id,
        "sample_idx": sample_idx,
        "kind": kind,
        "prompt": prompt,
        "response_prefix": response_prefix,
        "completion": generation["text"],
        "gold": gold,
        "pred": verdict.pred,
        "correct": verdict.correct,
        "status": verdict.status,
        "detail": dict(getattr(verdict, "detail", None) or {}),  # a Verdict has none
        "finish_reason": generation["finish_reason"],
        "n_tokens": generation["n_tokens"],
        "n_prompt_tokens": generation["n_prompt_tokens"],
        "max_new_tokens": generation.get("max_new_tokens"),  # absent from caches older than the context cap
        "prompt_truncated": generation.get("prompt_truncated", 0),
    }


def grade_group(
    benchmark: str,
    group: Sequence[Completion],
    record: Mapping[str, Any],
    kind: str,
    prompt: Prompt | None = None,
) -> list[Row]:
    """Rows of one prompt's samples, each graded by its task's one check (`r1lit.tasks.check`).

    Args:
        benchmark: the name the rows are filed under.
        group: the prompt's completions, in sampling order.
        record: the task record (`id`, `answer`, and `task`, `numbers`, `target` where the task has them).
        kind: grader kind for math answers (math | int | choice).
        prompt: what the model was given, kept in the rows (None: not kept).
    """
    gold = gold_text(record.get("answer"))
    return [
        sample_row(
            benchmark,
            str(record["id"]),
            j,
            kind,
            gold,
            check(record, c.text, kind=kind),
            completion_fields(c),
            prompt=prompt,
        )
        for j, c in enumerate(group)
    ]


def group_by_problem(rows: Sequence[Row]) -> list[list[Row]]:
    """Rows grouped per `problem_id` (first-appearance order), each group sorted by `sample_idx`."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row["problem_id"]), []).append(row)
    return [sorted(g, key=lambda r: r.get("sample_idx", 0)) for g in groups.values()]


def prompt_result(rows: Sequence[Row]) -> dict[str, Any]:
    """The per-prompt view of one prompt's rows (the held-out eval's JSONL line and sample-table input)."""
    first = rows[0]
    return {
        "id": first["problem_id"],
        "prompt": first["prompt"],  # what a report shows beside the samples
        "answer": first["gold"],
        "preds": [r["pred"] for r in rows],
        "correct": [r["correct"] for r in rows],
        "status": [r["status"] for r in rows],
        "lengths": [r["n_tokens"] for r in rows],
        "truncated": [r["finish_reason"] == "length" for r in rows],
        "texts": [r["completion"] for r in rows],
        "kind": first["kind"],
    }


def result_rows(results: Sequence[Mapping[str, Any]]) -> list[Row]:
    """Per-prompt results back to the rows `summarize` reads (one problem per result, named by position:
    the results are one per prompt, as `r1lit.modules.heldout.gather_results` leaves them)."""
    return [
        {
            "problem_id": str(i),
            "sample_idx": j,
            "kind": r.get("kind", DEFAULT_KIND),
            "pred": pred,
            "correct": ok,
            "status": status,
            "finish_reason": "length" if cut else "stop",
            "n_tokens": n,
        }
        for i, r in enumerate(results)
        for j, (pred, ok, status, n, cut) in enumerate(
            zip(r["preds"], r["correct"], r["status"], r["lengths"], r["truncated"], strict=True)
        )
    ]
