"""Results tables (paper layout + all metrics) and the versioned golden file of the paper's numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from r1lit_eval.report import (
    load_golden,
    metrics_table,
    paper_table,
    to_csv,
    to_latex,
    to_markdown,
    write_reports,
)

SUMMARY = {"n_problems": 30, "k": 64, "pass@1": 0.25, "pass@1_ci95": [0.2, 0.3], "pass@k": {"1": 0.25, "64": 0.9},
           "cons@k": 0.4, "unparseable_rate": 0.1, "truncated_rate": 0.05, "mean_completion_tokens": 123.4}  # fmt: skip
RESULTS = {"model": {"name_or_path": "org/model", "label": "my-model"},
           "benchmarks": {"aime24": SUMMARY, "math500": SUMMARY | {"k": 4, "cons@k": 0.5}, "synthetic": SUMMARY | {"k": 2}}}  # fmt: skip


def test_golden_file_is_versioned_sourced_and_prefers_the_pdf() -> None:
    g = load_golden()
    assert g["version"] >= 1 and "2501.12948" in g["source"]["paper"] and "README" in g["source"]["readme"]
    qwq = next(r for r in g["tables"]["table5"]["rows"] if r["model"] == "QwQ-32B-Preview")
    note = next(d for d in g["discrepancies"] if d["row"] == "QwQ-32B-Preview")
    assert qwq["aime24_pass1"] == note["pdf"] == note["kept"] == 50.0 and note["readme"] == 44.0
    r1zero = next(r for r in g["tables"]["table2"]["rows"] if r["model"] == "DeepSeek-R1-Zero")
    assert (r1zero["aime24_pass1"], r1zero["aime24_cons64"], r1zero["math500_pass1"]) == (71.0, 86.7, 95.9)
    keys = {c["key"] for c in g["columns"]}
    for table in g["tables"].values():
        for row in table["rows"]:
            assert set(row) - {"model"} == keys, row["model"]


def test_paper_table_has_reference_rows_then_ours() -> None:
    headers, rows = paper_table(RESULTS, load_golden(), ["table2", "table5"])
    assert headers[:4] == ["Model", "AIME 2024 pass@1", "AIME 2024 cons@64", "MATH-500 pass@1"]
    assert headers[-1] == "synthetic pass@1"  # benchmarks outside the paper's columns are appended
    assert rows[0][0] == "OpenAI-o1-mini (paper)"
    assert sum(r[0] == "OpenAI-o1-mini (paper)" for r in rows) == 1  # a model in two tables appears once
    ours = rows[-1]
    assert ours[0] == "my-model (ours)"
    assert ours[1:4] == ["25.0", "40.0", "25.0"]  # pass@1, cons@64 (k=64, no annotation), MATH-500
    assert ours[4] == "-" and ours[-1] == "25.0"


def test_cons_with_another_k_is_labelled() -> None:
    results = {"model": {"name_or_path": "m"}, "benchmarks": {"aime24": SUMMARY | {"k": 4}}}
    assert paper_table(results, load_golden(), ["table5"])[1][-1][2] == "40.0 (k=4)"


def test_unknown_reference_table() -> None:
    with pytest.raises(ValueError, match="unknown reference table 'table9'"):
        paper_table(RESULTS, load_golden(), ["table9"])


def test_formats_agree(tmp_path: Path) -> None:
    table = metrics_table(RESULTS)
    assert table[1][0][:6] == ["aime24", "30", "64", "25.0", "[20.0, 30.0]", "90.0 (k=64)"]
    md = to_markdown(table)
    assert md.splitlines()[0].startswith("| Benchmark | Problems | k | pass@1")
    assert list(csv.reader(io.StringIO(to_csv(table))))[1] == table[1][0]
    tex = to_latex(table, "All metrics (percentages).")
    assert "\\toprule" in tex and "Unparseable \\%" in tex and "\\caption{All metrics (percentages).}" in tex
    texts = write_reports(RESULTS, tmp_path, ["table5"])
    for stem in ("paper", "metrics"):
        for suffix in (".md", ".tex", ".csv"):
            assert (tmp_path / "tables" / f"{stem}{suffix}").is_file()
    assert "my-model (ours)" in texts["paper"]
