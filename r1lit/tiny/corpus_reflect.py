"""Pretraining corpus of the reflection world (spec `r1lit-tiny-reflect`): thinking longer and re-checking pay off.

The old tiny world (corpus.py) only ever re-checks a step that is already right, so a reflection
never changes an outcome and RL has no reason to keep it. Here the corpus is written by a fallible
solver of `bigarith` problems ("Compute 23*4+7-5", r1_zero template, difficulty weights of the
spec), in three styles:

    direct:      " <think> The answer is 94. </think> <answer> 94 </answer><|im_end|>"
    long:        " <think> 23*4=92, so 92+7-5. 92+7=99, so 99-5. 99-5=94. </think> <answer> 94 </answer><|im_end|>"
    reflective:  " <think> 23*4=82. Wait, let me check: 20*4=80, 3*4=12, 80+12=92. So 23*4=92, so 92+7-5. ..."

- *direct* (share 1 - `p_long`): the right answer in one line. A one-shot answer to a multi-step
  problem is beyond a 1M-parameter model, so sampled direct answers are mostly wrong.
- *long*: the solution one operation at a time. Each product is first written with a slip
  (probability `p_slip`: off by 1, 2, 10 or 20) and the slip is carried to the end, so the answer
  is then wrong. Sums and differences are never slipped.
- *reflective*: after a product, with probability `p_reflect` and whatever its value, the solver
  re-checks it **another way**, digit by digit (`r1lit.tasks.bigarith.recheck_text`), and goes on
  with the re-checked (right) value: a slip before a re-check is corrected.

The intent: in the base model short answers are mostly wrong, long ones right when no product
slipped, and re-checked ones right more often still; the re-check is rare, and nothing rewards it
but the answers it fixes (a "Wait" with no recomputation changes nothing).

Measured so far (`python -m r1lit.tiny.style_stats --n 100 --k 4 --difficulty 2`, T=1, share of
samples / accuracy), for the spec as registered (1400 steps, p_slip 0.3, p_reflect 0.15):
direct 58.5% / 6.0%, long 35.5% / 8.5%, reflective 2.5% / 10% (10 samples), malformed 3.5% / 0%.
The ordering is the intended one but the gaps are too small for RL: the first-pass product is right
37% of the time (61/166) and 10 of 23 sampled re-checks are valid, yet the final one-digit sum or
difference after them ("55-7=47", "183-5=171") is mostly wrong, so a re-check rarely turns into a
right answer. Earlier tries: two-digit `+`/`-` operands (d=1-4, 1000 steps, p_reflect 0.06): long
answers 2.4% right, no valid re-check sampled; p_reflect 0.1 (otherwise as now): 0.5% reflective.
The next lever is the final step (more pretraining, or sums kept within [0, 99] as in `arithmetic`).
"""

from __future__ import annotations

import random

from r1lit.tasks.bigarith import MAX_VALUE, recheck_text
from r1lit.tasks.synthetic import _tokenize_expression
from r1lit.tiny.prompts import render_prompt, train_records
from r1lit.tiny.specs import TinySpec
from r1lit.tiny.tokenizer import EOS_TOKEN

TASK = "bigarith"
TEMPLATE = "r1_zero"
SLIPS = (-20, -10, -2, -1, 1, 2, 10, 20)  # how a hurried product goes wrong: a carry or a units digit


def _next_op(tokens: list[str]) -> int:
    """Index of the operator reduced next: the first `*`, else the first operator (left to right)."""
    ops = tokens[1::2]
    return 2 * ops.index("*") + 1 if "*" in ops else 1


def render_think(question: str, slips: dict[int, int], checks: set[int]) -> tuple[str, int] | None:
    """The step-by-step think text of a question with the given slips and re-checks, and its final value.

    Args:
        question: "Compute ...".
        slips: step index -> error added to that product's first value (products only).
        checks: step indices of products re-checked digit by digit right after their first value.

    Returns:
        (text, final value), or None when a slip would push a later value outside [0, MAX_VALUE].
    """
    tokens = _tokenize_expression(question.removeprefix("Compute "))
    parts = []
    step = 0
    while len(tokens) > 1:
        i = _next_op(tokens)
        a, op, b = int(tokens[i - 1]), tokens[i], int(tokens[i + 1])
        value = a * b if op == "*" else a + b if op == "+" else a - b
        written = value + slips.get(step, 0) if op == "*" else value
        text = f"{a}{op}{b}={written}"
        if op == "*" and step in checks:
            text += ". " + recheck_text(a, b)  # goes on with the re-checked value
        else:
            value = written
        if not 0 <= value <= MAX_VALUE:
            return None
        tokens[i - 1 : i + 2] = [str(value)]
        parts.append(f"{text}, so {''.join(tokens)}." if len(tokens) > 1 else f"{text}.")
        step += 1
    return " ".join(parts), int(tokens[0])


def _product_steps(question: str) -> list[int]:
    """Indices of the product steps (products are reduced first, so 0 .. n_products - 1)."""
    return list(range(question.count("*")))


def sample_response(record: dict, spec: TinySpec, rng: random.Random) -> tuple[str, dict]:
    """One response to `record` in a style drawn from the spec, and what was drawn.

    Returns:
        (response text ending with EOS, `{"style", "slips", "checks", "answer"}`); `answer` is the
        value the response ends with (wrong when an unchecked product slipped).
    """
    if rng.random() >= spec.p_long:
        answer = int(record["answer"])
        think, meta = f"The answer is {answer}.", {"style": "direct", "slips": {}, "checks": set()}
    else:
        products = _product_steps(record["question"])
        slips = {s: rng.choice(SLIPS) for s in products if rng.random() < spec.p_slip}
        checks = {s for s in products if rng.random() < spec.p_reflect}
        rendered = render_think(record["question"], slips, checks)
        if rendered is None:  # a slip that would leave the task's range: write that product right
            slips = {}
            rendered = render_think(record["question"], slips, checks)
            assert rendered is not None  # the true solution stays in range by construction
        think, answer = rendered
        meta = {"style": "reflective" if checks else "long", "slips": slips, "checks": checks}
    response = f" <think> {think} </think> <answer> {answer} </answer>{EOS_TOKEN}"
    return response, {**meta, "answer": answer}


def build_corpus(spec: TinySpec, n: int, seed: int) -> list[tuple[str, str]]:
    """`n` (prompt, response) documents of train-split `bigarith` problems; deterministic in (spec, n, seed)."""
    rng = random.Random(f"r1lit-corpus-reflect:{seed}")
    records = train_records(spec, n, seed, TASK, rng)
    return [(render_prompt(TEMPLATE, r["question"]), sample_response(r, spec, rng)[0]) for r in records]
