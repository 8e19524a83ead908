"""Issue 12 §5: no sample is generated past the model's context, and the harness says so.

The rule itself (`r1lit.rollout.context`), the scripted backend that emulates it, and what the eval
runner records and reports (per sample, results.json, the metrics table, one warning).
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from r1lit_eval.benchmarks.base import Problem, SampleGrade
from r1lit_eval.cache import GenerationCache, prompt_key
from r1lit_eval.report import metrics_table
from r1lit_eval.runner import RunOptions, merge_shards, run_benchmark, shard_suffix

from r1lit.evaluation.results import save_results
from r1lit.io import read_jsonl
from r1lit.rollout.base import SamplingParams
from r1lit.rollout.context import PromptTooLongError, context_length, fit_to_context
from r1lit.rollout.fake import ScriptedGenerator
from r1lit.rollout.testing import char_tokenizer


class Bench:
    """Two problems whose prompts are 12 and 32 characters (the scripted backend's tokens)."""

    name = "ctx"

    def load(self) -> list[Problem]:
        return [Problem("short", "x" * 12, "1", "int"), Problem("long", "y" * 32, "1", "int")]

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        return SampleGrade(False, None, "no_answer")


def test_budget_is_the_room_the_context_leaves():
    assert fit_to_context(range(10), 100, 40).max_new_tokens == 30
    assert fit_to_context(range(10), 5, 40).max_new_tokens == 5
    assert fit_to_context(range(39), 100, 40).max_new_tokens == 1
    assert fit_to_context(range(10), 100, None).max_new_tokens == 100  # unknown context: no cap


def test_a_prompt_without_room_fails_or_is_left_truncated_as_configured():
    with pytest.raises(PromptTooLongError, match=r"40 tokens .* context of 40 positions.*left_truncate"):
        fit_to_context(range(40), 8, 40)
    cut = fit_to_context(list(range(50)), 8, 40, "left_truncate")
    assert cut.prompt_ids == list(range(18, 50)) and cut.prompt_truncated == 18  # the oldest tokens go
    assert cut.max_new_tokens == 8 and len(cut.prompt_ids) + cut.max_new_tokens == 40
    # a budget longer than the context keeps half the context for the prompt
    half = fit_to_context(list(range(50)), 1000, 40, "left_truncate")
    assert len(half.prompt_ids) == 20 and half.max_new_tokens == 20


def test_context_length_prefers_the_model_config_over_the_tokenizer():
    tok = SimpleNamespace(model_max_length=16384)
    assert context_length(SimpleNamespace(max_position_embeddings=131072), tok) == 131072
    assert context_length(SimpleNamespace(n_positions=1024), None) == 1024  # GPT-2 naming
    assert context_length(SimpleNamespace(), tok) == 16384
    assert context_length(SimpleNamespace(), SimpleNamespace(model_max_length=int(1e30))) is None


def test_sampling_params_reject_an_unknown_overflow_policy():
    with pytest.raises(
        ValueError, match=r"prompt_overflow='drop': expected one of \['fail', 'left_truncate'\]"
    ):
        SamplingParams(prompt_overflow="drop")


def test_scripted_backend_caps_each_prompt_at_the_context():
    gen = ScriptedGenerator(["z" * 50], max_context=20)
    short, long = (g[0] for g in gen.generate(["x" * 12, "y" * 17], SamplingParams(max_new_tokens=100)))
    assert (len(short.token_ids), short.finish_reason, short.max_new_tokens) == (8, "length", 8)
    assert (len(long.token_ids), long.max_new_tokens) == (3, 3)
    with pytest.raises(PromptTooLongError):
        gen.generate(["q" * 20], SamplingParams(max_new_tokens=4))


def test_runner_records_reports_and_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    gen = ScriptedGenerator(["z" * 50], max_context=40)
    opts = RunOptions(
        k=2, params=SamplingParams(max_new_tokens=16, seed=0), progress=False, bootstrap_samples=10
    )
    with caplog.at_level(logging.WARNING, logger="r1lit_eval.runner"):
        summary = run_benchmark("ctx", Bench(), gen, GenerationCache(tmp_path / "c"), opts, tmp_path)
    rows = {r["problem_id"]: r for r in read_jsonl(tmp_path / "samples" / "ctx.jsonl")}
    assert rows["short"]["max_new_tokens"] == 16 and rows["short"]["n_tokens"] == 16
    assert rows["long"]["max_new_tokens"] == 8 and rows["long"]["n_tokens"] == 8  # 32 + 8 = 40
    assert rows["long"]["finish_reason"] == "length" and rows["long"]["prompt_truncated"] == 0
    assert summary["context"] == {"max_context": 40, "max_new_tokens": 16, "n_capped": 2, "n_prompt_truncated": 0,
                                  "budget_min": 8, "budget_max": 16}  # fmt: skip
    warnings = [r.getMessage() for r in caplog.records if "context" in r.getMessage()]
    assert len(warnings) == 1 and "capped 2 of 4 samples below max_new_tokens=16" in warnings[0]
    headers, table = metrics_table({"benchmarks": {"ctx": summary}})
    assert table[0][headers.index("Max new tokens")] == "16 -> 8-16 (context 40)"


def test_merged_shards_count_the_capped_samples_of_every_shard(tmp_path: Path):
    gen = ScriptedGenerator(["z" * 50], max_context=40)
    for i in range(2):  # shard 0 holds the short prompt, shard 1 the long (capped) one
        opts = RunOptions(k=2, params=SamplingParams(max_new_tokens=16, seed=0), shard_index=i, shard_count=2,
                          progress=False, bootstrap_samples=10)  # fmt: skip
        summary = run_benchmark("ctx", Bench(), gen, GenerationCache(tmp_path / "c"), opts, tmp_path)
        save_results({"shard": [i, 2], "benchmarks": {"ctx": summary}}, tmp_path, shard_suffix(i, 2))
    merged = merge_shards(tmp_path, n_boot=10)["benchmarks"]["ctx"]["context"]
    assert (merged["n_capped"], merged["budget_min"], merged["budget_max"]) == (2, 8, 16)


def test_runner_names_every_too_long_prompt_before_generating(tmp_path: Path):
    tok = char_tokenizer()
    gen = ScriptedGenerator(["z"], tokenizer=tok, max_context=20)
    opts = RunOptions(k=1, params=SamplingParams(max_new_tokens=4), progress=False)
    with pytest.raises(PromptTooLongError, match=r"ctx: 1 of 2 prompts .* context of 20 positions \(prompt tokens: \{'long': 32\}\); set sampling.prompt_overflow=left_truncate"):  # fmt: skip
        run_benchmark("ctx", Bench(), gen, GenerationCache(tmp_path / "c"), opts, tmp_path, tokenizer=tok)
    assert gen.calls == []  # nothing generated (the short prompt either)


def test_left_truncated_prompts_are_recorded_per_sample(tmp_path: Path):
    gen = ScriptedGenerator(["z"], max_context=20)
    params = SamplingParams(max_new_tokens=4, seed=0, prompt_overflow="left_truncate")
    summary = run_benchmark("ctx", Bench(), gen, GenerationCache(tmp_path / "c"),
                            RunOptions(k=1, params=params, progress=False, bootstrap_samples=10), tmp_path)  # fmt: skip
    rows = {r["problem_id"]: r for r in read_jsonl(tmp_path / "samples" / "ctx.jsonl")}
    assert rows["long"]["prompt_truncated"] == 16 and rows["long"]["n_prompt_tokens"] == 16
    assert rows["short"]["prompt_truncated"] == 0 and summary["context"]["n_prompt_truncated"] == 1


def test_cache_key_depends_on_the_context_and_the_overflow_policy():
    params = SamplingParams(max_new_tokens=16)
    base = prompt_key("Q", params, "", 512)
    assert prompt_key("Q", params, "", 4096) != base  # where long samples stop differs
    assert (
        prompt_key("Q", SamplingParams(max_new_tokens=16, prompt_overflow="left_truncate"), "", 512) != base
    )
