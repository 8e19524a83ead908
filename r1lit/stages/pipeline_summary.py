"""The summary of a pipeline run: one row per stage with its status, time and held-out numbers.

Written after every stage (so an interrupted run still shows how far it got) as
`pipeline_summary.json` (the rows) and `pipeline_summary.md` (a table for people and for the README).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HEADERS = (
    "stage",
    "kind",
    "from",
    "status",
    "minutes",
    "pass@1",
    "cons@k",
    "length",
    "truncated",
    "no answer",
    "notes",
)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def rejection_note(model_path: str) -> str:
    """Kept traces of a rejection-sampling stage, from the dataset card next to its traces.jsonl."""
    card = Path(model_path).with_name("dataset_card.json")
    if not card.is_file():
        return ""
    stats = json.loads(card.read_text())["stats"]
    return (
        f"kept {stats['kept']} of {stats['samples']} samples (sample accuracy {stats['sample_accuracy']:.3f}, "
        f"{stats['prompts_with_a_trace']}/{stats['prompts']} prompts)"
    )


def table_row(row: dict[str, Any]) -> list[str]:
    """One stage's cells; `eval` is its stage eval's summary (r1lit-eval's names, `r1lit.evaluation.summary`)."""
    ev = row.get("eval") or {}
    seconds = row.get("seconds")
    note = rejection_note(row["model"]) if row.get("kind") == "rejection_sampling" else ""
    return [
        row["stage"],
        row.get("kind", ""),
        row.get("from", "—"),
        row.get("status", ""),
        _fmt(None if seconds is None else seconds / 60, 1),
        _fmt(ev.get("pass@1")),
        _fmt(ev.get("cons@k")),
        _fmt(ev.get("mean_completion_tokens"), 1),
        _fmt(ev.get("truncated_rate"), 2),
        _fmt(ev.get("unparseable_rate"), 2),
        note,
    ]


# held-out general prompts (pipeline.eval.general; r1lit.stages.general_eval): RM scores and rule checks
GENERAL_HEADERS = {
    "rm_helpful": "RM helpful",
    "rm_harmless": "RM harmless",
    "helpful/names_number": "names number",
    "unsafe/declines": "declines",
}


def markdown(rows: list[dict[str, Any]], k: int) -> str:
    general = any("general" in row for row in rows)
    headers = list(HEADERS) + (list(GENERAL_HEADERS.values()) if general else [])
    lines = [
        "# Pipeline summary",
        "",
        f"Held-out: pass@1 averaged over k={k} samples and cons@{k} (majority vote), mean response length in "
        "tokens, the share of samples cut at max_new_tokens and the share with no parseable answer. Minutes: wall time of the run that finished the "
        "stage (interrupted attempts not counted; evaluations not included).",
        "",
        *(
            [
                "General: held-out general prompts scored by the reward model on the summary (helpful) and the whole "
                "response (harmless), and the rule checks beside them (a helpful answer names the asked number, an "
                "unsafe request is declined).",
                "",
            ]
            if general
            else []
        ),
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
    ]
    for row in rows:
        cells = table_row(row)
        if general:
            scores = row.get("general") or {}
            cells += [_fmt(scores.get(key)) for key in GENERAL_HEADERS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_summary(root: Path, rows: list[dict[str, Any]], k: int) -> Path:
    """Write pipeline_summary.json and .md into `root`; returns the markdown path."""
    (root / "pipeline_summary.json").write_text(json.dumps({"k": k, "stages": rows}, indent=2, default=str))
    path = root / "pipeline_summary.md"
    path.write_text(markdown(rows, k))
    return path
