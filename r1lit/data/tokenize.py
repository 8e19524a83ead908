"""Turn chat or raw-text records into token ids with an assistant-only loss mask.

The EOS that closes each assistant turn stays in the labels: masking it as padding (a common bug)
teaches the model never to stop. No Lightning here; pure functions over a tokenizer.
"""

from __future__ import annotations

from typing import Any

IGNORE_INDEX = -100


def _ids(tokenizer: Any, messages: list[dict[str, str]], add_generation_prompt: bool) -> list[int]:
    out = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt)
    if isinstance(out, dict) or hasattr(out, "input_ids"):  # transformers 5 returns a BatchEncoding
        out = out["input_ids"]
    return list(out)


def tokenize_chat(
    tokenizer: Any, messages: list[dict[str, str]], max_length: int | None = None
) -> dict[str, list[int]]:
    """input_ids + labels for a conversation; labels are IGNORE_INDEX except on assistant turns.

    Each assistant turn is located by rendering the conversation up to it with and without the turn,
    so any chat template works as long as rendering is prefix-consistent (checked, with a clear error).
    """
    input_ids = _ids(tokenizer, messages, add_generation_prompt=False)
    labels = [IGNORE_INDEX] * len(input_ids)
    for i, msg in enumerate(messages):
        if msg["role"] != "assistant":
            continue
        prefix = _ids(tokenizer, messages[:i], add_generation_prompt=True)
        upto = _ids(tokenizer, messages[: i + 1], add_generation_prompt=False)
        if input_ids[: len(upto)] != upto or upto[: len(prefix)] != prefix:
            raise ValueError(
                "chat template is not prefix-consistent; cannot locate assistant tokens for the loss mask"
            )
        labels[len(prefix) : len(upto)] = upto[len(prefix) :]
    return _truncate(input_ids, labels, max_length)


def tokenize_text(
    tokenizer: Any, prompt: str, response: str, max_length: int | None = None
) -> dict[str, list[int]]:
    """Raw-text prompt (e.g. the R1-Zero template) + response + EOS; loss on response and EOS only."""
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    response_ids = tokenizer(response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return _truncate(prompt_ids + response_ids, [IGNORE_INDEX] * len(prompt_ids) + response_ids, max_length)


def _truncate(input_ids: list[int], labels: list[int], max_length: int | None) -> dict[str, list[int]]:
    if max_length is not None:
        input_ids, labels = input_ids[:max_length], labels[:max_length]
    return {"input_ids": input_ids, "labels": labels}
