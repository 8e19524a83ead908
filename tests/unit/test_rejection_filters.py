"""Rejection sampling: the filters (one case per drop reason, reason order, de-duplication, per-prompt quota)
and resuming an interrupted run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from r1lit.stages import rejection_sampling
from r1lit.stages.filters import REASONS, TraceFilters, count_reasons, longest_paragraph, rejection_reasons

PROMPT = "User: Compute 8+7*3-5. Assistant:"
GOOD = " <think> 7*3=21, so 8+21-5. 8+21=29, so 29-5. 29-5=24. </think> <answer> 24 </answer>"
FILTERS = TraceFilters(
    require_correct=True, answer_kind="math", format="r1_zero", min_language_consistency=1.0,
    language_target="en", max_repetition=0.3, repetition_ngram=3, max_tokens=100, min_tokens=None,
    drop_code_blocks=True, max_paragraph_chars=200, dedup=True, max_per_prompt=None,
)  # fmt: skip


def reasons(
    texts: list[str], filters: TraceFilters = FILTERS, n_tokens=None, truncated=None
) -> list[str | None]:
    n_tokens = n_tokens or [20] * len(texts)
    truncated = truncated or [False] * len(texts)
    return rejection_reasons(texts, n_tokens, truncated, prompt=PROMPT, answer="24", filters=filters)


@pytest.mark.parametrize(
    "text,reason",
    [
        (GOOD, None),
        (GOOD.replace("<answer> 24", "<answer> 25"), "incorrect"),
        (" The answer is 24. <answer> 24 </answer>", "format"),
        (GOOD.replace("so 8+21-5.", "so 8+21-5. 所以我们计算"), "language"),
        (" <think> " + "so so so so " * 10 + "</think> <answer> 24 </answer>", "repetition"),
        (GOOD.replace("</think>", "```python\nprint(24)\n``` </think>"), "code_block"),
        (" <think> " + " ".join(f"step{i} value{i}." for i in range(40)) + " </think> <answer> 24 </answer>", "long_paragraph"),
    ],
)  # fmt: skip
def test_each_content_check(text: str, reason: str | None) -> None:
    assert reasons([text]) == [reason]


def test_length_checks_come_first_and_use_token_counts() -> None:
    assert reasons([GOOD], truncated=[True]) == ["truncated"]
    assert reasons([GOOD], n_tokens=[101]) == ["too_long"]
    assert reasons([GOOD], n_tokens=[100]) == [None]
    # a floor on length: a correct answer given without reasoning is not cold-start material
    with_floor = dataclasses.replace(FILTERS, min_tokens=10)
    guess = " <think> The answer is 24. </think> <answer> 24 </answer>"
    assert reasons([guess, GOOD], with_floor, n_tokens=[9, 10]) == ["too_short", None]
    assert reasons([guess], with_floor, n_tokens=[9], truncated=[True]) == ["truncated"]


def test_first_failing_check_wins() -> None:
    wrong_and_unformatted = "The answer is 25."
    assert reasons([wrong_and_unformatted]) == ["incorrect"]
    assert reasons([wrong_and_unformatted], dataclasses.replace(FILTERS, require_correct=False)) == ["format"]


def test_dedup_is_whitespace_insensitive_and_quota_caps_kept() -> None:
    other = GOOD.replace("</think>", "Wait, let me check: 7*3=21. </think>")
    texts = [GOOD, GOOD.replace(" ", "  "), other, GOOD.replace("25", "24")]
    assert reasons(texts) == [None, "duplicate", None, "duplicate"]
    capped = reasons(texts, dataclasses.replace(FILTERS, max_per_prompt=1))
    assert capped == [None, "duplicate", "over_quota", "duplicate"]
    assert reasons(texts, dataclasses.replace(FILTERS, dedup=False)) == [None, None, None, None]


def test_disabled_checks_keep_everything_that_is_correct() -> None:
    off = TraceFilters(
        require_correct=False, answer_kind="math", format="none", min_language_consistency=None,
        language_target="en", max_repetition=None, repetition_ngram=3, max_tokens=None, min_tokens=None,
        drop_code_blocks=False, max_paragraph_chars=None, dedup=False, max_per_prompt=None,
    )  # fmt: skip
    texts = ["nonsense", "so so so so so so", "```x```", "所以"]
    assert reasons(texts, off) == [None] * 4


def test_think_layout_for_chat_traces() -> None:
    chat = dataclasses.replace(FILTERS, format="think")
    assert reasons(["<think> 7*3=21. 8+21-5=24. </think> \\boxed{24}"], chat) == [None]
    assert reasons(["\\boxed{24}"], chat) == ["format"]


def test_counts_and_helpers() -> None:
    counts = count_reasons([None, "incorrect", None, "duplicate"])
    assert counts == {"kept": 2, "incorrect": 1, "duplicate": 1}
    assert set(REASONS) >= {"truncated", "incorrect", "language", "repetition", "duplicate"}
    assert longest_paragraph("ab\n\nabcd\n  \nx") == 4
    with pytest.raises(ValueError, match="format"):
        dataclasses.replace(FILTERS, format="xml")
    with pytest.raises(ValueError, match="lengths"):
        rejection_reasons(["a"], [], [False], prompt="", answer="1", filters=FILTERS)


# -- resuming an interrupted run (scripted sampler, no model) -----------------------------------------


REAL_SAMPLE_CHUNK = rejection_sampling.sample_chunk


class Killed(Exception):
    """Stands in for the process dying in the middle of a chunk."""


def run_stage(out: Path, monkeypatch: pytest.MonkeyPatch, fail_on_chunk: int | None = None) -> list[int]:
    """Rejection-sample 5 prompts in chunks of 2; returns the chunk indices sampled by this call."""
    from r1lit.data.sources import synthetic
    from r1lit.rollout import SamplingParams
    from r1lit.rollout.fake import ScriptedGenerator

    def script(prompt: str, j: int) -> str:  # a correct trace, a wrong one, and the correct one again
        answer = int(eval(prompt.split("User: Compute ")[1].split(". Assistant:")[0]))  # noqa: S307
        return f" <think> compute it </think> <answer> {answer + (j == 1)} </answer>"

    sampled: list[int] = []

    def sample_chunk(generator, tokenizer, records, index, *args):  # noqa: ANN001, ANN002, ANN202
        if index == fail_on_chunk:
            raise Killed("killed mid-run")
        sampled.append(index)
        return REAL_SAMPLE_CHUNK(generator, tokenizer, records, index, *args)

    monkeypatch.setattr(rejection_sampling, "load_generator", lambda *a: (ScriptedGenerator(script), None))
    monkeypatch.setattr(rejection_sampling, "sample_chunk", sample_chunk)
    rejection_sampling.run(
        model_name_or_path="scripted", revision=None, dtype="float32", device="cpu",
        prompts=lambda: synthetic("train", n=5, seed=0, difficulty=2), template="r1_zero", limit=None,
        rollout={"backend": "scripted"}, sampling=SamplingParams(n=3, max_new_tokens=64),
        filters=dataclasses.replace(FILTERS, max_paragraph_chars=None, max_per_prompt=None), chunk_size=2,
        output_dir=str(out), seed=0,
    )  # fmt: skip
    return sampled


def test_interrupted_run_resumes_without_resampling_or_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = tmp_path / "whole"
    assert run_stage(whole, monkeypatch) == [0, 1, 2]
    resumed = tmp_path / "resumed"
    with pytest.raises(Killed):
        run_stage(resumed, monkeypatch, fail_on_chunk=1)
    assert len((resumed / "progress.jsonl").read_text().splitlines()) == 2  # chunk 0 was written
    with (resumed / "traces.jsonl").open("a") as f:
        f.write('{"id": "torn')  # a crash mid-write leaves a partial line
    assert run_stage(resumed, monkeypatch) == [1, 2]  # chunk 0 is not sampled again
    assert (resumed / "traces.jsonl").read_text() == (whole / "traces.jsonl").read_text()
    card = json.loads((resumed / "dataset_card.json").read_text())["stats"]
    # per prompt: two identical correct samples (one kept, one duplicate) and one incorrect
    assert (card["prompts"], card["samples"], card["kept"]) == (5, 15, 5)
    assert card["dropped"]["duplicate"] == 5 and card["dropped"]["incorrect"] == 5
    assert run_stage(resumed, monkeypatch) == []  # a finished run samples nothing


def test_correctness_is_the_task_check_and_a_missing_gold_is_its_own_reason() -> None:
    countdown = {"task": "countdown", "numbers": [3, 5, 7], "target": 56, "answer": "(3+5)*7"}
    only_correct = TraceFilters(**{**FILTERS.__dict__, "format": "none", "min_language_consistency": None})
    texts = [r"\boxed{(5+3)*7}", r"\boxed{56}"]
    args = ([20, 20], [False, False])
    kw = {"prompt": PROMPT, "filters": only_correct}
    assert rejection_reasons(texts, *args, answer="(3+5)*7", record=countdown, **kw) == [None, "incorrect"]
    no_gold = rejection_reasons(texts, *args, answer=str(None), record={"answer": None}, **kw)
    assert no_gold == ["bad_gold", "bad_gold"]  # the caller's "None" string is not a gold


def test_sample_chunk_checks_each_record_by_its_task() -> None:
    """The stage hands the whole record to the filter: Countdown's bare target is not a solution, and a
    record without a gold is `bad_gold` (never the string "None" matched by `\\boxed{None}`)."""
    from r1lit.rollout.base import SamplingParams
    from r1lit.rollout.fake import ScriptedGenerator

    countdown = {"id": "cd", "question": "Use 3, 4 to make 7.", "answer": "3 + 4", "task": "countdown",
                 "numbers": [3, 4], "target": 7}  # fmt: skip
    no_gold = {"id": "ng", "question": "What is it?", "answer": None}
    filters = dataclasses.replace(FILTERS, max_repetition=None, min_language_consistency=None)
    for record, script, reason in [
        (countdown, ["<think> 3+4=7 </think> <answer> 7 </answer>"], "incorrect"),
        (countdown, ["<think> 3+4=7 </think> <answer> 3 + 4 </answer>"], None),
        (no_gold, ["<think> hmm </think> <answer> \\boxed{None} </answer>"], "bad_gold"),
    ]:
        traces, progress = rejection_sampling.sample_chunk(
            ScriptedGenerator(script), None, [record], 0, "r1_zero", SamplingParams(n=1, max_new_tokens=64),
            filters, seed=0,
        )  # fmt: skip
        assert progress[0]["counts"] == ({"kept": 1} if reason is None else {reason: 1}), (
            record["id"],
            script,
        )
        assert progress[0]["n_correct"] == (reason is None)
