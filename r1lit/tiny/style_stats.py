"""Which styles a model samples in the reflection and search worlds, and how often each is right.

A completion's style (`classify_style`) is read from its think text. In the reflection world
(`bigarith`):

- `direct`: "The answer is N." and no steps;
- `long`: one operation at a time, no re-check;
- `reflective`: at least one digit-by-digit re-check of a product that really recomputes it
  (`r1lit.tasks.bigarith.find_corrections`, valid); a bare "Wait, let me check" is not one;
- `other`: anything else (no think block, cut off, malformed).

In the search world (`modsearch`, `classify_search_style`; r1lit/tiny/corpus_search.py):

- `direct`: "The answer is N." and no attempt;
- `check-once`: one attempt ("Try x=6: 3*6=18, 8+4=12, 2+1=3: no.") and no reflection;
- `reflective`: a reflection followed by a new attempt ("Wait, let me try x=0: 3*0=0, ...");
- `other`: anything else.

`style_table` turns (style, correct) pairs into share and accuracy per style; `measure_styles`
samples a model on held-out problems at T=1 and returns that table (for modsearch also `checks`:
how many attempts were written and the share whose check is right). It is where the numbers in the
`r1lit-tiny-reflect` spec comment and the corpus_search.py docstring come from:

    python -m r1lit.tiny.style_stats --name r1lit-tiny-reflect --n 200 --k 4 --difficulty 2
    python -m r1lit.tiny.style_stats --name r1lit-tiny-search --task modsearch --n 50 --k 8 --difficulty 2
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable

from r1lit.tasks.bigarith import RECHECK, find_corrections
from r1lit.tasks.modsearch import RETRY, read_attempts

STYLES = ("direct", "long", "reflective", "other")
SEARCH_STYLES = ("direct", "check-once", "reflective", "other")
_THINK = re.compile(r"<think>(.*?)</think>", re.S)
_STEP = re.compile(r"\d+[+\-*]\d+=\d+")


def classify_style(text: str, task: str = "bigarith") -> str:
    """The style of one completion of a `task` problem (see the module docstring)."""
    if task == "modsearch":
        return classify_search_style(text)
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


def classify_search_style(text: str) -> str:
    """The style of one modsearch completion: a retry counts only when a new attempt follows it."""
    found = _THINK.search(text)
    if found is None:
        return "other"
    think = found.group(1)
    attempts = read_attempts(think)
    if any(a["retry"] for a in attempts[1:]):
        return "reflective"
    if RETRY in think:
        return "other"  # a reflection with no checked attempt after it
    if len(attempts) == 1 and not attempts[0]["retry"]:
        return "check-once"
    if not attempts and "The answer is" in think:
        return "direct"
    return "other"


def style_table(
    rows: Iterable[tuple[str, bool]], styles: Iterable[str] = STYLES
) -> dict[str, dict[str, float]]:
    """Share of samples and accuracy per style from (style, correct) pairs; every style is listed."""
    rows = list(rows)
    table = {}
    for style in styles:
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
    task: str = "bigarith",
) -> dict[str, dict[str, float]]:
    """Sample `k` completions of `n` held-out problems (r1_zero template); the style table.

    Args:
        model_path: a model folder or registered tiny name.
        n: held-out problems.
        k: samples per problem.
        difficulty: the task's difficulty (bigarith: number of operators; modsearch: picks p).
        temperature: sampling temperature (1.0: what GRPO's rollouts see).
        max_new_tokens: response budget.
        seed: problem and sampling seed.
        task: "bigarith" (the reflection world) or "modsearch" (the search world).
    """
    import torch

    from r1lit.models import load_causal_lm, load_tokenizer
    from r1lit.prompts import build_prompt
    from r1lit.rollout import SamplingParams, build_generator
    from r1lit.tasks import check
    from r1lit.tasks.synthetic import make_problems

    torch.set_num_threads(1)
    model, tok = load_causal_lm(model_path), load_tokenizer(model_path)
    problems = make_problems("heldout", n, seed, difficulty, task=task)
    params = SamplingParams(n=k, temperature=temperature, max_new_tokens=max_new_tokens, seed=seed)
    generator = build_generator("hf", model, tok)
    groups = generator.generate([build_prompt("r1_zero", p["question"]) for p in problems], params)
    pairs = [(p, c.text) for p, g in zip(problems, groups, strict=True) for c in g]
    rows = [(classify_style(text, task), check(p, text).correct) for p, text in pairs]
    if task != "modsearch":
        return style_table(rows)
    table = style_table(rows, SEARCH_STYLES)
    attempts = [a for p, text in pairs for a in read_attempts(text, p["question"])]
    table["checks"] = {"n": len(attempts), "valid": sum(a["valid"] for a in attempts) / max(1, len(attempts))}
    return table


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
    parser.add_argument("--task", default="bigarith", choices=("bigarith", "modsearch"))
    args = parser.parse_args(argv)
    table = measure_styles(
        args.name, args.n, args.k, args.difficulty, args.temperature, args.max_new_tokens, task=args.task
    )
    print(json.dumps(table, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
