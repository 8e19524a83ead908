"""report.html in a real (headless) browser: filters, an opened problem, and hostile sample text.

Each test writes a fixture (an eval folder, two to compare, a training run) with
`r1lit_eval.html_report.synthetic`, renders its report, loads it from disk with a URL hash that sets the
filters and opens one problem, and reads what the page shows back from the DOM Chromium dumps.
Samples contain `</script>`, `<!--`, `<img onerror>` and script tags that would set
`data-pwned` on <body> if they ever ran.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from r1lit_eval.html_report import write_compare_report, write_eval_report
from r1lit_eval.html_report.page import settings
from r1lit_eval.html_report.synthetic import write_synthetic_eval, write_synthetic_run

from paper_figs.io import read_jsonl
from paper_figs.make_all import make_all


def count_line(dom: str) -> str:
    return re.search(r'id="count">([^<]*)<', dom).group(1)


def statuses(dom: str) -> list[str]:
    """The outcome of every sample shown (`#j status` heads of the opened problem)."""
    return re.findall(r'<span class="st-\w+">#\d+ (\w+)</span>', dom)


def assert_inert(dom: str) -> None:
    """No sample text ran or became markup: nothing set data-pwned, no <img> exists, the text is shown."""
    assert "data-pwned" not in dom
    assert "<img src=" not in dom.replace("<img alt=", "")  # figure images carry alt first
    assert "&lt;/script&gt;&lt;script&gt;document.body.dataset.pwned=1&lt;/script&gt;" in dom


@pytest.fixture(params=["inline", "chunk files"])
def eval_report(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An eval folder's report with its sample texts inside the page, or in report_data/chunk-N.js files."""
    if request.param == "chunk files":
        monkeypatch.setitem(settings(), "inline_max_bytes", 0)
    folder = write_synthetic_eval(tmp_path / "eval", n_problems=30, k=5, n_chars=600)  # sample 4: cut off
    page = write_eval_report(folder)
    assert (folder / "report_data").is_dir() == (request.param == "chunk files")
    return page


def test_eval_report_filters_and_opens_a_problem(eval_report: Path, dump_dom) -> None:
    dom = dump_dom(eval_report, "bench=synth_b&status=incorrect&open=synth_b/p0001")
    rows = read_jsonl(eval_report.parent / "samples" / "synth_b.jsonl")
    expected = len({r["problem_id"] for r in rows if r["status"] == "incorrect"})
    assert 0 < expected < 30
    assert count_line(dom).startswith(f"{expected} of 60 problems")
    keys = re.findall(r'<details class="problem"[^>]*data-key="([^"]+)"', dom)
    assert keys and all(k.startswith("synth_b/") for k in keys)
    shown = statuses(dom)  # only the opened problem's samples are in the DOM
    assert shown and set(shown) == {"incorrect"}
    answers = re.findall(r'<mark class="answer">([^<]*)</mark>', dom)
    assert answers and all(a in {"2", "3"} for a in answers)  # gold 1: incorrect answers 2 and 3
    assert '<details class="think">' in dom and '<mark class="reflect">Wait</mark>' in dom
    assert_inert(dom)


def test_eval_report_search_and_pages(eval_report: Path, dump_dom) -> None:
    dom = dump_dom(eval_report, "q=p0007")
    assert count_line(dom).startswith("2 of 60 problems")  # p0007 of both benchmarks
    dom = dump_dom(eval_report, "page=2")
    assert count_line(dom) == "60 of 60 problems · page 3 of 3"
    assert len(re.findall(r'<details class="problem"', dom)) == 60 - 2 * settings()["page_size"]
    dom = dump_dom(eval_report, "status=truncated&open=synth_a/p0002")
    assert set(statuses(dom)) == {"no_answer"} and "(none)" in dom and "finish: length" in dom
    assert "finish: stop" not in dom and "<summary>think (unfinished, " in dom  # cut off while thinking


def test_search_finds_sample_text_and_a_link_opens_its_page(eval_report: Path, dump_dom) -> None:
    rows = [
        r for b in ("synth_a", "synth_b") for r in read_jsonl(eval_report.parent / "samples" / f"{b}.jsonl")
    ]
    hits = {(r["benchmark"], r["problem_id"]) for r in rows if "boxed{13}" in r["completion"]}
    assert hits  # in sample texts only: ids, questions and answers never hold "boxed{"
    dom = dump_dom(eval_report, "q=boxed{13}")
    inline = not (eval_report.parent / "report_data").is_dir()
    if inline:  # every sample text is in the page, so every text is searched
        assert count_line(dom).startswith(f"{len(hits)} of 60 problems")
    else:  # only ids, questions, answers until a chunk is opened
        assert count_line(dom).startswith("0 of 60 problems")
    dom = dump_dom(eval_report, "open=synth_b/p0027")
    assert "page 3 of 3" in count_line(dom) and len(statuses(dom)) == 5


def test_compare_report_lists_disagreements_first(tmp_path: Path, dump_dom) -> None:
    a = write_synthetic_eval(tmp_path / "a", n_problems=9, k=4, n_chars=300, label="model-a")
    b = write_synthetic_eval(tmp_path / "b", n_problems=9, k=4, n_chars=300, label="model-b", shift=1)
    page = write_compare_report(a, b, tmp_path / "compare.html")
    dom = dump_dom(page, "")
    tags = re.findall(r'data-key="[^"]+"><summary>.*?<span class="chip">([^<]*)</span>', dom)
    assert tags and tags[0].startswith("only")
    first_other = next(i for i, t in enumerate(tags) if not t.startswith("only"))
    assert all(not t.startswith("only") for t in tags[first_other:])
    key = re.search(r'data-key="([^"]+)"', dom).group(1)
    dom = dump_dom(page, f"open={key}")
    assert re.findall(r"<h3>([^<]*)</h3>", dom) == ["model-a", "model-b"]  # side by side, A then B
    assert len(statuses(dom)) == 8
    assert_inert(dom)


def test_training_run_report_shows_a_problem_over_steps(tmp_path: Path, dump_dom) -> None:
    run = write_synthetic_run(tmp_path / "run", steps=(0, 5, 10))
    make_all(run)
    page = run / "paper_figs" / "report.html"
    dom = dump_dom(page, "tag=learned during RL&open=q1")
    assert count_line(dom).startswith("1 of 3 problems")
    assert re.findall(r"<h3>([^<]*)</h3>", dom) == ["step 0", "step 5", "step 10"]
    answers = re.findall(r'<mark class="answer">([^<]*)</mark>', dom)
    assert answers == ["5"] * 8 + ["7"] * 4  # wrong at steps 0 and 5, right at step 10
    for caption in ("reward (train rollouts)", "reflection rate", "fig3_response_length.png"):
        assert caption in dom
    assert_inert(dom)
