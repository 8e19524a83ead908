"""The runner with a scripted generator: outputs, resume after an interruption, sharding + merge, prefixes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from r1lit_eval.benchmarks.base import Problem, SampleGrade
from r1lit_eval.cache import GenerationCache
from r1lit_eval.runner import (
    RunOptions,
    merge_shards,
    run_benchmark,
    select_problems,
    with_prefix,
)

from r1lit.evaluation.results import save_results
from r1lit.grading import grade
from r1lit.io import read_jsonl
from r1lit.rollout.base import SamplingParams
from r1lit.rollout.fake import ScriptedGenerator


class ToyBench:
    """Problem i has gold answer i."""

    name = "toy"

    def __init__(self, n: int = 6) -> None:
        self.n = n

    def load(self) -> list[Problem]:
        return [Problem(id=f"p{i}", prompt=f"What is {i}?", gold=str(i), kind="int") for i in range(self.n)]

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        v = grade(completion, problem.gold, kind="int")
        return SampleGrade(v.correct, v.pred, v.status)


def answer_even_samples(prompt: str, j: int) -> str:
    """Sample j is right for even j, wrong for odd j."""
    i = int(prompt.split()[-1].rstrip("?"))
    return f"so \\boxed{{{i if j % 2 == 0 else i + 100}}}"


class Counting:
    """Wraps a generator, counts requested sequences, optionally raises on call number `fail_on`."""

    def __init__(self, inner, fail_on: int | None = None) -> None:
        self.inner, self.fail_on, self.calls, self.sequences = inner, fail_on, 0, 0

    def generate(self, prompts, params):
        self.calls += 1
        if self.calls == self.fail_on:
            raise KeyboardInterrupt("simulated Ctrl-C")
        self.sequences += len(prompts) * params.n
        return self.inner.generate(prompts, params)


def opts(**kw) -> RunOptions:
    base = dict(k=4, params=SamplingParams(temperature=0.6, top_p=0.95, max_new_tokens=32, seed=0), batch_size=8,
                progress=False, bootstrap_samples=50)  # fmt: skip
    return RunOptions(**(base | kw))


def test_outputs_and_metrics(tmp_path: Path) -> None:
    summary = run_benchmark(
        "toy",
        ToyBench(),
        ScriptedGenerator(answer_even_samples),
        GenerationCache(tmp_path / "c"),
        opts(),
        tmp_path,
    )
    assert summary["pass@1"] == 0.5 and summary["n_generated"] == 24 and summary["n_cached"] == 0
    assert summary["cons@k"] == 1.0  # 2 right vs 2 wrong per problem: a tie goes to the first cluster (right)
    rows = read_jsonl(tmp_path / "samples" / "toy.jsonl")
    assert len(rows) == 24
    assert set(rows[0]) >= {"problem_id", "sample_idx", "prompt", "completion", "pred", "correct", "status",
                            "n_tokens", "finish_reason", "gold"}  # fmt: skip
    assert rows[1]["pred"] == "100" and rows[1]["correct"] is False
    problems = read_jsonl(tmp_path / "samples" / "toy.problems.jsonl")
    assert [p["gold"] for p in problems] == [str(i) for i in range(6)]


def test_interrupted_run_resumes_without_regenerating(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first = Counting(ScriptedGenerator(answer_even_samples), fail_on=3)  # dies during the 3rd batch
    with pytest.raises(KeyboardInterrupt):
        run_benchmark("toy", ToyBench(), first, GenerationCache(cache_dir), opts(), tmp_path)
    done = len(GenerationCache(cache_dir))
    assert done == first.sequences == 16  # two batches of 8 were flushed before the interruption
    regen = Counting(ScriptedGenerator(lambda p, j: "REGENERATED \\boxed{0}"))
    summary = run_benchmark("toy", ToyBench(), regen, GenerationCache(cache_dir), opts(), tmp_path)
    assert regen.sequences == 24 - done  # only the missing samples
    assert summary["n_cached"] == done and summary["n_generated"] == 24 - done
    rows = read_jsonl(tmp_path / "samples" / "toy.jsonl")
    assert sum("REGENERATED" in r["completion"] for r in rows) == 24 - done
    again = Counting(ScriptedGenerator(answer_even_samples))
    run_benchmark("toy", ToyBench(), again, GenerationCache(cache_dir), opts(), tmp_path)
    assert again.calls == 0  # everything cached


def test_partial_problems_get_only_their_missing_samples(tmp_path: Path) -> None:
    cache = GenerationCache(tmp_path / "c")
    run_benchmark("toy", ToyBench(2), ScriptedGenerator(answer_even_samples), cache, opts(k=2), tmp_path)
    gen = Counting(ScriptedGenerator(answer_even_samples))
    summary = run_benchmark("toy", ToyBench(2), gen, cache, opts(k=5), tmp_path)  # k 2 -> 5: 3 more each
    assert gen.sequences == 6 and summary["n_samples"] == 10


def test_shards_merge_to_the_unsharded_result(tmp_path: Path) -> None:
    gen = ScriptedGenerator(answer_even_samples)
    whole = run_benchmark(
        "toy", ToyBench(7), gen, GenerationCache(tmp_path / "c1"), opts(), tmp_path / "whole"
    )
    out = tmp_path / "sharded"
    for i in range(3):
        summary = run_benchmark(
            "toy",
            ToyBench(7),
            gen,
            GenerationCache(tmp_path / "c2", f"s{i}"),
            opts(shard_index=i, shard_count=3),
            out,
        )
        save_results({"model": {}, "shard": [i, 3], "benchmarks": {"toy": summary}}, out, f".shard-{i}-of-3")
    merged = merge_shards(out, n_boot=50)["benchmarks"]["toy"]
    for key in ("pass@1", "pass@k", "cons@k", "n_problems", "n_samples", "pass@1_ci95"):
        assert merged[key] == whole[key], key
    assert merged["n_generated"] == 28


def test_merge_refuses_missing_shards(tmp_path: Path) -> None:
    save_results({"shard": [0, 2], "benchmarks": {}}, tmp_path, ".shard-0-of-2")
    with pytest.raises(ValueError, match="expected shards 0..1"):
        merge_shards(tmp_path)


def test_select_problems_limit_then_shard() -> None:
    problems = ToyBench(10).load()
    assert [p.id for p in select_problems(problems, 5, 1, 2)] == ["p1", "p3"]
    assert len(select_problems(problems, None, 0, 1)) == 10


def test_with_prefix_renders_chat_and_appends_think() -> None:
    from r1lit.rollout.testing import char_tokenizer

    tok = char_tokenizer()
    chat = [{"role": "user", "content": "Q"}]
    assert (
        with_prefix(chat, "<think>\n", tok)
        == "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n"
    )
    assert with_prefix("raw Assistant:", "<think>\n", None) == "raw Assistant:<think>\n"
    assert with_prefix(chat, "", None) is chat


def test_prefix_is_part_of_the_graded_response(tmp_path: Path) -> None:
    class Seen(ToyBench):
        texts: list[str] = []

        def grade(self, problem, completion):
            self.texts.append(completion)
            return super().grade(problem, completion)

    bench = Seen(1)
    run_benchmark(
        "toy",
        bench,
        ScriptedGenerator(["\\boxed{0}"]),
        GenerationCache(tmp_path),
        opts(k=1, response_prefix="<think>\n"),
        tmp_path,
    )
    assert bench.texts == ["<think>\n\\boxed{0}"]


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="shard.index"):
        opts(shard_index=2, shard_count=2)
    with pytest.raises(ValueError, match="k"):
        opts(k=0)
    with pytest.raises(ValueError, match="grade_workers"):
        opts(grade_workers=0)


class SlowBench(ToyBench):
    """ToyBench whose grading takes 0.2 s of waiting (like a sandboxed program), recording overlaps."""

    def __init__(self, n: int = 6) -> None:
        super().__init__(n)
        self.active, self.most = 0, 0
        self.lock = threading.Lock()

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.2)
        with self.lock:
            self.active -= 1
        return super().grade(problem, completion)


def test_parallel_grading_overlaps_and_keeps_the_order(tmp_path: Path) -> None:
    serial = run_benchmark("toy", ToyBench(3), ScriptedGenerator(answer_even_samples),
                           GenerationCache(tmp_path / "c"), opts(k=2), tmp_path / "serial")  # fmt: skip
    bench = SlowBench(3)
    start = time.perf_counter()
    parallel = run_benchmark("toy", bench, ScriptedGenerator(answer_even_samples),
                             GenerationCache(tmp_path / "c"), opts(k=2, grade_workers=3), tmp_path / "par")  # fmt: skip
    assert bench.most == 3 and time.perf_counter() - start < 6 * 0.2  # 6 samples, 3 at a time
    par_rows = read_jsonl(tmp_path / "par" / "samples" / "toy.jsonl")
    assert par_rows == read_jsonl(tmp_path / "serial" / "samples" / "toy.jsonl")
    assert parallel["pass@1"] == serial["pass@1"] == 0.5
