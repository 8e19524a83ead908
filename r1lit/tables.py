"""The md/tex/csv table pieces that eval (r1lit_eval.report) and paper_figs share (pure Python, no torch).

Each side keeps its own table layout (captions, reference rows, notes); the rows, the escaping, the CSV
dialect and the writing of `<stem>.md/.tex/.csv` are these. One LaTeX escape for every cell, caption and
note: each special character is replaced in a single pass, so the braces of an inserted
`\\textbackslash{}` are never escaped a second time.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

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


def latex_row(cells: Sequence[object]) -> str:
    """One tabular row: escaped cells joined by `&`, ended by `\\\\`."""
    return " & ".join(latex_escape(c) for c in cells) + r" \\"


def markdown_lines(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A GitHub-markdown table: header, separator, one line per row."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def csv_text(rows: Sequence[Sequence[object]]) -> str:
    """Rows (the header first) as CSV with `\\n` line ends."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_formats(stem: Path, texts: Mapping[str, str]) -> list[Path]:
    """Write `<stem><suffix>` for each suffix -> text (e.g. `.md`, `.tex`, `.csv`); returns the paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix, text in texts.items():
        path = stem.with_suffix(suffix)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
