"""Reflection during RL: how often held-out answers re-check a step, and whether re-checked answers are right more often.

The paper (§2.2.4) reports that R1-Zero learns by itself to re-evaluate its first approach. This
figure measures that on the held-out samples a GRPO run saves at every evaluation
(`<run>/heldout_samples.jsonl`, one line per prompt per evaluation, step 0 = the base model):

- left: the reflection rate, the share of samples with at least one real re-check
  (`r1lit.tiny.style_stats.classify_style` == "reflective": in the reflection world a product
  recomputed digit by digit, in the search world (`modsearch`) a failed check followed by a new
  attempt; a bare "Wait" does not count);
- right: pass@1 of the samples with a re-check and of those without, per evaluation.

Seeds of one setting: mean line and ±1 std band. Writes `fig_reflection.{png,pdf,csv}`.

    python -m paper_figs.fig_reflection RUN_OR_SWEEP_DIR [--out DIR]
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paper_figs.aggregate import AggCurve, aggregate_curves, group_runs
from paper_figs.io import Curve, Run, discover_runs, read_jsonl
from paper_figs.plot import (
    COLUMN_WIDTH,
    band_note,
    curve_rows,
    finish_axes,
    paper_style,
    plot_band,
    save_figure,
    series_style,
)
from r1lit.tiny.style_stats import classify_style

log = logging.getLogger(__name__)
STEM = "fig_reflection"
HELDOUT_SAMPLES = "heldout_samples.jsonl"
SERIES = ("rate", "with re-check", "without re-check")


def task_of_row(row: dict[str, Any]) -> str:
    """The task of a held-out sample row: its `task`, else the prefix of its synthetic problem id."""
    return str(row.get("task") or str(row.get("id", "")).split("-")[0])


def reflection_curves(rows: Sequence[dict[str, Any]]) -> dict[str, Curve]:
    """Reflection rate and pass@1 with / without a re-check per step, from held-out sample rows.

    A step where no sample (or every sample) re-checked has no accuracy point for the empty group.
    """
    by_step: dict[int, list[tuple[bool, bool]]] = {}
    for row in rows:
        task = task_of_row(row)
        pairs = [
            (classify_style(t, task) == "reflective", bool(c))
            for t, c in zip(row["texts"], row["correct"], strict=True)
        ]
        by_step.setdefault(int(row["step"]), []).extend(pairs)
    points: dict[str, list[tuple[int, float]]] = {name: [] for name in SERIES}
    for step, pairs in sorted(by_step.items()):
        points["rate"].append((step, sum(r for r, _ in pairs) / len(pairs)))
        for name, want in (("with re-check", True), ("without re-check", False)):
            hits = [ok for r, ok in pairs if r == want]
            if hits:
                points[name].append((step, sum(hits) / len(hits)))
    return {name: Curve.from_pairs(p) for name, p in points.items() if p}


def run_samples(run: Run) -> list[dict[str, Any]] | None:
    """A run's held-out sample rows, or None when it saved none."""
    path = Path(run.path) / HELDOUT_SAMPLES
    return read_jsonl(path) if path.is_file() else None


def reflection_series(runs: Sequence[Run]) -> list[tuple[str, str, AggCurve]]:
    """`(setting label, series, curve over seeds)` for every setting with held-out samples."""
    out = []
    for label, group in group_runs(runs):
        per_run = [reflection_curves(rows) for rows in map(run_samples, group) if rows]
        for name in SERIES:
            curves = [c[name] for c in per_run if name in c]
            if curves:
                out.append((label, name, aggregate_curves(curves)))
    return out


def plot_reflection(series: list[tuple[str, str, AggCurve]], stem: Path) -> list[Path]:
    """Draw and save the two panels (values in percent)."""
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(label for label, _, _ in series))
    rows: list[dict[str, Any]] = []
    with paper_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(2 * COLUMN_WIDTH, 2.4))
        for i, label in enumerate(labels):
            style = series_style(i)
            for lab, name, agg in series:
                if lab != label:
                    continue
                ax = left if name == "rate" else right
                dash = "--" if name == "without re-check" else style["linestyle"]
                tag = label if name == "rate" else f"{name}" + (f" ({label})" if len(labels) > 1 else "")
                plot_band(
                    ax, agg, tag, style["color"] if name != "without re-check" else "#7f7f7f", dash, 100.0
                )
                rows += curve_rows(name, label, agg, 100.0)
        left.set_title("Held-out samples with a re-check")
        left.set_ylabel("reflection rate (%)")
        right.set_title("Held-out pass@1 with / without a re-check")
        right.set_ylabel("pass@1 (%)")
        for ax in (left, right):
            ax.set_xlabel("RL training step")
        finish_axes([left], percent=True)
        finish_axes([right], percent=True)
        left.legend(loc="best", title=band_note(series))
        right.legend(loc="best")
        fig.tight_layout()
        return save_figure(fig, stem, rows)


def make_fig_reflection(root: str | Path, out_dir: str | Path) -> list[Path]:
    """The figure for the run or sweep at `root` ([] with a warning when no run saved held-out samples)."""
    series = reflection_series(discover_runs(root))
    if not series:
        log.warning(
            "fig_reflection: no run under %s saved %s (GRPO with a held-out set writes it)",
            root,
            HELDOUT_SAMPLES,
        )
        return []
    return plot_reflection(series, Path(out_dir) / STEM)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="a run directory or a sweep (multirun) directory")
    parser.add_argument("--out", default=None, help="output folder (default: <root>/paper_figs)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")  # fontTools chatters at INFO
    for path in make_fig_reflection(args.root, args.out or Path(args.root) / "paper_figs"):
        print(path)


if __name__ == "__main__":
    main()
