"""Issue 12 §5, the same rule in training: GRPO rollouts and rejection sampling stop at the model's context,
record the capped samples as truncated, and warn once with counts."""

from __future__ import annotations

import dataclasses
import logging
from types import SimpleNamespace

import pytest

from r1lit.modules.grpo_rollout import sample_and_score
from r1lit.prompts import build_prompt
from r1lit.rollout import context
from r1lit.rollout.base import SamplingParams
from r1lit.rollout.fake import ScriptedGenerator
from r1lit.rollout.testing import char_tokenizer
from r1lit.stages.filters import TraceFilters
from r1lit.stages.rejection_sampling import sample_chunk

ANSWER = " <think> 2+2=4. </think> <answer> 4 </answer>"
FILTERS = TraceFilters(
    require_correct=True, answer_kind="math", format="r1_zero", min_language_consistency=None,
    language_target="en", max_repetition=None, repetition_ngram=3, max_tokens=None, min_tokens=None,
    drop_code_blocks=False, max_paragraph_chars=None, dedup=False, max_per_prompt=None,
)  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "_warned", set())  # "once per process": start each test unwarned


def test_rejection_sampling_rejects_capped_samples_and_counts_them(caplog: pytest.LogCaptureFixture) -> None:
    records = [
        {"id": "short", "question": "2+2?", "answer": "4"},
        {"id": "long", "question": "2+2? " * 10, "answer": "4"},
    ]
    room = (
        len(build_prompt("r1_zero", records[1]["question"])) + len(ANSWER) - 5
    )  # the long prompt's answer is cut
    gen = ScriptedGenerator([ANSWER], max_context=room)
    with caplog.at_level(logging.WARNING, logger="r1lit.rollout.context"):
        for index in (0, 1):
            traces, progress = sample_chunk(gen, None, records, index, "r1_zero", SamplingParams(n=2, max_new_tokens=200),
                                            FILTERS, seed=0)  # fmt: skip
    assert [t["prompt_id"] for t in traces] == ["short", "short"]  # the capped samples are not kept
    assert [(p["id"], p["capped"], p["counts"].get("truncated", 0)) for p in progress] == [
        ("short", 2, 0),
        ("long", 2, 2),
    ]
    warnings = [r.getMessage() for r in caplog.records]
    assert (
        len(warnings) == 1 and "rejection sampling" in warnings[0] and "capped 4 of 4 samples" in warnings[0]
    )


def test_grpo_rollout_stops_at_the_context_and_logs_the_capped_fraction(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tok = char_tokenizer()
    sampler = SimpleNamespace(
        sampling=SamplingParams(n=2, max_new_tokens=30), tokenizer=tok, rewards=[],
        generator=ScriptedGenerator(["x" * 40], tokenizer=tok, max_context=25), accuracy_term=None,
    )  # fmt: skip
    batch = {"prompt": ["a" * 5, "b" * 15], "answer": ["1", "1"], "step": 0}
    with caplog.at_level(logging.WARNING, logger="r1lit.rollout.context"):
        rollout = sample_and_score(sampler, batch, seed=0)
        sample_and_score(sampler, batch, seed=1)
    assert rollout.lengths == [20, 20, 10, 10]  # prompt + completion = 25 = the context
    assert rollout.finish_reasons == ["length"] * 4
    assert all(len(c.prompt_token_ids) + len(c.token_ids) <= 25 for c in rollout.completions)
    assert len(caplog.records) == 1 and "GRPO rollouts" in caplog.records[0].getMessage()


def test_grpo_rollout_with_a_prompt_past_the_context_fails_by_default() -> None:
    sampler = SimpleNamespace(
        sampling=SamplingParams(n=2, max_new_tokens=8), tokenizer=None, rewards=[],
        generator=ScriptedGenerator(["x"], max_context=10), accuracy_term=None,
    )  # fmt: skip
    with pytest.raises(context.PromptTooLongError, match="prompt_overflow=left_truncate"):
        sample_and_score(sampler, {"prompt": ["a" * 12], "step": 0}, seed=0)
    sampler.sampling = dataclasses.replace(sampler.sampling, prompt_overflow="left_truncate")
    sampler.tokenizer = SimpleNamespace(decode=lambda ids: "".join(map(chr, ids)))
    rollout = sample_and_score(sampler, {"prompt": ["a" * 12], "step": 0}, seed=0)
    assert rollout.completions[0].prompt_truncated == 7 and rollout.prompts == ["a" * 5]
