"""r1lit.tables.latex_escape: the one escape of table cells for LaTeX."""

from __future__ import annotations

import pytest

from r1lit.tables import latex_escape


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
