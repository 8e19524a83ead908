"""report.html without a browser: safe embedding, clipping, answer clusters, chunking, comparison order.

The pages are read back by parsing their JSON blocks and chunk files; tests/browser checks what a
browser shows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from r1lit_eval.html_report import write_compare_report, write_eval_report
from r1lit_eval.html_report.page import clip, embed_json, read_chunk_script, settings, svg_curves
from r1lit_eval.html_report.samples import answer_clusters
from r1lit_eval.html_report.synthetic import HOSTILE, write_synthetic_eval, write_synthetic_run

from paper_figs.io import Run, read_jsonl
from paper_figs.run_report import run_problems

NASTY = [HOSTILE, "</SCRIPT >", "<!--<script>", "a\u2028b\u2029c", "]]>", "&lt;", "😀\x00\x1f"]


def json_blocks(page: Path) -> dict[str, object]:
    """Every `<script type="application/json" id=...>` block of a page, parsed."""
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', text, re.S)
    return {name: json.loads(body) for name, body in blocks}


def test_embedded_json_cannot_end_or_comment_its_script_and_round_trips() -> None:
    text = embed_json({"texts": NASTY})
    for bad in ("</", "<!--", "<script", "\u2028", "\u2029"):
        assert bad not in text.lower()
    assert json.loads(text) == {"texts": NASTY}


def test_clip_keeps_head_and_tail_and_says_how_much_went() -> None:
    assert clip("short", 3, 3) == "short"
    out = clip("A" * 10 + "x" * 100 + "Z" * 5, 10, 5)
    assert out.startswith("A" * 10) and out.endswith("Z" * 5) and "100 characters not shown" in out


def test_answer_clusters_merge_equivalent_answers_and_pick_the_vote() -> None:
    same = lambda a, b: a.replace(" ", "") == b.replace(" ", "")  # noqa: E731
    clusters, winner = answer_clusters(["1 /2", None, "3", "1/2", "3", "3"], [1, 0, 0, 1, 0, 0], same)
    assert clusters == [["1 /2", 2, True], ["3", 3, False]] and winner == 1
    assert answer_clusters(["a", "b"], [0, 0], None) == ([["a", 1, False], ["b", 1, False]], 0)  # tie: first
    assert answer_clusters([None, None], [0, 0], same) == ([], -1)


def test_answer_clusters_skip_equivalence_for_many_distinct_answers() -> None:
    calls = []
    many = [str(i) for i in range(settings()["equiv_max_distinct"] + 1)]
    clusters, _ = answer_clusters(many, [0] * len(many), lambda a, b: calls.append(a) or False)
    assert not calls and len(clusters) == len(many)


def test_eval_report_embeds_summaries_and_inline_chunks(tmp_path: Path) -> None:
    folder = write_synthetic_eval(tmp_path, n_problems=12, k=3, n_chars=200, benches=("b",))
    page = write_eval_report(folder)
    blocks = json_blocks(page)
    data = blocks.pop("r1lit-data")
    rows = read_jsonl(folder / "samples" / "b.jsonl")
    assert len(data["problems"]) == 12 and not (tmp_path / "report_data").exists()
    first = data["problems"][0]
    assert first["key"] == "b/p0000" and first["gold"] == "0"
    assert first["cols"][0]["samples"] == [
        [r["pred"], r["status"], int(r["correct"]), r["n_tokens"], r["finish_reason"]] for r in rows[:3]
    ]
    size = settings()["chunk_problems"]
    assert sorted(blocks) == [f"r1lit-chunk-{i}" for i in range(-(-12 // size))]
    texts = blocks["r1lit-chunk-0"]["b/p0000"][0]
    assert texts == ["<think>\n" + r["completion"] for r in rows[:3]]  # the forced prefix shown too
    assert "<table class='tbl'>" in page.read_text() and "synthetic-model" in page.read_text()


def test_large_reports_move_clipped_texts_to_chunk_files(tmp_path: Path, monkeypatch) -> None:
    folder = write_synthetic_eval(tmp_path, n_problems=5, k=2, n_chars=50_000, benches=("b",))
    monkeypatch.setitem(settings(), "inline_max_bytes", 1000)
    page = write_eval_report(folder)
    assert set(json_blocks(page)) == {"r1lit-data"}
    files = sorted((tmp_path / "report_data").glob("chunk-*.js"))
    assert len(files) == -(-5 // settings()["chunk_problems"])
    assert re.fullmatch(r'window\.r1litChunk\(0,"[A-Za-z0-9+/=]+"\);\n', files[0].read_text())
    texts = read_chunk_script(files[0].read_text())["b/p0000"][0]
    limit = settings()["sample_head_chars"] + settings()["sample_tail_chars"] + 60
    assert all(len(t) <= limit and "characters not shown" in t and t.endswith("}") for t in texts)
    monkeypatch.setitem(settings(), "inline_max_bytes", 10**9)
    write_eval_report(folder)  # small again: the stale chunk files go
    assert not list((tmp_path / "report_data").glob("chunk-*.js"))


def test_compare_puts_problems_one_model_solves_first(tmp_path: Path) -> None:
    a = write_synthetic_eval(tmp_path / "a", n_problems=9, k=4, n_chars=100, benches=("b",), label="A")
    b = write_synthetic_eval(
        tmp_path / "b", n_problems=9, k=4, n_chars=100, benches=("b",), label="B", shift=2
    )
    problems = json_blocks(write_compare_report(a, b, tmp_path / "c.html"))["r1lit-data"]["problems"]
    tags = [p["tag"] for p in problems]
    only = [t for t in tags if t.startswith("only")]
    assert only and tags[: len(only)] == only
    for p in problems:
        solved = [c["acc"] >= 0.5 for c in p["cols"]]
        assert p["tag"].startswith("only") == (solved[0] != solved[1])
    with pytest.raises(ValueError, match="share no"):
        write_compare_report(
            a, write_synthetic_eval(tmp_path / "c", 2, 1, 10, benches=("other",)), tmp_path / "x.html"
        )


def test_run_problems_follow_each_prompt_over_steps(tmp_path: Path) -> None:
    run = Run.load(write_synthetic_run(tmp_path / "run", steps=(0, 5, 10)))
    problems = {p.key: p for p in run_problems(run, "", "math")}
    q1 = problems["q1"]
    assert [c["label"] for c in q1.cols] == ["step 0", "step 5", "step 10"]
    assert [c["acc"] for c in q1.cols] == [0.0, 0.0, 1.0] and q1.tag == "learned during RL"
    assert q1.cols[-1]["clusters"] == [["7", 4, True]] and len(q1.texts[0]) == 4
    assert problems["q0"].tag == "solved throughout" and problems["q2"].tag == "never solved"


def test_make_all_on_an_eval_folder_writes_its_report(tmp_path: Path) -> None:
    from paper_figs.make_all import make_all

    folder = write_synthetic_eval(tmp_path / "eval", n_problems=3, k=2, n_chars=50, benches=("b",))
    made = make_all(folder)
    page = folder / "paper_figs" / "report.html"
    assert page in [p for paths in made.values() for p in paths]
    assert [p["key"] for p in json_blocks(page)["r1lit-data"]["problems"]] == [
        "b/p0000",
        "b/p0001",
        "b/p0002",
    ]


def test_svg_curves_skip_non_finite_points() -> None:
    svg = svg_curves("t", {"a": ((0, 1, 2), (1.0, float("nan"), 3.0)), "b": ((0,), (float("inf"),))})
    assert "nan" not in svg.lower() and "inf" not in svg.lower() and svg.count("<polyline") == 1
    assert svg_curves("t", {"b": ((0,), (float("nan"),))}) == ""


def test_sweep_report_keeps_each_runs_problems_apart(tmp_path: Path) -> None:
    from paper_figs.run_report import write_run_report

    for name in ("beta=0.0", "beta=0.04"):
        write_synthetic_run(tmp_path / "sweep" / name, steps=(0, 2))
    data = json_blocks(write_run_report(tmp_path / "sweep"))["r1lit-data"]
    keys = sorted(p["key"] for p in data["problems"])
    assert keys == [f"{run}/q{i}" for run in ("beta=0.0", "beta=0.04") for i in range(3)]
    assert {p["bench"] for p in data["problems"]} == {"beta=0.0", "beta=0.04"} and data[
        "bench_label"
    ] == "run"
    assert all([c["label"] for c in p["cols"]] == ["step 0", "step 2"] for p in data["problems"])
    assert data["problems"][0]["tag"] == "learned during RL"  # what changed during RL comes first
