"""A real two-point, two-seed Hydra sweep -> paper_figs figure and table, and a rerun that skips finished jobs.

The sweep runs through `experiments/common.sh` (what every experiments/<sweep>/launch.sh calls): a
GRPO multirun over `stage.module.beta=0.0,0.04` x `seed=0,1` on the reduced tiny model (a few steps,
a handful of prompts), then `python -m paper_figs.make_all` on the sweep folder. The figure's CSV and
the table's JSON are checked against the numbers the jobs themselves wrote (heldout.jsonl and the CSV
logger, which paper_figs reads only for tags TensorBoard lacks), and report.html against
heldout_samples.jsonl. The reduced model is barely trained, so its accuracy is 0;
the response lengths and timings differ between seeds and carry the mean ± std checks.
"""

from __future__ import annotations

import csv
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from paper_figs.plot import read_figure_csv

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
STEPS = 2
# The smallest settings, as an experiment file: its values stay out of the job folder names.
EXPERIMENT = f"""# @package _global_
defaults:
  - override /logger: many
  - override /callbacks: none
trainer:
  max_steps: {STEPS}
  val_check_interval: {STEPS}
  enable_progress_bar: false
data:
  train: {{n: 16}}
  heldout: {{n: 4}}
stage:
  datamodule: {{batch_size: 2, eval_batch_size: 4}}
  module:
    sampling: {{n: 2, max_new_tokens: 8}}
    eval_sampling: {{n: 2}}
"""
SETTINGS = {"beta=0.0": "stage.module.beta=0.0", "beta=0.04": "stage.module.beta=0.04"}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh model cache holding the reduced tiny model (never ~/.cache/r1lit)."""
    from r1lit.tiny.build import ensure_tiny_model

    cache = tmp_path_factory.mktemp("r1lit-cache")
    ensure_tiny_model("r1lit-tiny-test", cache_dir=cache)
    return cache


def launch(out_root: Path, conf_dir: Path, cache: Path) -> str:
    """`run_sweep` of experiments/common.sh, as a launch script calls it; returns its output."""
    overrides = [
        "experiment=sweep_test", "model.name_or_path=r1lit-tiny-test",
        "'stage.module.beta=0.0,0.04'", "'seed=0,1'",
    ]  # fmt: skip
    script = f". {REPO}/experiments/common.sh && run_sweep test {' '.join(overrides)}"
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(Path(bindir).parent),
        "R1LIT_OUTPUT_ROOT": str(out_root), "R1LIT_CONFIG_DIR": str(conf_dir), "R1LIT_CACHE": str(cache), "OMP_NUM_THREADS": "1",
    }  # fmt: skip
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def job_dir(sweep: Path, setting: str, seed: int) -> Path:
    # Hydra's override_dirname: the task overrides sorted by key
    return sweep / f"experiment=sweep_test,model.name_or_path=r1lit-tiny-test,seed={seed},{SETTINGS[setting]}"


def heldout_rows(job: Path) -> list[dict]:
    return [json.loads(line) for line in (job / "heldout.jsonl").read_text().splitlines()]


def csv_logger_curve(job: Path, tag: str) -> dict[int, float]:
    """What the CSV logger (not read by paper_figs) recorded for `tag`, by step."""
    with open(job / "csv" / "metrics.csv", encoding="utf-8") as fh:
        return {int(r["step"]): float(r[tag]) for r in csv.DictReader(fh) if r.get(tag)}


def snapshot(sweep: Path) -> dict[str, bytes]:
    """Every job's DONE.json, heldout.jsonl and TensorBoard event files (a retrained job changes them)."""
    files = [*sweep.glob("*/DONE.json"), *sweep.glob("*/heldout.jsonl"), *sweep.glob("*/tb/events.out.*")]
    return {str(p.relative_to(sweep)): p.read_bytes() for p in files}


