"""Where records come from: synthetic tasks, local JSONL/Parquet, or HF hub datasets (pinned revisions).

Every loader returns plain dicts in one of two shapes, whatever the source:
  prompt records: {"id", "question", "answer", ...}     (RL prompts, evaluation, rejection sampling)
  SFT records:    {"id", "messages": [{"role", "content"}, ...]}  or  {"id", "prompt", "response"}
                  (prompt is raw text or chat messages, as built by r1lit.prompts)
Per-dataset field mappings are small adapter functions in `ADAPTERS`, chosen by name in config.
A field that a mapping or an adapter reads and a row lacks fails at load time, naming the file, the
row and the field; so does a field that is empty in every row. A single row without a gold loads
with `answer` None, which every grading path reports as `bad_gold` (never the string "None").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1lit.io import read_jsonl
from r1lit.tasks.checks import gold_text

Record = dict[str, Any]


def _numina_tir(row: Record) -> Record:
    """AI-MO/NuminaMath-TIR: problem, solution (tool-integrated, answer in \\boxed{}), messages."""
    from r1lit.grading import extract_answer

    return {
        "question": row["problem"],
        "answer": extract_answer(row["solution"], kind="math") or "",
        "messages": [
            {"role": "user", "content": row["problem"]},
            {"role": "assistant", "content": row["solution"]},
        ],
    }


def _bespoke_stratos(row: Record) -> Record:
    """bespokelabs/Bespoke-Stratos-17k: system, conversations=[{from: user|assistant, value}]."""
    roles = {"user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant"}
    messages = [{"role": "system", "content": row["system"]}] if row.get("system") else []
    messages += [{"role": roles[turn["from"]], "content": turn["value"]} for turn in row["conversations"]]
    return {"question": row["conversations"][0]["value"], "messages": messages}


def _math_problem(row: Record) -> Record:
    """MATH-style rows: problem + answer (MATH-500, AIME, AMC files)."""
    return {"question": row["problem"], "answer": gold_text(row["answer"])}  # None stays None, not "None"


def _identity(row: Record) -> Record:
    return dict(row)


ADAPTERS: dict[str, Callable[[Record], Record]] = {
    "identity": _identity,
    "numina_tir": _numina_tir,
    "bespoke_stratos": _bespoke_stratos,
    "math_problem": _math_problem,
}


def _adapt(
    rows: list[Record], adapter: str, fields: dict[str, str] | None, prefix: str, source: str
) -> list[Record]:
    """Map every row to a record; a field the mapping or the adapter reads must exist (file, row, field named)."""
    if adapter not in ADAPTERS:
        raise ValueError(f"data adapter={adapter!r} is not one of {sorted(ADAPTERS)}")
    out = []
    for i, row in enumerate(rows):
        if fields:  # rename: ours <- theirs
            missing = {ours: theirs for ours, theirs in fields.items() if theirs not in row}
            if missing:
                ours, theirs = next(iter(missing.items()))
                raise ValueError(
                    f"{source}: row {i} has no field {theirs!r} (data fields: {ours} <- {theirs}); "
                    f"its fields are {sorted(row)}"
                )
            row = {**row, **{ours: row[theirs] for ours, theirs in fields.items()}}
        try:
            rec = ADAPTERS[adapter](row)
        except KeyError as e:
            raise ValueError(
                f"{source}: row {i} has no field {e.args[0]!r}, which adapter {adapter!r} reads; "
                f"its fields are {sorted(row)} (map one with data fields)"
            ) from e
        rec.setdefault("id", str(row.get("id", row.get("unique_id", f"{prefix}-{i}"))))
        out.append(rec)
    _require_values(out, [*(fields or {}), "question", "answer"], source)
    return out


def _require_values(records: list[Record], keys: list[str], source: str) -> None:
    """Fail when a field is empty in every record: the mapping found nothing (a single row without a
    gold is kept; the grader reports it as ``bad_gold``)."""
    for key in dict.fromkeys(keys):
        present = [r for r in records if key in r]
        if present and len(present) == len(records) and all(gold_text(r[key]) is None for r in present):
            raise ValueError(
                f"{source}: field {key!r} is empty in all {len(records)} rows (row 0: {records[0].get(key)!r}); "
                "check the data adapter / fields mapping"
            )


def synthetic(split: str, n: int, seed: int, difficulty: int, task: str = "arithmetic") -> list[Record]:
    """Seeded synthetic verifiable problems (train and heldout never share a question)."""
    from r1lit.tasks.synthetic import make_problems

    return make_problems(split, n=n, seed=seed, difficulty=difficulty, task=task)


def synthetic_traces(
    split: str, n: int, seed: int, difficulty: int, template: str, task: str = "arithmetic"
) -> list[Record]:
    """Synthetic problems with their step-by-step R1-format solution as `response` (SFT data)."""
    from r1lit.prompts import build_prompt
    from r1lit.tasks.synthetic import solution_trace

    return [
        {**rec, "prompt": build_prompt(template, rec["question"]), "response": solution_trace(rec)}
        for rec in synthetic(split, n, seed, difficulty, task)
    ]


def local_file(
    path: str, adapter: str = "identity", fields: dict[str, str] | None = None, limit: int | None = None
) -> list[Record]:
    """A local .jsonl / .json / .parquet file."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"data file {p} does not exist")
    if p.suffix == ".parquet":
        import pandas as pd

        rows = pd.read_parquet(p).to_dict(orient="records")
    elif p.suffix == ".json":
        rows = json.loads(p.read_text())
    else:
        rows = read_jsonl(p)
    return _adapt(rows[:limit] if limit else rows, adapter, fields, p.stem, str(p))


def hub(
    path: str,
    revision: str | None,
    split: str = "train",
    name: str | None = None,
    adapter: str = "identity",
    fields: dict[str, str] | None = None,
    data_files: str | list[str] | None = None,
    limit: int | None = None,
) -> list[Record]:
    """`datasets.load_dataset(path, name, revision=..., split=...)`; `data_files` lets tests point at local files."""
    import datasets

    ds = datasets.load_dataset(path, name, revision=revision, split=split, data_files=data_files)
    if limit:
        ds = ds.select(range(min(limit, len(ds))))
    source = f"{path} ({name or 'default'}, {split}, revision {revision})"
    return _adapt(list(ds), adapter, fields, path.replace("/", "_"), source)
