"""Answer extraction: pull the final answer string out of a model completion.

Pure string functions, no sympy and no math-verify, so they are cheap enough for the RL hot path
and safe on any input (every scan is linear in the text). One extractor per answer format:

- ``boxed``: the last ``\\boxed{...}`` / ``\\fbox{...}`` with nested braces (``last_boxed``);
- ``answer_tag``: the last ``<answer>...</answer>`` (the r1_zero template);
- ``final_answer``: "The final answer is ..." / "Final Answer: ..." (Minerva / lm-eval style), and
  the Chinese "答案是 ..." / "最终答案为 ...";
- ``last_number``: the last number in the text (the Qwen2.5-Math harness fallback; off by default);
- choice letters (GPQA) and fenced code blocks.

``extract_answer(text, kind, strategies)`` tries the strategies in order and returns the first hit
(except that a "final answer is ..." statement after the last box beats that box).
If the completion closes a ``<think>`` block, only the text after the last ``</think>`` is searched:
an answer boxed while thinking is not the model's final answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from r1lit.grading.normalize import normalize_int

# Default order for math answers (issue #3): last \boxed, then <answer>, then "the final answer is".
MATH_STRATEGIES: tuple[str, ...] = ("boxed", "answer_tag", "final_answer")
CHOICE_LETTERS = "ABCD"

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BOX_NOBRACE_RE = re.compile(r"\\boxed +([^\s$]+)")
_BRACE_RE = re.compile(r"[{}]")  # escaped \{ \} nest like plain braces in answers
# What may separate the boxes of one multi-part answer: "\boxed{1}, \boxed{2}", "\boxed{6} and \boxed{8}".
_BOX_JOINER_RE = re.compile(
    r"^(?:\s|,|;|\$|\\[()\[\]]|\\quad|\\qquad|\\[,;: !]|&|\\\\|\b(?:and|or)\b|\\text\{\s*(?:and|or|,)?\s*\})*$"
)
_WORD_RE = re.compile(r"(?<!\\)\b[A-Za-z]+")  # words, not LaTeX command names
_MAX_JOIN_GAP = 80
_ANSWER_TAG_RE = re.compile(r"<(/?)answer>", re.IGNORECASE)
# "最终答案是" / "答案为" / "答案：": the Chinese answer statement, which needs no math delimiters.
_FINAL_ANSWER_RE = re.compile(
    r"final answer(?:\s+is)?\s*[:：]?|(?:最终)?答案\s*(?:是|为|為|[:：])\s*[:：]?", re.IGNORECASE
)
_HOPE_RE = re.compile(r"I hope it is correct", re.IGNORECASE)
_QUOTED_RE = re.compile(r'^\\?["“](.*?)\\?["”]$', re.DOTALL)
_NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_MAX_BOX_CANDIDATES = 64  # bounds the work on texts with thousands of unclosed boxes


def _matching_brace(text: str, open_pos: int) -> int | None:
    """Index of the ``}`` closing the ``{`` at ``open_pos`` (escaped ``\\{ \\}`` count too), else None."""
    depth = 0
    for m in _BRACE_RE.finditer(text, open_pos):
        depth += 1 if m.group() == "{" else -1
        if depth == 0:
            return m.start()
    return None


def boxed_spans(text: str, limit: int = _MAX_BOX_CANDIDATES) -> list[tuple[int, int, str]]:
    """The last ``limit`` closed, non-empty boxes as ``(start, end, content)``, in text order.

    Empty boxes (``\\boxed{}``, common in degenerate repetitions) and boxes left open by truncation carry
    no answer and are skipped.
    """
    starts = [m for m in _BOX_RE.finditer(text)][-limit:]
    spans = []
    for m in starts:
        close = _matching_brace(text, m.end() - 1)
        if close is None:
            continue
        content = text[m.end() : close].strip()
        if content:
            spans.append((m.start(), close + 1, content))
    if not spans:  # "\boxed 5" without braces
        spans = [(m.start(), m.end(), m.group(1)) for m in _BOX_NOBRACE_RE.finditer(text)][-limit:]
    return spans


def last_boxed(text: str, mode: str = "last") -> str | None:
    """Content of the final ``\\boxed{}``/``\\fbox{}`` in ``text``.

    Args:
        text: the completion.
        mode: ``"last"`` (default): the last box, together with the boxes just before it when only
            separators such as ``,``/``and``/``\\quad`` stand between them ("\\boxed{1} and \\boxed{2}"
            is one two-part answer; a box earlier in the reasoning is not). ``"last_single"``: the last
            box only. ``"first"``: the first box. ``"all"``: every box, joined with ``", "``.

    Returns:
        The box content (several joined with ``", "``), or None when there is no closed non-empty box.
    """
    spans = boxed_spans(text, limit=1 << 30 if mode in ("first", "all") else _MAX_BOX_CANDIDATES)
    if not spans:
        return None
    if mode == "first":
        return spans[0][2]
    if mode == "all":
        return ", ".join(s[2] for s in spans)
    if mode == "last_single":
        return spans[-1][2]
    if mode != "last":
        raise ValueError(f"unknown boxed mode {mode!r}")
    group = [spans[-1]]
    for prev in reversed(spans[:-1]):
        if prev[1] > group[0][0] or not _joins(text[prev[1] : group[0][0]]):
            break  # nested in the next box, or real text in between
        group.insert(0, prev)
    return ", ".join(s[2] for s in group)


def _joins(gap: str) -> bool:
    """Whether the text between two boxes makes them one answer.

    Pure separators (",", "and", "\\quad", math delimiters) join; so does a short connective phrase
    with "and"/"or" ("\\boxed{1} papers and \\boxed{2} bins", "\\text{ for part (a) and }").
    A sentence in between ("no no no", "but wait, let me recheck") means the earlier box was superseded.
    """
    if _BOX_JOINER_RE.match(gap):
        return True
    if len(gap) > _MAX_JOIN_GAP or "\n\n" in gap:
        return False
    words = [w.lower() for w in _WORD_RE.findall(gap)]
    return len(words) <= 4 and ("and" in words or "or" in words)


def answer_tag(text: str) -> str | None:
    """Content of the last ``<answer>...</answer>``; a box inside it wins over the surrounding words."""
    # One pass over the tags, pairing each </answer> with the nearest <answer> before it. (A lazy
    # ``<answer>(.*?)</answer>`` regex is quadratic on text with many unclosed tags.)
    pairs, open_end = [], None
    for tag in _ANSWER_TAG_RE.finditer(text):
        if not tag.group(1):
            open_end = tag.end()
        elif open_end is not None:
            pairs.append((open_end, tag.start()))
            open_end = None
    for start, end in reversed(pairs):
        content = text[start:end].strip()
        if content:
            return last_boxed(content) or content
    return None


def final_answer(text: str) -> str | None:
    """The answer after the last "final answer (is)" marker, up to the end of that line.

    Handles "Final Answer: The final answer is $x$. I hope it is correct." and
    "Final Answer: The largest $n$ is 34." (the part after the last " is ").
    """
    last = _last_final_marker(text)
    if last is None:
        return None
    rest = text[last.end() :].lstrip()
    rest = rest.split("\n", 1)[0] if rest else rest
    hope = _HOPE_RE.search(rest)
    rest = rest[: hope.start()] if hope else rest
    english = last.group().lower().startswith("final")
    if english and " is " in rest and not last.group().lower().rstrip(": ").endswith("is"):
        rest = rest.rsplit(" is ", 1)[1]
    return _strip_answer(rest) or None


def _last_final_marker(text: str) -> re.Match | None:
    last = None
    for last in _FINAL_ANSWER_RE.finditer(text):  # noqa: B007 - we want the last match
        pass
    return last


def last_number(text: str) -> str | None:
    """The last number in ``text`` (thousands commas dropped), the Qwen2.5-Math harness fallback."""
    found = _NUMBER_RE.findall(text)
    return found[-1].replace(",", "") if found else None


def _strip_answer(ans: str) -> str:
    """Drop wrappers around an extracted answer: ``**``, ``$``, ``\\(\\)``, ``\\[\\]``, quotes, final punctuation."""
    ans = ans.strip()
    for _ in range(3):
        before = ans
        ans = ans.strip().strip("*").strip()
        quoted = _QUOTED_RE.match(ans)  # 'the final answer is \"$12$ and $13$\"'
        if quoted:
            ans = quoted.group(1)
        if ans[:2] in ("\\(", "\\["):  # string tests, not a regex: r"\s*\\\)$" is quadratic on spaces
            ans = ans[2:].lstrip()
        if ans[-2:] in ("\\)", "\\]"):
            ans = ans[:-2].rstrip()
        ans = ans.rstrip(".。").strip()
        if len(ans) >= 2 and ans.startswith("$") and ans.endswith("$"):
            ans = ans.strip("$").strip()
        if ans == before:
            break
    return ans


def after_think(text: str) -> str:
    """The text after the last ``</think>`` (the whole text when there is none)."""
    idx = text.rfind("</think>")
    return text if idx < 0 else text[idx + len("</think>") :]


STRATEGIES: dict[str, Callable[[str], str | None]] = {
    "boxed": last_boxed,
    "answer_tag": answer_tag,
    "final_answer": final_answer,
    "last_number": last_number,
}


def extract_math(text: str, strategies: Sequence[str] = MATH_STRATEGIES) -> str | None:
    """Try ``strategies`` (names in ``STRATEGIES``) in order on ``text``; the first hit wins.

    One exception: when "boxed" comes before "final_answer" in ``strategies`` and a "final answer
    is ..." statement follows the last box, that statement wins. Minerva-style completions box
    intermediate results and then state "Final Answer: The final answer is $10,455$."
    """
    for name in strategies:
        found = STRATEGIES[name](text)
        if found and name == "boxed" and "final_answer" in strategies[strategies.index(name) :]:
            found = _later_final_answer(text) or found
        if found:
            found = _strip_answer(found)
            if found:
                return found
    return None


def _later_final_answer(text: str) -> str | None:
    """The "final answer is ..." statement when it comes after the last box (see ``extract_math``)."""
    marker = _last_final_marker(text)
    spans = boxed_spans(text)
    if marker is None or not spans or marker.start() < spans[-1][1]:
        return None
    return final_answer(text)


_CHOICE_PATTERNS = [
    # "Answer: C", "the answer is (C)", "**Answer:** C", "correct answer is C."
    # Possessive quantifiers (*+): adjacent \s* would backtrack polynomially on long runs of spaces.
    r"answer\s*+(?:is|:)?\s*+[:：]?\s*+\**\s*+\(?\s*+([{L}])\s*+\)?(?![A-Za-z])",
    # "The answer is for sure D", "answer: most likely (B)": up to three filler words, an upper-case
    # letter only (a lower-case "a" there is an article).
    r"answer\s++(?:is|:)(?:\s++[a-z]{2,}+){1,3}+\s++\(?((?-i:[{L}]))\)?(?![A-Za-z])",
    r"\(([{L}])\)",  # a lone "(C)"
    r"^[ \t]*+\**+\(?([{L}])\)?[.:)*]*+[ \t\r]*+$",  # a line that is just "C" / "C." / "(C)"
    # A reply that starts with its letter: "D. it can't be A or B", "**B**: because ...".
    r"\A\s*+\**+\(?((?-i:[{L}]))\)?\**+(?:[.:)]|\s*+[-–—,])(?=\s)",
]


def extract_choice(text: str, letters: str = CHOICE_LETTERS) -> str | None:
    """The multiple-choice letter (upper case): ``\\boxed{C}``, "Answer: C", "(C)", or a bare "C" line."""
    boxed = last_boxed(text, mode="last_single")
    if boxed is not None:
        inner = re.sub(r"\\text(?:bf)?\{([^{}]*)\}", r"\1", boxed).strip().strip("()").strip()
        if len(inner) == 1 and inner.upper() in letters:
            return inner.upper()
    for pattern in _CHOICE_PATTERNS:
        found = re.findall(pattern.replace("{L}", letters), text, flags=re.IGNORECASE | re.MULTILINE)
        found = [f for f in found if f.upper() in letters and (f.isupper() or "answer" in pattern)]
        if found:
            return found[-1].upper()
    return None


_FENCE_LANG_RE = re.compile(r"[ \t]*([\w+#.-]*)")
_LANG_ALIASES = {"python": {"python", "py", "python3"}, "cpp": {"cpp", "c++", "cc"}}


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced block as ``(language, body)``: a ``` line opens one, the next ``` closes it.

    Plain ``str.find`` scanning, linear in the text (a lazy-regex version is cubic on "```" * n).
    """
    blocks, pos = [], 0
    while True:
        start = text.find("```", pos)
        newline = text.find("\n", start + 3) if start >= 0 else -1
        end = text.find("```", newline + 1) if newline >= 0 else -1
        if end < 0:
            return blocks
        lang = _FENCE_LANG_RE.match(text, start + 3, newline).group(1)
        blocks.append((lang, text[newline + 1 : end]))
        pos = end + 3


def extract_code(text: str, language: str = "python") -> str | None:
    """The last fenced code block in ``language`` (aliases such as ``py`` count); else the last unlabelled one."""
    wanted = _LANG_ALIASES.get(language.lower(), {language.lower()})
    blocks = fenced_blocks(text)
    for lang, body in reversed(blocks):
        if lang.lower() in wanted:
            return body.rstrip() + "\n"
    for lang, body in reversed(blocks):
        if not lang:
            return body.rstrip() + "\n"
    return None


def extract_answer(
    text: str | None,
    kind: str = "math",
    strategies: Sequence[str] | None = None,
    language: str = "python",
    letters: str = CHOICE_LETTERS,
) -> str | None:
    """Extract the final answer from a completion.

    Args:
        text: the model completion (None and non-strings give None).
        kind: ``"math"`` (an answer string), ``"int"`` (AIME: a canonical integer, ``"025"`` -> ``"25"``),
            ``"choice"`` (a letter in ``letters``) or ``"code"`` (the last fenced block in ``language``).
        strategies: order of extractors for math/int, names from ``STRATEGIES``;
            default ``("boxed", "answer_tag", "final_answer")``.
        language: code-block language for ``kind="code"``.
        letters: allowed letters for ``kind="choice"``.

    Returns:
        The answer string, or None when the completion has no answer in a recognised format.
    """
    if not isinstance(text, str) or not text:
        return None
    if kind == "code":
        return extract_code(text, language)
    text = after_think(text)
    if kind == "choice":
        return extract_choice(text, letters)
    if kind not in ("math", "int"):
        raise ValueError(f"unknown answer kind {kind!r}; expected math, int, choice or code")
    found = extract_math(text, strategies or MATH_STRATEGIES)
    if kind == "int" and found is not None:
        return normalize_int(found) or found
    return found
