"""Reward-model reward in a mixed batch: `tasks` limits it to general prompts (None for the rest)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch

from r1lit.rewards.compose import RewardTerm, compute_rewards
from r1lit.rewards.reward_model import load_reward_model, response_view, reward_model_reward

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<", ">", "/", "think", "answer", "say", "five", "six"]


@pytest.fixture(scope="module")
def bert_rm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A randomly initialised one-layer BERT classifier (num_labels=1) with a word-level vocabulary."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    torch.manual_seed(0)
    folder: Path = tmp_path_factory.mktemp("bert_rm")
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    BertTokenizer(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=1)  # fmt: skip
    BertForSequenceClassification(config).eval().save_pretrained(folder)
    return str(folder)


def _direct(path: str, text: str) -> float:
    model, tokenizer = load_reward_model(path)
    with torch.inference_mode():
        return model(**tokenizer(text, return_tensors="pt")).logits[0, 0].item()


def test_tasks_scores_only_general_samples(bert_rm: str) -> None:
    completions = ["<think> six </think> five", "<think> five </think> six", "<think> five"]
    columns = {"prompts": ["say "] * 3, "task": ["arithmetic", "general", "general"]}
    stats: Counter = Counter()
    scores = reward_model_reward(completions, answer=["5", None, None], name_or_path=bert_rm,
                                 tasks=["general"], stats=stats, **columns)  # fmt: skip
    assert scores[0] is None  # the arithmetic sample is left to the accuracy reward
    assert scores[1:] == pytest.approx([_direct(bert_rm, "say six"), _direct(bert_rm, "say ")], abs=1e-5)
    assert stats == Counter({"not_applicable": 1, "no_summary": 1})  # the math sample is not counted twice
    every = reward_model_reward(completions, name_or_path=bert_rm, **columns)  # tasks=None: all scored
    assert None not in every


def test_mixed_batch_total_takes_each_samples_own_outcome(bert_rm: str) -> None:
    def accuracy(completions: list[str], *, answer: list, task: list, **_: object) -> list[float | None]:
        return [
            None if t == "general" else float(a in c)
            for c, a, t in zip(completions, answer, task, strict=True)
        ]

    def rm(completions: list[str], **kw: object) -> list[float | None]:
        return reward_model_reward(
            completions, name_or_path=bert_rm, response="full", tasks=["general"], **kw
        )

    terms = [RewardTerm("accuracy", accuracy), RewardTerm("rm", rm, weight=2.0)]
    batch = compute_rewards(terms, ["five", "six"], answer=["five", None], prompts=["say ", "say "],
                            task=["arithmetic", "general"])  # fmt: skip
    assert batch.total == pytest.approx([1.0, 2.0 * _direct(bert_rm, "say six")], abs=1e-5)


def test_response_view_splits_at_think_close() -> None:
    stats: Counter = Counter()
    assert response_view(" <think> a </think> <answer> 7 </answer>", "p", "summary") == "<answer> 7 </answer>"
    assert response_view("a </think> b", "User: q. Assistant: <think>", "summary") == "b"  # prefilled tag
    assert response_view(" <think> a", None, "summary", stats) == "" and stats["no_summary"] == 1
    assert response_view(" <think> a", None, "full") == " <think> a"
    with pytest.raises(ValueError, match="response"):
        response_view("x", None, "middle")
