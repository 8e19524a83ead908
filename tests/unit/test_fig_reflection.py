"""fig_reflection and table3_aha on a small held-out-samples fixture: rates and accuracies by hand, the aha
example picked (a real correction that ended right, next to the base model's answer), forgeries ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from paper_figs.fig_reflection import make_fig_reflection, reflection_curves
from paper_figs.plot import read_figure_csv
from paper_figs.table3_aha import find_aha, make_table3
from r1lit.tasks.bigarith import recheck_text
from r1lit.tasks.synthetic import make_problems

HELDOUT = {"n": 3, "seed": 7, "difficulty": 1, "task": "bigarith"}


def _think(body: str, answer: int) -> str:
    return f" <think> {body} </think> <answer> {answer} </answer>"


def _rows() -> list[dict]:
    p = make_problems("heldout", **HELDOUT)[0]  # "Compute a*b"
    a, b = (int(x) for x in p["question"].removeprefix("Compute ").split("*"))
    right, wrong = a * b, a * b + 10
    direct_wrong = _think(f"The answer is {wrong}.", wrong)
    long_right = _think(f"{a}*{b}={right}.", right)
    fixed = _think(f"{a}*{b}={wrong}. {recheck_text(a, b)}.", right)
    forged = _think(f"{a}*{b}={wrong}. Wait, let me check: {a}*{b}={right}.", right)  # no recomputation
    return [
        {"step": 0, "id": p["id"], "answer": str(right), "texts": [direct_wrong, long_right, forged, forged],
         "correct": [False, True, True, True]},
        {"step": 10, "id": p["id"], "answer": str(right), "texts": [fixed, fixed, long_right, direct_wrong],
         "correct": [True, True, True, False]},
    ]  # fmt: skip


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({"data": {"heldout": HELDOUT}}))
    (run / "heldout.jsonl").write_text(
        "".join(json.dumps({"step": s, "k": 4, "pass@1": 0.5}) + "\n" for s in (0, 10))
    )
    (run / "heldout_samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    return run


def test_reflection_curves_by_hand() -> None:
    curves = reflection_curves(_rows())
    assert curves["rate"].steps == (0, 10) and curves["rate"].values == (
        0.0,
        0.5,
    )  # forged re-checks don't count
    assert curves["without re-check"].values == (0.75, 0.5)
    assert curves["with re-check"].steps == (10,) and curves["with re-check"].values == (1.0,)


def test_figure_written_with_its_numbers(tmp_path: Path) -> None:
    paths = make_fig_reflection(_run_dir(tmp_path), tmp_path / "figs")
    assert [p.suffix for p in paths] == [".png", ".pdf", ".csv"]
    rows = {(r["panel"], r["step"]): r["mean"] for r in read_figure_csv(paths[2])}
    assert rows[("rate", 10)] == pytest.approx(50.0) and rows[("with re-check", 10)] == pytest.approx(100.0)


def test_missing_samples_say_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "heldout.jsonl").write_text(json.dumps({"step": 0, "pass@1": 0.1}) + "\n")
    assert make_fig_reflection(tmp_path / "run", tmp_path / "figs") == []
    assert make_table3(tmp_path / "empty", tmp_path / "figs") == []
    assert "heldout_samples.jsonl" in caplog.text


def test_table3_picks_a_real_correction_next_to_the_base_answer(tmp_path: Path) -> None:
    found = find_aha(_rows(), limit=3)
    assert len(found) == 1  # one problem, once; step 0 (the base model) and the forgery never count
    ex = found[0]
    assert ex["step"] == 10 and ex["correction"]["corrected"]
    assert ex["base_text"].startswith(" <think> The answer is") and ex["base_correct"] is False
    (path,) = make_table3(_run_dir(tmp_path), tmp_path / "figs")
    text = path.read_text()
    question = make_problems("heldout", **HELDOUT)[0]["question"]
    assert f"| 10 | {question}" in text and "Wait, let me check" in text and "(wrong)" in text
