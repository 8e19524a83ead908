"""Never generate past the model's context: per-prompt token budgets shared by every backend.

A model with `max_position_embeddings = C` can attend over at most C positions, so a prompt of P tokens
leaves room for `C - P` new tokens, whatever `SamplingParams.max_new_tokens` asks for. Every backend
calls `fit_to_context` for each prompt and generates at most its `max_new_tokens`; a sample that runs
into the cap ends with finish reason `length`, like one that reaches `max_new_tokens`.

A prompt that leaves no room at all (P >= C) is handled by `SamplingParams.prompt_overflow`:

- `fail`: raise `PromptTooLongError` naming the prompt's length and the context;
- `left_truncate`: drop the prompt's oldest tokens, as lm-eval's HF backend does (it keeps the last
  `max_length - max_gen_toks` tokens). Here the room kept for generation is `min(max_new_tokens, C // 2)`,
  so that a budget longer than the context cannot erase the whole prompt. The number of dropped tokens
  is recorded on each `Completion` (`prompt_truncated`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
PROMPT_OVERFLOW = ("fail", "left_truncate")
# Config attributes that hold the number of positions a model can attend over, most specific first.
_CONTEXT_ATTRS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")
# Tokenizers without a limit report a huge sentinel (int(1e30)); anything above this is "no limit".
_NO_LIMIT = 10**9
_warned: set[str] = set()


class PromptTooLongError(ValueError):
    """A prompt that leaves no room for a single new token under `prompt_overflow=fail`."""


@dataclass(frozen=True)
class Budget:
    """What one prompt may generate: its (possibly left-truncated) ids and its new-token budget."""

    prompt_ids: list[int]
    max_new_tokens: int  # min(requested, context - len(prompt_ids))
    prompt_truncated: int = 0  # tokens dropped from the prompt's left end


def context_length(config: Any, tokenizer: Any | None = None) -> int | None:
    """Positions the model can attend over: the config's `max_position_embeddings` (or its older names).

    The tokenizer's `model_max_length` is used only when the config names none: tokenizers often carry a
    lower, advisory value (DeepSeek-R1-Distill-Qwen-1.5B: 16,384 vs 131,072 positions) that would cut the
    paper's 32,768-token budget. None means unknown (no cap).
    """
    for attr in _CONTEXT_ATTRS:
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", None)
    return value if isinstance(value, int) and 0 < value < _NO_LIMIT else None


def fit_to_context(
    prompt_ids: Sequence[int], max_new_tokens: int, context: int | None, overflow: str = "fail"
) -> Budget:
    """The budget of one prompt (see the module docstring).

    Args:
        prompt_ids: the rendered prompt's token ids.
        max_new_tokens: the requested budget (`SamplingParams.max_new_tokens`).
        context: the model's context length; None = unknown, no cap.
        overflow: "fail" or "left_truncate", for a prompt of `context` tokens or more.

    Raises:
        PromptTooLongError: the prompt does not fit and `overflow` is "fail".
    """
    ids = list(prompt_ids)
    if context is None:
        return Budget(ids, max_new_tokens)
    if len(ids) < context:
        return Budget(ids, min(max_new_tokens, context - len(ids)))
    if overflow != "left_truncate":
        raise PromptTooLongError(
            f"a prompt of {len(ids)} tokens does not fit the model's context of {context} positions "
            f"(nothing left to generate); set prompt_overflow=left_truncate (allowed: {list(PROMPT_OVERFLOW)}) "
            "to drop its oldest tokens, or use a model with a longer context"
        )
    room = max(1, min(max_new_tokens, context // 2))
    keep = context - room
    return Budget(ids[len(ids) - keep :], room, prompt_truncated=len(ids) - keep)


def count_capped(completions: Sequence[Any], requested: int) -> tuple[int, int]:
    """(samples whose budget the context cut below `requested`, samples whose prompt was truncated)."""
    capped = sum(1 for c in completions if (getattr(c, "max_new_tokens", None) or requested) < requested)
    truncated = sum(1 for c in completions if getattr(c, "prompt_truncated", 0))
    return capped, truncated


def warn_capped_once(where: str, completions: Sequence[Any], requested: int, context: int | None) -> None:
    """Log one warning per `where` (per process) the first time the context cuts a budget or a prompt."""
    capped, truncated = count_capped(completions, requested)
    if (capped or truncated) and where not in _warned:
        _warned.add(where)
        log.warning(
            "%s: the model's context (%s positions) capped %d of %d samples below max_new_tokens=%d "
            "(they end with finish reason 'length') and left-truncated %d prompts; warned once",
            where,
            context,
            capped,
            len(completions),
            requested,
            truncated,
        )
