"""Packing: examples share a row without attending to each other (logits equal those of each alone)."""

from __future__ import annotations

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from r1lit.data.packing import pack_examples
from r1lit.data.tokenize import IGNORE_INDEX


def tiny_qwen2() -> Qwen2ForCausalLM:
    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=50,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    return Qwen2ForCausalLM(cfg).eval()


def test_packed_logits_equal_each_example_alone() -> None:
    model = tiny_qwen2()
    examples = [
        {"input_ids": [3, 4, 5, 6, 7], "labels": [3, 4, 5, 6, 7]},
        {"input_ids": [8, 9, 10], "labels": [8, 9, 10]},
    ]
    packed = pack_examples(examples, max_length=16, pad_id=0)
    assert packed["input_ids"].shape[0] == 1, "both examples fit one row"
    with torch.no_grad():
        # use_cache=False matters: with a KV cache transformers skips packed-sequence detection (leak).
        logits = model(
            input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False
        ).logits[0]
        alone = [model(input_ids=torch.tensor([e["input_ids"]])).logits[0] for e in examples]
    torch.testing.assert_close(logits[0:5], alone[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(logits[5:8], alone[1], atol=1e-5, rtol=1e-5)


def test_first_label_of_each_packed_example_is_masked_and_padding_ignored() -> None:
    examples = [
        {"input_ids": [1, 2, 3], "labels": [1, 2, 3]},
        {"input_ids": [4, 5], "labels": [4, 5]},
        {"input_ids": [6] * 6, "labels": [6] * 6},
    ]
    packed = pack_examples(examples, max_length=6, pad_id=0)
    # First-fit decreasing: [6x6] fills row 0; [1,2,3] then [4,5] share row 1 (5 tokens + 1 pad).
    assert packed["labels"].tolist() == [
        [IGNORE_INDEX, 6, 6, 6, 6, 6],
        [IGNORE_INDEX, 2, 3, IGNORE_INDEX, 5, IGNORE_INDEX],
    ]
    assert packed["position_ids"].tolist() == [[0, 1, 2, 3, 4, 5], [0, 1, 2, 0, 1, 0]]
