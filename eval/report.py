"""Results tables: the paper's Table 2/5 layout with its reference rows beside ours, and a full metrics table.

Every table is written as Markdown, LaTeX (booktabs) and CSV from the same (headers, rows) pair.
Reference rows come from the versioned golden file `eval/golden/paper_tables.yaml` (source recorded
there). Our numbers are percentages with one decimal; a cons@ value computed over a k other than the
paper's 64 carries its k, e.g. `12.5 (k=4)`, so it is never mistaken for cons@64. The metrics table's
budget column shows when the model's context cut `max_new_tokens`, e.g. `32768 -> 12-460 (context 512)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from r1lit.tables import csv_text, latex_escape, latex_row, markdown_lines, write_formats

GOLDEN_PATH = Path(__file__).resolve().parent / "golden" / "paper_tables.yaml"
PAPER_CONS_K = 64
Table = tuple[list[str], list[list[str]]]


def load_golden(path: str | Path | None = None) -> dict[str, Any]:
    """The paper's reference tables: `path`, or the bundled `golden/paper_tables.yaml` when None."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster, same data
    with open(GOLDEN_PATH if path is None else path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def pct(value: float | None) -> str:
    """A fraction as a percentage with one decimal; "-" for missing."""
    return "-" if value is None else f"{100 * value:.1f}"


def ref_value(value: Any) -> str:
    """A golden-file value as printed (already a percentage or a rating)."""
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def our_value(summary: dict[str, Any] | None, metric: str | None) -> str:
    """Our number for one paper column, from one benchmark's summary."""
    if summary is None or metric is None:
        return "-"
    if metric == "cons@k":
        value = summary.get("cons@k")
        k = summary.get("k")
        return pct(value) if value is None or k == PAPER_CONS_K else f"{pct(value)} (k={k})"
    return pct(summary.get(metric))


def paper_table(results: dict[str, Any], golden: dict[str, Any], reference_tables: Sequence[str]) -> Table:
    """The paper's Table 2/5 columns (plus a pass@1 column per other benchmark we ran): reference rows, then ours."""
    benches = results.get("benchmarks", {})
    covered = {c["benchmark"] for c in golden["columns"]}
    extra = [
        {"key": None, "header": f"{name} pass@1", "benchmark": name, "metric": "pass@1"}
        for name in benches
        if name not in covered
    ]
    columns = golden["columns"] + extra  # our other benchmarks after the paper's columns
    headers = ["Model", *[c["header"] for c in columns]]
    rows, seen = [], set()
    for name in reference_tables:
        if name not in golden["tables"]:
            raise ValueError(
                f"unknown reference table {name!r}; the golden file has {sorted(golden['tables'])}"
            )
        for ref in golden["tables"][name]["rows"]:
            if ref["model"] in seen:
                continue
            seen.add(ref["model"])
            rows.append(
                [
                    f"{ref['model']} (paper)",
                    *[ref_value(ref.get(c["key"])) if c["key"] else "-" for c in columns],
                ]
            )
    label = results.get("model", {}).get("label") or results.get("model", {}).get("name_or_path", "ours")
    rows.append([f"{label} (ours)", *[our_value(benches.get(c["benchmark"]), c["metric"]) for c in columns]])
    return headers, rows


def budget_value(summary: dict[str, Any]) -> str:
    """The new-token budget: as requested, or `requested -> min-max (context C)` where the context cut it."""
    ctx = summary.get("context") or {}
    requested = ctx.get("max_new_tokens") or (summary.get("sampling") or {}).get("max_new_tokens")
    if requested is None:
        return "-"
    if not ctx.get("n_capped") and not ctx.get("n_prompt_truncated"):
        return str(requested)
    lo, hi = ctx.get("budget_min"), ctx.get("budget_max")
    return f"{requested} -> {lo if lo == hi else f'{lo}-{hi}'} (context {ctx.get('max_context')})"


def metrics_table(results: dict[str, Any]) -> Table:
    """One row per benchmark with every metric the harness computes."""
    headers = [
        "Benchmark",
        "Problems",
        "k",
        "pass@1",
        "95% CI",
        "pass@k (max k)",
        "cons@k",
        "Unparseable %",
        "Truncated %",
        "Mean tokens",
        "Max new tokens",
    ]
    rows = []
    for name, s in results.get("benchmarks", {}).items():
        lo, hi = s.get("pass@1_ci95") or (None, None)
        pk = s.get("pass@k") or {}
        top = max(pk, key=int) if pk else None
        tokens = s.get("mean_completion_tokens")
        rows.append(
            [
                name,
                str(s["n_problems"]),
                str(s["k"]),
                pct(s.get("pass@1")),
                f"[{pct(lo)}, {pct(hi)}]",
                f"{pct(pk[top])} (k={top})" if top else "-",
                "-" if s.get("cons@k") is None else f"{pct(s['cons@k'])} (k={s['k']})",
                pct(s.get("unparseable_rate")),
                pct(s.get("truncated_rate")),
                "-" if tokens is None else f"{tokens:.0f}",
                budget_value(s),
            ]
        )
    return headers, rows


def to_markdown(table: Table) -> str:
    headers, rows = table
    return "\n".join(markdown_lines(headers, rows)) + "\n"


def to_latex(table: Table, caption: str = "") -> str:
    headers, rows = table
    spec = "l" + "r" * (len(headers) - 1)
    out = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        latex_row(headers),
        r"\midrule",
        *(latex_row(row) for row in rows),
        r"\bottomrule",
        r"\end{tabular}",
    ]
    if caption:
        out.append(rf"\caption{{{latex_escape(caption)}}}")
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


def to_csv(table: Table) -> str:
    headers, rows = table
    return csv_text([headers, *rows])


def write_table(table: Table, stem: Path, caption: str = "") -> list[Path]:
    """Write `<stem>.md`, `<stem>.tex` and `<stem>.csv`; return their paths."""
    return write_formats(
        stem, {".md": to_markdown(table), ".tex": to_latex(table, caption), ".csv": to_csv(table)}
    )


def write_reports(
    results: dict[str, Any],
    out_dir: str | Path,
    reference_tables: Sequence[str] = ("table5",),
    golden_path: str | Path = GOLDEN_PATH,
) -> dict[str, str]:
    """Write `tables/paper.{md,tex,csv}` and `tables/metrics.{md,tex,csv}`; return the Markdown texts."""
    golden = load_golden(golden_path)
    tables = Path(out_dir) / "tables"
    paper = paper_table(results, golden, reference_tables)
    source = golden["source"]["paper"]
    write_table(paper, tables / "paper", caption=f"Reference rows: {source} (golden v{golden['version']}).")
    metrics = metrics_table(results)
    write_table(metrics, tables / "metrics", caption="All metrics (percentages).")
    return {"paper": to_markdown(paper), "metrics": to_markdown(metrics)}
