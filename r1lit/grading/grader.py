"""The one grader: completion + gold answer -> ``Verdict``. Used by the RL accuracy reward and by eval.

``grade`` never raises on bad data and never hangs: extraction is linear-time string work, the
fast path (``quick_equal``) is exact arithmetic on plain numbers, and every sympy/math-verify call
runs in a worker process that is killed after ``timeout_s`` (``timeout.call_bounded``).

Kinds:
- ``math``: extracted answer vs gold by math equivalence (``equivalence.check``).
- ``int``: AIME-style; both sides as integers (``"025"`` == ``"25.0"`` == ``25``), math equivalence
  as a fallback for answers such as ``\\frac{50}{2}``.
- ``choice``: the letter (A-D by default) against the gold letter.
Code is not graded here: that needs execution (``r1lit.grading.sandbox``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from r1lit.grading import equivalence
from r1lit.grading.equivalence import FLOAT_ROUNDING, quick_equal
from r1lit.grading.extract import (
    CHOICE_LETTERS,
    MATH_STRATEGIES,
    extract_answer,
    extract_choice,
    extract_math,
)
from r1lit.grading.normalize import normalize_int, to_mv_input
from r1lit.grading.timeout import BoundedTimeout, WorkerError, call_bounded

logger = logging.getLogger(__name__)

STATUSES = ("correct", "incorrect", "no_answer", "bad_gold", "timeout", "error")
KINDS = ("math", "int", "choice")
# Longer answers are not sent to math-verify: the longest MATH-500 gold has 53 characters, and a
# megabyte-long box (degenerate repetition) would only burn the full timeout in the worker. Raw texts,
# in which math-verify looks for the answer itself (is_equivalent on free text), get more room.
MAX_ANSWER_CHARS = 2_000
MAX_RAW_CHARS = 50_000
_CHUNKS_PER_PROCESS = 32  # many small chunks: the slower items even out and no thread idles long at the end


@dataclass(frozen=True)
class Verdict:
    """Result of grading one completion.

    Attributes:
        correct: True only when ``status == "correct"``.
        pred: the extracted answer string (None when there was none).
        status: one of ``STATUSES``.
    """

    correct: bool
    pred: str | None
    status: str

    @classmethod
    def of(cls, status: str, pred: str | None = None) -> Verdict:
        return cls(correct=status == "correct", pred=pred, status=status)


def _bounded_check(
    pred: tuple[str, bool],
    gold: tuple[str, bool],
    timeout_s: float,
    float_rounding: int,
    strict: bool,
    set_rel: bool,
) -> str:
    """Compare two ``(answer, extracted)`` pairs: the fast path, else ``equivalence.check`` in a worker.

    Returns a status string; "timeout" or "error" when the worker had to be killed or failed. A side
    longer than ``MAX_ANSWER_CHARS`` (raw text: ``MAX_RAW_CHARS``) counts as unparseable (gold:
    "bad_gold", prediction: "incorrect").
    """
    quick = quick_equal(pred[0], gold[0], float_rounding)
    if quick is not None:
        return "correct" if quick else "incorrect"
    if _too_long(*gold):
        return "bad_gold"
    if _too_long(*pred):
        return "incorrect"
    args = (to_mv_input(*pred), to_mv_input(*gold), float_rounding, strict, set_rel)
    try:
        return call_bounded(equivalence.check, *args, timeout_s=timeout_s)
    except BoundedTimeout:
        logger.warning("grading timed out after %.1fs (pred %.80r, gold %.80r)", timeout_s, pred[0], gold[0])
        return "timeout"
    except WorkerError as e:
        logger.warning("grading failed: %s (pred %.80r, gold %.80r)", e, pred[0], gold[0])
        return "error"


def _too_long(answer: str, extracted: bool) -> bool:
    return len(answer) > (MAX_ANSWER_CHARS if extracted else MAX_RAW_CHARS)


def _as_answer(text: str) -> tuple[str, bool]:
    """``(answer, extracted)`` for a string that may still carry a box, <answer> or "final answer is"."""
    found = extract_math(text, MATH_STRATEGIES)
    return (found, True) if found else (text.strip(), False)


def grade(
    completion: str | None,
    gold: str | None,
    kind: str = "math",
    timeout_s: float = 5.0,
    *,
    strategies: Sequence[str] | None = None,
    letters: str = CHOICE_LETTERS,
    float_rounding: int = FLOAT_ROUNDING,
    strict: bool = True,
    allow_set_relation_comp: bool = False,
) -> Verdict:
    """Grade one completion against a gold answer.

    Args:
        completion: raw model output (R1 ``<think>...</think>`` outputs are graded after ``</think>``).
        gold: the reference answer as the dataset gives it (``"\\frac{14}{3}"``, ``"025"``, ``"C"``).
        kind: ``"math"``, ``"int"`` or ``"choice"``.
        timeout_s: bound on the math-verify work for this item, enforced by killing a worker process.
        strategies: extraction order (``extract.STRATEGIES`` names); default boxed, <answer>, final answer.
        letters: allowed choice letters for ``kind="choice"``.
        float_rounding: decimals compared when either side is a float (math-verify's option).
        strict: variables must match (``f(x)`` != ``f(y)``), math-verify's option.
        allow_set_relation_comp: also accept a relation (``-2 \\le x \\le 7``) for a set gold.

    Returns:
        A ``Verdict``; ``status`` says why it is not correct (no_answer, bad_gold, timeout, error).

    Raises:
        ValueError: unknown ``kind`` (a configuration error, not a data error).
    """
    if kind not in KINDS:
        raise ValueError(f"grade() kind must be one of {KINDS} (code goes through the sandbox), got {kind!r}")
    compare = (float_rounding, strict, allow_set_relation_comp)
    try:
        if kind == "choice":
            return _grade_choice(completion, gold, letters)
        return _grade_math(completion, gold, kind, timeout_s, strategies, compare)
    except Exception as e:  # noqa: BLE001 - the grader must never take a training run down
        logger.exception("unexpected grading error: %r", e)
        return Verdict.of("error")


def _grade_choice(completion: str | None, gold: str | None, letters: str) -> Verdict:
    gold_letter = extract_choice(gold, letters) if isinstance(gold, str) else None
    pred = extract_answer(completion, "choice", letters=letters)
    if gold_letter is None:
        return Verdict.of("bad_gold", pred)
    if pred is None:
        return Verdict.of("no_answer")
    return Verdict.of("correct" if pred == gold_letter else "incorrect", pred)


def _grade_math(
    completion: str | None,
    gold: str | None,
    kind: str,
    timeout_s: float,
    strategies: Sequence[str] | None,
    compare: tuple[int, bool, bool],
) -> Verdict:
    pred = extract_answer(completion, "math", strategies)
    if not isinstance(gold, str) or not gold.strip():
        return Verdict.of("bad_gold", pred)
    gold_answer = _as_answer(gold)
    if kind == "int":
        gold_int = normalize_int(gold_answer[0])
        if gold_int is None:
            return Verdict.of("bad_gold", pred)
        pred_int = normalize_int(pred)
        if pred_int is not None:
            return Verdict.of("correct" if pred_int == gold_int else "incorrect", pred_int)
        gold_answer = (gold_int, True)  # e.g. pred "\\frac{50}{2}": let math equivalence decide
    if pred is None:
        return Verdict.of("no_answer")
    return Verdict.of(_bounded_check((pred, True), gold_answer, timeout_s, *compare), pred)


def is_equivalent(
    a: str | None,
    b: str | None,
    timeout_s: float = 5.0,
    *,
    float_rounding: int = FLOAT_ROUNDING,
    strict: bool = True,
    allow_set_relation_comp: bool = False,
) -> bool:
    """Whether two answer strings are the same math answer (used to cluster samples for cons@k).

    Either side may still be wrapped (``\\boxed{}``, ``<answer>``, "the final answer is", ``$``); ``b``
    plays the gold role for math-verify's asymmetric rules (sets vs relations). An empty or None
    side is never equivalent to anything; a timeout or error counts as not equivalent.
    """
    if not isinstance(a, str) or not isinstance(b, str) or not a.strip() or not b.strip():
        return False
    try:
        status = _bounded_check(
            _as_answer(a), _as_answer(b), timeout_s, float_rounding, strict, allow_set_relation_comp
        )
    except Exception as e:  # noqa: BLE001
        logger.exception("unexpected equivalence error: %r", e)
        return False
    return status == "correct"


def grade_many(
    completions: Sequence[str | None],
    golds: Sequence[str | None],
    kind: str = "math",
    processes: int = 0,
    timeout_s: float = 5.0,
    **kwargs,
) -> list[Verdict]:
    """``grade`` over aligned lists, in order.

    With ``processes > 1`` the math-verify work runs in that many worker processes at once (one
    thread per process drives it; extraction and the fast path stay in this process). Items are
    sorted by gold and handed out in small chunks that keep a gold's items together: a thread keeps
    its worker, so a gold is parsed once (then served from that worker's cache) instead of in every
    worker, and one problem with many samples is still spread over all processes.
    """
    if len(completions) != len(golds):
        raise ValueError(f"{len(completions)} completions but {len(golds)} golds")
    if processes <= 1:
        return [grade(c, g, kind, timeout_s, **kwargs) for c, g in zip(completions, golds, strict=True)]
    first_seen: dict[str | None, int] = {}
    for i, gold in enumerate(golds):
        first_seen.setdefault(gold if isinstance(gold, str) else None, i)
    gold_rank = [first_seen[g if isinstance(g, str) else None] for g in golds]
    order = sorted(range(len(golds)), key=gold_rank.__getitem__)
    size = max(1, -(-len(order) // (processes * _CHUNKS_PER_PROCESS)))  # ceil: small chunks balance the load
    verdicts: list[Verdict | None] = [None] * len(golds)

    def run(indices: list[int]) -> None:
        for i in indices:
            verdicts[i] = grade(completions[i], golds[i], kind, timeout_s, **kwargs)

    with ThreadPoolExecutor(max_workers=processes, thread_name_prefix="r1lit-grade") as pool:
        chunks = gold_chunks(order, gold_rank, size)
        list(pool.map(run, chunks))  # list(): re-raises a thread's exception here
    return verdicts  # type: ignore[return-value] - every slot is filled


def gold_chunks(order: Sequence[int], gold_of: Sequence[int], size: int) -> list[list[int]]:
    """Cut ``order`` (item indices sorted by gold) into chunks of at most ``size`` items.

    A gold's items stay in one chunk (so one worker parses that gold) unless there are more than
    ``size`` of them; then they are cut into pieces of ``size``, spread over the workers.
    """
    chunks: list[list[int]] = []
    current: list[int] = []
    for _, group in itertools.groupby(order, key=gold_of.__getitem__):
        items = list(group)
        for start in range(0, len(items), size):
            piece = items[start : start + size]
            if current and len(current) + len(piece) > size:
                chunks.append(current)
                current = []
            current.extend(piece)
    return [*chunks, current] if current else chunks
