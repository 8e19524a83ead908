"""The tiny model's pretraining corpus: train-split problems answered in the R1 format, two ways.

Each document is `(prompt, response)`. The prompt is a question rendered with one of the two prompt
templates (`r1_zero` raw text, or `chat_boxed` rendered with the ChatML template). The response is
either *direct* or *step-by-step*, always correct, always ending with the EOS token `<|im_end|>`:

    r1_zero, direct:        " <think> The answer is 24. </think> <answer> 24 </answer><|im_end|>"
    r1_zero, step-by-step:  " <think> 7*3=21, so 8+21-5. 8+21=29, so 29-5. 29-5=24. </think> <answer> 24 </answer><|im_end|>"
    chat_boxed:             "<think> ... </think> \\boxed{24}<|im_end|>"   (same two think styles)

A share `p_reflect` of step-by-step responses repeats one step as "Wait, let me check: 7*3=21."
Direct answers to multi-step problems are beyond a 1M-parameter model (it has to compute the whole
expression in one shot), step-by-step ones are not; so the base model samples both styles, the long
one being far more accurate, which is what R1-Zero-style RL needs to discover and amplify.
"""

from __future__ import annotations

import random

from r1lit.tasks.synthetic import make_problems, solution_trace
from r1lit.tiny.corpus_reflect import build_corpus as build_reflect_corpus
from r1lit.tiny.corpus_search import build_corpus as build_search_corpus
from r1lit.tiny.prompts import render_prompt
from r1lit.tiny.specs import TinySpec
from r1lit.tiny.tokenizer import EOS_TOKEN

TEMPLATES = ("r1_zero", "chat_boxed")
REFLECTION = "Wait, let me check: {step}"


def think_text(record: dict, long: bool, reflect_at: int | None = None) -> str:
    """The content of <think>: one line "The answer is X." or the solution steps joined by spaces.

    Args:
        record: a problem from `make_problems`.
        long: step-by-step (True) or direct (False).
        reflect_at: index of a step to re-check right after it (step-by-step only), or None.
    """
    if not long:
        return f"The answer is {record['answer']}."
    lines = solution_trace(record).splitlines()
    if reflect_at is not None:
        step = lines[reflect_at].split(",")[0].rstrip(".")
        lines.insert(reflect_at + 1, REFLECTION.format(step=step) + ".")
    return " ".join(lines)


def response_text(record: dict, template: str, long: bool, reflect_at: int | None = None) -> str:
    """A full response in the format that `template` asks for, ending with EOS."""
    think = think_text(record, long, reflect_at)
    if template == "r1_zero":
        return f" <think> {think} </think> <answer> {record['answer']} </answer>{EOS_TOKEN}"
    if template == "chat_boxed":
        return f"<think> {think} </think> \\boxed{{{record['answer']}}}{EOS_TOKEN}"
    raise ValueError(f"no tiny-corpus format for template {template!r}; expected one of {TEMPLATES}")


def _problems(spec: TinySpec, n: int, seed: int) -> list[dict]:
    """`n` train-split problems mixed over tasks and difficulties by the spec's weights (repeats allowed)."""
    rng = random.Random(f"r1lit-corpus-mix:{seed}")
    weights = spec.difficulty_weights
    counts: dict[tuple[str, int], int] = {}
    for _ in range(n):
        task = "countdown" if rng.random() < spec.p_countdown else "arithmetic"
        d = rng.choices(range(1, len(weights) + 1), weights=weights)[0]
        counts[(task, d)] = counts.get((task, d), 0) + 1
    out: list[dict] = []
    for (task, d), k in sorted(counts.items()):
        out += make_problems("train", k, seed, d, task=task, unique=False)
    rng.shuffle(out)
    return out


def build_corpus(spec: TinySpec, n: int, seed: int) -> list[tuple[str, str]]:
    """`n` (prompt, response) documents; deterministic in (spec, n, seed).

    Style choices per document: template (`p_chat`), step-by-step vs direct (`p_long`), and for
    step-by-step ones a reflection line (`p_reflect`) after a random step. A spec with
    `corpus="reflect"` gets the reflection world's corpus instead (corpus_reflect.py).
    """
    if spec.corpus == "reflect":
        return build_reflect_corpus(spec, n, seed)
    if spec.corpus == "search":  # the search world's corpus (corpus_search.py)
        return build_search_corpus(spec, n, seed)
    rng = random.Random(f"r1lit-corpus-style:{seed}")
    docs = []
    for rec in _problems(spec, n, seed):
        template = "chat_boxed" if rng.random() < spec.p_chat else "r1_zero"
        long = rng.random() < spec.p_long
        n_steps = len(solution_trace(rec).splitlines())
        reflect_at = rng.randrange(n_steps) if long and rng.random() < spec.p_reflect else None
        docs.append(
            (render_prompt(template, rec["question"]), response_text(rec, template, long, reflect_at))
        )
    return docs
