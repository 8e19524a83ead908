"""Run one benchmark end to end: problems -> cached generation -> grading -> per-sample JSONL -> metrics.

The runner is backend-agnostic: it only calls `Generator.generate(prompts, SamplingParams)`.
Generation goes through the `GenerationCache`, one generate call (a "batch") at a time, and every
finished batch is flushed to disk before the next starts, so an interrupted run resumes where it
stopped without regenerating a single finished sample.

Data parallelism: `shard_index`/`shard_count` keep problems whose position `i % shard_count ==
shard_index`; each shard writes `<bench>.shard-<i>-of-<n>.jsonl` and `merge_shards` rebuilds the full
results from those files (metrics are always recomputed from per-sample records, never averaged).

The model's context caps every sample's budget (`r1lit.rollout.context`): each sample records the
budget it had (`max_new_tokens`) and how many prompt tokens were dropped (`prompt_truncated`), and the
summary's `context` block says how many samples the cap cut (warned once per benchmark).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from r1lit_eval.benchmarks.base import Benchmark, Problem, SampleGrade
from r1lit_eval.cache import GenerationCache, prompt_key

from r1lit.evaluation.results import save_results, write_samples
from r1lit.evaluation.rows import sample_row
from r1lit.evaluation.summary import check_sandbox_health, summarize
from r1lit.io import read_jsonl
from r1lit.rollout.base import Generator, Prompt, SamplingParams
from r1lit.rollout.fields import check_types, require

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How to run one benchmark (filled from the config by the CLI)."""

    k: int  # samples per problem
    params: SamplingParams  # `n` is ignored: the runner asks for the missing samples only
    batch_size: int = 256  # sequences per generate call; the cache is flushed after each call
    response_prefix: str = ""  # e.g. "<think>\n": forced start of every response
    limit: int | None = None  # first `limit` problems only (before sharding)
    shard_index: int = 0
    shard_count: int = 1
    progress: bool = True
    bootstrap_samples: int = 1000
    seed: int = 0  # for the bootstrap
    grade_workers: int = 1  # threads grading samples at once (code samples run in their own processes)

    def __post_init__(self) -> None:
        check_types(self)
        require(self, "k", self.k >= 1, "an int >= 1 (samples per problem)")
        require(self, "grade_workers", self.grade_workers >= 1, "an int >= 1 or null (one per CPU core)")
        require(self, "batch_size", self.batch_size >= 1, "an int >= 1")
        require(self, "limit", self.limit is None or self.limit >= 1, "an int >= 1 or null (all problems)")
        require(self, "shard_count", self.shard_count >= 1, "an int >= 1")
        require(
            self,
            "shard_index",
            0 <= self.shard_index < self.shard_count,
            f"null or 0 <= index < shard.count={self.shard_count}",
        )
        require(self, "bootstrap_samples", self.bootstrap_samples >= 0, "an int >= 0")


def shard_suffix(index: int, count: int) -> str:
    """File-name suffix of a shard ("" when not sharded)."""
    return "" if count == 1 else f".shard-{index}-of-{count}"


def select_problems(problems: Sequence[Problem], limit: int | None, index: int, count: int) -> list[Problem]:
    """The first `limit` problems, then every `count`-th starting at `index`."""
    chosen = list(problems[:limit] if limit else problems)
    return [p for i, p in enumerate(chosen) if i % count == index]


def render(prompt: Prompt, tokenizer: Any) -> str:
    """Chat messages as the text the model sees: the chat template with the generation prompt on, without
    a leading BOS the tokenizer would add again."""
    text = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    bos = getattr(tokenizer, "bos_token", None)
    return text[len(bos) :] if bos and text.startswith(bos) else text


