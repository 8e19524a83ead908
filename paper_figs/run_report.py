"""report.html of a training run or sweep: held-out samples of each problem over RL steps, and the curves.

    python -m paper_figs.run_report DIR [--out PATH]

(An eval folder given as DIR gets `r1lit_eval.html_report.write_eval_report`'s page.)

Each held-out problem shows one column per evaluation step (how its answers changed during RL);
problems whose majority answer turned right come first, then those that turned wrong. Curves (reward,
response length, reflection rate, held-out pass@1) come from TensorBoard or the CSV logger, whichever
the run used, and `make_all`'s figure PNGs are embedded when given.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from r1lit_eval.html_report import write_eval_report
from r1lit_eval.html_report.page import Page, Problem, html_table, png_figure, svg_curves, write_page
from r1lit_eval.html_report.samples import clip_sample, make_col, question_text

from paper_figs.io import Run, discover_runs, read_jsonl
from r1lit.evaluation.summary import equivalence_for

log = logging.getLogger(__name__)
HELDOUT_SAMPLES = "heldout_samples.jsonl"
CURVES = {  # panel title -> the tags drawn in it
    "reward (train rollouts)": ["reward/total/mean"],
    "response length (tokens)": ["length/mean", "heldout/response_length"],
    "reflection rate (share of completions)": ["reflection/rate"],
    "held-out accuracy": ["heldout/pass@1", "heldout/cons@k"],
}
ORDER = {"learned during RL": 0, "forgotten during RL": 1, "solved throughout": 2, "never solved": 3}


def change_tag(first: float, last: float) -> str:
    """How a problem fared from the first to the last evaluation (solved: at least half the samples right)."""
    a, b = first >= 0.5, last >= 0.5
    return {
        (False, True): "learned during RL",
        (True, False): "forgotten during RL",
        (True, True): "solved throughout",
        (False, False): "never solved",
    }[a, b]


def run_problems(run: Run, prefix: str, kind: str) -> list[Problem]:
    """One Problem per held-out prompt of a run, one column per evaluation step."""
    path = run.path / HELDOUT_SAMPLES
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in read_jsonl(path) if path.is_file() else []:
        by_id.setdefault(str(row["id"]), []).append(row)
    equiv = equivalence_for(kind)
    problems = []
    for pid, rows in sorted(by_id.items()):
        rows.sort(key=lambda r: r["step"])
        cols = [
            make_col(
                f"step {r['step']}",
                r["preds"],
                r["status"],
                r["correct"],
                r["lengths"],
                ["length" if t else "stop" for t in r["truncated"]],
                equiv,
            )
            for r in rows
        ]
        texts = [[clip_sample(t) for t in r["texts"]] for r in rows]
        tag = change_tag(cols[0]["acc"], cols[-1]["acc"])
        question = question_text(rows[0].get("prompt", ""))  # held-out rows carry no prompt (yet)
        problems.append(Problem(prefix + pid, run.name, str(rows[0]["answer"]), question, cols, texts, tag))
    return problems


def curve_figures(runs: Sequence[Run]) -> list[str]:
    """One inline SVG per curve panel, a line per (run, tag) the runs logged; a note for what is missing."""
    figures, missing = [], []
    for title, tags in CURVES.items():
        series = {}
        for run in runs:
            for tag in tags:
                curve = run.curve(tag)
                if curve is not None and len(curve):
                    label = tag if len(runs) == 1 else f"{run.name}: {tag}"
                    series[label] = (curve.steps, curve.values)
        if series:
            figures.append(svg_curves(title, series))
        else:
            missing.append(f"{title} ({', '.join(tags)})")
    if missing:
        figures.append(
            f"<p class='meta'>Not logged by {'this run' if len(runs) == 1 else 'these runs'}: "
            f"{'; '.join(missing)}.</p>"
        )
    return figures


def heldout_table(runs: Sequence[Run]) -> str:
    """Held-out numbers of each evaluation, per run, from heldout.jsonl."""
    keys = ["pass@1", "cons@k", "response_length", "truncated_frac", "no_answer_frac"]
    rows = [
        [
            run.name,
            h["step"],
            *(f"{h[k]:.3f}" if isinstance(h.get(k), float) else h.get(k, "-") for k in keys),
        ]
        for run in runs
        for h in run.heldout
    ]
    return html_table("Held-out evaluations (heldout.jsonl)", ["run", "step", *keys], rows) if rows else ""


def write_run_report(
    root: str | Path, path: str | Path | None = None, pngs: Sequence[Path] = ()
) -> Path | None:
    """Write the report of a run or sweep folder (default `<root>/paper_figs/report.html`); None when no
    run under `root` saved held-out samples or curves."""
    root = Path(root)
    runs = discover_runs(root)
    if not runs:
        return None
    problems: list[Problem] = []
    for run in runs:
        kind = run.config_value("stage.module.eval_answer_kind") or "math"
        problems += run_problems(run, f"{run.name}/" if len(runs) > 1 else "", str(kind))
    problems.sort(key=lambda p: ORDER[p.tag])
    page = Page(
        title=f"r1lit training: {root.name}",
        meta=f"{root} · {len(runs)} run(s) · {len(problems)} held-out problem(s) over steps",
        tables=[t for t in [heldout_table(runs)] if t],
        figures=curve_figures(runs) + [png_figure(p) for p in pngs],
        bench_label="run",
    )
    return write_page(Path(path) if path else root / "paper_figs" / "report.html", page, problems)


def write_report(root: str | Path, path: Path, pngs: Sequence[Path] = ()) -> Path | None:
    """The report `make_all` writes: a training run's or sweep's, else an eval folder's; None if neither."""
    root = Path(root)
    if discover_runs(root):
        return write_run_report(root, path, pngs)
    if (root / "samples").is_dir():
        return write_eval_report(root, path, pngs)
    return None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="a training run or sweep directory")
    parser.add_argument("--out", default=None, help="report path (default: <root>/paper_figs/report.html)")
    args = parser.parse_args(argv)
    path = write_report(args.root, Path(args.out or Path(args.root) / "paper_figs" / "report.html"))
    if path is None:
        raise SystemExit(f"no training run or eval samples under {args.root}")
    print(path)


if __name__ == "__main__":
    main()
