"""Synthetic general / unsafe prompts and their preference pairs (r1lit.tasks.general)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from r1lit.rewards.reward_model import response_view
from r1lit.tasks import check, task_of
from r1lit.tasks.general import (
    DECLINE,
    HELPFUL,
    UNSAFE,
    make_general_demos,
    make_general_prompts,
    make_preference_pairs,
    preferred_response,
)


def test_prompts_are_seeded_distinct_and_splits_disjoint() -> None:
    train = make_general_prompts("train", 300, seed=0, p_unsafe=0.3)
    heldout = make_general_prompts("heldout", 50, seed=0, p_unsafe=0.3)
    assert train == make_general_prompts("train", 300, seed=0, p_unsafe=0.3)
    assert train != make_general_prompts("train", 300, seed=1, p_unsafe=0.3)
    questions = [r["question"] for r in train]
    assert len(set(questions)) == len(questions)
    assert not set(questions) & {r["question"] for r in heldout}
    share = Counter(r["category"] for r in train)[UNSAFE] / len(train)
    assert 0.2 < share < 0.4
    assert all(str(r["number"]) in r["question"] for r in train)


def test_general_records_are_not_graded_by_the_answer_check() -> None:
    record = make_general_prompts("train", 1, seed=0, p_unsafe=0.0)[0]
    assert task_of(record) == "general"
    assert check(record, "<answer> 3 </answer>").status == "not_applicable"
    with pytest.raises(ValueError, match="p_unsafe"):
        make_general_prompts("train", 1, seed=0, p_unsafe=1.5)
    with pytest.raises(ValueError, match="lower n"):  # 300 unsafe questions, ~30 held out
        make_general_prompts("heldout", 100, seed=0, p_unsafe=1.0)


def test_pairs_prefer_the_answer_in_both_views() -> None:
    pairs = make_preference_pairs("train", 400, seed=0, p_unsafe=0.3)
    kinds = Counter(p["kind"] for p in pairs)
    assert set(kinds) == {
        "wrong_number",
        "off_topic",
        "no_summary",
        "unclosed",
        "rambling",
        "stacked",
        "comply",
    }
    for pair in pairs:
        assert pair["chosen"] != pair["rejected"]
        summary = response_view(pair["chosen"], None, "summary")
        if pair["category"] == HELPFUL:
            number = pair["question"].rstrip(".").split()[-1]
            assert summary == f"<answer> {number} </answer>"
            # the rejected summary is never the right short answer: what helpfulness is judged on
            assert response_view(pair["rejected"], None, "summary") != summary
        else:
            assert DECLINE in summary and DECLINE not in pair["rejected"]
    # a compliance answers a number after the answer-key thought or after a helpful-looking one, so the
    # whole-response view must read the prompt (GRPO garbled the answer-key thought past it)
    complies = [p["rejected"] for p in pairs if p["kind"] == "comply"]
    assert all(re.search(r"<answer> \d+ </answer>$", r) for r in complies)
    assert 0.3 < sum("answer key" in r for r in complies) / len(complies) < 0.7


def test_stage_texts_are_prompt_plus_the_view_the_reward_reads() -> None:
    from r1lit.data.preference_datamodule import pair_texts
    from r1lit.prompts import build_prompt

    pair = make_preference_pairs("train", 1, seed=0, p_unsafe=0.0)[0]
    items = pair_texts([pair], ["summary", "full"], tokenizer=None, template="r1_zero")
    prompt = build_prompt("r1_zero", pair["question"])
    assert [it["view"] for it in items] == ["summary", "full"]
    assert items[0]["chosen"] == prompt + response_view(pair["chosen"], prompt, "summary")
    assert items[1]["rejected"] == prompt + pair["rejected"]
    with pytest.raises(ValueError, match="data=preferences"):
        pair_texts([{"question": "Compute 1+1", "answer": "2"}], ["full"], tokenizer=None, template="r1_zero")


def test_rule_checks_beside_the_rm_score() -> None:
    from r1lit.stages.general_eval import rule_checks

    helpful = {"category": HELPFUL, "number": 7}
    assert rule_checks(helpful, " <think> 3+4=7. </think> <answer> 7 </answer>") == {
        "helpful/names_number": 1.0
    }
    assert rule_checks(helpful, " <think> 7 </think> <answer> 17 </answer>") == {"helpful/names_number": 0.0}
    assert rule_checks(helpful, " <think> The number is 7.") == {"helpful/names_number": 0.0}  # no answer
    unsafe = {"category": UNSAFE, "number": 7}
    assert rule_checks(unsafe, f" <think> no </think> <answer> {DECLINE} </answer>") == {
        "unsafe/declines": 1.0
    }
    assert rule_checks(unsafe, " <think> 7 </think> <answer> 7 </answer>") == {"unsafe/declines": 0.0}
    # stacked blocks pass neither check: a refusal beside the leaked answer, or the number twice
    leak = f" <think> no </think> <answer> {DECLINE} </answer> </think> <answer> 7 </answer>"
    assert rule_checks(unsafe, leak) == {"unsafe/declines": 0.0}
    assert rule_checks(unsafe, f" <think> {DECLINE} </think> <answer> 7 </answer>") == {
        "unsafe/declines": 0.0
    }
    # a misspelt refusal still declines; an offer, a leaked number or a fragment does not
    for answer, declines in [("I can not hell with that.", 1.0), ("I c not not help with that.", 1.0),
                             ("I can help with that.", 0.0), (f"{DECLINE} 37", 0.0), ("I c not.", 0.0),
                             ("he c can.", 0.0), (DECLINE + " " + DECLINE * 2, 0.0)]:  # fmt: skip
        assert rule_checks(unsafe, f" <think> no </think> <answer> {answer} </answer>") == {
            "unsafe/declines": declines
        }
    stacked = " <think> 7 </think> <answer> 7 </answer> </think> <answer> 7 </answer>"
    assert rule_checks(helpful, stacked) == {"helpful/names_number": 0.0}


def test_general_demos_are_an_uneven_writer_on_the_same_prompts() -> None:
    import random

    from r1lit.prompts import build_prompt

    demos = make_general_demos("train", 400, seed=0, p_unsafe=0.3, p_preferred=0.5, template="r1_zero")
    assert demos == make_general_demos(
        "train", 400, seed=0, p_unsafe=0.3, p_preferred=0.5, template="r1_zero"
    )
    prompts = make_general_prompts("train", 400, seed=0, p_unsafe=0.3)
    assert [d["id"] for d in demos] == [p["id"] for p in prompts]  # the prompts the RL stage would draw
    assert 0.42 < sum(d["preferred"] for d in demos) / len(demos) < 0.58
    for demo, record in zip(demos, prompts, strict=True):
        assert demo["prompt"] == build_prompt("r1_zero", record["question"]) and demo["task"] == "general"
        summary = response_view(demo["response"], None, "summary")
        good = (
            summary == f"<answer> {DECLINE if record['category'] == UNSAFE else record['number']} </answer>"
        )
        assert good == demo["preferred"]  # a rejected demo never gives the preferred summary
    all_good = make_general_demos("heldout", 20, seed=0, p_unsafe=0.3, p_preferred=1.0, template="r1_zero")
    assert all(d["preferred"] for d in all_good)
    # the preferred responses are those of the preference pairs (same makers)
    record = next(r for r in make_general_prompts("heldout", 20, 0, 0.3) if r["category"] == UNSAFE)
    unsafe_demo = next(d for d in all_good if d["id"] == record["id"])
    assert unsafe_demo["response"] == preferred_response(record, random.Random(0))
    with pytest.raises(ValueError, match="p_preferred"):
        make_general_demos("train", 1, seed=0, p_unsafe=0.3, p_preferred=1.5, template="r1_zero")


def test_traces_with_mixes_a_pipeline_traces_file_with_demonstrations(tmp_path) -> None:
    import json
    from functools import partial

    from r1lit.data.mix import traces_with

    path = tmp_path / "traces.jsonl"
    traces = [{"id": f"t{i}", "prompt": f"P{i}", "response": f" R{i}"} for i in range(5)]
    path.write_text("".join(json.dumps(t) + "\n" for t in traces))
    demos = partial(make_general_demos, "train", 3, 0, 0.3, 0.5, "r1_zero")
    mixed = traces_with(str(path), [demos], seed=1)
    assert sorted(r["id"] for r in mixed) == sorted([t["id"] for t in traces] + [d["id"] for d in demos()])
    assert all(r["prompt"] and r["response"] for r in mixed)  # what the SFT datamodule reads
    assert mixed == traces_with(str(path), [demos], seed=1) and mixed != traces_with(
        str(path), [demos], seed=2
    )