def with_prefix(prompt: Prompt, prefix: str, tokenizer: Any | None) -> Prompt:
    """The prompt with the response forced to begin with `prefix`.

    Chat messages are rendered with the tokenizer's chat template (`render`) and the prefix appended,
    giving raw text. A prompt that already ends with the prefix (a template that opens `<think>` itself,
    DeepSeek-R1-Distill style) gets no second copy: the response still begins with `prefix`, which is
    what the sample rows record and grading sees.
    """
    from r1lit.chat_template import add_response_prefix, require_chat_template

    if not isinstance(prompt, str) and tokenizer is not None:  # fail here, not inside generation
        model = str(getattr(tokenizer, "name_or_path", "") or "the model")
        require_chat_template(
            tokenizer, model, "loader.template=chat", "set the benchmark's loader.template=raw"
        )
    if not prefix:
        return prompt
    if isinstance(prompt, str):
        return add_response_prefix(prompt, prefix)
    if tokenizer is None:
        raise ValueError("force_think on chat prompts needs a tokenizer (to render the chat template)")
    return add_response_prefix(render(prompt, tokenizer), prefix)


def row_prefix(prompt: Prompt, prefix: str, tokenizer: Any | None) -> str:
    """How the response begins before its completion: the run's `prefix` (force_think), else the think
    block the rendered prompt already opened (`r1lit.chat_template.prefilled`; DeepSeek-R1-Distill and
    Qwen3-style templates), so the rows, report.html, rescoring and grading all see the turn as produced.

    Chat messages without a tokenizer (a scripted generator) cannot be rendered: "".
    """
    from r1lit.chat_template import prefilled

    if prefix:
        return prefix
    if isinstance(prompt, str):
        return prefilled(prompt)
    return prefilled(render(prompt, tokenizer)) if tokenizer is not None else ""


def _batches(problems: list[Problem], keys: list[str], cache: GenerationCache, k: int, size: int):
    """Yield lists of (problem index, missing sample indices) holding about `size` sequences each."""
    batch, count = [], 0
    for i, key in enumerate(keys):
        missing = cache.missing(key, k)
        if not missing:
            continue
        batch.append((i, missing))
        count += len(missing)
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def check_prompt_lengths(
    name: str,
    problems: Sequence[Problem],
    prompts: Sequence[Prompt],
    tokenizer: Any | None,
    context: int | None,
    overflow: str,
) -> None:
    """Under `prompt_overflow=fail`, name every problem whose prompt leaves no room in the context, before
    generating anything (the generator would stop at the first one)."""
    if tokenizer is None or context is None or overflow != "fail":
        return
    from r1lit.rollout.context import PromptTooLongError
    from r1lit.rollout.hf import encode_prompt

    lengths = {p.id: len(encode_prompt(tokenizer, q)) for p, q in zip(problems, prompts, strict=True)}
    over = {pid: n for pid, n in lengths.items() if n >= context}
    if over:
        shown = dict(list(over.items())[:5])
        raise PromptTooLongError(
            f"{name}: {len(over)} of {len(problems)} prompts do not fit the model's context of {context} "
            f"positions (prompt tokens: {shown}); set sampling.prompt_overflow=left_truncate to drop their "
            "oldest tokens (recorded per sample), or use a model with a longer context"
        )


def generate_missing(
    name: str,
    problems: list[Problem],
    prompts: list[Prompt],
    keys: list[str],
    generator: Generator,
    cache: GenerationCache,
    opts: RunOptions,
) -> int:
    """Generate every sample not in the cache; returns how many were generated."""
    total = sum(len(cache.missing(key, opts.k)) for key in keys)
    if total == 0:
        return 0
    from tqdm.auto import tqdm

    done = 0
    with tqdm(total=total, desc=f"{name} generate", unit="sample", disable=not opts.progress) as bar:
        for batch in _batches(problems, keys, cache, opts.k, opts.batch_size):
            by_count: dict[int, list[tuple[int, list[int]]]] = {}
            for item in batch:  # one generate call per distinct number of missing samples
                by_count.setdefault(len(item[1]), []).append(item)
            records = []
            for n, items in by_count.items():
                outs = generator.generate([prompts[i] for i, _ in items], replace(opts.params, n=n))
                for (i, missing), comps in zip(items, outs, strict=True):
                    for idx, comp in zip(missing, comps, strict=True):
                        records.append(
                            {
                                "key": keys[i],
                                "idx": idx,
                                "text": comp.text,
                                "finish_reason": comp.finish_reason,
                                "n_tokens": len(comp.token_ids),
                                "n_prompt_tokens": len(comp.prompt_token_ids),
                                "max_new_tokens": comp.max_new_tokens,
                                "prompt_truncated": comp.prompt_truncated,
                            }
                        )
            cache.add(records)
            done += len(records)
            bar.update(len(records))
    return done


