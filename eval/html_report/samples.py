"""From per-sample records to the browser's problems: sample summaries, answer clusters, clipped texts.

Used for eval folders (`samples/<bench>.jsonl` rows of `r1lit_eval.runner`) and, through
`make_col`, for anything else with predictions, verdicts, lengths and texts (training held-out samples).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from r1lit_eval.html_report.page import clip, settings

from r1lit.evaluation.summary import equivalence_for

Equiv = Callable[[str, str], bool] | None


def answer_clusters(
    preds: Sequence[str | None], correct: Sequence[bool], equiv: Equiv
) -> tuple[list[list[Any]], int]:
    """The cons@k view of one problem: `[[answer, count, ok], ...]` in first-seen order, and the winner.

    Like `r1lit.grading.metrics.majority_vote`: identical strings share a cluster, others join the first
    cluster `equiv` accepts; the largest cluster wins, ties go to the earliest; a cluster is correct when
    its first member is. Past `equiv_max_distinct` distinct answers (a model emitting noise), clusters are
    exact strings, so a report never spends minutes on equivalence checks. Winner -1: no answer at all.
    """
    if equiv is not None and len({p for p in preds if p is not None}) > settings()["equiv_max_distinct"]:
        equiv = None
    clusters: list[list[Any]] = []
    reps: list[str] = []
    by_string: dict[str, int] = {}
    for pred, ok in zip(preds, correct, strict=True):
        if pred is None:
            continue
        j = by_string.get(pred)
        if j is None:
            same = (i for i, rep in enumerate(reps) if equiv is not None and equiv(pred, rep))
            j = next(same, None)
            if j is None:
                reps.append(pred)
                clusters.append([pred, 0, bool(ok)])
                j = len(reps) - 1
            by_string[pred] = j
        clusters[j][1] += 1
    if not clusters:
        return [], -1
    winner = max(range(len(clusters)), key=lambda j: (clusters[j][1], -j))
    return clusters, winner


def make_col(
    label: str,
    preds: Sequence[str | None],
    statuses: Sequence[str],
    correct: Sequence[bool],
    tokens: Sequence[int],
    finish: Sequence[str | None],
    equiv: Equiv,
) -> dict[str, Any]:
    """One column of a problem (see `page.Problem`): compact per-sample summaries and answer clusters."""
    clusters, winner = answer_clusters(preds, correct, equiv)
    samples = [
        [p, s, int(bool(c)), int(n), f]
        for p, s, c, n, f in zip(preds, statuses, correct, tokens, finish, strict=True)
    ]
    acc = sum(map(bool, correct)) / max(len(correct), 1)
    return {"label": label, "samples": samples, "clusters": clusters, "winner": winner, "acc": acc}


def clip_sample(text: str) -> str:
    cfg = settings()
    return clip(text, cfg["sample_head_chars"], cfg["sample_tail_chars"])


def question_text(prompt: Any) -> str:
    """The problem's prompt as text: raw text, or the last user message of a chat prompt."""
    if isinstance(prompt, list):
        users = [m.get("content", "") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        prompt = users[-1] if users else json.dumps(prompt, ensure_ascii=False)
    cfg = settings()
    return clip(str(prompt or ""), cfg["question_chars"], 0)


def bench_files(eval_dir: Path) -> list[Path]:
    """The merged per-sample files of an eval folder (`samples/<bench>.jsonl`), shards only if unmerged."""
    files = [
        p for p in sorted((eval_dir / "samples").glob("*.jsonl")) if not p.name.endswith(".problems.jsonl")
    ]
    merged = [p for p in files if ".shard-" not in p.name]
    return merged or files


def grouped_rows(path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(problem id, its rows sorted by sample index) for one samples file; texts clipped while reading,
    so a file of long samples never sits in memory whole."""
    groups: dict[str, list[dict[str, Any]]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                row["completion"] = clip_sample(
                    str(row.get("response_prefix") or "") + str(row.get("completion", ""))
                )
                groups.setdefault(str(row["problem_id"]), []).append(row)
    for pid, rows in groups.items():
        yield pid, sorted(rows, key=lambda r: r.get("sample_idx", 0))


def eval_col(label: str, rows: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """One eval's column of a problem from its per-sample rows, and the sample texts."""
    equiv = equivalence_for(str(rows[0].get("kind", "math")))
    col = make_col(
        label,
        [r.get("pred") for r in rows],
        [str(r.get("status")) for r in rows],
        [bool(r.get("correct")) for r in rows],
        [r.get("n_tokens") or 0 for r in rows],
        [r.get("finish_reason") for r in rows],
        equiv,
    )
    return col, [r["completion"] for r in rows]


def read_eval_problems(eval_dir: Path, label: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every problem of an eval folder: (benchmark, id) -> {gold, question, col, texts}."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in bench_files(eval_dir):
        bench = path.name.removesuffix(".jsonl").split(".shard-")[0]
        for pid, rows in grouped_rows(path):
            col, texts = eval_col(label, rows)
            out[bench, pid] = {
                "gold": str(rows[0].get("gold")),
                "question": question_text(rows[0].get("prompt")),
                "col": col,
                "texts": texts,
            }
    return out
