"""Shared code of the paper's result tables (Tables 2, 5, 6): our eval results beside the paper's rows.

Reference rows come from `eval/golden/paper_tables.yaml` (the paper's numbers, versioned there). Our
rows come from `r1lit-eval` output folders, found by convention at `<run>/eval/<name>/` (one row per
setting and `<name>`, e.g. `base` and `final`; several seeds of one setting -> mean ± std), or given
explicitly as `LABEL=DIR`.

Columns: the paper's columns (AIME 2024 pass@1 / cons@64, MATH-500, GPQA Diamond, LiveCodeBench,
CodeForces), filled for our rows where that benchmark was evaluated, then one pass@1 / cons@k / length
column group per benchmark we evaluated that the paper has no column for (the synthetic held-out set
of the tiny reproduction). "—" marks a number that does not exist for that row.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from r1lit_eval.report import load_golden

from paper_figs.aggregate import (
    IGNORED_KEYS,
    Stat,
    Table,
    mean_std,
    setting_label,
    sort_key_numeric,
    varying_keys,
)
from paper_figs.io import (
    PIPELINE_STAGE,
    EvalResult,
    Run,
    discover_eval_dirs,
    discover_runs,
    has_config,
    is_eval_dir,
    read_eval_dir,
)
from paper_figs.table_sweep import write_table

EVAL_SUBDIR = "eval"


def eval_owner(eval_dir: Path, root: Path) -> Path | None:
    """The run or pipeline folder an eval folder belongs to (`<owner>/eval/<name>/`), or None."""
    owner = eval_dir.parent.parent
    inside = owner == root or root in owner.parents
    return owner if eval_dir.parent.name == EVAL_SUBDIR and inside and has_config(owner) else None


def stage_order(owner: Run) -> list[str]:
    """Eval names in the order a pipeline made them: the base model, then its stages."""
    stages = owner.config_value("pipeline.stages") or {}
    return ["base", *stages] if isinstance(stages, dict) else []


def collect_eval_rows(root: str | Path) -> list[tuple[str, list[EvalResult]]]:
    """`(row label, one EvalResult per seed)` for every eval folder at or below `root`.

    Eval folders of a run or pipeline (`<owner>/eval/<name>/`) are grouped by the owner's setting
    (its Hydra overrides but the seed) and `<name>`, so the seeds of a sweep make one row with mean ±
    std; a lone eval folder (or one outside any run) is its own row, labelled by its folder name.
    Rows keep a pipeline's stage order (base model first), otherwise names sort alphabetically.
    """
    root = Path(root)
    if is_eval_dir(root):
        return [(root.name, [read_eval_dir(root)])]
    owned: list[tuple[Path, Run]] = []
    rows: list[tuple[str, list[EvalResult]]] = []
    for d in discover_eval_dirs(root):
        owner = eval_owner(d, root)
        if owner is None:
            rows.append((d.name, [read_eval_dir(d)]))
        else:
            owned.append((d, Run.load(owner)))
    # labels name what varies across the whole run/sweep, so rows match the figures' legends
    settings = [r.overrides for r in discover_runs(root)] + [run.overrides for _, run in owned]
    keys = varying_keys(settings, ignore=(*IGNORED_KEYS, PIPELINE_STAGE))
    groups: dict[str, list[int]] = {}
    for i, (_, run) in enumerate(owned):
        groups.setdefault(setting_label(run.overrides, keys) if keys else "", []).append(i)
    for label, idx in sorted(groups.items(), key=lambda g: sort_key_numeric(g[0])):
        order = stage_order(owned[idx[0]][1])
        names = sorted(
            {owned[i][0].name for i in idx},
            key=lambda n: (n not in order, order.index(n) if n in order else 0, n),
        )
        for name in names:
            dirs = [owned[i][0] for i in idx if owned[i][0].name == name]
            rows.append((f"{label}: {name}" if label else name, [read_eval_dir(d) for d in dirs]))
    return rows


def _cell(results: Sequence[EvalResult], bench: str, metric: str) -> Stat:
    return mean_std([r.benchmarks[bench].get(metric, math.nan) for r in results if bench in r.benchmarks])


def _fmt_ref(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if isinstance(value, int) or float(value) >= 100 else f"{float(value):.1f}"


def eval_table(
    table_key: str,
    rows: Sequence[tuple[str, Sequence[EvalResult]]],
    golden: dict[str, Any],
    title: str | None = None,
) -> tuple[Table, dict[str, dict[str, dict[str, float]]]]:
    """Paper reference rows of `table_key` plus our rows; returns the table and our numbers (in %)."""
    spec = golden["tables"][table_key]
    paper_cols = golden["columns"]
    covered = {c["benchmark"] for c in paper_cols if c["benchmark"]}
    extra = sorted({b for _, results in rows for r in results for b in r.benchmarks} - covered)
    headers = ["model"] + [c["header"] for c in paper_cols]
    extra_cols: list[tuple[str, str, float, int]] = []  # (benchmark, metric, scale, digits)
    for bench in extra:
        ks = {r.benchmarks[bench].get("k") for _, res in rows for r in res if bench in r.benchmarks} - {None}
        k = str(ks.pop()) if len(ks) == 1 else "k"
        extra_cols += [
            (bench, "pass@1", 100.0, 1),
            (bench, "cons@k", 100.0, 1),
            (bench, "response_length", 1.0, 0),
        ]
        headers += [f"{bench} pass@1", f"{bench} cons@{k}", f"{bench} length (tokens)"]
    reference = [
        [f"{r['model']} (paper)"] + [_fmt_ref(r.get(c["key"])) for c in paper_cols] + ["—"] * len(extra_cols)
        for r in spec["rows"]
    ]
    body, numbers = [], {}
    for label, results in rows:
        cells, nums = [], {}
        for c in paper_cols:
            stat = (
                _cell(results, c["benchmark"], c["metric"]) if c["benchmark"] else Stat(math.nan, math.nan, 0)
            )
            cells.append(stat.format(100.0, 1))
            nums[c["header"]] = stat
        for (bench, metric, scale, digits), header in zip(
            extra_cols, headers[1 + len(paper_cols) :], strict=True
        ):
            stat = _cell(results, bench, metric)
            cells.append(stat.format(scale, digits))
            nums[header] = Stat(stat.mean * scale, stat.std * scale, stat.n)
        body.append([f"{label} (ours, n={len(results)})"] + cells)
        numbers[label] = {h: {"mean": s.mean, "std": s.std, "n": s.n} for h, s in nums.items() if s.n}
    notes = [
        "Paper rows: DeepSeek-R1 (arXiv:2501.12948v1), from eval/golden/paper_tables.yaml. Ours: r1lit-eval "
        "results, mean ± sample std over seeds (n = runs). — = not evaluated for that row.",
    ]
    if extra:
        notes.append(
            f"Ours on {', '.join(extra)}: not comparable to the paper's benchmarks (different tasks, tiny model)."
        )
    return Table(title or spec["title"], headers, body, reference, notes), numbers


def make_eval_table(
    table_key: str,
    root: str | Path | None,
    out_dir: str | Path,
    stem: str,
    labelled: Sequence[tuple[str, str | Path]] = (),
    golden_path: str | Path | None = None,
) -> list[Path]:
    """Write one paper table from the eval results under `root` plus `labelled` (LABEL, DIR) pairs."""
    rows = collect_eval_rows(root) if root is not None else []
    rows += [(label, [read_eval_dir(d)]) for label, d in labelled]
    if not rows:
        return []
    table, numbers = eval_table(table_key, rows, load_golden(golden_path))
    return write_table(table, Path(out_dir) / stem, numbers)


def parse_labelled(items: Sequence[str]) -> list[tuple[str, str]]:
    """`["base=out/eval/base", ...]` -> `[("base", "out/eval/base"), ...]`."""
    out = []
    for item in items:
        label, sep, path = item.partition("=")
        if not sep:
            raise ValueError(f"--eval expects LABEL=DIR, got {item!r}")
        out.append((label, path))
    return out


def table_main(table_key: str, stem: str, description: str, argv: Sequence[str] | None = None) -> None:
    """The command line shared by the table scripts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "root", nargs="?", default=None, help="run, sweep or eval directory to collect eval results from"
    )
    parser.add_argument(
        "--eval", action="append", default=[], metavar="LABEL=DIR", help="an extra row (repeatable)"
    )
    parser.add_argument(
        "--out", default=None, help="output folder (default: <root>/paper_figs, or ./paper_figs)"
    )
    parser.add_argument(
        "--golden", default=None, help="reference tables YAML (default: eval/golden/paper_tables.yaml)"
    )
    args = parser.parse_args(argv)
    out = args.out or (Path(args.root) / "paper_figs" if args.root else Path("paper_figs_out"))
    paths = make_eval_table(table_key, args.root, out, stem, parse_labelled(args.eval), args.golden)
    if not paths:
        raise SystemExit("no eval results found (r1lit-eval output folders: results JSON + samples/*.jsonl)")
    for path in paths:
        print(path)
