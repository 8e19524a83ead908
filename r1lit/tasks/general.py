"""Synthetic "general" prompts of the tiny world and the preference pairs its reward model learns from.

DeepSeek-R1's last RL stage (§2.3.4) mixes reasoning prompts (rule rewards) with general prompts
scored by reward models: helpfulness judged on the final summary, harmlessness on the whole response.
The tiny model only knows arithmetic in the R1 format, so its general world is made of the same
pieces. Every prompt has task ``general`` (``r1lit.tasks.checks``: no answer check, status
``not_applicable``) and a ``category``:

| category  | question (examples)               | preferred response                                   |
|-----------|-----------------------------------|------------------------------------------------------|
| helpful   | "Repeat the number 37."           | ``<think> The number is 37. </think> <answer> 37 </answer>`` |
| unsafe    | "Help me cheat on quiz 37."       | ``<think> ... </think> <answer> I can not help with that. </answer>`` |

Rejected responses of a helpful prompt fail the way a weak policy does (``REJECT_KINDS``): a summary
naming another number (after a thought about the asked one, or about that other one), no summary after
``</think>``, a think block that never closes, a summary that rambles, or the closing and answer blocks
repeated. The rejected response of an unsafe prompt complies: it answers a number, after a thought about
the answer key or one a helpful response would have. Each pair is a preference on the
summary (the text after ``</think>``) as much as on the whole response, so one reward model can learn
both views the RL rewards read (``r1lit.rewards.reward_model``; ``r1lit.data.preference_datamodule``).

The paper's stage 3 SFT also holds ~200k non-reasoning samples (§2.3.3); ``make_general_demos`` is that
data in miniature: SFT records for general prompts written by an uneven writer (a share ``p_preferred``
of them preferred responses, the rest rejected ones), so the SFT model sometimes answers and declines, and
the stage-4 RL has something for its reward model to select (``experiment=r1_pipeline_tiny_search_full``).

Splits reuse the arithmetic tasks' stable question hash (``synthetic.question_split``), so train and
held-out prompts never share a question.
"""

from __future__ import annotations

import hashlib
import random

from r1lit.tasks.synthetic import SPLITS, Split, question_split

GENERAL = "general"  # the task name (checks.UNCHECKED_TASKS: judged by a reward model)
HELPFUL, UNSAFE = "helpful", "unsafe"
CATEGORIES = (HELPFUL, UNSAFE)
HELPFUL_QUESTIONS = (
    "Repeat the number {n}.",
    "Say the number {n}.",
    "Tell me the number {n}.",
    "Write the number {n}.",
    "Give me the number {n}.",
    "Echo the number {n}.",
)
UNSAFE_QUESTIONS = (
    "Help me cheat on quiz {n}.",
    "Steal the answer key of quiz {n}.",
    "Copy the answers of test {n}.",
)
DECLINE = "I can not help with that."
REJECT_KINDS = ("wrong_number", "off_topic", "no_summary", "unclosed", "rambling", "stacked")
MAX_NUMBER = 99  # the tiny model's arithmetic never leaves [0, 99]: numbers it can write
_MAX_ATTEMPTS_PER_PROMPT = 200


def _record_id(split: str, question: str) -> str:
    return f"{GENERAL}-{split}-{hashlib.sha1(question.encode()).hexdigest()[:12]}"


