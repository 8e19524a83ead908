"""fig_reflection and table3_aha in the search world (modsearch): a retry followed by a new attempt counts as a
reflection, and the aha table picks a real self-correction (checks with the problem's numbers) that ended right."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from paper_figs.fig_reflection import reflection_curves
from paper_figs.io import Run
from paper_figs.table3_aha import find_aha, make_table3, questions_of
from r1lit.tasks.modsearch import parse_question, solve
from r1lit.tiny.corpus_search import think_text

HELDOUT = {"n": 2, "seed": 7, "difficulty": 2, "task": "modsearch"}


def _answer(think: str, x: int) -> str:
    return f" <think> {think} </think> <answer> {x} </answer>"


def _rows(run: Path) -> list[dict]:
    questions = questions_of(Run.load(run))
    pid, question = next(iter(questions.items()))
    a, b, c, n = parse_question(question)
    gold = solve(a, b, c, n)
    wrong = (gold - 3) % n  # three retries from here reach the answer (x+1 each time)
    direct = _answer(f"The answer is {wrong}.", wrong)
    lazy = _answer(think_text(question, "check-once", wrong)[0], wrong)
    fixed = _answer(*think_text(question, "reflective", wrong))
    forged = _answer(
        f"The answer is {wrong}. Wait, {c + 1} is not {c}. Let me try x={gold}.", gold
    )  # no checks
    return [
        {"step": 0, "id": pid, "answer": str(gold), "texts": [direct, lazy, forged, forged],
         "correct": [False, False, True, True]},
        {"step": 10, "id": pid, "answer": str(gold), "texts": [fixed, fixed, lazy, direct],
         "correct": [True, True, False, False]},
    ]  # fmt: skip


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({"data": {"heldout": HELDOUT}}))
    (run / "heldout.jsonl").write_text(
        "".join(json.dumps({"step": s, "pass@1": 0.5}) + "\n" for s in (0, 10))
    )
    (run / "heldout_samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows(run)))
    return run


def test_search_reflection_curves_by_hand(tmp_path: Path) -> None:
    curves = reflection_curves(_rows(_run_dir(tmp_path)))
    assert curves["rate"].values == (0.0, 0.5)  # the forged "Wait" at step 0 has no attempt after it
    assert curves["with re-check"].steps == (10,) and curves["with re-check"].values == (1.0,)
    assert curves["without re-check"].values == (0.5, 0.0)


def test_table3_picks_a_search_self_correction(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    questions = questions_of(Run.load(run))
    (found,) = find_aha(_rows(run), limit=3, questions=questions)
    assert found["step"] == 10 and found["correction"]["tries"] == 4
    assert found["base_text"].startswith(" <think> The answer is") and found["base_correct"] is False
    assert find_aha(_rows(run), limit=3) == []  # without the question a check cannot be trusted
    (path,) = make_table3(run, tmp_path / "figs")
    text = path.read_text()
    assert f"| 10 | {next(iter(questions.values()))}" in text and "(4 tries)" in text and "(wrong)" in text