def grade_samples(
    name: str,
    bench: Benchmark,
    problems: list[Problem],
    prompts: list[Prompt],
    keys: list[str],
    cache: GenerationCache,
    opts: RunOptions,
    prefixes: Sequence[str],
) -> list[dict[str, Any]]:
    """One row (`r1lit.evaluation.rows`, the per-sample JSONL) for each of the k samples of each problem.

    `prefixes[i]` starts problem i's responses (`row_prefix`): recorded as the rows' `response_prefix`
    and graded in front of the completion.

    Samples are graded by `opts.grade_workers` threads: a code sample spends its time in its own
    sandboxed process and a hard math answer in a grader worker process, so threads run them in parallel.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    jobs = [(i, idx) for i in range(len(problems)) for idx in range(opts.k)]
    gens = {}
    for i, idx in jobs:
        gens[i, idx] = cache.get(keys[i], idx)
        if gens[i, idx] is None:
            raise RuntimeError(
                f"{name}: sample {idx} of {problems[i].id} missing from the cache after generation"
            )

    def one(job: tuple[int, int]) -> SampleGrade:
        return bench.grade(problems[job[0]], prefixes[job[0]] + gens[job]["text"])

    bar = tqdm(total=len(jobs), desc=f"{name} grade", unit="sample", disable=not opts.progress)
    with bar, ThreadPoolExecutor(max_workers=opts.grade_workers) as pool:
        verdicts = []
        for verdict in pool.map(one, jobs):  # in job order
            verdicts.append(verdict)
            bar.update(1)
    return [
        sample_row(
            name,
            problems[i].id,
            idx,
            problems[i].kind,
            problems[i].gold,
            verdict,
            gens[i, idx],
            prompt=prompts[i],
            response_prefix=prefixes[i],
        )
        for (i, idx), verdict in zip(jobs, verdicts, strict=True)
    ]


def context_summary(
    name: str, rows: Sequence[dict[str, Any]], requested: int, context: int | None, warn: bool = True
) -> dict[str, Any]:
    """The `context` block of a summary: the budget the model's context left, and how many samples it cut.

    With `warn`, logs one warning (per benchmark) when the cap cut any sample's budget or truncated
    any prompt; merging shards recomputes the block without warning again.
    """
    budgets = [r["max_new_tokens"] for r in rows if r.get("max_new_tokens") is not None]
    block = {
        "max_context": context,
        "max_new_tokens": requested,
        "n_capped": sum(b < requested for b in budgets),
        "n_prompt_truncated": sum(1 for r in rows if r.get("prompt_truncated")),
        "budget_min": min(budgets, default=None),
        "budget_max": max(budgets, default=None),
    }
    if warn and (block["n_capped"] or block["n_prompt_truncated"]):
        log.warning(
            "%s: the model's context (%s positions) capped %d of %d samples below max_new_tokens=%d "
            "(budgets %s-%s new tokens; finish reason 'length' when reached); %d samples from left-truncated prompts",
            name,
            context,
            block["n_capped"],
            len(rows),
            requested,
            block["budget_min"],
            block["budget_max"],
            block["n_prompt_truncated"],
        )
    return block


def problem_rows(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """What rescoring needs to re-grade without the data source: id, gold, kind, meta."""
    return [{"problem_id": p.id, "gold": p.gold, "kind": p.kind, "meta": p.meta} for p in problems]


def run_benchmark(
    name: str,
    bench: Benchmark,
    generator: Generator,
    cache: GenerationCache,
    opts: RunOptions,
    out_dir: str | Path,
    tokenizer: Any | None = None,
    problems: Sequence[Problem] | None = None,
) -> dict[str, Any]:
    """Evaluate `bench` with `generator`; write samples and problems JSONL; return the metrics summary.

    `problems` are `bench.load()`'s, when the caller loaded them already (to check the data before
    loading a model); None loads them here.
    """
    start = time.perf_counter()
    loaded = bench.load() if problems is None else problems
    problems = select_problems(loaded, opts.limit, opts.shard_index, opts.shard_count)
    if not problems:
        raise ValueError(
            f"{name}: no problems selected (limit={opts.limit}, shard {opts.shard_index}/{opts.shard_count})"
        )
    prompts = [with_prefix(p.prompt, opts.response_prefix, tokenizer) for p in problems]
    context = getattr(generator, "max_context", None)
    check_prompt_lengths(name, problems, prompts, tokenizer, context, opts.params.prompt_overflow)
    keys = [prompt_key(p, opts.params, opts.response_prefix, context) for p in prompts]
    cached_before = sum(opts.k - len(cache.missing(key, opts.k)) for key in keys)
    gen_start = time.perf_counter()
    generated = generate_missing(name, problems, prompts, keys, generator, cache, opts)
    gen_seconds = time.perf_counter() - gen_start
    prefixes = [row_prefix(p, opts.response_prefix, tokenizer) for p in prompts]
    rows = grade_samples(name, bench, problems, prompts, keys, cache, opts, prefixes)
    suffix = shard_suffix(opts.shard_index, opts.shard_count)
    write_samples(out_dir, name, rows, problem_rows(problems), suffix)
    # after the samples are on disk: a broken sandbox fails, never scores 0 %
    check_sandbox_health(rows, name)
    summary = summarize(rows, opts.k, n_boot=opts.bootstrap_samples, seed=opts.seed)
    summary.update(
        n_generated=generated,
        n_cached=cached_before,
        generation_seconds=round(gen_seconds, 3),
        wall_seconds=round(time.perf_counter() - start, 3),
        samples_per_second=round(generated / gen_seconds, 3) if generated and gen_seconds > 0 else None,
        source=getattr(bench, "provenance", {}),
        sampling={**asdict(opts.params), "n": opts.k},
        response_prefix=opts.response_prefix,
        shard=[opts.shard_index, opts.shard_count],
        context=context_summary(name, rows, opts.params.max_new_tokens, context),
    )
    log.info(
        "%s: pass@1 %.4f over %d problems x %d samples (%d generated, %d cached)",
        name,
        summary["pass@1"],
        summary["n_problems"],
        opts.k,
        generated,
        cached_before,
    )
    return summary


# ---------------------------------------------------------------- shard merging (results files: r1lit.evaluation.results)


def merge_shards(out_dir: str | Path, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Combine `results.shard-*-of-N.json` and their sample files into `results.json` + `samples/<bench>.jsonl`.

    Metrics are recomputed over the union of all shards' samples; counters (generated, cached) are summed.
    """
    out = Path(out_dir)
    parts = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("results.shard-*-of-*.json"))]
    if not parts:
        raise FileNotFoundError(f"no results.shard-*-of-*.json in {out}: nothing to merge")
    count = parts[0]["shard"][1]
    found = sorted(p["shard"][0] for p in parts)
    if found != list(range(count)):
        raise ValueError(
            f"{out}: expected shards 0..{count - 1}, found {found}; rerun the missing ones first"
        )
    merged = {k: v for k, v in parts[0].items() if k != "benchmarks"} | {
        "shard": [0, 1],
        "merged_from": count,
    }
    merged["benchmarks"] = {}
    for name, first in parts[0]["benchmarks"].items():
        rows, problems = [], []
        for i in range(count):
            rows += read_jsonl(out / "samples" / f"{name}{shard_suffix(i, count)}.jsonl")
            problems += read_jsonl(out / "samples" / f"{name}{shard_suffix(i, count)}.problems.jsonl")
        write_samples(out, name, rows, problems)
        summary = {**first, **summarize(rows, first["k"], n_boot=n_boot, seed=seed), "shard": [0, 1]}
        if "context" in first:  # counts over every shard's samples
            ctx = first["context"]
            summary["context"] = context_summary(
                name, rows, ctx["max_new_tokens"], ctx["max_context"], warn=False
            )
        for key in ("n_generated", "n_cached", "generation_seconds"):
            summary[key] = sum(p["benchmarks"][name].get(key) or 0 for p in parts)
        merged["benchmarks"][name] = summary
    save_results(merged, out)
    return merged
