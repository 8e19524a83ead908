"""Reward-model reward with a tiny randomly initialised BERT classifier saved to tmp_path."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from r1lit.rewards import reward_model as rm
from r1lit.rewards.reward_model import load_reward_model, reward_model_reward

WORDS = [
    "the",
    "answer",
    "is",
    "five",
    "six",
    "user",
    "assistant",
    "think",
    "good",
    "bad",
    "ok",
    "question",
    "what",
]
PROMPT = "user what is the answer assistant "


@pytest.fixture(scope="module")
def tiny_rm(tmp_path_factory: pytest.TempPathFactory) -> str:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny_rm")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<", ">", "/", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=1,
    )
    BertForSequenceClassification(config).eval().save_pretrained(folder)
    return str(folder)


def _reference(path: str, text: str) -> float:
    """The classifier's logit on one unpadded text, computed directly."""
    model, tokenizer = load_reward_model(path)
    with torch.inference_mode():
        return model(**tokenizer(text, return_tensors="pt")).logits[0, 0].item()


def test_scores_match_direct_model_calls_and_ignore_padding(tiny_rm: str) -> None:
    completions = ["<think> the answer </think> five", "<think> what </think> six six six good ok", "bad"]
    prompts = [PROMPT] * 3
    scores = reward_model_reward(completions, name_or_path=tiny_rm, prompts=prompts, batch_size=2)
    # response="summary" (default): prompt + text after </think>; no think block -> the whole completion
    expected = [_reference(tiny_rm, PROMPT + t) for t in ("five", "six six six good ok", "bad")]
    assert scores == pytest.approx(expected, abs=1e-5)
    full = reward_model_reward(completions[:1], name_or_path=tiny_rm, prompts=prompts[:1], response="full")
    assert full == pytest.approx([_reference(tiny_rm, PROMPT + completions[0])], abs=1e-5)


def test_prob_output_unclosed_think_and_cache(tiny_rm: str) -> None:
    rm._load.cache_clear()
    stats: Counter = Counter()
    prefill = PROMPT + "<think>"
    probs = reward_model_reward(
        ["the answer is", "good </think> ok"],
        name_or_path=tiny_rm,
        prompts=[prefill] * 2,
        output="prob",
        stats=stats,
    )
    assert stats["no_summary"] == 1  # the first never closed the prefilled think block
    logits = [_reference(tiny_rm, prefill), _reference(tiny_rm, prefill + "ok")]
    assert probs == pytest.approx(torch.sigmoid(torch.tensor(logits)).tolist(), abs=1e-5)
    assert rm._load.cache_info().misses == 1  # loaded once for every call above


def test_chat_input_needs_question_and_options_are_checked(tiny_rm: str) -> None:
    with pytest.raises(ValueError, match="question"):
        reward_model_reward(["ok"], name_or_path=tiny_rm, input_format="chat")
    with pytest.raises(ValueError, match="response"):
        reward_model_reward(["ok"], name_or_path=tiny_rm, response="middle")
