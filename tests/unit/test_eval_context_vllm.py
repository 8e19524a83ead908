"""Issue 12 §5 on the vLLM backend, without a GPU: a stand-in `vllm` module records what the generator asks.

`VLLMGenerator` must give each prompt `max_tokens = min(max_new_tokens, max_model_len - prompt length)`
and hand vLLM the (left-truncated) prompt ids, so vLLM neither rejects a long prompt nor stops with a
reason of its own; the budget and the truncation are recorded on each Completion.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from r1lit.rollout.base import SamplingParams
from r1lit.rollout.context import PromptTooLongError
from r1lit.rollout.testing import char_tokenizer


class FakeLLM:
    """Generates `max_tokens` copies of token 7 for every prompt, like a model that never stops."""

    def __init__(self, model: str, **kwargs: object) -> None:
        self.llm_engine = SimpleNamespace(model_config=SimpleNamespace(max_model_len=kwargs["max_model_len"]))
        self.requests: list = []

    def generate(self, requests: list, params: list, use_tqdm: bool = False) -> list:
        self.requests = list(zip(requests, params, strict=True))
        return [
            SimpleNamespace(outputs=[SimpleNamespace(token_ids=[7] * p["max_tokens"], logprobs=None, text="x" * p["max_tokens"],
                                                     finish_reason="length") for _ in range(p["n"])])
            for p in params
        ]  # fmt: skip


@pytest.fixture
def generator(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "vllm", SimpleNamespace(LLM=FakeLLM, SamplingParams=lambda **kw: kw))
    from r1lit.rollout.vllm import VLLMGenerator

    return VLLMGenerator("org/model", char_tokenizer(), max_model_len=30)


def test_each_prompt_gets_the_room_left_in_max_model_len(generator) -> None:
    short, long = generator.generate(["a" * 5, "b" * 22], SamplingParams(n=2, max_new_tokens=16))
    assert [p["max_tokens"] for _, p in generator.llm.requests] == [16, 8]
    assert [(len(c.token_ids), c.max_new_tokens, c.finish_reason) for c in long] == [(8, 8, "length")] * 2
    assert short[0].max_new_tokens == 16 and generator.max_context == 30


def test_a_too_long_prompt_fails_or_is_sent_left_truncated(generator) -> None:
    with pytest.raises(PromptTooLongError):
        generator.generate(["c" * 30], SamplingParams(max_new_tokens=4))
    (c,) = generator.generate(["c" * 40], SamplingParams(max_new_tokens=4, prompt_overflow="left_truncate"))[
        0
    ]
    sent = generator.llm.requests[0][0]["prompt_token_ids"]
    assert len(sent) == 26 and c.prompt_truncated == 14 and c.prompt_token_ids == sent
