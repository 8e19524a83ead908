"""Synthetic eval folders and training runs, in the files' real layouts, to test and size report.html.

    python -m r1lit_eval.html_report.synthetic OUT [--problems 500] [--k 64] [--tokens 8000]

writes an eval folder as `r1lit-eval` leaves it (`samples/<bench>.jsonl`, `results.json`) and times
`write_eval_report` on it. Sample texts are hostile on purpose: `</script>`, `<!--`, HTML tags, event
handlers and non-BMP unicode must all show as text. A "token" here is 4 characters.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

from r1lit.evaluation.results import save_results
from r1lit.evaluation.summary import summarize
from r1lit.io import write_jsonl

HOSTILE = "</script><script>document.body.dataset.pwned=1</script> <!-- <img src=x onerror='document.body.dataset.pwned=2'> &amp; é 日本 😀"
STATUSES = ("correct", "incorrect", "no_answer")


def sample_text(rng: random.Random, question: str, pred: str | None, n_chars: int, cut: bool = False) -> str:
    """A reasoning trace of about `n_chars`: a <think> block with a re-check, then the boxed answer
    (`cut`: the think block only, as a sample stopped by the token limit leaves it)."""
    step = f"Step: compute part of {question}. Wait, let me check that again. {HOSTILE}\n"
    think = (step * (n_chars // len(step) + 1))[: max(n_chars - 60, 0)]
    if cut:
        return think
    answer = f"\\boxed{{{pred}}}" if pred is not None else "I am not sure."
    return f"{think}</think>\nThe answer is {answer}"


def synthetic_rows(
    bench: str, n_problems: int, k: int, n_chars: int, seed: int, shift: int = 0
) -> list[dict[str, Any]]:
    """Per-sample rows with the runner's keys; problem i has gold `i` and a mix of outcomes (`shift` changes it)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n_problems):
        question = f"What is {i} + 0? {HOSTILE}"
        for j in range(k):
            truncated = j % 5 == 4  # cut off while thinking: no answer
            status = "no_answer" if truncated else STATUSES[(i + j * (i % 3 + 1) + shift) % 3]
            pred = {"correct": str(i), "incorrect": str(i + 1 + j % 2), "no_answer": None}[status]
            rows.append(
                {
                    "benchmark": bench,
                    "problem_id": f"p{i:04d}",
                    "sample_idx": j,
                    "kind": "int",
                    "prompt": question,
                    "response_prefix": "<think>\n",
                    "gold": str(i),
                    "pred": pred,
                    "completion": sample_text(rng, question, pred, n_chars, truncated),
                    "correct": status == "correct",
                    "status": status,
                    "detail": "",
                    "finish_reason": "length" if truncated else "stop",
                    "n_tokens": n_chars // 4,
                    "n_prompt_tokens": 20,
                }
            )
    return rows


def write_synthetic_eval(
    out_dir: str | Path,
    n_problems: int,
    k: int,
    n_chars: int,
    benches: tuple[str, ...] = ("synth_a", "synth_b"),
    seed: int = 0,
    label: str = "synthetic-model",
    shift: int = 0,
) -> Path:
    """An eval folder: `samples/<bench>.jsonl` per benchmark and `results.json` with real summaries."""
    out_dir = Path(out_dir)
    results: dict[str, Any] = {"model": {"label": label, "name_or_path": label}, "benchmarks": {}}
    for b, bench in enumerate(benches):
        rows = synthetic_rows(bench, n_problems, k, n_chars, seed + b, shift)
        write_jsonl(out_dir / "samples" / f"{bench}.jsonl", rows)
        results["benchmarks"][bench] = summarize(rows, k, n_boot=100, seed=seed)
    save_results(results, out_dir)
    return out_dir


def write_synthetic_run(
    run_dir: str | Path, steps: tuple[int, ...] = (0, 5, 10), n_prompts: int = 3, k: int = 4
) -> Path:
    """A GRPO run folder: `config.yaml`, `heldout.jsonl`, `heldout_samples.jsonl` (as r1lit.modules.heldout
    writes them) and a CSV-logger `csv/metrics.csv`; prompt q1 goes from wrong to right over the steps."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text("seed: 0\nstage:\n  module:\n    eval_sampling:\n      n: 4\n")
    summaries, samples, csv_rows = [], [], ["step,reward/total/mean,length/mean,reflection/rate"]
    for t, step in enumerate(steps):
        learned = t == len(steps) - 1
        for p in range(n_prompts):
            ok = [learned or p == 0] * k if p < 2 else [False] * k
            preds = ["7" if c else "5" for c in ok]
            texts = [
                f"<think>\nstep {step}: Wait, let me check {HOSTILE}</think> \\boxed{{{a}}}" for a in preds
            ]
            samples.append(
                {
                    "step": step,
                    "id": f"q{p}",
                    "answer": "7",
                    "preds": preds,
                    "correct": ok,
                    "status": ["correct" if c else "incorrect" for c in ok],
                    "lengths": [10 + step] * k,
                    "truncated": [False] * k,
                    "texts": texts,
                }
            )
        acc = sum(sum(s["correct"]) for s in samples[-n_prompts:]) / (n_prompts * k)
        summaries.append(
            {
                "step": step,
                "k": k,
                "n_prompts": n_prompts,
                "pass@1": acc,
                "cons@k": acc,
                "response_length": 10.0 + step,
                "truncated_frac": 0.0,
                "no_answer_frac": 0.0,
            }
        )
        csv_rows.append(f"{step},{0.1 * t},{10 + step},{0.05 * t}")
    write_jsonl(run_dir / "heldout.jsonl", summaries)
    write_jsonl(run_dir / "heldout_samples.jsonl", samples)
    (run_dir / "csv").mkdir(exist_ok=True)
    (run_dir / "csv" / "metrics.csv").write_text("\n".join(csv_rows) + "\n")
    return run_dir


def main() -> None:
    from r1lit_eval.html_report import write_eval_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--problems", type=int, default=500, help="problems per benchmark (one benchmark)")
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=8000, help="tokens per sample (4 characters each)")
    args = parser.parse_args()
    start = time.perf_counter()
    out = write_synthetic_eval(args.out, args.problems, args.k, 4 * args.tokens, benches=("synth",))
    made = time.perf_counter()
    path = write_eval_report(out)
    done = time.perf_counter()
    data = path.parent / f"{path.stem}_data"
    extra = sum(p.stat().st_size for p in data.glob("*")) if data.is_dir() else 0
    print(
        f"fixture {made - start:.1f}s; report {done - made:.1f}s: {path} {path.stat().st_size / 1e6:.2f} MB "
        f"+ {extra / 1e6:.1f} MB in {data.name}/"
    )


if __name__ == "__main__":
    main()
