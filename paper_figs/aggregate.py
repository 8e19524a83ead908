"""Pure aggregation for figures and tables: group runs by setting, mean and spread over seeds, formatting.

No file access and no matplotlib: everything takes plain values, so the numbers a figure or table
shows can be checked against hand-computed ones (tests/unit/test_paper_figs.py).

Conventions: the spread over seeds is the sample standard deviation (ddof=1; 0 with one seed), and
curves from several seeds are averaged step by step over the seeds that logged that step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paper_figs.io import Curve, Run
from r1lit.tables import latex_escape, latex_row, markdown_lines

# Overrides that never define a setting: the seed varies within a group, the rest are bookkeeping.
IGNORED_KEYS = ("seed", "run_name", "resume", "paths.output_root", "hydra.sweep.dir")


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation over `n` values (seeds)."""

    mean: float
    std: float
    n: int

    def format(self, scale: float = 1.0, digits: int = 1) -> str:
        """`"45.3 ± 2.1"` (n > 1), `"45.3"` (n == 1) or `"—"` (no value)."""
        if self.n == 0 or math.isnan(self.mean):
            return "—"
        text = f"{self.mean * scale:.{digits}f}"
        return f"{text} ± {self.std * scale:.{digits}f}" if self.n > 1 else text


def mean_std(values: Sequence[float]) -> Stat:
    """Mean and sample std (ddof=1, 0 for a single value) of the non-NaN `values`."""
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return Stat(math.nan, math.nan, 0)
    mean = sum(vals) / len(vals)
    var = sum((v - mean) ** 2 for v in vals) / (len(vals) - 1) if len(vals) > 1 else 0.0
    return Stat(mean, math.sqrt(var), len(vals))


@dataclass(frozen=True)
class AggCurve:
    """A curve averaged over seeds: per step, the mean, std and the number of seeds that logged it."""

    steps: tuple[int, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    n: tuple[int, ...]


def aggregate_curves(curves: Sequence[Curve]) -> AggCurve:
    """Step-wise mean and std over the curves (one per seed); a step counts the seeds that logged it."""
    steps = sorted({s for c in curves for s in c.steps})
    lookup = [dict(zip(c.steps, c.values, strict=True)) for c in curves]
    stats = [mean_std([d[s] for d in lookup if s in d]) for s in steps]
    return AggCurve(
        tuple(steps), tuple(x.mean for x in stats), tuple(x.std for x in stats), tuple(x.n for x in stats)
    )


def last_value(curve: Curve | None) -> float:
    """The value at the last logged step (NaN for no curve)."""
    return curve.values[-1] if curve is not None and len(curve) else math.nan


def tail_mean(curve: Curve | None, n: int) -> float:
    """Mean of the last `n` values (smooths noisy per-step training metrics; NaN for no curve)."""
    if curve is None or not len(curve):
        return math.nan
    tail = curve.values[-n:]
    return sum(tail) / len(tail)


# Readable names of override keys whose last part says little on its own (`n` is the group size G).
DISPLAY_NAMES = {"stage.module.sampling.n": "G", "stage.module.num_iterations": "mu"}


def short_key(key: str) -> str:
    """`stage.module.beta` -> `beta`; `reward` -> `reward` (labels must stay readable in a legend)."""
    return DISPLAY_NAMES.get(key, key.rsplit(".", 1)[-1])


def varying_keys(settings: Sequence[Mapping[str, str]], ignore: Sequence[str] = IGNORED_KEYS) -> list[str]:
    """Override keys whose value differs between runs (missing counts as a value), in sorted order."""
    keys = sorted({k for s in settings for k in s} - set(ignore))
    return [k for k in keys if len({s.get(k) for s in settings}) > 1]


def setting_label(setting: Mapping[str, str], keys: Sequence[str]) -> str:
    """`"beta=0.04, num_generations=8"` from the varying keys (short names unless two would clash)."""
    shorts = [short_key(k) for k in keys]
    names = shorts if len(set(shorts)) == len(shorts) else list(keys)
    return ", ".join(f"{name}={setting.get(key, '—')}" for name, key in zip(names, keys, strict=True))


def group_settings(
    settings: Sequence[Mapping[str, str]], default_label: str = "run", ignore: Sequence[str] = IGNORED_KEYS
) -> list[tuple[str, list[int]]]:
    """Group runs that differ only in ignored keys (the seed): `[(label, run indices), ...]`.

    Groups keep the order of first appearance; labels name only the keys that vary across groups, so
    a single setting (one run, or several seeds of one run) gets `default_label`.
    """
    keys = varying_keys(settings, ignore)
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(settings):
        groups.setdefault(tuple(s.get(k) for k in keys), []).append(i)
    if not keys:
        return [(default_label, list(range(len(settings))))]
    return [(setting_label(settings[idx[0]], keys), idx) for idx in groups.values()]


def sort_key_numeric(label: str) -> tuple:
    """Sort labels like `beta=0.0` < `beta=0.04` < `beta=0.2` numerically, others alphabetically."""
    parts = []
    for item in label.split(", "):
        _, _, value = item.partition("=")
        try:
            parts.append((0, float(value), ""))
        except ValueError:
            parts.append((1, 0.0, value))
    return tuple(parts)


# ---- tables ---------------------------------------------------------------------------------------


@dataclass
class Table:
    """A rendered table: string cells, an optional group of reference rows, and notes under it."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    reference_rows: list[list[str]] | None = None
    notes: list[str] | None = None

    def to_markdown(self) -> str:
        lines = [
            f"**{self.title}**",
            "",
            *markdown_lines(self.columns, (self.reference_rows or []) + self.rows),
        ]
        lines += [""] + [f"{note}  " for note in self.notes or []]
        return "\n".join(lines).rstrip() + "\n"

    def to_latex(self) -> str:
        esc = latex_escape
        lines = [
            "\\begin{table}[t]",
            "\\centering",
            "\\small",
            f"\\caption{{{esc(self.title)}}}",
            "\\begin{tabular}{l" + "c" * (len(self.columns) - 1) + "}",
            "\\toprule",
            latex_row(self.columns),
            "\\midrule",
        ]
        if self.reference_rows:
            lines += [*(latex_row(row) for row in self.reference_rows), "\\midrule"]
        lines += [latex_row(row) for row in self.rows]
        lines += ["\\bottomrule", "\\end{tabular}"]
        lines += [f"\\\\[2pt]\\footnotesize {esc(n)}" for n in self.notes or []]
        lines += ["\\end{table}"]
        return "\n".join(lines) + "\n"

    def to_csv_rows(self) -> list[list[str]]:
        return [self.columns] + (self.reference_rows or []) + self.rows


# ---- runs -> groups ---------------------------------------------------------------------------------


def group_runs(runs: Sequence[Run], default_label: str | None = None) -> list[tuple[str, list[Run]]]:
    """Runs grouped by setting (all overrides but the seed), sorted by label (numerically where possible).

    `default_label` names a lone setting; by default its `experiment=` override or its folder name.
    """
    if not runs:
        return []
    if default_label is None:
        default_label = runs[0].overrides.get("experiment") or runs[0].name
    groups = group_settings([r.overrides for r in runs], default_label)
    return sorted(
        ((label, [runs[i] for i in idx]) for label, idx in groups),
        key=lambda g: (min(r.order for r in g[1]), sort_key_numeric(g[0])),  # pipeline stages in run order
    )
