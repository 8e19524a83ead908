"""Regenerate every figure and table for a run or sweep directory: the one command of paper_figs.

    python -m paper_figs.make_all DIR [--out OUT] [--eval LABEL=DIR ...] [--tables auto|none|table2,...]

DIR is a training run (`outputs/grpo/<run_name>/`), a sweep (`outputs/multirun/grpo/<sweep>/`) or a
folder of eval results. Writes into OUT (default `DIR/paper_figs/`):

- `fig2_heldout_accuracy.{png,pdf,csv}`: Figure 2, held-out pass@1 and cons@k over RL steps;
- `fig3_response_length.{png,pdf,csv}`: Figure 3, mean response length per step (all / correct / incorrect);
- `table_sweep.{md,tex,csv,json}`: the ablation table, when DIR holds more than one setting;
- `table2_r1_zero.*`, `table4_r1.*`, `table5_distilled.*`, `table6_distill_vs_rl.*`: the paper's tables with our eval
  rows, when eval results exist (`auto` picks them from the experiment name);
- `fig_reflection.{png,pdf,csv}` and `table3_aha.md`: the reflection rate and the aha-moment examples, for
  runs of the reflection and search worlds (held-out task bigarith or modsearch);
- `report.html`: tables, figures and a sample browser (held-out samples over steps for a run, every
  sample of an eval folder), one file that opens from disk;
- `index.md`: what was made, and the command that makes each file.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

from paper_figs.aggregate import group_runs
from paper_figs.eval_tables import collect_eval_rows, make_eval_table, parse_labelled
from paper_figs.fig2_heldout_accuracy import make_figure2
from paper_figs.fig3_response_length import make_figure3
from paper_figs.fig_reflection import HELDOUT_SAMPLES, make_fig_reflection
from paper_figs.io import Run, discover_runs
from paper_figs.run_report import write_report
from paper_figs.table3_aha import make_table3
from paper_figs.table_sweep import make_sweep_table

log = logging.getLogger(__name__)
LOGGED_BY = "(TensorBoard, the CSV logger's metrics.csv, or heldout.jsonl)"
NOT_DRAWN = {  # figure command -> why it is absent when it drew nothing
    "python -m paper_figs.fig2_heldout_accuracy {root} --out {out}": "Figure 2 (fig2_heldout_accuracy): no run "
    f"logged heldout/pass@1 or heldout/cons@k {LOGGED_BY}",
    "python -m paper_figs.fig3_response_length {root} --out {out}": "Figure 3 (fig3_response_length): no run "
    f"logged length/mean, length/correct/mean or length/incorrect/mean {LOGGED_BY}",
}
REFLECTION_TASKS = ("bigarith", "modsearch")  # held-out tasks whose samples fig_reflection / table3_aha read
TABLES = {  # table key -> (file stem, script)
    "table2": ("table2_r1_zero", "paper_figs.table2_r1_zero"),
    "table4_r1": ("table4_r1", "paper_figs.table4_r1"),
    "table5": ("table5_distilled", "paper_figs.table5_distilled"),
    "table6": ("table6_distill_vs_rl", "paper_figs.table6_distill_vs_rl"),
}


def auto_tables(experiment: str | None) -> list[str]:
    """The paper tables an experiment's eval results belong in."""
    name = (experiment or "").lower()
    if "distill_vs_rl" in name:
        return ["table6", "table5"]
    if "distill" in name:
        return ["table5"]
    if "pipeline" in name or "cold_start" in name:
        return ["table2", "table4_r1"]  # R1-Zero (the first RL stage) and R1 (the last)
    return ["table2"]


def experiment_name(root: Path, runs: Sequence[Run]) -> str | None:
    """The experiment behind `root`: its runs' `experiment=` override, else the saved config's task name."""
    for run in runs:
        if run.overrides.get("experiment"):
            return run.overrides["experiment"]
    return Run.load(root).config_value("task_name") if (root / "config.yaml").is_file() else None


def make_all(
    root: str | Path,
    out: str | Path | None = None,
    tables: str = "auto",
    labelled: Sequence[tuple[str, str]] = (),
) -> dict[str, list[Path]]:
    """Make every figure and table that `root`'s outputs support; returns {command: files written}."""
    root = Path(root)
    out = Path(out) if out else root / "paper_figs"
    made: dict[str, list[Path]] = {}
    runs = discover_runs(root)
    missing: list[str] = []
    if runs:
        made[f"python -m paper_figs.fig2_heldout_accuracy {root} --out {out}"] = make_figure2(root, out)
        made[f"python -m paper_figs.fig3_response_length {root} --out {out}"] = make_figure3(root, out)
        for cmd, why in NOT_DRAWN.items():
            if not made[cmd.format(root=root, out=out)]:
                missing.append(why)
                log.warning("%s", why)
        if any(run.config_value("data.heldout.task") in REFLECTION_TASKS for run in runs):
            made[f"python -m paper_figs.fig_reflection {root} --out {out}"] = make_fig_reflection(root, out)
            if (root / HELDOUT_SAMPLES).is_file():  # one run: its aha moments
                made[f"python -m paper_figs.table3_aha {root} --out {out}"] = make_table3(root, out)
        if len(group_runs(runs)) > 1:
            made[f"python -m paper_figs.table_sweep {root} --out {out}"] = make_sweep_table(
                root, out, f"{root.name}: end-of-training numbers per setting"
            )
    if tables != "none" and (labelled or collect_eval_rows(root)):
        keys = auto_tables(experiment_name(root, runs)) if tables == "auto" else tables.split(",")
        extra = " ".join(f"--eval {label}={d}" for label, d in labelled)
        for key in keys:
            stem, script = TABLES[key]
            made[f"python -m {script} {root} {extra} --out {out}".replace("  ", " ")] = make_eval_table(
                key, root, out, stem, labelled
            )
    made = {cmd: paths for cmd, paths in made.items() if paths}
    pngs = [p for paths in made.values() for p in paths if p.suffix == ".png"]
    report = write_report(root, out / "report.html", pngs)
    if report is not None:
        made[f"python -m paper_figs.run_report {root} --out {report}"] = [report]
    if made:
        write_index(out, root, made, missing)
    return made


def write_index(out: Path, root: Path, made: dict[str, list[Path]], missing: Sequence[str] = ()) -> Path:
    """`index.md`: each output file with the command that regenerates it, then what could not be drawn."""
    lines = [
        f"# Figures and tables for `{root}`",
        "",
        f"All of them: `python -m paper_figs.make_all {root} --out {out}`",
        "",
    ]
    for cmd, paths in made.items():
        lines += [f"- `{cmd}`"] + [f"  - [{p.name}]({p.name})" for p in paths]
    if missing:
        lines += ["", "Not drawn:", ""] + [f"- {why}" for why in missing]
    path = out / "index.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="a run, sweep (multirun) or eval directory")
    parser.add_argument("--out", default=None, help="output folder (default: <root>/paper_figs)")
    parser.add_argument(
        "--tables", default="auto", help="auto | none | comma-separated of " + ",".join(TABLES)
    )
    parser.add_argument("--eval", action="append", default=[], metavar="LABEL=DIR", help="an extra table row")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(message)s"
    )  # fontTools and TensorBoard chatter at INFO
    logging.getLogger("paper_figs").setLevel(logging.INFO)
    made = make_all(args.root, args.out, args.tables, parse_labelled(args.eval))
    if not made:
        raise SystemExit(
            f"nothing to plot under {args.root}: no TensorBoard logs, heldout.jsonl or eval results"
        )
    for paths in made.values():
        for path in paths:
            print(path)


if __name__ == "__main__":
    main()
