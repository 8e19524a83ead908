"""Which styles a model samples in the reflection world, and how often each is right.

A completion's style (`classify_style`) is read from its think text:

- `direct`: "The answer is N." and no steps;
- `long`: one operation at a time, no re-check;
- `reflective`: at least one digit-by-digit re-check of a product that really recomputes it
  (`r1lit.tasks.bigarith.find_corrections`, valid); a bare "Wait, let me check" is not one;
- `other`: anything else (no think block, cut off, malformed).

`style_table` turns (style, correct) pairs into share and accuracy per style; `measure_styles`
samples a model on held-out problems at T=1 and returns that table. It is where the numbers in the
`r1lit-tiny-reflect` spec comment come from:

    python -m r1lit.tiny.style_stats --name r1lit-tiny-reflect --n 200 --k 4 --difficulty 2
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable

from r1lit.tasks.bigarith import RECHECK, find_corrections

STYLES = ("direct", "long", "reflective", "other")
_THINK = re.compile(r"<think>(.*?)</think>", re.S)
_STEP = re.compile(r"\d+[+\-*]\d+=\d+")


def classify_style(text: str) -> str:
    """The style of one completion (see the module docstring)."""
    found = _THINK.search(text)
    if found is None:
        return "other"
    think = found.group(1)
    if any(c["valid"] for c in find_corrections(think)):
        return "reflective"
    if RECHECK in think:
        return "other"  # a re-check phrase with no real recomputation
    if _STEP.search(think):
        return "long"
    if "The answer is" in think:
        return "direct"
    return "other"


def style_table(rows: Iterable[tuple[str, bool]]) -> dict[str, dict[str, float]]:
    """Share of samples and accuracy per style from (style, correct) pairs; every style is listed."""
    rows = list(rows)
    table = {}
    for style in STYLES:
        hits = [ok for s, ok in rows if s == style]
        table[style] = {
            "n": len(hits),
            "share": len(hits) / len(rows) if rows else 0.0,
            "accuracy": sum(hits) / len(hits) if hits else float("nan"),
        }
    table["all"] = {"n": len(rows), "share": 1.0, "accuracy": sum(ok for _, ok in rows) / max(1, len(rows))}
    return table


def measure_styles(
    model_path: str,
    n: int,
    k: int,
    difficulty: int,
    temperature: float = 1.0,
    max_new_tokens: int = 256,
    seed: int = 1234,
) -> dict[str, dict[str, float]]:
    """Sample `k` completions of `n` held-out `bigarith` problems (r1_zero template); the style table.

    Args:
        model_path: a model folder or registered tiny name.
        n: held-out problems.
        k: samples per problem.
        difficulty: number of operators.
        temperature: sampling temperature (1.0: what GRPO's rollouts see).
        max_new_tokens: response budget.
        seed: problem and sampling seed.
    """
    import torch

    from r1lit.models import load_causal_lm, load_tokenizer
    from r1lit.prompts import build_prompt
    from r1lit.rollout import SamplingParams, build_generator
    from r1lit.tasks import check
    from r1lit.tasks.synthetic import make_problems

    torch.set_num_threads(1)
    model, tok = load_causal_lm(model_path), load_tokenizer(model_path)
    problems = make_problems("heldout", n, seed, difficulty, task="bigarith")
    params = SamplingParams(n=k, temperature=temperature, max_new_tokens=max_new_tokens, seed=seed)
    generator = build_generator("hf", model, tok)
    groups = generator.generate([build_prompt("r1_zero", p["question"]) for p in problems], params)
    rows = [
        (classify_style(c.text), check(p, c.text).correct)
        for p, g in zip(problems, groups, strict=True)
        for c in g
    ]
    return style_table(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: print the style table of a model as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", default="r1lit-tiny-reflect", help="model folder or registered tiny name")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--difficulty", type=int, default=2)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    args = parser.parse_args(argv)
    table = measure_styles(args.name, args.n, args.k, args.difficulty, args.temperature, args.max_new_tokens)
    print(json.dumps(table, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
