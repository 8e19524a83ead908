"""Eval harness speed: `r1lit-eval` against lm-evaluation-harness's HF backend, end to end, in one run.

    python bench/eval.py                         # r1lit-tiny from ~/.cache/r1lit (built on first use)
    python bench/eval.py --model <folder>        # any local HF folder

The same work on both sides: the synthetic held-out set's first 50 problems (conf/benchmark/synthetic.yaml),
the same R1-Zero prompt text, 4 samples per problem, at most 64 new tokens, T 0.6, top-p 0.95, stop at
EOS only, then score. Each side is one fresh process, timed from its start to its results on disk
(interpreter start, imports, model load, generation, grading, writing results), with the same
OMP_NUM_THREADS:

- ours: `r1lit-eval model.name_or_path=<model> benchmarks=[synthetic] ...` with an empty generation
  cache (nothing is served from a previous run);
- lm-eval: `python -m lm_eval --model hf --tasks <local task>` on a YAML task written here: the same
  prompts in a local JSONL (`--include_path`), `repeats: 4`, sampling kwargs as above, exact match on
  the `<answer>` tag's content.

Scores are printed as a sanity check, not compared: the two graders differ (our shared grader vs
lm-eval's regex + exact match) and samples differ (different RNG streams).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from omegaconf import OmegaConf

REPO = Path(__file__).resolve().parents[1]
TASK = "r1lit_bench_synthetic"
TASK_YAML = """\
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{prompt}}}}"
doc_to_target: "{{{{answer}}}}"
repeats: {k}
generation_kwargs:
  do_sample: true
  temperature: {temperature}
  top_p: {top_p}
  max_gen_toks: {max_new}
filter_list:
  - name: answer_tag
    filter:
      - function: regex
        regex_pattern: "<answer>\\\\s*(.*?)\\\\s*</answer>"
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""


def problems(n: int) -> list[dict]:
    """The first `n` synthetic held-out problems with their R1-Zero prompt, as r1lit-eval builds them."""
    from r1lit_eval.benchmarks.synthetic import SyntheticBenchmark

    loader = OmegaConf.to_container(OmegaConf.load(REPO / "conf" / "benchmark" / "synthetic.yaml"))["loader"]
    bench = SyntheticBenchmark(name="synthetic", **(loader | {"n": n}))
    return [{"id": p.id, "prompt": p.prompt, "answer": p.gold} for p in bench.load()]


def timed(cmd: list[str], env: dict[str, str], log: Path) -> float:
    """Wall seconds of one subprocess, start to exit; its output goes to `log`; fails loudly."""
    start = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{cmd[:3]} exited with {proc.returncode}; see {log}:\n{log.read_text()[-3000:]}")
    return seconds


def run_ours(args: argparse.Namespace, work: Path, env: dict[str, str]) -> dict:
    out = work / "ours"
    cmd = [sys.executable, "-m", "r1lit_eval.cli", f"model.name_or_path={args.model}", "benchmarks=[synthetic]",
           f"benchmark.synthetic.loader.n={args.problems}", f"sampling.k={args.k}",
           f"sampling.max_new_tokens={args.max_new_tokens}", f"sampling.temperature={args.temperature}",
           f"sampling.top_p={args.top_p}", f"output_dir={out}", f"cache_dir={work / 'ours-cache'}",
           "progress=false"]  # fmt: skip
    seconds = timed(cmd, env, work / "ours.log")
    s = json.loads((out / "results.json").read_text())["benchmarks"]["synthetic"]
    return {"seconds": seconds, "samples": s["n_samples"], "score": s["pass@1"], "generated": s["n_generated"],
            "gen_seconds": s["generation_seconds"]}  # fmt: skip


def run_lm_eval(args: argparse.Namespace, work: Path, env: dict[str, str], model_path: str) -> dict:
    tasks = work / "lm_eval_tasks"
    tasks.mkdir()
    data = tasks / "synthetic.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in problems(args.problems)))
    (tasks / f"{TASK}.yaml").write_text(TASK_YAML.format(task=TASK, data=data, k=args.k, temperature=args.temperature,
                                                          top_p=args.top_p, max_new=args.max_new_tokens))  # fmt: skip
    out = work / "lm_eval_out"
    cmd = [sys.executable, "-m", "lm_eval", "--model", "hf",
           "--model_args", f"pretrained={model_path},dtype=float32", "--device", "cpu",
           "--tasks", TASK, "--include_path", str(tasks), "--batch_size", str(args.batch_size),
           "--output_path", str(out), "--log_samples", "--seed", "0"]  # fmt: skip
    seconds = timed(cmd, env, work / "lm_eval.log")
    result = json.loads(next(out.rglob("results_*.json")).read_text())
    samples = [json.loads(line) for f in out.rglob(f"samples_{TASK}_*.jsonl") for line in f.read_text().splitlines()]
    n = sum(len(s["resps"][0]) if isinstance(s["resps"][0], list) else 1 for s in samples)
    return {"seconds": seconds, "samples": n, "score": result["results"][TASK]["exact_match,answer_tag"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="r1lit-tiny")
    parser.add_argument("--problems", type=int, default=50)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=0.6)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--batch-size", type=int, default=64, help="lm-eval's --batch_size (sequences per call)")
    parser.add_argument("--threads", type=int, default=2, help="OMP_NUM_THREADS of both processes")
    args = parser.parse_args()

    from r1lit.models import resolve_model_path

    model_path = resolve_model_path(args.model)  # builds r1lit-tiny first if needed: not timed
    env = os.environ | {"OMP_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false",
                        "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="r1lit-bench-eval-") as tmp:
        work = Path(tmp)
        ours = run_ours(args, work, env)
        theirs = run_lm_eval(args, work, env, model_path)
    expected = args.problems * args.k
    if ours["samples"] != expected or ours["generated"] != expected or theirs["samples"] != expected:
        sys.exit(f"sample counts differ from {expected}: ours {ours}, lm-eval {theirs}")
    print(f"model {model_path}; {args.problems} problems x {args.k} samples, {args.max_new_tokens} new tokens, "
          f"T {args.temperature}, top-p {args.top_p}, OMP_NUM_THREADS={args.threads}")  # fmt: skip
    print(f"{'harness':<22}{'end-to-end s':>14}{'samples':>9}{'samples/s':>11}{'score':>8}")
    for name, r in (("r1lit-eval (hf)", ours), ("lm-eval 0.4 (hf)", theirs)):
        print(f"{name:<22}{r['seconds']:>14.1f}{r['samples']:>9}{r['samples'] / r['seconds']:>11.2f}{r['score']:>8.3f}")
    print(f"(r1lit-eval generation alone: {ours['gen_seconds']:.1f} s)")
    speedup = theirs["seconds"] / ours["seconds"]
    print(f"RESULT speedup_vs_lm_eval={speedup:.2f} samples_per_s={expected / ours['seconds']:.2f}")


if __name__ == "__main__":
    main()
