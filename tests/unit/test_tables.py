"""r1lit.tables: the one LaTeX escape and the md/tex/csv pieces that eval and paper_figs share."""

from __future__ import annotations

from pathlib import Path

import pytest

from r1lit.tables import csv_text, latex_escape, latex_row, markdown_lines, write_formats


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("pass@1_ci", r"pass@1\_ci"),
        ("50%", r"50\%"),
        ("A & B", r"A \& B"),
        ("#3", r"\#3"),
        ("$5", r"\$5"),
        ("{x}", r"\{x\}"),
        ("~1", r"\textasciitilde{}1"),
        ("x^2", r"x\textasciicircum{}2"),
        ("a\\b", r"a\textbackslash{}b"),  # its braces stay braces (escaping `{` after `\` broke them)
        ("0.5 ± 0.1 — n/a", r"0.5 $\pm$ 0.1 -- n/a"),
        (3.5, "3.5"),
    ],
)
def test_each_special_character_becomes_literal_text(text: object, latex: str) -> None:
    assert latex_escape(text) == latex


def test_rows_render_as_markdown_latex_and_csv_written_side_by_side(tmp_path: Path) -> None:
    assert markdown_lines(["a", "b"], [["1", "2"]]) == ["| a | b |", "|---|---|", "| 1 | 2 |"]
    assert latex_row(["a_b", "50%"]) == r"a\_b & 50\% \\"
    assert csv_text([["a", "b,c"], [1, 2]]) == 'a,"b,c"\n1,2\n'
    paths = write_formats(tmp_path / "t" / "table", {".md": "m", ".csv": "c"})
    assert [p.name for p in paths] == ["table.md", "table.csv"] and paths[1].read_text() == "c"