def make_general_prompts(split: Split, n: int, seed: int, p_unsafe: float) -> list[dict]:
    """``n`` distinct general prompts of one split; the same arguments give the same list.

    Args:
        split: "train" or "heldout" (never sharing a question).
        n: number of prompts.
        seed: sampling seed.
        p_unsafe: share of unsafe requests; the rest are helpful ones.

    Returns:
        Records ``id, question, answer (None: nothing to grade), task ("general"), difficulty (0),
        category, number``.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    if not 0.0 <= p_unsafe <= 1.0:
        raise ValueError(f"p_unsafe must be in [0, 1], got {p_unsafe}")
    rng = random.Random(f"r1lit:{GENERAL}:{split}:{seed}")
    out: list[dict] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > _MAX_ATTEMPTS_PER_PROMPT * max(n, 10):  # ~1 question in 10 is held out
            raise ValueError(f"found only {len(out)} of {n} distinct {split} general prompts; lower n")
        category = UNSAFE if rng.random() < p_unsafe else HELPFUL
        number = rng.randint(0, MAX_NUMBER)
        templates = UNSAFE_QUESTIONS if category == UNSAFE else HELPFUL_QUESTIONS
        question = rng.choice(templates).format(n=number)
        if question in seen or question_split(question) != split:
            continue
        seen.add(question)
        out.append(
            {
                "id": _record_id(split, question),
                "question": question,
                "answer": None,
                "task": GENERAL,
                "difficulty": 0,
                "category": category,
                "number": number,
            }
        )
    return out


def _think(number: int, rng: random.Random) -> str:
    """An opened think block about ``number``: a plain line or a sum making it (the tiny model's style).

    Preferred and rejected responses draw from the same thoughts, so only what follows ``</think>``
    tells a helpful pair apart.
    """
    if rng.random() < 0.5:
        return f" <think> The number is {number}."
    a = rng.randint(0, number)
    return f" <think> {a}+{number - a}={number}."


def preferred_response(record: dict, rng: random.Random) -> str:
    """The response the reward model should rank first (R1 format, raw text as after the r1_zero prompt)."""
    if record["category"] == UNSAFE:
        return f" <think> This asks me to cheat. </think> <answer> {DECLINE} </answer>"
    number = record["number"]
    return f"{_think(number, rng)} </think> <answer> {number} </answer>"


def rejected_response(record: dict, rng: random.Random) -> tuple[str, str]:
    """A worse response and its kind: it complies (unsafe) or fails one of ``REJECT_KINDS`` (helpful)."""
    number = record["number"]
    other = (number + rng.randint(1, MAX_NUMBER)) % (MAX_NUMBER + 1)  # never the asked number
    if record["category"] == UNSAFE:
        # any answer to an unsafe request complies, whatever thought comes before it: with the "answer key"
        # thought alone, GRPO garbled it ("The answer nuber is 34.") until the whole-response view scored the
        # compliance as a helpful answer (experiment=r1_pipeline_tiny_search_full, before these pairs)
        if rng.random() < 0.5:
            thought = f" <think> The answer key of quiz {number} is {other}."
        else:
            thought = _think(other, rng)
        return f"{thought} </think> <answer> {other} </answer>", "comply"
    kind = rng.choice(REJECT_KINDS)
    think = _think(number, rng)
    responses = {
        "wrong_number": f"{think} </think> <answer> {other} </answer>",
        # consistent with its own thought, but about another number: without these pairs the classifier
        # learned "the answer repeats the thought" and GRPO found " <think> 2=6. </think> <answer> 6"
        "off_topic": f"{_think(other, rng)} </think> <answer> {other} </answer>",
        "no_summary": f"{think} </think>",
        "unclosed": think,
        "rambling": f"{think} </think> <answer> "
        + " ".join([str(number)] * rng.randint(6, 10))
        + " </answer>",
        # the blocks repeated: GRPO against a classifier that never saw this stacked "</think> <answer>"
        # blocks (measured in experiment=r1_pipeline_tiny_full before these pairs existed)
        "stacked": think + f" </think> <answer> {number} </answer>" * rng.randint(2, 4),
    }
    return responses[kind], kind


def make_preference_pairs(
    split: Split, n: int, seed: int, p_unsafe: float, pairs_per_prompt: int = 1
) -> list[dict]:
    """``pairs_per_prompt`` preference pairs (independently drawn rejections) for each of ``n`` distinct
    general prompts of one split.

    Returns:
        Records ``id, question, category, chosen, rejected, kind`` (``kind``: how the rejected
        response fails, for per-kind held-out accuracy).
    """
    rng = random.Random(f"r1lit:{GENERAL}-pairs:{split}:{seed}")
    pairs = []
    for record in make_general_prompts(split, n, seed, p_unsafe):
        for _ in range(pairs_per_prompt):
            rejected, kind = rejected_response(record, rng)
            pairs.append(
                {
                    "id": record["id"],
                    "question": record["question"],
                    "category": record["category"],
                    "chosen": preferred_response(record, rng),
                    "rejected": rejected,
                    "kind": kind,
                }
            )
    return pairs


def make_general_demos(
    split: Split, n: int, seed: int, p_unsafe: float, p_preferred: float, template: str
) -> list[dict]:
    """SFT records for ``n`` distinct general prompts: the preferred response with probability
    ``p_preferred``, else a rejected one (see module docstring).

    Returns:
        Records ``id, prompt (rendered with template), response, task, category, number, preferred``.
    """
    from r1lit.prompts import build_prompt

    if not 0.0 <= p_preferred <= 1.0:
        raise ValueError(f"p_preferred must be in [0, 1], got {p_preferred}")
    rng = random.Random(f"r1lit:{GENERAL}-demos:{split}:{seed}")
    demos = []
    for record in make_general_prompts(split, n, seed, p_unsafe):
        preferred = rng.random() < p_preferred
        response = preferred_response(record, rng) if preferred else rejected_response(record, rng)[0]
        demos.append(
            {
                "id": record["id"],
                "prompt": build_prompt(template, record["question"]),
                "response": response,
                "task": GENERAL,
                "category": record["category"],
                "number": record["number"],
                "preferred": preferred,
            }
        )
    return demos
