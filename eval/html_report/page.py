"""Assemble report.html: tables, figures and the sample browser, in one file that opens from disk.

The page is the template in `assets/` with the CSS and JS inlined, the problem summaries embedded as
JSON in a `<script type="application/json">` block, and the sample texts in chunks: inline JSON blocks
while they fit `inline_max_bytes`, else sibling `<stem>_data/chunk-N.js` files (zlib + base64) that the page
loads with `<script src>` (which works from file://) only when one of their problems is opened.

Model output is data, never markup: every JSON block escapes `<`, `>` and `&` (so no `</script>` or
`<!--` in a sample can end or alter the block), tables are HTML-escaped here, and the JS sets sample
text through `textContent` only.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import string
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parent / "assets"
SETTINGS = Path(__file__).resolve().parent / "report.yaml"
# JSON text that is safe inside <script>: these never appear raw, so nothing can close or comment the block.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@cache
def settings() -> dict[str, Any]:
    """The report settings of `report.yaml` (page size, text limits, chunking, reflection phrases)."""
    return yaml.safe_load(SETTINGS.read_text(encoding="utf-8"))


def embed_json(obj: Any) -> str:
    """`obj` as JSON that can sit inside an HTML `<script>` element unchanged (and stays valid JS)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.translate(str.maketrans(_JSON_ESCAPES))


def clip(text: str, head: int, tail: int) -> str:
    """`text` with its middle cut when longer than head + tail characters; the cut says how much went."""
    if len(text) <= head + tail:
        return text
    cut = len(text) - head - tail
    return f"{text[:head]}\n[... {cut} characters not shown ...]\n{text[len(text) - tail :]}"


@dataclass
class Problem:
    """One problem of the browser: its summary (always embedded) and its sample texts (chunked).

    `cols` are the sample sets shown for it (one eval; two compared evals; one per training step), each
    `{"label", "samples": [[pred, status, ok, tokens, finish_reason], ...], "clusters": [[answer, count,
    ok], ...], "winner": index of the majority-vote cluster or -1}`; `texts[c][j]` is sample j of col c.
    """

    key: str
    bench: str
    gold: str
    question: str
    cols: list[dict[str, Any]]
    texts: list[list[str]]
    tag: str = ""

    def summary(self, chunk: int) -> dict[str, Any]:
        return {
            "key": self.key,
            "bench": self.bench,
            "gold": self.gold,
            "question": self.question,
            "cols": self.cols,
            "tag": self.tag,
            "chunk": chunk,
        }


@dataclass
class Page:
    """Everything on one report page besides the samples: title, a line of context, tables, figures."""

    title: str
    meta: str = ""
    tables: list[str] = field(default_factory=list)  # HTML from `html_table`
    figures: list[str] = field(default_factory=list)  # HTML from `png_figure` / `svg_curves`
    side_by_side: bool = False  # cols of a problem in columns (a comparison) rather than stacked
    bench_label: str = "benchmark"  # what the first filter selects (a benchmark, or a run of a sweep)


def html_table(
    caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], collapsed: bool = False
) -> str:
    """An escaped HTML table with a heading; `collapsed` puts it in a closed <details> (long reference tables)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    table = f"<table class='tbl'><tr>{head}</tr>{body}</table>"
    if collapsed:
        return f"<details><summary><b>{html.escape(caption)}</b></summary>\n{table}</details>"
    return f"<h2>{html.escape(caption)}</h2>\n{table}"


def png_figure(path: Path, caption: str | None = None) -> str:
    """A PNG file embedded as a base64 data URL, with a caption (the file name by default)."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    cap = html.escape(caption or Path(path).name)
    return (
        f"<figure><img alt='{cap}' src='data:image/png;base64,{data}'><figcaption>{cap}</figcaption></figure>"
    )


