"""The dataset card of a rejection-sampling run: where the traces came from and what the filters did.

`dataset_card.json` (machine-readable) and `dataset_card.md` (for people) sit next to traces.jsonl and
are rewritten from progress.jsonl at the end of every (resumed) run, so they always describe the file.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from r1lit.stages.filters import REASONS


def git_commit() -> str | None:
    """The r1lit commit that produced the data (None outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def statistics(progress: list[dict[str, Any]], traces: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over every processed prompt: samples, accuracy, kept traces, drops per reason, lengths."""
    counts: Counter = Counter()
    for row in progress:
        counts.update(row["counts"])
    samples = sum(row["n_samples"] for row in progress)
    kept_tokens = [t["n_tokens"] for t in traces]
    return {
        "prompts": len(progress),
        "samples": samples,
        "sample_accuracy": sum(row["n_correct"] for row in progress) / max(samples, 1),
        "mean_sample_tokens": sum(row["tokens"] for row in progress) / max(samples, 1),
        "kept": len(traces),
        "kept_fraction": len(traces) / max(samples, 1),
        "prompts_with_a_trace": len({t["prompt_id"] for t in traces}),
        "mean_kept_tokens": sum(kept_tokens) / max(len(kept_tokens), 1),
        "dropped": {reason: counts.get(reason, 0) for reason in REASONS},
        "sampling_seconds": sum(row.get("elapsed_s", 0.0) for row in progress),
    }


def markdown(card: dict[str, Any]) -> str:
    """A short human-readable card."""
    stats, source = card["stats"], card["source"]
    lines = [
        "# Rejection-sampled reasoning traces",
        "",
        f"Sampled from `{source['model']}` (revision {source['revision']}) with the `{source['template']}` "
        f"template on the `{source['backend']}` backend; r1lit commit {card['r1lit_commit']}.",
        "Records: `{id, prompt, response, question, answer, ...}` in traces.jsonl (read by `data=traces_jsonl`).",
        "",
        "| statistic | value |",
        "|---|---|",
    ]
    for key in (
        "prompts",
        "samples",
        "sample_accuracy",
        "mean_sample_tokens",
        "kept",
        "kept_fraction",
        "prompts_with_a_trace",
        "mean_kept_tokens",
        "sampling_seconds",
    ):
        value = stats[key]
        lines.append(f"| {key} | {value:.3f} |" if isinstance(value, float) else f"| {key} | {value} |")
    lines += ["", "Dropped (first failing filter):", "", "| reason | samples |", "|---|---|"]
    lines += [f"| {reason} | {n} |" for reason, n in stats["dropped"].items()]
    lines += [
        "",
        "Sampling: `" + json.dumps(card["sampling"]) + "`",
        "",
        "Filters: `" + json.dumps(card["filters"]) + "`",
        "",
    ]
    return "\n".join(lines)


def write_card(
    out: Path,
    source: dict[str, Any],
    sampling: dict[str, Any],
    filters: dict[str, Any],
    progress: list[dict[str, Any]],
    traces: list[dict[str, Any]],
) -> dict[str, Any]:
    """Write dataset_card.json and dataset_card.md into `out`; return the card."""
    card = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "r1lit_commit": git_commit(),
        "source": source,
        "sampling": sampling,
        "filters": filters,
        "stats": statistics(progress, traces),
    }
    (out / "dataset_card.json").write_text(json.dumps(card, indent=2, default=str))
    (out / "dataset_card.md").write_text(markdown(card))
    return card
