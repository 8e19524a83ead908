"""Text helpers for the md/tex/csv tables that eval and paper_figs write (pure Python, no torch).

One LaTeX escape for every table cell, caption and note: each special character is replaced in a single
pass, so the braces of an inserted `\\textbackslash{}` are never escaped a second time.
"""

from __future__ import annotations

import re

_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # Non-ASCII symbols the tables use, written so pdflatex needs no extra packages:
    "±": r"$\pm$",
    "—": "--",
}
_LATEX_RE = re.compile("|".join(re.escape(char) for char in _LATEX))


def latex_escape(text: object) -> str:
    """`text` as literal LaTeX text (e.g. `a_b 50%` -> `a\\_b 50\\%`)."""
    return _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], str(text))
