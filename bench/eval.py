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
  the `<answer>` tag's content. Run twice: at our batch size (`--batch_size 64`, the fair comparison,
  `speedup_vs_lm_eval` in the RESULT line) and at lm-eval's default `--batch_size 1` (how lm-eval runs
  when not told otherwise, `speedup_vs_lm_eval_batch1`; skip with `--skip-default-batch`).

Where the time goes on our side (CPU seconds, r1lit-tiny, OMP_NUM_THREADS=1, 2-core machine; `python -X
importtime`, cProfile and strace -tt of the r1lit-eval command below): of ~4.7 s, about 3 are importing
torch + transformers' Qwen2 modeling code and loading it (transformers itself pulls in torch._dynamo,
torch.distributed, scipy and accelerate, whatever the model; loading `modeling_qwen2` directly imports
the same modules, so the auto classes stay); hydra composes the config twice (~0.3); generation is
about 1, grading and writing results + report.html about 0.3. r1lit's own imports are lazy (no sympy,
math-verify, Lightning, pandas or datasets on this path). Start-up work removed (eval/process.py), each
changing no result: the cyclic GC is paused during start-up and start-up objects are frozen without a
full collection (seven full collections over ~630k objects -> none); transformers' table of lazy imports,
which it otherwise rebuilds in every process by reading ~3,400 source files, is read from a disk cache
(r1lit/transformers_index.py; the first run on a machine builds it); the process exits without the
interpreter's module teardown once results are written. Measured 2026-12-07, three runs each, same
machine and load: 5.8-6.5 s and 2.76-2.89x lm-eval before the last two, 4.6-4.8 s and 3.64-3.79x after.

Scores are printed as a sanity check, not compared: the two graders differ (our shared grader vs
lm-eval's regex + exact match) and samples differ (different RNG streams).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def timed(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one subprocess and its children, start to exit; output to `log`; fails loudly.

    CPU seconds (user + system) are reported beside wall time because the machine is shared: wall
    time grows with other people's load, CPU time much less.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"{cmd[:3]} exited with {proc.returncode}; see {log}:\n{log.read_text()[-3000:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_ours(args: argparse.Namespace, work: Path, env: dict[str, str]) -> dict:
    out = work / "ours"
    cmd = [
        sys.executable,
        "-m",
        "r1lit_eval.cli",
        f"model.name_or_path={args.model}",
        "benchmarks=[synthetic]",
        f"benchmark.synthetic.loader.n={args.problems}",
        f"sampling.k={args.k}",
        f"sampling.max_new_tokens={args.max_new_tokens}",
        f"sampling.temperature={args.temperature}",
        f"sampling.top_p={args.top_p}",
        f"output_dir={out}",
        f"cache_dir={work / 'ours-cache'}",
        f"batch_size={args.batch_size}",
        f"generator.hf.max_batch_size={args.batch_size}",
        "progress=false",
    ]
    seconds, cpu = timed(cmd, env, work / "ours.log")
    s = json.loads((out / "results.json").read_text())["benchmarks"]["synthetic"]
    return {
        "seconds": seconds,
        "cpu": cpu,
        "samples": s["n_samples"],
        "score": s["pass@1"],
        "generated": s["n_generated"],
        "gen_seconds": s["generation_seconds"],
    }


def run_lm_eval(
    args: argparse.Namespace, work: Path, env: dict[str, str], model_path: str, batch_size: int
) -> dict:
    tasks = work / f"lm_eval_tasks_bs{batch_size}"
    tasks.mkdir()
    data = tasks / "synthetic.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in problems(args.problems)))
    (tasks / f"{TASK}.yaml").write_text(
        TASK_YAML.format(
            task=TASK,
            data=data,
            k=args.k,
            temperature=args.temperature,
            top_p=args.top_p,
            max_new=args.max_new_tokens,
        )
    )
    out = work / f"lm_eval_out_bs{batch_size}"
    # left unformatted: each flag stays beside its value
    cmd = [sys.executable, "-m", "lm_eval", "--model", "hf",
           "--model_args", f"pretrained={model_path},dtype=float32", "--device", "cpu",
           "--tasks", TASK, "--include_path", str(tasks), "--batch_size", str(batch_size),
           "--output_path", str(out), "--log_samples", "--seed", "0"]  # fmt: skip
    seconds, cpu = timed(cmd, env, work / f"lm_eval_bs{batch_size}.log")
    result = json.loads(next(out.rglob("results_*.json")).read_text())
    samples = [
        json.loads(line) for f in out.rglob(f"samples_{TASK}_*.jsonl") for line in f.read_text().splitlines()
    ]
    n = sum(len(s["resps"][0]) if isinstance(s["resps"][0], list) else 1 for s in samples)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "samples": n,
        "score": result["results"][TASK]["exact_match,answer_tag"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="r1lit-tiny")
    parser.add_argument("--problems", type=int, default=50)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=0.6)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="sequences per generate call, both sides (r1lit-eval's default; lm-eval's --batch_size)",
    )
    parser.add_argument(
        "--skip-default-batch",
        action="store_true",
        help="skip the second lm-eval run at its default --batch_size 1",
    )
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of both processes")
    args = parser.parse_args()

    from r1lit.models import resolve_model_path

    model_path = resolve_model_path(args.model)  # builds r1lit-tiny first if needed: not timed
    env = os.environ | {
        "OMP_NUM_THREADS": str(args.threads),
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    expected = args.problems * args.k
    rows = []
    with tempfile.TemporaryDirectory(prefix="r1lit-bench-eval-") as tmp:
        work = Path(tmp)
        ours = run_ours(args, work, env)
        rows.append((f"r1lit-eval hf, batch {args.batch_size}", ours))
        theirs = run_lm_eval(args, work, env, model_path, args.batch_size)
        rows.append((f"lm-eval hf, batch {args.batch_size}", theirs))
        if not args.skip_default_batch:
            rows.append(("lm-eval hf, batch 1", run_lm_eval(args, work, env, model_path, 1)))
    for name, r in rows:
        if r["samples"] != expected or r.get("generated", expected) != expected:
            sys.exit(f"{name}: {r['samples']} samples, expected {expected}")
    print(
        f"model {model_path}; {args.problems} problems x {args.k} samples, {args.max_new_tokens} new tokens, "
        f"T {args.temperature}, top-p {args.top_p}, OMP_NUM_THREADS={args.threads}"
    )
    print(f"{'harness':<28}{'end-to-end s':>13}{'CPU s':>8}{'samples':>9}{'samples/s':>11}{'score':>7}")
    for name, r in rows:
        print(
            f"{name:<28}{r['seconds']:>13.1f}{r['cpu']:>8.1f}{r['samples']:>9}"
            f"{r['samples'] / r['seconds']:>11.2f}{r['score']:>7.3f}"
        )
    print(
        f"(r1lit-eval generation alone: {ours['gen_seconds']:.1f} s wall; load average at the end "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    for name, r in rows[1:]:
        print(
            f"speedup vs {name}: {r['seconds'] / ours['seconds']:.2f}x wall, {r['cpu'] / ours['cpu']:.2f}x CPU"
        )
    speedup = theirs["seconds"] / ours["seconds"]  # against lm-eval at the same batch size
    extra = (
        f" speedup_vs_lm_eval_batch1={rows[2][1]['seconds'] / ours['seconds']:.2f}" if len(rows) > 2 else ""
    )
    print(f"RESULT speedup_vs_lm_eval={speedup:.2f}{extra} samples_per_s={expected / ours['seconds']:.2f}")


if __name__ == "__main__":
    main()
