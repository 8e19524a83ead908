"""The GRPO training forward: shared-prefix scoring equals scoring each [prompt + completion] row alone.

Uses a randomly initialised 2-layer Qwen2 (no tiny-model build), left-padded prompts of different
lengths and completions of different lengths, so padding on both sides is exercised.
"""

from __future__ import annotations

import pytest
import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from r1lit.modules.rollout_batch import completion_logprobs, length_buckets, micro_batches, pack_completions
from r1lit.rollout.base import Completion

TEMPERATURE = 0.7


@pytest.fixture(scope="module")
def model() -> Qwen2ForCausalLM:
    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=64, tie_word_embeddings=True,
    )  # fmt: skip
    return Qwen2ForCausalLM(cfg).eval()


@pytest.fixture(scope="module")
def groups() -> list[list[Completion]]:
    g = torch.Generator().manual_seed(1)
    out = []
    for prompt_len in (5, 9, 3):
        prompt = torch.randint(1, 50, (prompt_len,), generator=g).tolist()
        lengths = torch.randint(1, 7, (3,), generator=g).tolist()
        out.append([
            Completion("", torch.randint(1, 50, (n,), generator=g).tolist(), [], "stop", prompt) for n in lengths
        ])  # fmt: skip
    return out


def _row_by_row(model: Qwen2ForCausalLM, groups: list[list[Completion]]) -> list[torch.Tensor]:
    """Reference: each unpadded [prompt + completion] alone, full log_softmax."""
    out = []
    for c in (c for group in groups for c in group):
        ids = torch.tensor([c.prompt_token_ids + c.token_ids])
        logits = model(input_ids=ids).logits[0, len(c.prompt_token_ids) - 1 : -1] / TEMPERATURE
        out.append(torch.log_softmax(logits, -1).gather(-1, torch.tensor(c.token_ids)[:, None])[:, 0])
    return out


@pytest.mark.parametrize(("share_prefix", "n_buckets"), [(True, 1), (True, 3), (True, 100), (False, 1)])
def test_logprobs_and_grads_match_row_by_row(model, groups, share_prefix: bool, n_buckets: int) -> None:
    packed = pack_completions(groups, pad_id=0)
    model.zero_grad()
    logps, entropy = completion_logprobs(
        model, packed, TEMPERATURE, share_prefix, with_entropy=True, n_buckets=n_buckets
    )
    assert logps.shape == packed.completion_ids.shape == entropy.shape
    expected = _row_by_row(model, groups)
    for row, ref in zip(logps, expected, strict=True):
        torch.testing.assert_close(row[: len(ref)], ref, atol=1e-5, rtol=1e-5)
    (logps * packed.completion_mask).sum().backward()
    ours = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    sum(r.sum() for r in expected).backward()
    for got, want in zip(ours, (p.grad for p in model.parameters()), strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)


def test_micro_batches_trim_padding(groups) -> None:
    packed = pack_completions(groups, pad_id=0)
    assert list(micro_batches(3, 2)) == [(0, 2), (2, 3)]
    assert list(micro_batches(3, None)) == [(0, 3)]
    last = packed.groups(2, 3)  # prompt of length 3; its completions are the shortest needed width
    assert last.prompt_ids.shape == (1, 3)
    assert last.completion_ids.shape[1] == max(len(c.token_ids) for c in groups[2])
    assert bool(last.prompt_mask.all())


def test_length_buckets_group_similar_lengths() -> None:
    lengths = torch.tensor([3, 9, 1, 9, 5, 2, 7])
    buckets = length_buckets(lengths, 3)
    assert [b.tolist() for b in buckets] == [[1, 3, 6], [4, 0], [5, 2]]  # longest first, stable on ties
    assert [b.tolist() for b in length_buckets(lengths[:2], 5)] == [[1], [0]]  # never an empty bucket


def test_pack_rejects_ragged_groups(groups) -> None:
    with pytest.raises(ValueError, match="same number of completions"):
        pack_completions([groups[0], groups[1][:2]], pad_id=0)
