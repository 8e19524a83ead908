"""Text helpers shared by the reward functions: think-block handling, lengths, per-item columns, stats.

Private to `r1lit.rewards`. Nothing here grades answers (that is `r1lit.grading`).

Prefilled thinking: many chat templates (DeepSeek-R1-Distill, QwQ, the r1lit `chat_boxed` variants)
end the rendered prompt with `<think>` so the completion starts *inside* the think block and never
contains the opening tag. A format reward that looks only at the completion then scores 0 forever.
`with_prefill` re-attaches the tag when the prompt ends with it, so every structural check sees the
assistant turn as the model actually produced it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from r1lit.chat_template import THINK_OPEN, prefilled

THINK_CLOSE = "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"

# Stats keys shared by every reward (rewards may add their own).
PARSE_FAILURE = "parse_failure"  # nothing usable could be extracted from the completion
BAD_GOLD = "bad_gold"  # the reference (gold answer, tests) is unusable: the reward is None or a set value
TIMEOUT = "timeout"
ERROR = "error"

# A "token" for the tokenizer-free length fallback: one CJK character, one run of letters,
# one digit, or one other non-space symbol. BPE tokenizers never produce fewer pieces than this
# pre-split on ordinary text (they split digits individually and rarely merge across these
# boundaries), so it is a documented lower bound, not an estimate of any particular tokenizer.
CJK_CHARS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PRETOKEN = re.compile(rf"[{CJK_CHARS}]|[^\W\d_{CJK_CHARS}]+|\d|[^\w\s]", re.UNICODE)


def bump(stats: Counter | None, key: str, n: int = 1) -> None:
    """Add `n` to `stats[key]` when the caller passed a Counter (rewards never print)."""
    if stats is not None and n:
        stats[key] += n


def column(columns: Mapping[str, Any], name: str, n: int) -> list[Any]:
    """Return the per-item column `name` (length `n`), or `n` Nones when it was not passed."""
    values = columns.get(name)
    if values is None:
        return [None] * n
    if len(values) != n:
        raise ValueError(f"column {name!r} has {len(values)} items for {n} completions")
    return list(values)


def with_prefill(completion: str, prompt: str | None) -> str:
    """The assistant turn as produced: `<think>` + completion when the prompt prefilled the tag
    (`r1lit.chat_template.prefilled`: the prompt ends with `<think>`, trailing whitespace ignored)."""
    if prompt is not None and prefilled(prompt) and not completion.lstrip().startswith(THINK_OPEN):
        return THINK_OPEN + completion
    return completion


def split_think(text: str) -> tuple[str | None, str | None]:
    """Split a (prefill-restored) turn into (chain of thought, rest after `</think>`).

    Returns:
        `(cot, rest)`: both None when the text has no `<think>`; `rest` None when the think block is
        never closed (the whole remainder is then the chain of thought).
    """
    start = text.find(THINK_OPEN)
    if start < 0:
        return None, None
    body = text[start + len(THINK_OPEN) :]
    end = body.find(THINK_CLOSE)
    if end < 0:
        return body, None
    return body[:end], body[end + len(THINK_CLOSE) :]


def pretokens(text: str) -> list[str]:
    """Tokenizer-free split of `text` into CJK characters, letter runs, digits and symbols."""
    return _PRETOKEN.findall(text)


def approx_token_count(text: str) -> int:
    """Length of `text` in pre-tokens (see `pretokens`): a lower bound on BPE token counts."""
    return len(pretokens(text))


def token_lengths(completions: Sequence[str], completion_ids: Sequence[Sequence[int]] | None) -> list[int]:
    """Completion lengths in tokens: `len(completion_ids[i])` when given, else `approx_token_count`."""
    if completion_ids is not None:
        if len(completion_ids) != len(completions):
            raise ValueError(f"{len(completion_ids)} completion_ids for {len(completions)} completions")
        return [len(ids) for ids in completion_ids]
    return [approx_token_count(c) for c in completions]
