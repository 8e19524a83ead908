"""Which sampled traces rejection sampling keeps (DeepSeek-R1 §2.3.3, and the cold start of §2.3.1).

The paper keeps only correct responses and filters out "chain-of-thought with mixed languages, long
paragraphs, and code blocks". Every check here reuses the one shared implementation it corresponds to:
correctness is the task's one check `r1lit.tasks.check` (the training reward's), structure is `rewards.format.format_reward`, mixed languages is
`rewards.language.language_consistency_reward` and repetition is `rewards.repetition.repetition_reward`,
each turned into a filter by a threshold. A trace is dropped for the FIRST failing check, in this order:

| reason           | dropped when                                                            |
|------------------|-------------------------------------------------------------------------|
| `truncated`      | generation hit max_new_tokens (finish_reason "length")                   |
| `too_long`       | more than `max_tokens` completion tokens                                 |
| `too_short`      | fewer than `min_tokens` completion tokens (cold start wants long CoT)    |
| `bad_gold`       | `require_correct` and the record has no usable gold (missing, empty)     |
| `incorrect`      | `require_correct` and the task's check does not say "correct"            |
| `format`         | `format` is "r1_zero" / "think" and the format reward is 0               |
| `language`       | language consistency of the CoT < `min_language_consistency`            |
| `repetition`     | repeated n-gram fraction > `max_repetition`                              |
| `code_block`     | `drop_code_blocks` and the text holds a ``` fence                         |
| `long_paragraph` | a paragraph (text between blank lines) longer than `max_paragraph_chars` |
| `duplicate`      | `dedup` and the same text (whitespace-normalised) was kept for the prompt |
| `over_quota`     | `max_per_prompt` traces were already kept for the prompt                  |

No model, no I/O: pure functions over texts, tested in tests/unit/test_rejection_filters.py.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from r1lit.rewards.format import format_reward
from r1lit.rewards.language import language_consistency_reward
from r1lit.rewards.repetition import repetition_reward
from r1lit.tasks.checks import check

REASONS = (
    "truncated",
    "too_long",
    "too_short",
    "bad_gold",
    "incorrect",
    "format",
    "language",
    "repetition",
    "code_block",
    "long_paragraph",
    "duplicate",
    "over_quota",
)
FormatCheck = Literal["r1_zero", "think", "none"]
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class TraceFilters:
    """Thresholds of the rejection-sampling filters (values live in conf/stage/rejection_sampling.yaml).

    Args:
        require_correct: keep only traces whose final answer the shared grader marks correct.
        answer_kind: grader kind ("math", "int", "choice").
        format: "r1_zero" (`<think>…</think> <answer>…</answer>`, strict), "think" (a think block then a
            non-empty answer, the R1 chat layout), or "none".
        min_language_consistency: minimum share of target-language words in the CoT (1.0 = no mixing);
            None disables the check.
        language_target: "en", "zh" or "auto" (see r1lit.rewards.language).
        max_repetition: maximum repeated n-gram fraction (0 = no n-gram repeats); None disables it.
        repetition_ngram: n of the repetition check.
        max_tokens: maximum completion length in tokens; None disables it (truncated traces always go).
        min_tokens: minimum completion length in tokens; None disables it. The paper's cold-start data is
            long CoT (§2.3.1): a floor drops answers guessed without reasoning that happen to be right.
        drop_code_blocks: drop traces containing a fenced code block.
        max_paragraph_chars: maximum paragraph length in characters; None disables it.
        dedup: drop a trace identical (whitespace-normalised) to one already kept for the same prompt.
        max_per_prompt: keep at most this many traces per prompt; None keeps all that pass.
    """

    require_correct: bool
    answer_kind: str
    format: FormatCheck
    min_language_consistency: float | None
    language_target: str
    max_repetition: float | None
    repetition_ngram: int
    max_tokens: int | None
    min_tokens: int | None
    drop_code_blocks: bool
    max_paragraph_chars: int | None
    dedup: bool
    max_per_prompt: int | None

    def __post_init__(self) -> None:
        if self.format not in ("r1_zero", "think", "none"):
            raise ValueError(f"filters.format must be r1_zero | think | none, got {self.format!r}")
        if self.max_per_prompt is not None and self.max_per_prompt < 1:
            raise ValueError(f"filters.max_per_prompt must be >= 1 or null, got {self.max_per_prompt}")


def normalize_text(text: str) -> str:
    """Whitespace-collapsed text: the key for de-duplication."""
    return " ".join(text.split())


def longest_paragraph(text: str) -> int:
    """Characters in the longest blank-line-separated paragraph."""
    return max((len(p.strip()) for p in _PARAGRAPH_BREAK.split(text)), default=0)


def _checks(
    texts: list[str], prompt: str, question: str, record: Mapping[str, Any], filters: TraceFilters
) -> dict[str, list[bool]]:
    """For each content check, whether each text passes it (batched calls into the shared rewards)."""
    n = len(texts)
    prompts = [prompt] * n
    passed: dict[str, list[bool]] = {}
    if filters.require_correct:
        statuses = [check(record, t, kind=filters.answer_kind).status for t in texts]
        passed["bad_gold"] = [s != "bad_gold" for s in statuses]
        passed["incorrect"] = [s == "correct" for s in statuses]
    if filters.format != "none":
        fmt = format_reward(texts, prompts=prompts, mode="strict", answer_tags=filters.format == "r1_zero")
        passed["format"] = [r > 0 for r in fmt]
    if filters.min_language_consistency is not None:
        lang = language_consistency_reward(
            texts, prompts=prompts, question=[question] * n, target=filters.language_target, empty_value=1.0
        )
        passed["language"] = [r >= filters.min_language_consistency for r in lang]
    if filters.max_repetition is not None:
        rep = repetition_reward(texts, ngram_size=filters.repetition_ngram, max_penalty=1.0)
        passed["repetition"] = [-r <= filters.max_repetition for r in rep]
    if filters.drop_code_blocks:
        passed["code_block"] = ["```" not in t for t in texts]
    if filters.max_paragraph_chars is not None:
        passed["long_paragraph"] = [longest_paragraph(t) <= filters.max_paragraph_chars for t in texts]
    return passed


def rejection_reasons(
    texts: Sequence[str],
    n_tokens: Sequence[int],
    truncated: Sequence[bool],
    *,
    prompt: str,
    answer: str | None,
    filters: TraceFilters,
    question: str | None = None,
    record: Mapping[str, Any] | None = None,
) -> list[str | None]:
    """Why each sample of ONE prompt is rejected (the first failing check), or None when it is kept.

    Args:
        texts: the prompt's sampled completions, in sampling order.
        n_tokens: completion length of each, in tokens.
        truncated: whether each hit the generation budget.
        prompt: the rendered prompt text (a trailing `<think>` prefill is honoured by the checks).
        answer: the gold answer.
        filters: thresholds.
        question: the bare question (its language is the target when `language_target="auto"`).
        record: the prompt's task record (`task`, `numbers`, `target`...), for tasks whose check needs
            more than the gold (Countdown); when given, its raw `answer` is the gold (a missing one is
            `bad_gold`, not the string "None").

    Returns:
        One reason from `REASONS` or None per sample; at most `max_per_prompt` Nones, no duplicate kept.
    """
    if not len(texts) == len(n_tokens) == len(truncated):
        raise ValueError(f"{len(texts)} texts, {len(n_tokens)} lengths, {len(truncated)} truncation flags")
    texts = list(texts)
    task_record = {"answer": answer, **(record or {})}  # the record's raw gold: None stays None
    passed = _checks(texts, prompt, question if question is not None else prompt, task_record, filters)
    reasons: list[str | None] = []
    seen: set[str] = set()
    kept = 0
    for i, text in enumerate(texts):
        reason = None
        if truncated[i]:
            reason = "truncated"
        elif filters.max_tokens is not None and n_tokens[i] > filters.max_tokens:
            reason = "too_long"
        elif filters.min_tokens is not None and n_tokens[i] < filters.min_tokens:
            reason = "too_short"
        else:
            reason = next((name for name in REASONS if name in passed and not passed[name][i]), None)
        key = normalize_text(text)
        if reason is None and filters.dedup and key in seen:
            reason = "duplicate"
        if reason is None and filters.max_per_prompt is not None and kept >= filters.max_per_prompt:
            reason = "over_quota"
        if reason is None:
            kept += 1
            seen.add(key)
        reasons.append(reason)
    return reasons


def count_reasons(reasons: Sequence[str | None]) -> Counter:
    """`{"kept": n, "<reason>": n, ...}` for one or many prompts' reasons."""
    return Counter("kept" if r is None else r for r in reasons)
