"""Turn chat or raw-text records into token ids with an assistant-only loss mask.

The EOS that closes each assistant turn stays in the labels: masking it as padding (a common bug)
teaches the model never to stop. No Lightning here; pure functions over a tokenizer.

Templates of reasoning models are not prefix-consistent: DeepSeek-R1-Distill drops everything before
`</think>` from assistant turns and opens the generation prompt with `<think>\\n`; Qwen3 drops the
reasoning of turns before the last user message. For those, the last assistant turn is tokenized the
way the model meets it at generation: the generation prompt, then the target's own tokens and the
template's end of turn (`_as_generated`), with an opening `<think>` the prompt already holds taken off
the target (exactly one `<think>`). Earlier assistant turns stay in the context as the template renders
history; they are not targets (their rendered text has no reasoning, and learning it would teach
answers without thinking).
"""

from __future__ import annotations

from typing import Any

from r1lit.chat_template import prefilled, strip_prefill

IGNORE_INDEX = -100
THINK_CLOSE = "</think>"
_MARK = "\x00r1lit-end-of-turn\x00"  # a content no template rewrites: what follows it is the end of turn


class NotPrefixConsistent(ValueError):
    """The chat template does not render a conversation as a prefix of its longer versions."""


def _ids(tokenizer: Any, messages: list[dict[str, str]], add_generation_prompt: bool) -> list[int]:
    out = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt)
    if isinstance(out, dict) or hasattr(out, "input_ids"):  # transformers 5 returns a BatchEncoding
        out = out["input_ids"]
    return list(out)


def _text(tokenizer: Any, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def _turn_span(tokenizer: Any, messages: list[dict[str, str]], i: int) -> tuple[list[int], list[int]]:
    """(ids up to and including assistant turn i, its prompt length); raises NotPrefixConsistent when the
    turn does not follow its generation prompt or the template dropped its reasoning."""
    prefix = _ids(tokenizer, messages[:i], add_generation_prompt=True)
    upto = _ids(tokenizer, messages[: i + 1], add_generation_prompt=False)
    if upto[: len(prefix)] != prefix:
        raise NotPrefixConsistent("the assistant turn does not follow its generation prompt")
    if THINK_CLOSE in messages[i]["content"] and THINK_CLOSE not in tokenizer.decode(upto[len(prefix) :]):
        raise NotPrefixConsistent("the template dropped the turn's reasoning")
    return upto, len(prefix)


def _end_of_turn(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The text the template puts after an assistant turn's content (e.g. `<|im_end|>\\n`), else EOS."""
    text = _text(tokenizer, [*messages, {"role": "assistant", "content": _MARK}], add_generation_prompt=False)
    after = text.split(_MARK, 1)[1] if _MARK in text else ""
    return after if after.strip() else tokenizer.eos_token


def _as_generated(tokenizer: Any, messages: list[dict[str, str]], i: int) -> tuple[list[int], list[int]]:
    """Assistant turn i as at generation: the generation prompt (masked), then the target's tokens and
    the template's end of turn (labelled), the prompt's `<think>` prefill taken off the target."""
    prompt_ids = _ids(tokenizer, messages[:i], add_generation_prompt=True)
    target = strip_prefill(messages[i]["content"], prefilled(_text(tokenizer, messages[:i], True)))
    text = target + _end_of_turn(tokenizer, messages[:i])
    target_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return prompt_ids + target_ids, [IGNORE_INDEX] * len(prompt_ids) + list(target_ids)


def tokenize_chat(
    tokenizer: Any, messages: list[dict[str, str]], max_length: int | None = None
) -> dict[str, list[int]]:
    """input_ids + labels for a conversation; labels are IGNORE_INDEX except on assistant turns.

    Each assistant turn is located by rendering the conversation up to it with and without the turn.
    When the template is not prefix-consistent (reasoning templates, see the module docstring), the last
    assistant turn is the target, rendered as the model generates it.
    """
    input_ids = _ids(tokenizer, messages, add_generation_prompt=False)
    labels = [IGNORE_INDEX] * len(input_ids)
    turns = [i for i, msg in enumerate(messages) if msg["role"] == "assistant"]
    try:
        for i in turns:
            upto, start = _turn_span(tokenizer, messages, i)
            if input_ids[: len(upto)] != upto:
                raise NotPrefixConsistent("a later turn renders this one differently")
            labels[start : len(upto)] = upto[start:]
    except NotPrefixConsistent:
        input_ids, labels = _last_turn(tokenizer, messages, turns[-1])
    return _truncate(input_ids, labels, max_length)


def _last_turn(tokenizer: Any, messages: list[dict[str, str]], i: int) -> tuple[list[int], list[int]]:
    """Assistant turn i as the only target: the template's own rendering when that is consistent for
    this turn (Qwen3's last turn), else the turn as generated."""
    try:
        upto, start = _turn_span(tokenizer, messages, i)
    except NotPrefixConsistent:
        return _as_generated(tokenizer, messages, i)
    return upto, [IGNORE_INDEX] * start + upto[start:]


def tokenize_text(
    tokenizer: Any, prompt: str, response: str, max_length: int | None = None
) -> dict[str, list[int]]:
    """Raw-text prompt (e.g. the R1-Zero template) + response + EOS; loss on response and EOS only.

    A `<think>` that the prompt already opens is taken off the response, so the text holds one.
    """
    response = strip_prefill(response, prefilled(prompt))
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    response_ids = tokenizer(response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return _truncate(prompt_ids + response_ids, [IGNORE_INDEX] * len(prompt_ids) + response_ids, max_length)


def _truncate(input_ids: list[int], labels: list[int], max_length: int | None) -> dict[str, list[int]]:
    if max_length is not None:
        input_ids, labels = input_ids[:max_length], labels[:max_length]
    return {"input_ids": input_ids, "labels": labels}
