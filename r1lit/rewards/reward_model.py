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
Which samples it scores: `tasks=None` scores every sample; `tasks=[general]` only those whose task
(`r1lit.tasks.task_of` on the `task` / `tests` / `answer` columns) is listed, and returns None for the
rest (counted as `not_applicable`). That is how a mixed batch of reasoning and general prompts gives
each sample only the rewards that apply to it (compose.py None rule): accuracy for the math, the
reward model for the general prompts. `experiment=r1_pipeline_tiny_full` uses two terms on one
classifier, `reward=[rm_helpful,rm_harmless]`: the summary for helpfulness, the full response for
harmlessness (conf/reward/rm_*.yaml).

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
from r1lit.tasks.checks import NOT_APPLICABLE, records_from_columns, task_of

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


def response_view(completion: str, prompt: str | None, response: str, stats: Counter | None = None) -> str:
    """The part of the completion the classifier scores: all of it ("full") or the summary ("summary").

    The reward-model stage (r1lit.data.preference_datamodule) builds its training texts with this too,
    so the classifier learns on exactly the view it later scores.
    """
    if response not in _RESPONSES:
        raise ValueError(f"reward_model_reward response must be one of {_RESPONSES}, got {response!r}")
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
    responses = [response_view(c, p, response, stats) for c, p in zip(completions, prompts, strict=True)]
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


def _applicable(columns: dict, n: int, tasks: list[str] | None, stats: Counter | None) -> list[int]:
    """Indices of the samples this reward scores (all when `tasks` is None)."""
    if tasks is None:
        return list(range(n))
    wanted = set(tasks)
    records = records_from_columns(columns, n)
    keep = [i for i, record in enumerate(records) if task_of(record) in wanted]
    bump(stats, NOT_APPLICABLE, n - len(keep))
    return keep


def _classify(texts: list[str], name_or_path: str, revision: str | None, opts: dict[str, Any]) -> list[float]:
    """Classifier scores of `texts`, `batch_size` at a time."""
    import torch

    model, tokenizer = load_reward_model(name_or_path, revision, opts["device"], opts["dtype"])
    scores: list[float] = []
    for start in range(0, len(texts), opts["batch_size"]):
        enc = tokenizer(
            texts[start : start + opts["batch_size"]],
            padding=True,
            truncation=True,
            max_length=opts["max_length"],
            return_tensors="pt",
        ).to(opts["device"])
        with torch.inference_mode():
            logits = model(**enc).logits  # [b, num_labels]
        scores.extend(_scores(logits, opts["label_index"], opts["output"]))
    return scores


def _scores(logits: Any, label_index: int, output: str) -> list[float]:
    """Per-row score from classifier logits [B, num_labels]."""
    import torch

    logits = logits.float()  # [B, C]
    if output == "logit":
        return logits[:, label_index].tolist()
    if logits.shape[-1] == 1:
        return torch.sigmoid(logits[:, 0]).tolist()
    return torch.softmax(logits, dim=-1)[:, label_index].tolist()


def _subset(columns: dict, n: int, keep: list[int]) -> dict:
    """The per-item columns (length n) restricted to the rows in `keep`; other values unchanged."""
    return {
        key: [value[i] for i in keep] if isinstance(value, list | tuple) and len(value) == n else value
        for key, value in columns.items()
    }


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
    tasks: list[str] | None = None,
    stats: Counter | None = None,
    **columns,
) -> list[float | None]:
    """Score completions with a sequence-classification reward model (see module docstring).

    Args:
        completions: generated texts.
        answer: the gold column; only its task marker is read (a code gold makes a `code` sample).
        name_or_path, revision: the classifier checkpoint.
        response: "full" or "summary" (text after `</think>`).
        input_format: "concat" (prompt + response) or "chat" (the RM's chat template; needs `question`).
        output: "logit" or "prob".
        label_index: which logit / class is the score.
        max_length: truncation length in RM tokens (from the left).
        batch_size: classifier batch size.
        device, dtype: where and in which precision the classifier runs.
        tasks: score only samples of these tasks (None for the others, counted `not_applicable`);
            None scores every sample.
        stats: optional Counter; `no_summary` counts unclosed think blocks with `response="summary"`.
        **columns: `prompts`, `question` for `input_format="chat"`, `task` where `tasks` is set.

    Returns:
        One float per completion, None for a sample of another task.
    """
    options = (
        ("response", response, _RESPONSES),
        ("input_format", input_format, _FORMATS),
        ("output", output, _OUTPUTS),
    )
    for name, value, allowed in options:
        if value not in allowed:
            raise ValueError(f"reward_model_reward {name} must be one of {allowed}, got {value!r}")
    n = len(completions)
    keep = _applicable({**columns, "answer": answer}, n, tasks, stats)
    out: list[float | None] = [None] * n
    if not keep:
        return out  # no sample of these tasks: the classifier is not even loaded
    opts = {
        "device": device,
        "dtype": dtype,
        "batch_size": batch_size,
        "max_length": max_length,
        "label_index": label_index,
        "output": output,
    }
    _, tokenizer = load_reward_model(name_or_path, revision, device, dtype)
    texts = _inputs(
        [completions[i] for i in keep], _subset(columns, n, keep), response, input_format, tokenizer, stats
    )
    for i, score in zip(keep, _classify(texts, name_or_path, revision, opts), strict=True):
        out[i] = score
    return out  # non-finite scores become None (counted) in compute_rewards
