"""The prompts the tiny model is pretrained on: which problems, and their text through a prompt template.

Its own module because every corpus uses it: `corpus` (which hands `corpus="reflect"` / `"search"` specs
to `corpus_reflect` / `corpus_search`) and those two (which would otherwise import `corpus` back).
"""

from __future__ import annotations

import random

from r1lit.prompts import build_prompt
from r1lit.tasks.synthetic import make_problems
from r1lit.tiny.specs import TinySpec
from r1lit.tiny.tokenizer import render_chat


def render_prompt(template: str, question: str) -> str:
    """The prompt as the model sees it: raw r1_zero text, or chat_boxed through the ChatML template."""
    prompt = build_prompt(template, question)
    return prompt if isinstance(prompt, str) else render_chat(prompt, add_generation_prompt=True)


def train_records(spec: TinySpec, n: int, seed: int, task: str, rng: random.Random) -> list[dict]:
    """`n` train-split problems of `task`, difficulties drawn from the spec's weights, shuffled by `rng`."""
    weights = spec.difficulty_weights
    counts: dict[int, int] = {}
    for _ in range(n):
        d = rng.choices(range(1, len(weights) + 1), weights=weights)[0]
        counts[d] = counts.get(d, 0) + 1
    records = [
        r for d, k in sorted(counts.items()) for r in make_problems("train", k, seed, d, task, unique=False)
    ]
    rng.shuffle(records)
    return records
