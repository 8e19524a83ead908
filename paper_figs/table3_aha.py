"""Table 3 analogue, the "aha moment": held-out answers where the trained model corrected itself.

The paper's Table 3 shows R1-Zero stopping mid-solution ("Wait, wait. Wait. That's an aha moment I
can flag here.") and re-evaluating its first approach. Here the examples are found automatically in
a GRPO run's held-out samples (`<run>/heldout_samples.jsonl`): a sample at a step after 0 that
wrote a product wrong, re-checked it digit by digit, rewrote it right
(`r1lit.tasks.bigarith.find_corrections`, `corrected`) and ended with the right answer; in the
search world (`modsearch`), one that tried an x, checked it, saw the check fail ("2+1=3: no."),
tried again ("Wait, let me try x=0: ...") until a right check passed (`r1lit.tasks.modsearch.self_corrections`) and ended
with the right answer. Each is
shown next to the base model's first sample for the same problem (step 0: the evaluation before
any RL). Latest steps first, one example per problem. Writes `table3_aha.md`.

    python -m paper_figs.table3_aha RUN_DIR [--out DIR] [--max 3]
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paper_figs.fig_reflection import task_of_row
from paper_figs.io import Run, read_jsonl
from r1lit.tasks.bigarith import find_corrections
from r1lit.tasks.modsearch import self_corrections

log = logging.getLogger(__name__)
STEM = "table3_aha"
HELDOUT_SAMPLES = "heldout_samples.jsonl"


def corrections(text: str, task: str, question: str | None) -> list[dict[str, Any]]:
    """The self-corrections of one sample, each with a `summary` ("23*4: 82 -> 92", "x=5 -> x=2 (4 tries)").

    A modsearch sample needs its question (its checks must use the problem's numbers): [] without it.
    """
    if task == "modsearch":
        fix = self_corrections(text, question) if question else None
        if fix is None:
            return []
        return [{**fix, "summary": f"x={fix['first']} -> x={fix['final']} ({fix['tries']} tries)"}]
    return [
        {**c, "summary": f"{c['product']}: {c['first']} -> {c['final']}"}
        for c in find_corrections(text)
        if c["corrected"]
    ]


def find_aha(
    rows: Sequence[dict[str, Any]], limit: int, questions: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Up to `limit` self-corrections that ended right, each problem once (its latest step).

    Latest step first; within a step, problems the base model got wrong first, then longer searches
    (more tries): the clearest contrast with the base model's answer.

    Args:
        rows: held-out sample rows (`heldout_samples.jsonl`).
        limit: most examples.
        questions: problem id -> question (`questions_of`); modsearch samples are read against it.

    Returns:
        Dicts with `id`, `step`, `answer` (gold), `text` (the trained sample), `correction` (from
        `corrections`), `base_text` and `base_correct` (the step-0 sample, None without one).
    """
    questions = questions or {}
    base = {r["id"]: r for r in rows if int(r["step"]) == 0}
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: -int(r["step"])):
        if int(row["step"]) == 0 or row["id"] in seen:
            continue
        for text, ok in zip(row["texts"], row["correct"], strict=True):
            fixes = corrections(text, task_of_row(row), questions.get(row["id"]))
            if ok and fixes:
                b = base.get(row["id"])
                found.append(
                    {
                        "id": row["id"],
                        "step": int(row["step"]),
                        "answer": row.get("answer"),
                        "text": text,
                        "correction": fixes[0],
                        "base_text": b["texts"][0] if b else None,
                        "base_correct": bool(b["correct"][0]) if b else None,
                    }
                )
                seen.add(row["id"])
                break
    found.sort(key=lambda f: (-f["step"], f["base_correct"] is True, -f["correction"].get("tries", 0)))
    return found[:limit]


def questions_of(run: Run) -> dict[str, str]:
    """Held-out problem id -> question, regenerated from the run's data config ({} when it has none)."""
    from r1lit.tasks.synthetic import make_problems

    spec = {k: run.config_value(f"data.heldout.{k}") for k in ("n", "seed", "difficulty", "task")}
    if any(v is None for v in spec.values()):
        return {}
    problems = make_problems(
        "heldout", int(spec["n"]), int(spec["seed"]), int(spec["difficulty"]), task=spec["task"]
    )
    return {p["id"]: p["question"] for p in problems}


def _cell(text: str | None) -> str:
    return "—" if text is None else "`" + " ".join(text.split()).replace("|", "\\|").replace("`", "'") + "`"


def aha_markdown(examples: Sequence[dict[str, Any]], questions: dict[str, str]) -> str:
    """The examples as a markdown table: step, problem, base model's answer, trained model's answer."""
    lines = [
        "# Table 3 analogue: the trained model checks a wrong step, re-evaluates it and corrects it",
        "",
        "| step | problem (gold) | base model (step 0) | trained model | correction |",
        "|---:|---|---|---|---|",
    ]
    for ex in examples:
        fix = ex["correction"]
        base = "no step-0 sample" if ex["base_text"] is None else ("right" if ex["base_correct"] else "wrong")
        lines.append(
            f"| {ex['step']} | {questions.get(ex['id'], ex['id'])} (= {ex['answer']}) | {_cell(ex['base_text'])} ({base})"
            f" | {_cell(ex['text'])} (right) | {fix['summary']} |"
        )
    if not examples:
        lines.append("| — | no held-out sample corrected a wrong step and ended right | | | |")
    return "\n".join(lines) + "\n"


def make_table3(root: str | Path, out_dir: str | Path, limit: int = 3) -> list[Path]:
    """`table3_aha.md` for the run at `root` ([] with a warning when it saved no held-out samples)."""
    root = Path(root)
    path = root / HELDOUT_SAMPLES
    if not path.is_file():
        log.warning("table3_aha: %s has no %s (GRPO with a held-out set writes it)", root, HELDOUT_SAMPLES)
        return []
    questions = questions_of(Run.load(root))
    examples = find_aha(read_jsonl(path), limit, questions)
    out = Path(out_dir) / f"{STEM}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(aha_markdown(examples, questions), encoding="utf-8")
    return [out]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="a GRPO run directory")
    parser.add_argument("--out", default=None, help="output folder (default: <root>/paper_figs)")
    parser.add_argument("--max", type=int, default=3, help="most examples shown")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")  # fontTools chatters at INFO
    for path in make_table3(args.root, args.out or Path(args.root) / "paper_figs", args.max):
        print(path)


if __name__ == "__main__":
    main()
