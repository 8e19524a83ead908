"""Figure 3 of DeepSeek-R1: mean response length of the RL rollouts per training step, split by outcome.

The paper plots the average response length of DeepSeek-R1-Zero on the training set during RL (it
grows as the model learns to think longer). GRPO logs the same number every step (`length/mean`, in
tokens), and the split the paper does not show but that explains it: the mean length of correct
(`length/correct/mean`) and incorrect (`length/incorrect/mean`) completions.

One setting: one panel with all / correct / incorrect. Several settings (a sweep): one panel per
split, one line per setting. Seeds: mean line, ±1 std band.

    python -m paper_figs.fig3_response_length RUN_OR_SWEEP_DIR [--out DIR]
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
    curve_rows,
    finish_axes,
    paper_style,
    plot_band,
    save_figure,
    series_style,
)

STEM = "fig3_response_length"
SPLITS = {"all": "length/mean", "correct": "length/correct/mean", "incorrect": "length/incorrect/mean"}
STYLES = {"all": ("-", "#1f77b4"), "correct": ("--", "#2ca02c"), "incorrect": (":", "#d62728")}
TITLES = {"all": "all responses", "correct": "correct responses", "incorrect": "incorrect responses"}


def figure3_series(runs: Sequence[Run]) -> list[tuple[str, str, AggCurve]]:
    """`(setting label, split, curve over seeds)` for each setting and split that was logged."""
    series = []
    for label, group in group_runs(runs):
        for split, tag in SPLITS.items():
            curves = [c for c in (r.curve(tag) for r in group) if c is not None and len(c)]
            if curves:
                series.append((label, split, aggregate_curves(curves)))
    return series


def plot_figure3(series: list[tuple[str, str, AggCurve]], stem: Path) -> list[Path]:
    """Draw and save the figure (PNG, PDF, CSV of the plotted values in tokens)."""
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(label for label, _, _ in series))
    rows = []
    with paper_style():
        if len(labels) == 1:
            fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.4))
            for _, split, agg in series:
                style, col = STYLES[split]
                plot_band(ax, agg, TITLES[split], col, style)
                rows += curve_rows(split, labels[0], agg)
            axes = [ax]
            ax.set_title(f"Response length during RL: {labels[0]}")
        else:
            splits = [s for s in SPLITS if any(sp == s for _, sp, _ in series)]
            fig, axes = plt.subplots(1, len(splits), figsize=(TEXT_WIDTH, 2.4), sharey=True, squeeze=False)
            axes = list(axes[0])
            for ax, split in zip(axes, splits, strict=True):
                for i, label in enumerate(labels):
                    for lab, sp, agg in series:
                        if lab == label and sp == split:
                            plot_band(ax, agg, label, **series_style(i))
                            rows += curve_rows(split, label, agg)
                ax.set_title(TITLES[split])
        for ax in axes:
            ax.set_xlabel("RL training step")
        finish_axes(axes)
        axes[0].set_ylabel("mean response length (tokens)")
        axes[0].legend(loc="best", title=band_note(series))
        fig.tight_layout()
        return save_figure(fig, stem, rows)


def make_figure3(root: str | Path, out_dir: str | Path) -> list[Path]:
    """Figure 3 for the run or sweep at `root`, into `out_dir` ([] when no run logged lengths)."""
    series = figure3_series(discover_runs(root))
    return plot_figure3(series, Path(out_dir) / STEM) if series else []


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="a run directory or a sweep (multirun) directory")
    parser.add_argument("--out", default=None, help="output folder (default: <root>/paper_figs)")
    args = parser.parse_args(argv)
    for path in make_figure3(args.root, args.out or Path(args.root) / "paper_figs"):
        print(path)


if __name__ == "__main__":
    main()
