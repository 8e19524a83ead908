"""Rejection sampling (DeepSeek-R1 §2.3.3; also how r1lit builds cold-start data, §2.3.1): a plain stage.

For each prompt, sample `sampling.n` completions from a checkpoint through the shared generator, keep
the verified-correct, readable ones (`r1lit.stages.filters`), and write them as SFT records that
`stage=sft data=traces_jsonl` reads directly:

    <output_dir>/traces.jsonl        {"id", "prompt", "response", "question", "answer", "prompt_id",
                                      "sample_index", "n_tokens", ...passthrough fields of the prompt}
    <output_dir>/progress.jsonl      one line per processed prompt: filter counts (what makes it resumable)
    <output_dir>/dataset_card.json   model, sampling parameters, filters and statistics (+ .md)

Resumable: prompts are processed in fixed chunks of `chunk_size`; after each chunk its kept traces are
appended (and flushed) before its progress lines. A rerun skips every chunk whose prompts all have a
progress line, re-samples a partly written chunk with the same seed (each chunk's seed depends only on
its index, so the samples are the same) and skips trace ids already written.

Budgets are capped by the model's context (`r1lit.rollout.context`, inside the generator): a capped
sample ends with finish reason "length" and is rejected like any truncated one; each progress line
counts its prompt's `capped` samples and whether the prompt was left-truncated (`prompt_truncated`,
tokens dropped, also on each trace), and the first chunk where the cap bites warns once with counts.

Responses are stored as the model produced the assistant turn: with chat prompts (stored as messages,
rendered by whichever template trains on them later) a `<think>` that the sampling model's chat template
prefilled (DeepSeek-R1-Distill style) is put back in front of the completion, so a student whose template
does not open the block still learns the opening tag; r1lit.data.tokenize takes it off again for a
template that does (one `<think>` either way). Raw-text prompts are stored as rendered, prefill
included, so their responses stay the completion alone.

Run it with `r1lit-train stage=rejection_sampling model.name_or_path=<checkpoint or run folder> data=synthetic`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from r1lit.chat_template import check_chat_template, prefilled, require_chat_template, uses_chat
from r1lit.data.sources import Record
from r1lit.io import append_jsonl, read_jsonl
from r1lit.prompts import build_prompt
from r1lit.rollout import Completion, Prompt, SamplingParams
from r1lit.rollout.context import count_capped, warn_capped_once
from r1lit.run_models import ModelOrRun
from r1lit.stages.dataset_card import write_card
from r1lit.stages.filters import TraceFilters, count_reasons, rejection_reasons
from r1lit.tasks import check

log = logging.getLogger(__name__)
TRACES, PROGRESS = "traces.jsonl", "progress.jsonl"
# prompt-record fields copied into every trace (besides question and answer)
PASSTHROUGH = ("task", "difficulty", "numbers", "target", "language", "source")


def chunk_seed(seed: int, chunk_index: int) -> int:
    """Sampling seed of one chunk: a function of its index only, so a resumed run re-samples identically."""
    return (seed * 1_000_003 + chunk_index) % (2**31)


def repair_torn_tail(path: Path) -> None:
    """Drop a partial last line left by a crash mid-write, so appends start on a fresh line."""
    if path.is_file() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
        text = path.read_text()
        path.write_text(text[: text.rfind("\n") + 1])


def chunks(records: list[Record], size: int) -> Iterator[tuple[int, list[Record]]]:
    """(chunk index, records) in fixed positions of the full prompt list."""
    for i in range(0, len(records), size):
        yield i // size, records[i : i + size]


def trace_records(
    record: Record,
    prompt: Prompt,
    group: Sequence[Completion],
    reasons: Sequence[str | None],
    prefill: str = "",
) -> list[dict[str, Any]]:
    """The SFT records of one prompt's kept completions; `prefill` (the `<think>` a chat template opened,
    which the stored messages do not hold) starts each response."""
    extra = {k: record[k] for k in PASSTHROUGH if k in record}
    return [
        {
            "id": f"{record['id']}-s{j}",
            "prompt_id": str(record["id"]),
            "prompt": prompt,
            "response": prefill + c.text,
            "question": record["question"],
            "answer": str(record["answer"]),
            "sample_index": j,
            "n_tokens": len(c.token_ids),
            "prompt_truncated": c.prompt_truncated,
            **extra,
        }
        for j, (c, reason) in enumerate(zip(group, reasons, strict=True))
        if reason is None
    ]


def progress_line(
    record: Record,
    chunk: int,
    group: Sequence[Completion],
    reasons: list[str | None],
    kind: str,
    max_new_tokens: int,
) -> dict[str, Any]:
    """What the dataset card aggregates for one prompt (sample accuracy is graded independently of filters)."""
    correct = sum(check(record, c.text, kind=kind).correct for c in group)  # the task's one check
    capped, _ = count_capped(group, max_new_tokens)
    return {
        "id": str(record["id"]),
        "chunk": chunk,
        "n_samples": len(group),
        "n_correct": correct,
        "tokens": sum(len(c.token_ids) for c in group),
        "counts": dict(count_reasons(reasons)),
        "capped": capped,
        "prompt_truncated": group[0].prompt_truncated if group else 0,
    }


def load_generator(
    model_name_or_path: str,
    revision: str | None,
    dtype: str,
    device: str,
    rollout: dict[str, Any],
    template: str | None = None,
) -> tuple[Any, Any]:
    """(generator, tokenizer) for the checkpoint: any source `r1lit.run_models` loads (a training run
    folder stands for its HF export; a `.ckpt` is its base model with its trained weights). vLLM loads
    the weights itself from the resolved folder.

    A chat `template` with a tokenizer that has no chat template fails before the weights load where the
    tokenizer files tell (`check_chat_template`), else once the tokenizer is loaded.
    """
    from r1lit.models import load_tokenizer
    from r1lit.rollout import build_generator
    from r1lit.run_models import is_lightning_checkpoint, load_model_and_tokenizer, resolve_model_source

    opts = {k: v for k, v in rollout.items() if k != "backend"}
    check_chat_template(model_name_or_path, template, "data.template", "r1_zero", revision)
    source = resolve_model_source(model_name_or_path)
    if rollout["backend"] == "vllm":
        if is_lightning_checkpoint(source):
            raise ValueError(
                f"rollout.backend=vllm needs an HF model folder, not {model_name_or_path}; give the run "
                "folder (its hf/ export) or use rollout.backend=hf for a .ckpt"
            )
        tokenizer = load_tokenizer(source, revision)
        generator = build_generator("vllm", source, tokenizer, **opts)
    else:
        model, tokenizer = load_model_and_tokenizer(source, revision, dtype, device)
        generator = build_generator(rollout["backend"], model.eval(), tokenizer, **opts)
    if uses_chat(template):  # a source whose files could not tell (a hub id not cached, a .ckpt)
        fix = "set data.template=r1_zero (a plain-text template) or use a model whose tokenizer has one"
        require_chat_template(tokenizer, model_name_or_path, f"data.template={template}", fix)
    return generator, tokenizer


def rendered(tokenizer: Any, prompt: Prompt) -> str:
    """The prompt text the model saw (chat messages through the chat template)."""
    if isinstance(prompt, str):
        return prompt
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


def sample_chunk(
    generator: Any,
    tokenizer: Any,
    records: list[Record],
    index: int,
    template: str,
    sampling: SamplingParams,
    filters: TraceFilters,
    seed: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Sample and filter one chunk; returns (kept trace records, progress lines)."""
    prompts = [build_prompt(template, r["question"]) for r in records]
    groups = generator.generate(prompts, dataclasses.replace(sampling, seed=chunk_seed(seed, index)))
    warn_capped_once(
        "rejection sampling",
        [c for g in groups for c in g],
        sampling.max_new_tokens,
        getattr(generator, "max_context", None),
    )
    traces, progress = [], []
    for record, prompt, group in zip(records, prompts, groups, strict=True):
        text = rendered(tokenizer, prompt)
        reasons = rejection_reasons(
            [c.text for c in group],
            [len(c.token_ids) for c in group],
            [c.finish_reason == "length" for c in group],
            prompt=text,
            answer=record.get("answer"),
            filters=filters,
            question=record["question"],
            record=record,
        )
        # a raw prompt is stored as rendered, its prefill included; chat messages are not
        prefill = "" if isinstance(prompt, str) else prefilled(text)
        traces += trace_records(record, prompt, group, reasons, prefill)
        progress.append(
            progress_line(record, index, group, reasons, filters.answer_kind, sampling.max_new_tokens)
        )
    return traces, progress


