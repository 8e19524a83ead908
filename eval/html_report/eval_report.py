"""report.html of one `r1lit-eval` folder, and of two folders compared problem by problem.

One eval: the metrics and paper tables of `results.json`, any figure PNG under `<dir>/paper_figs/`, and
every problem with its k samples. A comparison: the same problems side by side, those one model solves
(most samples correct) and the other does not first, then the rest by how far their accuracies differ.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from r1lit_eval.html_report.page import Page, Problem, html_table, png_figure, write_page
from r1lit_eval.html_report.samples import read_eval_problems
from r1lit_eval.report import load_golden, metrics_table, paper_table

log = logging.getLogger(__name__)
REPORT_NAME = "report.html"


def _results(eval_dir: Path) -> dict[str, Any]:
    path = eval_dir / "results.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def eval_label(eval_dir: Path, results: dict[str, Any] | None = None) -> str:
    """The model's label as the eval recorded it, else the folder name."""
    model = (results if results is not None else _results(eval_dir)).get("model") or {}
    label = model.get("label") or model.get("name_or_path") if isinstance(model, dict) else model
    return str(label or eval_dir.name)


def eval_tables(
    results: dict[str, Any], reference_tables: tuple[str, ...] = ("table5",), label: str = ""
) -> list[str]:
    """The harness's metrics table and the paper table (reference rows beside ours), as HTML."""
    if not results.get("benchmarks"):
        return []
    tables = [html_table(f"Metrics (percentages){': ' + label if label else ''}", *metrics_table(results))]
    golden = load_golden()
    paper = paper_table(results, golden, reference_tables)
    tables.append(
        html_table(f"Paper table, reference rows: {golden['source']['paper']}", *paper, collapsed=True)
    )
    return tables


def eval_figures(eval_dir: Path) -> list[str]:
    """Figures made for this folder by `python -m paper_figs.make_all` (PNG), embedded."""
    return [png_figure(p) for p in sorted((eval_dir / "paper_figs").glob("*.png"))]


def write_eval_report(
    out_dir: str | Path,
    path: str | Path | None = None,
    pngs: Sequence[Path] | None = None,
    reference_tables: Sequence[str] = ("table5",),
) -> Path:
    """Write `report.html` for an `r1lit-eval` output folder; returns its path.

    Args:
        out_dir: the eval folder (`results.json`, `samples/<bench>.jsonl`).
        path: where the page goes (default `<out_dir>/report.html`).
        pngs: figures to embed (default: the PNGs in `<out_dir>/paper_figs/`).
        reference_tables: golden tables whose rows the paper table shows (`report.reference_tables`).
    """
    out_dir = Path(out_dir)
    results = _results(out_dir)
    label = eval_label(out_dir, results)
    found = read_eval_problems(out_dir, label)
    if not found:
        raise FileNotFoundError(f"{out_dir}: no samples/<benchmark>.jsonl to report on")
    problems = [
        Problem(f"{bench}/{pid}", bench, p["gold"], p["question"], [p["col"]], [p["texts"]])
        for (bench, pid), p in found.items()
    ]
    page = Page(
        title=f"r1lit eval: {label}",
        meta=f"{out_dir} · {len(problems)} problems",
        tables=eval_tables(results, tuple(reference_tables)),
        figures=eval_figures(out_dir) if pngs is None else [png_figure(p) for p in pngs],
    )
    return write_page(Path(path) if path else out_dir / REPORT_NAME, page, problems)


def compare_tag(acc_a: float, acc_b: float, label_a: str, label_b: str) -> str:
    """Which model solves a problem (at least half its samples correct): one side only, both, or neither."""
    a, b = acc_a >= 0.5, acc_b >= 0.5
    if a != b:
        return f"only {label_a if a else label_b} solves"
    return "both solve" if a else "neither solves"


def compare_problems(
    found_a: dict[tuple[str, str], dict[str, Any]],
    found_b: dict[tuple[str, str], dict[str, Any]],
    labels: tuple[str, str],
) -> list[Problem]:
    """The problems of both evals, side by side: one-side-only solves first, then by accuracy gap."""
    problems = []
    for key in [k for k in found_a if k in found_b]:
        a, b = found_a[key], found_b[key]
        tag = compare_tag(a["col"]["acc"], b["col"]["acc"], *labels)
        problems.append(
            Problem(
                f"{key[0]}/{key[1]}",
                key[0],
                a["gold"],
                a["question"],
                [a["col"], b["col"]],
                [a["texts"], b["texts"]],
                tag,
            )
        )
    problems.sort(key=lambda p: (not p.tag.startswith("only"), -abs(p.cols[0]["acc"] - p.cols[1]["acc"])))
    return problems


def write_compare_report(dir_a: str | Path, dir_b: str | Path, path: str | Path) -> Path:
    """Write a report comparing two eval folders on the problems they share; returns its path."""
    dir_a, dir_b = Path(dir_a), Path(dir_b)
    labels = (eval_label(dir_a), eval_label(dir_b))
    if labels[0] == labels[1]:
        labels = (f"A: {labels[0]}", f"B: {labels[1]}")
    found_a, found_b = read_eval_problems(dir_a, labels[0]), read_eval_problems(dir_b, labels[1])
    problems = compare_problems(found_a, found_b, labels)
    if not problems:
        raise ValueError(f"{dir_a} and {dir_b} share no (benchmark, problem id): nothing to compare")
    only = len(found_a) + len(found_b) - 2 * len(problems)
    rows = [[t, sum(p.tag == t for p in problems)] for t in sorted({p.tag for p in problems})]
    page = Page(
        title=f"r1lit compare: {labels[0]} vs {labels[1]}",
        meta=f"A = {dir_a} · B = {dir_b} · {len(problems)} shared problems ({only} in one folder only, not shown)",
        tables=eval_tables(_results(dir_a), label=labels[0])[:1]
        + eval_tables(_results(dir_b), label=labels[1])[:1]
        + [
            html_table(
                "Problems by who solves them (≥ half the samples correct)", ["group", "problems"], rows
            )
        ],
        side_by_side=True,
    )
    return write_page(path, page, problems)
