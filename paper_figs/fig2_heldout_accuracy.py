"""Figure 2 of DeepSeek-R1: held-out accuracy (pass@1 and cons@k) over RL training steps.

The paper plots AIME 2024 pass@1 (mean over 16 samples) and cons@16 (majority vote) of DeepSeek-R1-Zero
every few hundred RL steps. Here the numbers are GRPO's periodic held-out evaluation
(`heldout/pass@1`, `heldout/cons@k` in TensorBoard, or `heldout.jsonl`): the synthetic held-out set,
k samples per prompt at the paper's T=0.6 / top-p 0.95; step 0 is the base model (`eval_at_start`).

One setting (a run, or several seeds of one run): one panel with both metrics, as in the paper.
Several settings (a sweep): one panel per metric, one line per setting. Seeds: mean line, ±1 std band.

    python -m paper_figs.fig2_heldout_accuracy RUN_OR_SWEEP_DIR [--out DIR]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from paper_figs.aggregate import AggCurve, aggregate_curves, group_runs
from paper_figs.io import Run, discover_runs
from paper_figs.plot import (
    COLUMN_WIDTH,
    TEXT_WIDTH,
    band_note,
    color,
    curve_rows,
    finish_axes,
    paper_style,
    plot_band,
    save_figure,
    series_style,
)

STEM = "fig2_heldout_accuracy"
METRICS = {"pass@1": "heldout/pass@1", "cons@k": "heldout/cons@k"}


def figure2_series(runs: Sequence[Run]) -> list[tuple[str, str, AggCurve]]:
    """`(setting label, metric, curve over seeds)` for each setting and metric that was logged."""
    series = []
    for label, group in group_runs(runs):
        for metric, tag in METRICS.items():
            curves = [c for c in (r.curve(tag) for r in group) if c is not None and len(c)]
            if curves:
                series.append((label, metric, aggregate_curves(curves)))
    return series


def _k_of(runs: Sequence[Run]) -> str:
    ks = {r.heldout_k for r in runs} - {None}
    return str(ks.pop()) if len(ks) == 1 else "k"


def plot_figure2(series: list[tuple[str, str, AggCurve]], k: str, stem: Path) -> list[Path]:
    """Draw and save the figure (PNG, PDF, CSV of the plotted values in %)."""
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(label for label, _, _ in series))
    names = {"pass@1": f"pass@1 (mean of {k} samples)", "cons@k": f"cons@{k} (majority vote)"}
    rows = []
    with paper_style():
        if len(labels) == 1:
            fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.4))
            for i, (label, metric, agg) in enumerate(series):
                plot_band(ax, agg, names[metric], color(i), "-" if metric == "pass@1" else "--", 100.0, "o")
                rows += curve_rows(metric, label, agg, 100.0)
            axes = [ax]
            ax.set_title(f"Held-out accuracy during RL: {labels[0]}")
        else:
            fig, axes = plt.subplots(1, 2, figsize=(TEXT_WIDTH, 2.6), sharey=True)
            for ax, metric in zip(axes, METRICS, strict=True):
                for i, label in enumerate(labels):
                    for lab, met, agg in series:
                        if lab == label and met == metric:
                            plot_band(ax, agg, label, scale=100.0, **series_style(i))
                            rows += curve_rows(metric, label, agg, 100.0)
                ax.set_title(names[metric])
        for ax in axes:
            ax.set_xlabel("RL training step")
        finish_axes(axes, percent=True)
        axes[0].legend(loc="best", title=band_note(series))
        axes[0].set_ylabel("held-out accuracy (%)")
        fig.tight_layout()
        return save_figure(fig, stem, rows)


def make_figure2(root: str | Path, out_dir: str | Path) -> list[Path]:
    """Figure 2 for the run or sweep at `root`, into `out_dir` ([] when no run logged held-out metrics)."""
    runs = discover_runs(root)
    series = figure2_series(runs)
    if not series:
        return []
    return plot_figure2(series, _k_of(runs), Path(out_dir) / STEM)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="a run directory or a sweep (multirun) directory")
    parser.add_argument("--out", default=None, help="output folder (default: <root>/paper_figs)")
    args = parser.parse_args(argv)
    for path in make_figure2(args.root, args.out or Path(args.root) / "paper_figs"):
        print(path)


if __name__ == "__main__":
    main()