def select_prompts(source: Callable[[], list[Record]], limit: int | None) -> list[Record]:
    """The prompt records to sample, in source order, with unique ids."""
    records = source()
    records = records[:limit] if limit else records
    ids = [str(r["id"]) for r in records]
    if len(set(ids)) != len(ids):
        dupes = sorted(i for i, n in Counter(ids).items() if n > 1)[:5]
        raise ValueError(f"prompt ids must be unique for resumable rejection sampling; repeated: {dupes}")
    if not records:
        raise ValueError("data.train produced no prompts")
    return records


def run(
    model_name_or_path: ModelOrRun,
    revision: str | None,
    dtype: str,
    device: str,
    prompts: Callable[[], list[Record]],
    template: str,
    limit: int | None,
    rollout: dict[str, Any],
    sampling: SamplingParams,
    filters: TraceFilters,
    chunk_size: int,
    output_dir: str,
    seed: int,
) -> None:
    """Sample, filter and write traces for every prompt not already done; then write the dataset card.

    Args:
        model_name_or_path, revision, dtype, device: the checkpoint to sample from (any source
            `r1lit.run_models` loads, a training run folder or `.ckpt` included).
        prompts: zero-argument loader of prompt records `{id, question, answer, ...}` (`${data.train}`).
        template: prompt template name (r1lit.prompts); the rendered prompt is stored in each trace.
        limit: sample only the first `limit` prompts (null: all).
        rollout: the `rollout` config (`backend` + options), see r1lit.rollout.build_generator.
        sampling: `n` samples per prompt and how to draw them; the seed is set per chunk.
        filters: which samples to keep (r1lit.stages.filters.TraceFilters).
        chunk_size: prompts per generate call and per resumable unit of work.
        output_dir: where traces.jsonl, progress.jsonl and the dataset card go.
        seed: base sampling seed.
    """
    if chunk_size < 1:
        raise ValueError(f"stage.runner.chunk_size must be >= 1, got {chunk_size}")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in (TRACES, PROGRESS):
        repair_torn_tail(out / name)
    records = select_prompts(prompts, limit)
    done = {row["id"] for row in read_jsonl(out / PROGRESS, skip_bad=True, missing_ok=True)}
    written = {row["id"] for row in read_jsonl(out / TRACES, skip_bad=True, missing_ok=True)}
    todo = [
        (i, chunk) for i, chunk in chunks(records, chunk_size) if not all(str(r["id"]) in done for r in chunk)
    ]
    log.info(
        "rejection sampling: %d prompts, %d already done, %d chunks to go -> %s",
        len(records),
        len(done),
        len(todo),
        out,
    )
    if todo:
        generator, tokenizer = load_generator(model_name_or_path, revision, dtype, device, rollout, template)
        for i, chunk in todo:
            t0 = time.perf_counter()
            traces, progress = sample_chunk(generator, tokenizer, chunk, i, template, sampling, filters, seed)
            append_jsonl(out / TRACES, [t for t in traces if t["id"] not in written], fsync=True)
            written.update(t["id"] for t in traces)
            elapsed = time.perf_counter() - t0
            append_jsonl(
                out / PROGRESS,
                [{**p, "elapsed_s": elapsed / len(progress)} for p in progress if p["id"] not in done],
                fsync=True,
            )
            done.update(p["id"] for p in progress)
            log.info(
                "chunk %d: kept %d of %d samples (%.1fs)",
                i,
                len(traces),
                sum(p["n_samples"] for p in progress),
                elapsed,
            )
    source = {
        "model": model_name_or_path,
        "revision": revision,
        "dtype": dtype,
        "template": template,
        "backend": rollout["backend"],
        "seed": seed,
        "limit": limit,
        "chunk_size": chunk_size,
    }
    card = write_card(
        out,
        source,
        dataclasses.asdict(sampling),
        dataclasses.asdict(filters),
        read_jsonl(out / PROGRESS, skip_bad=True, missing_ok=True),
        read_jsonl(out / TRACES, skip_bad=True, missing_ok=True),
    )
    log.info(
        "rejection sampling done: %d traces from %d prompts (%s)",
        card["stats"]["kept"],
        card["stats"]["prompts"],
        out / TRACES,
    )
