"""Shared matplotlib helpers: paper-size style, mean-and-band lines, saving PNG + PDF + the plotted data as CSV.

Every figure is written three ways: `<stem>.png` (to look at), `<stem>.pdf` (to put in a paper) and
`<stem>.csv` holding exactly the numbers drawn (one row per series and step: mean, std, seeds), so a
test or a reader can check a curve without parsing an image.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from paper_figs.aggregate import AggCurve  # noqa: E402

# Widths of a two-column paper (inches): one column, and the full text width.
COLUMN_WIDTH = 3.4
TEXT_WIDTH = 7.0
CSV_FIELDS = ["panel", "series", "step", "mean", "std", "n"]
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

PAPER_RC: dict[str, Any] = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.3,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "pdf.fonttype": 42,  # TrueType in the PDF (editable text, accepted by publishers)
}


@contextmanager
def paper_style() -> Iterator[None]:
    """Temporarily apply the paper rcParams (8 pt text, light grid, no top/right spines)."""
    with plt.rc_context(PAPER_RC):
        yield


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


# Settings differ in marker and dash as well as colour: readable in greyscale, and a line hidden under
# another (two settings with equal values) still shows its markers.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DASHES = ["-", "--", "-.", ":"]


def series_style(i: int) -> dict[str, str]:
    """Colour, line style and marker of the i-th setting of a figure."""
    return {"color": color(i), "linestyle": DASHES[i % len(DASHES)], "marker": MARKERS[i % len(MARKERS)]}


def finish_axes(axes: Sequence[Any], percent: bool = False) -> None:
    """Integer step ticks; y from 0 (accuracies and lengths are never negative), at most 100 for percentages.

    One y range for all `axes` (the panels share their y axis), from the highest point drawn in any of
    them, bands included; the axis starts a hair below 0 so that a line at exactly 0 stays visible.
    """
    from matplotlib.ticker import MaxNLocator

    drawn = [ax for ax in axes if ax.has_data()]
    top = 1.08 * max((ax.dataLim.y1 for ax in drawn), default=0.0)  # headroom above the highest point
    floor = 10.0 if percent else 1.0  # an all-zero plot still gets a readable scale
    top = max(top, floor) if top > floor / 100 else floor
    if percent:
        top = min(top, 102.0)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.has_data() and ax.dataLim.x1 - ax.dataLim.x0 < 1:  # a single step: show a step either side
            ax.set_xlim(ax.dataLim.x0 - 1, ax.dataLim.x1 + 1)
        ax.set_ylim(-0.02 * top, top)


def plot_band(
    ax: Any,
    agg: AggCurve,
    label: str,
    color: str,
    linestyle: str = "-",
    scale: float = 1.0,
    marker: str | None = None,
) -> None:
    """The mean as a line, and mean ± std as a shaded band wherever more than one seed logged the step."""
    steps = list(agg.steps)
    mean = [m * scale for m in agg.mean]
    ax.plot(
        steps,
        mean,
        linestyle=linestyle,
        color=color,
        label=label,
        marker=marker,
        markersize=3 if len(steps) <= 12 else 0,  # markers only where they do not blur into the line
    )
    if any(n > 1 for n in agg.n):
        lo = [
            (m - s) * scale if n > 1 else m * scale for m, s, n in zip(agg.mean, agg.std, agg.n, strict=True)
        ]
        hi = [
            (m + s) * scale if n > 1 else m * scale for m, s, n in zip(agg.mean, agg.std, agg.n, strict=True)
        ]
        ax.fill_between(steps, lo, hi, color=color, alpha=0.2, linewidth=0)


def band_note(series: Sequence[tuple[str, str, AggCurve]]) -> str | None:
    """Legend title saying what the band is, when any series averages several seeds."""
    seeds = max((max(agg.n) for _, _, agg in series if agg.n), default=1)
    return f"mean ± std over {seeds} seeds" if seeds > 1 else None


def curve_rows(panel: str, series: str, agg: AggCurve, scale: float = 1.0) -> list[dict[str, Any]]:
    """The CSV rows of one plotted series (values scaled exactly as drawn)."""
    return [
        {
            "panel": panel,
            "series": series,
            "step": s,
            "mean": m * scale,
            "std": 0.0 if math.isnan(d) else d * scale,
            "n": n,
        }
        for s, m, d, n in zip(agg.steps, agg.mean, agg.std, agg.n, strict=True)
    ]


def save_figure(fig: Any, stem: Path, rows: Sequence[dict[str, Any]]) -> list[Path]:
    """Write `<stem>.png`, `<stem>.pdf` and `<stem>.csv`; close the figure; return the paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf"), stem.with_suffix(".csv")]
    fig.savefig(paths[0], dpi=300)
    fig.savefig(paths[1])
    plt.close(fig)
    with open(paths[2], "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return paths


def read_figure_csv(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a figure CSV with numbers parsed (for tests and for re-plotting)."""
    with open(path, encoding="utf-8") as fh:
        return [
            {
                "panel": r["panel"],
                "series": r["series"],
                "step": int(r["step"]),
                "mean": float(r["mean"]),
                "std": float(r["std"]),
                "n": int(r["n"]),
            }
            for r in csv.DictReader(fh)
        ]