def test_sweep_regenerates_figure_and_table_and_rerun_skips_finished_jobs(
    cache_dir: Path, tmp_path: Path
) -> None:
    conf_dir = tmp_path / "conf"
    (conf_dir / "experiment").mkdir(parents=True)
    (conf_dir / "experiment" / "sweep_test.yaml").write_text(EXPERIMENT)
    out = launch(tmp_path / "outputs", conf_dir, cache_dir)
    sweep = tmp_path / "outputs" / "sweeps" / "test"
    jobs = {(s, seed): job_dir(sweep, s, seed) for s in SETTINGS for seed in (0, 1)}
    for job in jobs.values():
        assert (job / "DONE.json").is_file(), out[-3000:]
        assert [r["step"] for r in heldout_rows(job)] == [0, STEPS]

    # Figure 2: one series per setting and metric, each step the mean (in %) of the two seeds
    figs = sweep / "paper_figs"
    fig2 = read_figure_csv(figs / "fig2_heldout_accuracy.csv")
    assert {(r["panel"], r["series"]) for r in fig2} == {
        (m, s) for m in ("pass@1", "cons@k") for s in SETTINGS
    }
    for r in fig2:
        logged = [100 * row[r["panel"]] for seed in (0, 1) for row in heldout_rows(jobs[r["series"], seed])
                  if row["step"] == r["step"]]  # fmt: skip
        assert r["n"] == 2 and r["mean"] == pytest.approx(statistics.mean(logged))
    # Figure 3: mean response length of the rollouts per step, as the CSV logger saw it
    fig3 = [r for r in read_figure_csv(figs / "fig3_response_length.csv") if r["panel"] == "all"]
    assert {r["series"] for r in fig3} == set(SETTINGS) and {r["step"] for r in fig3} == set(range(STEPS))
    for r in fig3:
        logged = [csv_logger_curve(jobs[r["series"], seed], "length/mean")[r["step"]] for seed in (0, 1)]
        assert r["mean"] == pytest.approx(statistics.mean(logged)) and r["std"] == pytest.approx(
            statistics.stdev(logged), abs=1e-9
        )
    assert (figs / "fig2_heldout_accuracy.png").stat().st_size > 0 and (
        figs / "fig3_response_length.pdf"
    ).is_file()

    # report.html: every job's held-out prompts, one column (k samples) per held-out evaluation
    page = (figs / "report.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="r1lit-data">(.*?)</script>', page, re.S).group(1))
    assert len(data["problems"]) == 4 * 4  # 4 jobs x data.heldout.n
    for problem in data["problems"]:
        assert [c["label"] for c in problem["cols"]] == ["step 0", f"step {STEPS}"]
        assert all(len(c["samples"]) == 2 for c in problem["cols"])  # eval_sampling.n
    assert "fig2_heldout_accuracy.png" in page and "reward (train rollouts)" in page

    # The ablation table: last held-out evaluation, mean ± sample std over the seeds
    numbers = json.loads((figs / "table_sweep.json").read_text())
    assert set(numbers) == set(SETTINGS)
    markdown = (figs / "table_sweep.md").read_text()
    for setting in SETTINGS:
        last = [heldout_rows(jobs[setting, seed])[-1] for seed in (0, 1)]
        lengths = [row["response_length"] for row in last]
        cell = numbers[setting]["response length (tokens)"]
        assert cell["n"] == 2 and cell["mean"] == pytest.approx(statistics.mean(lengths))
        assert cell["std"] == pytest.approx(statistics.stdev(lengths), abs=1e-9)
        assert numbers[setting]["held-out pass@1 (%)"]["mean"] == pytest.approx(
            100 * statistics.mean(r["pass@1"] for r in last)
        )
        assert numbers[setting]["no answer (%)"]["mean"] == pytest.approx(
            100 * statistics.mean(r["no_answer_frac"] for r in last)
        )
        shown = f"{statistics.mean(lengths):.1f} ± {statistics.stdev(lengths):.1f}"
        assert any(line.startswith(f"| {setting} | 2 |") and shown in line for line in markdown.splitlines())

    # Rerun the same command: the three finished jobs are skipped untouched, the unfinished one trains
    unfinished = jobs["beta=0.04", 1]
    (unfinished / "DONE.json").unlink()
    before = snapshot(sweep)
    out = launch(tmp_path / "outputs", conf_dir, cache_dir)
    after = snapshot(sweep)
    assert out.count("skipping ") == 3, out[-3000:]
    changed = {name.split("/")[0] for name in set(before) | set(after) if before.get(name) != after.get(name)}
    assert changed == {unfinished.name}
    assert (unfinished / "DONE.json").is_file()
