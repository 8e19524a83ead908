"""Model-based reward (paper §2.3.4 / §3.2, "RL for all scenarios"): the score of an HF sequence classifier.

Any `AutoModelForSequenceClassification` checkpoint works (a hub id or a local folder). It is loaded
lazily on first use and cached per process (`load_reward_model`, keyed by path, revision, device and
dtype), so building the config costs nothing and a run loads the model once.

What the classifier reads:
- `response="full"` scores the whole completion (the paper's harmlessness reward);
  `response="summary"` only the text after `</think>` (the paper's helpfulness reward: "we focus
  exclusively on the final summary"); an unclosed think block leaves an empty summary, counted as
  `no_summary`.
- `input_format="concat"`: the rendered prompt (`prompts` column) + response, as one string;
  `input_format="chat"`: `[user: question, assistant: response]` rendered with the *reward model's*
  chat template (needs the `question` column).
Texts are right-padded (a BERT-style classifier reads position 0) and truncated from the left to
`max_length` tokens, so the end of the response is always seen.

Score: `output="logit"` gives `logits[:, label_index]`; `output="prob"` gives the sigmoid of the
single logit (num_labels == 1) or the softmax probability of `label_index`.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from r1lit.rewards._text import bump, column, split_think, with_prefill

NO_SUMMARY = "no_summary"
_RESPONSES = ("full", "summary")
_FORMATS = ("concat", "chat")
_OUTPUTS = ("logit", "prob")


def load_reward_model(
    name_or_path: str, revision: str | None = None, device: str = "cpu", dtype: str = "float32"
) -> tuple[Any, Any]:
    """An eval-mode sequence classifier and its right-padding tokenizer, loaded once per process."""
    return _load(str(name_or_path), revision, device, dtype)  # positional: one cache key per model


@lru_cache(maxsize=2)
def _load(name_or_path: str, revision: str | None, device: str, dtype: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name_or_path, revision=revision)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    tokenizer.truncation_side = "left"
    model = AutoModelForSequenceClassification.from_pretrained(
        name_or_path, revision=revision, dtype=getattr(torch, dtype)
    )
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return model.to(device).eval(), tokenizer


def _response(completion: str, prompt: str | None, response: str, stats: Counter | None) -> str:
    """The part of the completion the classifier scores."""
    if response == "full":
        return completion
    cot, rest = split_think(with_prefill(completion, prompt))
    if cot is None:
        return completion  # no think block: the whole completion is the summary
    if rest is None:
        bump(stats, NO_SUMMARY)
        return ""
    return rest.strip()


def _inputs(
    completions: list[str],
    columns: dict,
    response: str,
    input_format: str,
    tokenizer: Any,
    stats: Counter | None,
) -> list[str]:
    """The texts handed to the classifier, one per completion."""
    n = len(completions)
    prompts = column(columns, "prompts", n)
    responses = [_response(c, p, response, stats) for c, p in zip(completions, prompts, strict=True)]
    if input_format == "concat":
        return [(p or "") + r for p, r in zip(prompts, responses, strict=True)]
    if columns.get("question") is None:
        raise ValueError("reward_model_reward(input_format='chat') needs the question column")
    return [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": q}, {"role": "assistant", "content": r}], tokenize=False
        )
        for q, r in zip(column(columns, "question", n), responses, strict=True)
    ]


def _scores(logits: Any, label_index: int, output: str) -> list[float]:
    """Per-row score from classifier logits [B, num_labels]."""
    import torch

    logits = logits.float()  # [B, C]
    if output == "logit":
        return logits[:, label_index].tolist()
    if logits.shape[-1] == 1:
        return torch.sigmoid(logits[:, 0]).tolist()
    return torch.softmax(logits, dim=-1)[:, label_index].tolist()


def reward_model_reward(
    completions: list[str],
    *,
    answer: list[str] | None = None,
    name_or_path: str,
    revision: str | None = None,
    response: str = "summary",
    input_format: str = "concat",
    output: str = "logit",
    label_index: int = 0,
    max_length: int = 2048,
    batch_size: int = 8,
    device: str = "cpu",
    dtype: str = "float32",
    stats: Counter | None = None,
    **columns,
) -> list[float]:
    """Score completions with a sequence-classification reward model (see module docstring).

    Args:
        completions: generated texts.
        answer: unused.
        name_or_path, revision: the classifier checkpoint.
        response: "full" or "summary" (text after `</think>`).
        input_format: "concat" (prompt + response) or "chat" (the RM's chat template; needs `question`).
        output: "logit" or "prob".
        label_index: which logit / class is the score.
        max_length: truncation length in RM tokens (from the left).
        batch_size: classifier batch size.
        device, dtype: where and in which precision the classifier runs.
        stats: optional Counter; `no_summary` counts unclosed think blocks with `response="summary"`.
        **columns: `prompts`, and `question` for `input_format="chat"`.

    Returns:
        One float per completion.
    """
    import torch

    options = (
        ("response", response, _RESPONSES),
        ("input_format", input_format, _FORMATS),
        ("output", output, _OUTPUTS),
    )
    for name, value, allowed in options:
        if value not in allowed:
            raise ValueError(f"reward_model_reward {name} must be one of {allowed}, got {value!r}")
    model, tokenizer = load_reward_model(name_or_path, revision, device, dtype)
    texts = _inputs(completions, columns, response, input_format, tokenizer, stats)
    scores: list[float] = []
    for start in range(0, len(texts), batch_size):
        enc = tokenizer(
            texts[start : start + batch_size],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        ).to(device)
        with torch.inference_mode():
            logits = model(**enc).logits  # [b, num_labels]
        scores.extend(_scores(logits, label_index, output))
    return scores  # non-finite scores become None (counted) in compute_rewards
