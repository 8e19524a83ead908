"""Language-consistency reward (paper §2.3.2): the proportion of target-language words in the CoT.

DeepSeek-R1 adds this to stop the chain of thought from mixing languages. The paper does not define
"word"; r1lit counts:

- Chinese (`zh`): every CJK ideograph is one word (Chinese is not space-separated);
- English (`en`): every run of Latin letters (accents included) of length >= 2;
- other: every run of >= 2 letters of any other script (Cyrillic, Greek, kana, Hangul, ...);
- ignored: digits, punctuation, symbols, single letters (variables such as x, n, α), LaTeX math
  (`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`), LaTeX commands (`\\frac`), tags (`<think>`,
  `<|im_start|>`) and code (``` blocks, `inline`).

reward = target words / (en + zh + other words). The CoT is the `<think>` block (with a prefilled
`<think>` restored; an unclosed block runs to the end), or the whole completion when there is no
think tag. A CoT with no countable word gets `empty_value` (default 0.0, so dropping the reasoning
is never rewarded; a rejection-sampling filter may prefer 1.0) and is counted as `empty_cot`.

`target="auto"` takes the per-item language from the `language` column when given, else from the
dominant language of the `question` column, else of the rendered prompt (whose template text is
usually English: pass `language` or `question` for Chinese data).
"""

from __future__ import annotations

import re
from collections import Counter

from r1lit.rewards._text import CJK_CHARS, bump, column, split_think, with_prefill

LANGUAGES = ("en", "zh")
EMPTY_COT = "empty_cot"

_IGNORED = re.compile(
    r"```.*?```"  # fenced code
    r"|`[^`\n]*`"  # inline code
    r"|\$\$.*?\$\$|\$[^$\n]*\$"  # TeX math (inline: one line)
    r"|\\\(.*?\\\)|\\\[.*?\\\]"  # LaTeX math
    r"|\\[A-Za-z]+"  # LaTeX commands outside math
    r"|</?[A-Za-z][\w-]*>"  # tags such as <think>
    r"|<\|[^|]*\|>|<｜[^｜]*｜>",  # chat-template special tokens (<|im_start|>, <｜Assistant｜>)
    re.DOTALL,
)
_LATIN = r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_WORD = re.compile(
    rf"(?P<zh>[{CJK_CHARS}])|(?P<en>[{_LATIN}]{{2,}})|(?P<other>[^\W\d_{_LATIN}{CJK_CHARS}]{{2,}})"
)


def language_counts(text: str) -> Counter:
    """Count words per language in `text`: a Counter with keys "en", "zh", "other"."""
    counts: Counter = Counter()
    for match in _WORD.finditer(_IGNORED.sub(" ", text)):
        counts[match.lastgroup] += 1
    return counts


def dominant_language(text: str) -> str:
    """Return "zh" when `text` has at least as many Chinese as English words, else "en"."""
    counts = language_counts(text)
    return "zh" if counts["zh"] and counts["zh"] >= counts["en"] else "en"


def chain_of_thought(completion: str, prompt: str | None = None) -> str:
    """The `<think>` part of a completion (prefill restored), or the whole completion without tags."""
    cot, _ = split_think(with_prefill(completion, prompt))
    return completion if cot is None else cot


def _targets(target: str, columns: dict, n: int) -> list[str]:
    """Per-item target language."""
    if target in LANGUAGES:
        return [target] * n
    if target != "auto":
        raise ValueError(f"target must be one of {LANGUAGES} or 'auto', got {target!r}")
    if columns.get("language") is not None:
        langs = column(columns, "language", n)
        bad = sorted({lang for lang in langs if lang not in LANGUAGES})
        if bad:
            raise ValueError(f"language column values must be in {LANGUAGES}, got {bad}")
        return langs
    source = columns.get("question") if columns.get("question") is not None else columns.get("prompts")
    if source is None:
        raise ValueError("target='auto' needs a language, question or prompts column")
    return [dominant_language(text) for text in column({"s": source}, "s", n)]


def language_consistency_reward(
    completions: list[str],
    *,
    answer: list[str] | None = None,
    target: str = "en",
    empty_value: float = 0.0,
    stats: Counter | None = None,
    **columns,
) -> list[float]:
    """Fraction of target-language words in each completion's chain of thought.

    Args:
        completions: generated texts.
        answer: unused.
        target: "en", "zh" or "auto" (see module docstring).
        empty_value: reward for a CoT without any countable word.
        stats: optional Counter; `empty_cot` counts CoTs without words.
        **columns: `prompts` (prefilled `<think>`), and `language` / `question` for `target="auto"`.

    Returns:
        One value in [0, 1] per completion (or `empty_value`).
    """
    n = len(completions)
    targets = _targets(target, columns, n)
    prompts = column(columns, "prompts", n)
    rewards = []
    for completion, prompt, lang in zip(completions, prompts, targets, strict=True):
        counts = language_counts(chain_of_thought(completion, prompt))
        total = counts["en"] + counts["zh"] + counts["other"]
        if total == 0:
            bump(stats, EMPTY_COT)
            rewards.append(float(empty_value))
        else:
            rewards.append(counts[lang] / total)
    return rewards