def svg_curves(title: str, series: dict[str, tuple[Sequence[float], Sequence[float]]]) -> str:
    """A small inline SVG line chart of `{label: (steps, values)}` with min/max axis labels (NaN/inf dropped)."""
    finite = {k: [(x, y) for x, y in zip(*v, strict=True) if math.isfinite(y)] for k, v in series.items()}
    series = {k: ([x for x, _ in pts], [y for _, y in pts]) for k, pts in finite.items() if pts}
    points = [(x, y) for xs, ys in series.values() for x, y in zip(xs, ys, strict=True)]
    if not points:
        return ""
    w, h, pad = 360, 180, 34
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(0.0, min(p[1] for p in points)), max(p[1] for p in points)
    sx = (w - 2 * pad) / ((x1 - x0) or 1)
    sy = (h - 2 * pad) / ((y1 - y0) or 1)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' role='img'>",
        f"<rect x='{pad}' y='{pad}' width='{w - 2 * pad}' height='{h - 2 * pad}' fill='none' stroke='#ccc'/>",
        f"<text x='{pad}' y='{h - 8}' font-size='10'>{x0:g}</text>",
        f"<text x='{w - pad}' y='{h - 8}' font-size='10' text-anchor='end'>step {x1:g}</text>",
        f"<text x='2' y='{h - pad}' font-size='10'>{y0:.3g}</text>",
        f"<text x='2' y='{pad + 4}' font-size='10'>{y1:.3g}</text>",
    ]
    for i, (label, (xs, ys)) in enumerate(series.items()):
        pts = " ".join(
            f"{pad + (x - x0) * sx:.1f},{h - pad - (y - y0) * sy:.1f}" for x, y in zip(xs, ys, strict=True)
        )
        color = colors[i % len(colors)]
        parts.append(f"<polyline fill='none' stroke='{color}' stroke-width='1.5' points='{pts}'/>")
        parts.append(
            f"<text x='{pad + 4}' y='{pad + 12 + 12 * i}' font-size='10' fill='{color}'>{html.escape(label)}</text>"
        )
    parts.append("</svg>")
    return f"<figure>{''.join(parts)}<figcaption>{html.escape(title)}</figcaption></figure>"


def _asset(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    if name != "template.html" and ("</script" in text.lower() or "<!--" in text):
        raise ValueError(
            f"{name} must not contain '</script' or '<!--' (it is inlined into a <script>/<style>)"
        )
    return text


def _chunk_payloads(problems: Sequence[Problem], size: int) -> list[dict[str, list[list[str]]]]:
    return [{p.key: p.texts for p in problems[i : i + size]} for i in range(0, len(problems), size)]


def chunk_script(index: int, payload: str) -> str:
    """A sibling chunk file: its JSON zlib-compressed and base64-encoded (reasoning text shrinks several
    times), handed to the page's `r1litChunk`, which inflates it with the browser's DecompressionStream."""
    packed = base64.b64encode(zlib.compress(payload.encode("utf-8"), 6)).decode("ascii")
    return f'window.r1litChunk({index},"{packed}");\n'


def read_chunk_script(text: str) -> Any:
    """The JSON payload of a chunk file (the inverse of `chunk_script`)."""
    packed = text.split('"')[1]
    return json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8"))


def write_page(path: str | Path, page: Page, problems: Sequence[Problem]) -> Path:
    """Write the report page (and, for large data, its `<stem>_data/` chunk files); returns the page's path."""
    cfg = settings()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = cfg["chunk_problems"]
    payloads = [embed_json(c) for c in _chunk_payloads(problems, size)]
    chunk_dir = path.parent / f"{path.stem}_data"
    for old in chunk_dir.glob("chunk-*.js"):  # stale chunks of an earlier, larger report
        old.unlink()
    inline = sum(len(p) for p in payloads) <= cfg["inline_max_bytes"]
    if inline:
        chunks_html = "\n".join(
            f'<script type="application/json" id="r1lit-chunk-{i}">{p}</script>'
            for i, p in enumerate(payloads)
        )
    else:
        chunk_dir.mkdir(exist_ok=True)
        for i, payload in enumerate(payloads):
            (chunk_dir / f"chunk-{i}.js").write_text(chunk_script(i, payload), encoding="utf-8")
        chunks_html = ""
    data = {
        "problems": [p.summary(i // size) for i, p in enumerate(problems)],
        "page_size": cfg["page_size"],
        "reflection": cfg["reflection_phrases"],
        "chunk_dir": chunk_dir.name,
        "inline": inline,
        "n_chunks": len(payloads),
        "side_by_side": page.side_by_side,
        "bench_label": page.bench_label,
    }
    text = string.Template(_asset("template.html")).substitute(
        title=html.escape(page.title),
        meta=html.escape(page.meta),
        tables="\n".join(page.tables),
        figures="\n".join(page.figures),
        css=_asset("report.css"),
        js=_asset("report.js"),
        data=embed_json(data),
        chunks=chunks_html,
    )
    path.write_text(text, encoding="utf-8")
    log.info(
        "wrote %s (%d problems, samples %s)", path, len(problems), "inline" if inline else f"in {chunk_dir}"
    )
    return path
