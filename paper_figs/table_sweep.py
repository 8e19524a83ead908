"""Ablation table of a sweep: one row per setting, mean ± std over seeds of the end-of-training numbers.

Used for every sweep in experiments/ (KL beta, group size, loss aggregation, clip-higher, format and
language rewards, cold start). Columns, all from the logged run outputs:

- held-out pass@1 and cons@k at the last evaluation, and its change from step 0 (the base model), in %;
- held-out no-answer rate at the last evaluation (%): how often no answer could be extracted (format);
- held-out mean response length at the last evaluation (tokens);
- training accuracy and seconds per step, each the mean of the last `tail` logged steps.

Writes `<stem>.md`, `<stem>.tex`, `<stem>.csv` and `<stem>.json` (the numbers: label -> column -> mean/std/n).

    python -m paper_figs.table_sweep SWEEP_DIR [--out DIR] [--tail 5]
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from paper_figs.aggregate import Stat, Table, group_runs, last_value, mean_std, tail_mean
from paper_figs.io import Run, discover_runs
from r1lit.tables import csv_text, write_formats

STEM = "table_sweep"


def _delta(run: Run, tag: str) -> float:
    curve = run.curve(tag)
    if curve is None or len(curve) < 2 or curve.steps[0] != 0:
        return math.nan
    return curve.values[-1] - curve.values[0]


def columns(k: str, tail: int) -> dict[str, tuple[Callable[[Run], float], float, int]]:
    """Column header -> (per-run value, display scale, digits)."""
    return {
        "held-out pass@1 (%)": (lambda r: last_value(r.curve("heldout/pass@1")), 100.0, 1),
        f"held-out cons@{k} (%)": (lambda r: last_value(r.curve("heldout/cons@k")), 100.0, 1),
        "Δ pass@1 vs step 0 (pp)": (lambda r: _delta(r, "heldout/pass@1"), 100.0, 1),
        "no answer (%)": (lambda r: last_value(r.curve("heldout/no_answer_frac")), 100.0, 1),
        "response length (tokens)": (lambda r: last_value(r.curve("heldout/response_length")), 1.0, 1),
        f"train accuracy, last {tail} steps (%)": (
            lambda r: tail_mean(r.curve("train/accuracy"), tail),
            100.0,
            1,
        ),
        "s / step": (lambda r: tail_mean(r.curve("time/step_s"), tail), 1.0, 2),
    }


def _k_label(runs: Sequence[Run]) -> str:
    ks = {r.heldout_k for r in runs} - {None}
    return str(ks.pop()) if len(ks) == 1 else "k"


def sweep_table(runs: Sequence[Run], title: str, tail: int = 5) -> tuple[Table, dict]:
    """The rendered table, and its numbers as `{label: {header: {mean, std, n}}}` (display units).

    Each setting's value is computed per run (seed) first, then averaged; columns no run logged are left out.
    """
    cols = columns(_k_label(runs), tail)
    stats: list[tuple[str, int, dict[str, Stat]]] = [
        (label, len(group), {h: mean_std([fn(r) for r in group]) for h, (fn, _, _) in cols.items()})
        for label, group in group_runs(runs)
    ]
    stats = [row for row in stats if any(st.n for st in row[2].values())]  # e.g. a pipeline's SFT stages
    headers = [h for h in cols if any(st[h].n for _, _, st in stats)]
    body = [
        [label, str(n)] + [st[h].format(cols[h][1], cols[h][2]) for h in headers] for label, n, st in stats
    ]
    numbers = {
        label: {
            h: {"mean": st[h].mean * cols[h][1], "std": st[h].std * cols[h][1], "n": st[h].n} for h in headers
        }
        for label, _, st in stats
    }
    notes = [
        "Mean ± sample std over seeds (no ± with one seed). Held-out numbers are from the last evaluation "
        "of each run; step 0 is the base model.",
    ]
    return Table(title, ["setting", "seeds", *headers], body, notes=notes), numbers


def write_table(table: Table, stem: Path, numbers: dict | None = None) -> list[Path]:
    """`<stem>.md`, `.tex`, `.csv` (and `.json` with the numbers when given)."""
    texts = {".md": table.to_markdown(), ".tex": table.to_latex(), ".csv": csv_text(table.to_csv_rows())}
    paths = write_formats(stem, texts)
    if numbers is not None:
        paths.append(stem.with_suffix(".json"))
        paths[-1].write_text(json.dumps(numbers, indent=2, allow_nan=True), encoding="utf-8")
    return paths


def make_sweep_table(
    root: str | Path, out_dir: str | Path, title: str | None = None, tail: int = 5
) -> list[Path]:
    """The ablation table of the sweep at `root` ([] when it has no runs)."""
    runs = discover_runs(root)
    if not runs:
        return []
    table, numbers = sweep_table(runs, title or f"Sweep {Path(root).name}", tail)
    return write_table(table, Path(out_dir) / STEM, numbers)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="a sweep (multirun) directory")
    parser.add_argument("--out", default=None, help="output folder (default: <root>/paper_figs)")
    parser.add_argument("--title", default=None)
    parser.add_argument("--tail", type=int, default=5, help="training steps averaged for per-step metrics")
    args = parser.parse_args(argv)
    for path in make_sweep_table(
        args.root, args.out or Path(args.root) / "paper_figs", args.title, args.tail
    ):
        print(path)


if __name__ == "__main__":
    main()
