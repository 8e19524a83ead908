"""The grader's verdicts, item by item, on the real data in ../shared/data.

- Math-Verify's labelled equivalence cases: agreement >= 97%, and every disagreement is the one
  recorded (with who is right) in tests/fixtures/grader_disagreements.yaml.
- The SkyThought generations (MATH-500 x2, AIME24): graded against the raw ``answer`` (not their
  mangled ``gt``), the accuracies match the reported 80.4 / 52.4 / 36.7 within 0.5 points, and the
  items where we differ from their ``score`` are exactly the recorded ones.
(tests/shared/test_eval_shared_data.py checks the eval harness's rescoring; this file is about verdicts.)
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from r1lit.grading import grade, grade_many, is_equivalent
from r1lit.io import read_jsonl

pytestmark = pytest.mark.shared_data
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "grader_disagreements.yaml"
TIMEOUT_S = 30.0  # generous: a loaded CI machine must not turn a slow sympy check into a verdict
SKYTHOUGHT = [  # file, answer kind, reported accuracy (their metrics.json)
    ("gen_skythought_qwen2.5-14b-instruct_math500_greedy.jsonl", "math", 80.4),
    ("gen_skythought_qwen2.5-math-7b_math500_greedy.jsonl", "math", 52.4),
    ("gen_skythought_sky-t1-math-reflection-0.5-32b_aime24_greedy.jsonl", "int", 36.7),
]


@pytest.fixture(scope="module")
def recorded() -> dict:
    data = yaml.safe_load(FIXTURE.read_text())
    for entries in [data["math_equivalence_cases"], *data["skythought"].values()]:
        for entry in entries.values():
            assert entry["who"] in ("ours", "theirs", "ambiguous") and entry["reason"].strip()
    return data


def _case_verdict(case: dict) -> bool:
    return is_equivalent(
        case["pred"],
        case["gold"],
        timeout_s=TIMEOUT_S,
        float_rounding=case["precision"] or 6,
        strict=case["strict"],
        allow_set_relation_comp=case["allow_set_relation_comp"],
    )


def test_math_equivalence_cases_agree_with_the_labels(shared_data: Path, recorded: dict) -> None:
    cases = read_jsonl(shared_data / "math_equivalence_cases.jsonl")
    with ThreadPoolExecutor(2) as pool:  # two threads drive two grading worker processes
        ours = list(pool.map(_case_verdict, cases))
    disagreements = {c["case_id"]: v for c, v in zip(cases, ours, strict=True) if v != c["expected"]}
    expected = {cid: e["ours"] for cid, e in recorded["math_equivalence_cases"].items()}
    agreement = 1 - len(disagreements) / len(cases)
    assert len(cases) == 261
    assert agreement >= 0.97, f"agreement {agreement:.4f}"
    assert disagreements == expected, "disagreements changed: judge them in " + FIXTURE.name


@pytest.mark.parametrize(("file", "kind", "reported"), SKYTHOUGHT)
def test_skythought_verdicts_per_item(
    shared_data: Path, recorded: dict, file: str, kind: str, reported: float
) -> None:
    rows = read_jsonl(shared_data / file)
    verdicts = grade_many(
        [r["code"][0] for r in rows], [str(r["answer"]) for r in rows], kind, processes=2, timeout_s=TIMEOUT_S
    )
    accuracy = 100 * sum(v.correct for v in verdicts) / len(rows)
    assert abs(accuracy - reported) <= 0.5, accuracy
    assert not [v for v in verdicts if v.status in ("timeout", "error", "bad_gold")]
    differ = {r["idx"]: v.status for r, v in zip(rows, verdicts, strict=True) if v.correct != r["score"][0]}
    expected = {idx: e["ours"] for idx, e in recorded["skythought"][file].items()}
    assert differ == expected, "disagreements with their grader changed: judge them in " + FIXTURE.name


def test_their_known_grader_errors_are_not_copied(shared_data: Path) -> None:
    """README §6: their `gt` lost the ± and turned \\text{east} into '' (then scored a match)."""
    rows = {r["idx"]: r for r in read_jsonl(shared_data / SKYTHOUGHT[0][0])}
    east = rows[97]
    assert east["gt"] == "" and east["score"][0] is True
    assert grade(east["code"][0], east["answer"]).correct
    assert grade(east["code"][0].replace("east", "west"), east["answer"]).status == "incorrect"
    plus_minus = rows[96]["answer"]  # "1 \pm \sqrt{19}", gt "1\\sqrt{19}": unsolvable for them
    assert grade(r"\boxed{1 + \sqrt{19}, 1 - \sqrt{19}}", plus_minus).correct
    assert grade(r"\boxed{1 + \sqrt{19}}", plus_minus).status == "incorrect"
    aime = read_jsonl(shared_data / SKYTHOUGHT[2][0])
    assert any(r["answer"].startswith("0") for r in aime)  # "025": leading zeros in the raw gold
