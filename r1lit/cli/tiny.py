"""`r1lit-tiny`: build, describe and sample the embedded tiny models.

    r1lit-tiny build [--name r1lit-tiny] [--cache-dir DIR] [--force]
    r1lit-tiny info [--name r1lit-tiny]
    r1lit-tiny sample [--name r1lit-tiny] [--template r1_zero] [--difficulty 3] [-n 4] [--temperature 0.6]

Plain argparse (no Hydra): these commands configure nothing but the model name.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import sys
from pathlib import Path

from r1lit.tasks.synthetic import TASKS
from r1lit.tiny.specs import SPECS

log = logging.getLogger(__name__)


def _build(args: argparse.Namespace) -> int:
    from r1lit.tiny.build import ensure_tiny_model, model_dir
    from r1lit.tiny.specs import get_spec

    target = model_dir(args.name, get_spec(args.name), args.cache_dir)
    if args.force and target.exists():
        shutil.rmtree(target)
    print(ensure_tiny_model(args.name, args.cache_dir))
    return 0


def _info(args: argparse.Namespace) -> int:
    from r1lit.tiny.build import MARKER, is_built, model_dir
    from r1lit.tiny.specs import get_spec

    spec = get_spec(args.name)
    target = model_dir(args.name, spec, args.cache_dir)
    if not is_built(target):
        print(
            json.dumps({"name": args.name, "path": str(target), "built": False, "spec": vars(spec)}, indent=2)
        )
        return 0
    meta = json.loads((target / MARKER).read_text())
    print(json.dumps({"path": str(target), "built": True, **meta}, indent=2))
    return 0


def _answer_in(text: str) -> str | None:
    """Rough display-only extraction (the real grader is r1lit.grading): <answer>..</answer> or \\boxed{..}."""
    found = re.findall(r"<answer>(.*?)</answer>", text, re.S) or re.findall(r"\\boxed\{([^{}]*)\}", text)
    return found[-1].strip() if found else None


def _sample(args: argparse.Namespace) -> int:
    import torch

    from r1lit.models import load_causal_lm, load_tokenizer
    from r1lit.prompts import build_prompt
    from r1lit.tasks.synthetic import make_problems, verify
    from r1lit.tiny.build import ensure_tiny_model

    path = str(ensure_tiny_model(args.name, args.cache_dir))
    model, tok = load_causal_lm(path), load_tokenizer(path)
    torch.manual_seed(args.seed)
    correct = 0
    for rec in make_problems("heldout", args.n, args.seed, args.difficulty, task=args.task):
        prompt = build_prompt(args.template, rec["question"])
        if not isinstance(prompt, str):
            prompt = tok.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        batch = tok([prompt], return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(
                **batch,
                do_sample=args.temperature > 0,
                temperature=args.temperature or None,
                max_new_tokens=args.max_new_tokens,
            )
        text = tok.decode(out[0, batch["input_ids"].shape[1] :], skip_special_tokens=True)
        ok = verify(rec, _answer_in(text))
        correct += ok
        print(f"Q: {rec['question']}  (gold {rec['answer']})\nA: {text}\n=> {'correct' if ok else 'wrong'}\n")
    print(f"{correct}/{args.n} correct")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `r1lit-tiny` console script."""
    parser = argparse.ArgumentParser(prog="r1lit-tiny", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for cmd, helptext in [
        ("build", "build (or with --force rebuild) and print the folder"),
        ("info", "parameters, vocabulary, folder and spec"),
        ("sample", "sample held-out problems and print completions with verdicts"),
    ]:
        p = sub.add_parser(cmd, help=helptext)
        p.add_argument("--name", default="r1lit-tiny", choices=sorted(SPECS))
        p.add_argument("--cache-dir", type=Path, default=None, help="default: $R1LIT_CACHE or ~/.cache/r1lit")
    sub.choices["build"].add_argument("--force", action="store_true", help="delete and rebuild")
    s = sub.choices["sample"]
    s.add_argument("--template", default="r1_zero", choices=["r1_zero", "chat_boxed"])
    s.add_argument("--task", default="arithmetic", choices=list(TASKS))
    s.add_argument("--difficulty", type=int, default=3)
    s.add_argument("-n", type=int, default=4, help="number of held-out problems")
    s.add_argument("--temperature", type=float, default=0.6)
    s.add_argument("--max-new-tokens", type=int, default=128)
    s.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    return {"build": _build, "info": _info, "sample": _sample}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
