"""The pipeline summary reads each stage eval's numbers under r1lit-eval's names (r1lit.evaluation.summary)."""

from __future__ import annotations

import json
from pathlib import Path

from r1lit.evaluation.summary import summarize
from r1lit.stages.pipeline_summary import GENERAL_HEADERS, HEADERS, write_summary


def stage_eval() -> dict:
    """The summary of 2 problems x 2 samples: lengths 10, 20, 30, 40; one cut at max_new_tokens, one with no answer."""
    rows = [
        {"problem_id": pid, "sample_idx": j, "kind": "math", "pred": pred, "correct": ok, "status": status,
         "finish_reason": finish, "n_tokens": n}
        for pid, j, pred, ok, status, finish, n in [
            ("a", 0, "1", True, "correct", "stop", 10),
            ("a", 1, None, False, "no_answer", "length", 20),
            ("b", 0, "2", False, "incorrect", "stop", 30),
            ("b", 1, "3", True, "correct", "stop", 40),
        ]
    ]  # fmt: skip
    return summarize(rows, 2, n_boot=0)


def cells_of(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")[1:-1]]


def test_the_table_shows_length_truncated_and_no_answer_from_the_stage_eval(tmp_path: Path) -> None:
    ev = stage_eval()
    assert "response_length" not in ev and "truncated_frac" not in ev  # only r1lit-eval's names exist
    rows = [{"stage": "sft", "kind": "sft", "from": "base", "status": "ran", "seconds": 90.0, "eval": ev}]
    markdown = write_summary(tmp_path, rows, k=2).read_text()
    table = [line for line in markdown.splitlines() if line.startswith("| sft |")]
    cells = dict(zip(HEADERS, cells_of(table[0]), strict=True))
    assert cells["pass@1"] == "0.500" and cells["minutes"] == "1.5"
    assert cells["length"] == "25.0" and cells["truncated"] == "0.25" and cells["no answer"] == "0.25"
    assert json.loads((tmp_path / "pipeline_summary.json").read_text())["stages"][0]["eval"] == ev


def test_a_stage_without_an_eval_shows_dashes(tmp_path: Path) -> None:
    rows = [{"stage": "data", "kind": "rejection_sampling", "model": str(tmp_path / "traces.jsonl")}]
    line = write_summary(tmp_path, rows, k=2).read_text().splitlines()[-1]
    cells = dict(zip(HEADERS, cells_of(line), strict=True))
    shown = ("minutes", "pass@1", "cons@k", "length", "truncated", "no answer")
    assert [cells[h] for h in shown] == ["—"] * 6 and cells["notes"] == ""  # no dataset card: no note


def test_general_scores_add_columns_only_when_a_row_has_them(tmp_path: Path) -> None:
    ev = stage_eval()
    general = {"rm_helpful": 0.25, "rm_harmless": 0.5, "helpful/names_number": 0.75, "unsafe/declines": 1.0}
    rows = [
        {"stage": "base", "kind": "base", "eval": ev},  # no general scores (e.g. not computed yet): dashes
        {"stage": "rl", "kind": "grpo", "from": "base", "eval": ev, "general": general},
    ]
    lines = write_summary(tmp_path, rows, k=2).read_text().splitlines()
    headers = [*HEADERS, *GENERAL_HEADERS.values()]
    assert cells_of(next(line for line in lines if line.startswith("| stage |"))) == headers
    rl = dict(zip(headers, cells_of(lines[-1]), strict=True))
    assert [rl[h] for h in GENERAL_HEADERS.values()] == ["0.250", "0.500", "0.750", "1.000"]
    base = dict(zip(headers, cells_of(lines[-2]), strict=True))
    assert [base[h] for h in GENERAL_HEADERS.values()] == ["—"] * 4
    plain = write_summary(tmp_path, rows[:1], k=2).read_text()
    assert "RM helpful" not in plain and "General:" not in plain
