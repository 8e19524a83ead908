"""Issue 12 §5 on the real backend: HFGenerator never decodes past `config.max_position_embeddings`.

A random-init tiny Qwen2 whose config says it has 48 positions, a char tokenizer (one token per
character) and no EOS id, so every row runs until its budget: prompt + completion must be <= 48.
"""

from __future__ import annotations

import pytest
import torch

from r1lit.rollout import SamplingParams
from r1lit.rollout.context import PromptTooLongError
from r1lit.rollout.hf import HFGenerator
from r1lit.rollout.testing import char_tokenizer, tiny_qwen2

CONTEXT = 48


@pytest.fixture(scope="module")
def tok():
    return char_tokenizer()


@pytest.fixture(scope="module")
def model(tok):
    model = tiny_qwen2(len(tok))
    model.config.max_position_embeddings = CONTEXT  # what the generator reads; the weights do not care
    return model


@pytest.mark.parametrize("decoder", ["llama", "hf"])
def test_each_prompt_in_a_batch_stops_at_its_own_room(model, tok, decoder):
    gen = HFGenerator(model, tok, decoder=decoder, eos_token_ids=[])
    short, long = gen.generate(["a" * 10, "b" * 40], SamplingParams(n=2, max_new_tokens=20, seed=0))
    assert [len(c.token_ids) for c in short + long] == [20, 20, 8, 8]
    assert [c.max_new_tokens for c in short + long] == [20, 20, 8, 8]
    assert all(c.finish_reason == "length" for c in short + long)
    assert all(len(c.prompt_token_ids) + len(c.token_ids) <= CONTEXT for c in short + long)


def test_capped_tokens_are_the_uncapped_run_cut_short(model, tok):
    """The cap only ends a row early: greedy tokens before it are those a longer context would give."""
    capped = HFGenerator(model, tok, eos_token_ids=[]).generate(
        ["c" * 40], SamplingParams(temperature=0, max_new_tokens=20)
    )
    free = HFGenerator(model, tok, eos_token_ids=[], max_context=1024).generate(
        ["c" * 40], SamplingParams(temperature=0, max_new_tokens=20)
    )  # fmt: skip
    assert capped[0][0].token_ids == free[0][0].token_ids[:8] and len(free[0][0].token_ids) == 20


def test_a_prompt_past_the_context_fails_or_is_left_truncated(model, tok):
    gen = HFGenerator(model, tok, eos_token_ids=[])
    with pytest.raises(PromptTooLongError, match="48 tokens does not fit the model's context of 48"):
        gen.generate(["d" * 48], SamplingParams(max_new_tokens=20))
    params = SamplingParams(max_new_tokens=20, seed=0, prompt_overflow="left_truncate")
    (c,) = gen.generate(["e" * 30 + "f" * 20], params)[0]  # 50 tokens: keep the last 48 - 20
    assert c.prompt_truncated == 22 and tok.decode(c.prompt_token_ids) == "e" * 8 + "f" * 20
    assert len(c.token_ids) == 20 and len(c.prompt_token_ids) + len(c.token_ids) == CONTEXT
    assert torch.isfinite(torch.tensor(c.logprobs)).all()
