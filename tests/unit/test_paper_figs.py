"""paper_figs on synthetic run outputs: aggregation by hand, and figures / tables whose numbers are read back.

Runs are faked the way r1lit-train writes them (`.hydra/overrides.yaml`, `config.yaml`, TensorBoard
event files from a real SummaryWriter under `tb/`, `heldout.jsonl`) and eval folders the way
r1lit-eval writes them (a results JSON + `samples/<bench>.jsonl`). No model anywhere.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import yaml

from paper_figs.aggregate import (
    Stat,
    Table,
    aggregate_curves,
    group_settings,
    mean_std,
    sort_key_numeric,
    tail_mean,
    varying_keys,
)
from paper_figs.io import Curve, Run, discover_runs, read_eval_dir
from paper_figs.plot import read_figure_csv


def fake_run(
    path: Path, overrides: dict[str, object], scalars: dict[str, dict[int, float]], k: int = 4
) -> Path:
    """A run folder as r1lit-train leaves it; `scalars` is tag -> {step: value}."""
    from torch.utils.tensorboard import SummaryWriter

    (path / ".hydra").mkdir(parents=True)
    (path / ".hydra" / "overrides.yaml").write_text(
        yaml.safe_dump([f"{k_}={v}" for k_, v in overrides.items()])
    )
    config = {"seed": int(overrides.get("seed", 0)), "stage": {"module": {"eval_sampling": {"n": k}}}}
    (path / "config.yaml").write_text(yaml.safe_dump(config))
    writer = SummaryWriter(str(path / "tb"))
    for tag, points in scalars.items():
        for step, value in points.items():
            writer.add_scalar(tag, value, step)
    writer.close()
    return path


def heldout(p1: list[float], cons: list[float], steps=(0, 5, 10)) -> dict[str, dict[int, float]]:
    return {
        "heldout/pass@1": dict(zip(steps, p1, strict=True)),
        "heldout/cons@k": dict(zip(steps, cons, strict=True)),
    }


# ---- pure aggregation ---------------------------------------------------------------------------------


def test_mean_std_is_sample_std_and_skips_nan() -> None:
    s = mean_std([1.0, 2.0, 3.0, math.nan])
    assert (s.mean, s.n) == (2.0, 3) and s.std == pytest.approx(1.0)
    assert mean_std([5.0]) == Stat(5.0, 0.0, 1)
    assert mean_std([]).n == 0 and mean_std([]).format() == "—"


def test_stat_format() -> None:
    assert Stat(0.4532, 0.0213, 2).format(100, 1) == "45.3 ± 2.1"
    assert Stat(0.4532, 0.0, 1).format(100, 1) == "45.3"


def test_curve_keeps_last_value_of_a_relogged_step() -> None:
    c = Curve.from_pairs([(2, 1.0), (0, 0.5), (2, 3.0)])
    assert c.steps == (0, 2) and c.values == (0.5, 3.0)


def test_aggregate_curves_counts_seeds_per_step() -> None:
    agg = aggregate_curves([Curve((0, 5), (0.1, 0.3)), Curve((0, 5, 10), (0.3, 0.5, 0.9))])
    assert agg.steps == (0, 5, 10)
    assert agg.mean == pytest.approx((0.2, 0.4, 0.9))
    assert agg.std[0] == pytest.approx(math.sqrt(0.02)) and agg.n == (2, 2, 1) and agg.std[2] == 0.0


def test_tail_mean() -> None:
    assert tail_mean(Curve((0, 1, 2, 3), (1.0, 2.0, 3.0, 5.0)), 2) == 4.0
    assert math.isnan(tail_mean(None, 3))


def test_group_settings_ignores_seed_and_labels_varying_keys() -> None:
    settings = [
        {"experiment": "x", "stage.module.beta": "0.0", "seed": "0"},
        {"experiment": "x", "stage.module.beta": "0.04", "seed": "0"},
        {"experiment": "x", "stage.module.beta": "0.0", "seed": "1"},
    ]
    assert varying_keys(settings) == ["stage.module.beta"]
    assert group_settings(settings) == [("beta=0.0", [0, 2]), ("beta=0.04", [1])]
    assert group_settings(settings[:1] + settings[2:], default_label="R1-Zero") == [("R1-Zero", [0, 1])]


def test_group_size_is_labelled_g() -> None:
    settings = [{"stage.module.sampling.n": "4"}, {"stage.module.sampling.n": "8"}]
    assert [label for label, _ in group_settings(settings)] == ["G=4", "G=8"]


def test_numeric_label_sort() -> None:
    labels = ["beta=0.2", "beta=0.0", "beta=0.04"]
    assert sorted(labels, key=sort_key_numeric) == ["beta=0.0", "beta=0.04", "beta=0.2"]


def test_table_renders_markdown_and_latex() -> None:
    t = Table(
        "T", ["model", "pass@1"], [["ours_1", "45.3 ± 2.1"]], reference_rows=[["paper", "71.0"]], notes=["n"]
    )
    md = t.to_markdown()
    assert md.index("| paper | 71.0 |") < md.index("| ours_1 | 45.3 ± 2.1 |")
    tex = t.to_latex()
    assert "ours\\_1 & 45.3 $\\pm$ 2.1 \\\\" in tex and "\\midrule" in tex


# ---- reading run outputs --------------------------------------------------------------------------------


def test_run_reads_tensorboard_and_falls_back_to_heldout_jsonl(tmp_path: Path) -> None:
    run_dir = fake_run(tmp_path / "r", {"seed": 3}, {"length/mean": {1: 10.0, 2: 12.0}})
    (run_dir / "heldout.jsonl").write_text(
        json.dumps({"step": 0, "k": 4, "pass@1": 0.25, "cons@k": 0.5})
        + "\n"
        + json.dumps({"step": 4, "k": 4, "pass@1": 0.5, "cons@k": 0.75})
        + "\n"
    )
    (run := Run.load(run_dir))
    assert run.seed == 3 and run.heldout_k == 4
    assert run.curve("length/mean") == Curve((1, 2), (10.0, 12.0))
    assert run.curve("heldout/pass@1") == Curve((0, 4), (0.25, 0.5))
    assert [r.path for r in discover_runs(tmp_path)] == [run_dir]


def test_eval_dir_recomputes_pass1_and_length_from_samples(tmp_path: Path) -> None:
    d = tmp_path / "eval" / "final"
    (d / "samples").mkdir(parents=True)
    (d / "results.json").write_text(
        json.dumps({"model": "m", "benchmarks": {"synthetic": {"pass@1": 0.5, "cons@k": 0.6, "k": 2}}})
    )
    rows = [{"problem_id": p, "sample_idx": i, "correct": c, "n_tokens": n}
            for p, i, c, n in [("a", 0, True, 10), ("a", 1, False, 20), ("b", 0, True, 30), ("b", 1, True, 40)]]  # fmt: skip
    (d / "samples" / "synthetic.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = read_eval_dir(d)
    assert res.model == "m"
    assert res.benchmarks["synthetic"]["pass@1"] == 0.5  # the results JSON wins
    assert res.benchmarks["synthetic"]["response_length"] == 25.0  # filled in from the samples


def test_eval_dir_in_the_harness_format(tmp_path: Path) -> None:
    """r1lit-eval writes the model as an identity dict and the length as `mean_completion_tokens`."""
    summary = {"pass@1": 0.25, "cons@k": None, "k": 4, "mean_completion_tokens": 61.5, "pass@k": {"4": 0.5}}
    results = {
        "model": {"name_or_path": "outputs/grpo/x/hf/final", "label": "final"},
        "benchmarks": {"synthetic": summary},
    }
    (tmp_path / "results.json").write_text(json.dumps(results))
    shard = {"model": {"label": "shard"}, "benchmarks": {"synthetic": {**summary, "pass@1": 0.0}}}
    (tmp_path / "results.shard-0-of-2.json").write_text(json.dumps(shard))
    res = read_eval_dir(tmp_path)
    assert res.model == "final"  # the merged results win over a leftover shard file
    assert (
        res.benchmarks["synthetic"]["pass@1"] == 0.25
        and res.benchmarks["synthetic"]["response_length"] == 61.5
    )
    (tmp_path / "results.json").unlink()
    assert read_eval_dir(tmp_path).benchmarks["synthetic"]["pass@1"] == 0.0  # not merged yet: the shards


def test_heldout_jsonl_fallback_covers_every_logged_number(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("[]")
    lines = [{"step": 0, "k": 2, "pass@1": 0.5, "cons@k": None, "no_answer_frac": 0.25},
             {"step": 3, "k": 2, "pass@1": 0.75, "cons@k": 1.0, "no_answer_frac": 0.0}]  # fmt: skip
    (run_dir / "heldout.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    run = Run.load(run_dir)
    assert run.curve("heldout/no_answer_frac") == Curve((0, 3), (0.25, 0.0))
    assert run.curve("heldout/cons@k") == Curve((3,), (1.0,))  # a missing value is no point
    assert run.curve("heldout/nothing") is None and run.curve("train/accuracy") is None


# ---- figures and tables from a synthetic two-setting, two-seed sweep ------------------------------------------


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    root = tmp_path / "multirun" / "grpo" / "beta"
    values = {  # (beta, seed) -> pass@1, cons@k at steps 0, 5, 10
        ("0.0", 0): ([0.1, 0.2, 0.4], [0.2, 0.3, 0.5]),
        ("0.0", 1): ([0.1, 0.3, 0.6], [0.2, 0.4, 0.7]),
        ("0.04", 0): ([0.1, 0.2, 0.3], [0.2, 0.2, 0.4]),
        ("0.04", 1): ([0.1, 0.1, 0.2], [0.2, 0.2, 0.3]),
    }
    for (beta, seed), (p1, cons) in values.items():
        scalars = heldout(p1, cons)
        scalars["length/mean"] = {1: 20.0 + seed, 2: 30.0 + seed}
        scalars["length/correct/mean"] = {1: 25.0, 2: 35.0}
        scalars["length/incorrect/mean"] = {1: 15.0, 2: 25.0}
        scalars["train/accuracy"] = {1: 0.5, 2: 0.7 + 0.1 * seed}
        overrides = {"experiment": "sweep_tiny", "stage.module.beta": beta, "seed": seed}
        fake_run(root / f"seed={seed},stage.module.beta={beta}", overrides, scalars)
    return root


def test_figure2_csv_holds_seed_means(sweep: Path, tmp_path: Path) -> None:
    from paper_figs.fig2_heldout_accuracy import make_figure2

    paths = make_figure2(sweep, tmp_path / "figs")
    assert {p.suffix for p in paths} == {".png", ".pdf", ".csv"} and all(p.stat().st_size > 0 for p in paths)
    rows = {
        (r["panel"], r["series"], r["step"]): r
        for r in read_figure_csv(tmp_path / "figs" / "fig2_heldout_accuracy.csv")
    }
    last = rows[("pass@1", "beta=0.0", 10)]
    assert (
        last["mean"] == pytest.approx(50.0)
        and last["std"] == pytest.approx(100 * math.sqrt(0.02))
        and last["n"] == 2
    )
    assert rows[("cons@k", "beta=0.04", 10)]["mean"] == pytest.approx(35.0)


def test_figure3_single_setting_has_all_three_splits(sweep: Path, tmp_path: Path) -> None:
    from paper_figs.fig3_response_length import make_figure3

    make_figure3(sweep / "seed=1,stage.module.beta=0.0", tmp_path)
    rows = read_figure_csv(tmp_path / "fig3_response_length.csv")
    assert {r["panel"] for r in rows} == {"all", "correct", "incorrect"}
    assert [r["mean"] for r in rows if r["panel"] == "all"] == [21.0, 31.0]


def test_sweep_table_numbers_equal_the_logged_values(sweep: Path, tmp_path: Path) -> None:
    from paper_figs.table_sweep import make_sweep_table

    make_sweep_table(sweep, tmp_path, "beta", tail=1)
    numbers = json.loads((tmp_path / "table_sweep.json").read_text())
    assert numbers["beta=0.0"]["held-out pass@1 (%)"]["mean"] == pytest.approx(50.0)
    assert numbers["beta=0.04"]["Δ pass@1 vs step 0 (pp)"]["mean"] == pytest.approx(15.0)
    assert numbers["beta=0.0"]["train accuracy, last 1 steps (%)"]["mean"] == pytest.approx(75.0)
    md = (tmp_path / "table_sweep.md").read_text()
    assert "| beta=0.0 | 2 | 50.0 ± 14.1 |" in md


def test_eval_table_puts_paper_rows_above_ours(sweep: Path, tmp_path: Path) -> None:
    from paper_figs.eval_tables import make_eval_table

    for seed, p1 in [(0, 0.3), (1, 0.5)]:
        d = sweep / f"seed={seed},stage.module.beta=0.0" / "eval" / "final"
        d.mkdir(parents=True)
        (d / "results.json").write_text(
            json.dumps({"synthetic": {"pass@1": p1, "cons@k": 0.5, "k": 4, "response_length": 40}})
        )
    make_eval_table("table2", sweep, tmp_path, "table2")
    md = (tmp_path / "table2.md").read_text()
    assert md.index("DeepSeek-R1-Zero (paper) | 71.0 | 86.7") < md.index("beta=0.0: final (ours, n=2)")
    numbers = json.loads((tmp_path / "table2.json").read_text())
    assert numbers["beta=0.0: final"]["synthetic pass@1"]["mean"] == pytest.approx(40.0)
    assert "40.0 ± 14.1" in md


def test_sweep_of_pipelines_groups_stages_and_eval_rows_over_seeds(tmp_path: Path) -> None:
    """Pipeline jobs (`<job>/<stage>/` runs, `<job>/eval/<name>/`): stages are settings, seeds are averaged."""
    for seed in (0, 1):
        job = tmp_path / f"experiment=r1_pipeline_tiny,seed={seed}"
        (job / ".hydra").mkdir(parents=True)
        (job / ".hydra" / "overrides.yaml").write_text(
            yaml.safe_dump(["experiment=r1_pipeline_tiny", f"seed={seed}"])
        )
        stages = {"r1_zero": {}, "cold_start_data": {}, "cold_start_sft": {}, "reasoning_rl": {}}
        (job / "config.yaml").write_text(
            yaml.safe_dump({"seed": seed, "pipeline": {"stages": stages}}, sort_keys=False)
        )
        for stage in ("r1_zero", "reasoning_rl"):  # named so that alphabetical order would be wrong
            fake_run(job / stage, {}, {"length/mean": {1: 10.0 + seed, 2: 20.0 + seed}})
            shutil.rmtree(job / stage / ".hydra")  # a stage is composed by the runner: config.yaml, no .hydra
        (job / "cold_start_data").mkdir()  # rejection sampling: no config of its own to plot
        for name, p1 in [("cold_start_sft", 0.5 + 0.1 * seed), ("r1_zero", 0.3), ("base", 0.1)]:
            (job / "eval" / name).mkdir(parents=True)
            (job / "eval" / name / "results.json").write_text(
                json.dumps({"synthetic": {"pass@1": p1, "k": 4}})
            )
    runs = discover_runs(tmp_path)
    assert [r.path.name for r in runs] == ["r1_zero", "reasoning_rl"] * 2  # the pipeline roots are not runs
    assert runs[0].overrides["pipeline_stage"] == "r1_zero" and runs[2].seed == 1

    from paper_figs.eval_tables import collect_eval_rows
    from paper_figs.fig3_response_length import figure3_series

    series = figure3_series(runs)
    assert [label for label, _, _ in series] == ["pipeline_stage=r1_zero", "pipeline_stage=reasoning_rl"]
    assert all((split, agg.mean, agg.n) == ("all", (10.5, 20.5), (2, 2)) for _, split, agg in series)
    rows = collect_eval_rows(tmp_path)
    assert [(label, len(res)) for label, res in rows] == [("base", 2), ("r1_zero", 2), ("cold_start_sft", 2)]
    assert mean_std([r.benchmarks["synthetic"]["pass@1"] for r in rows[2][1]]).mean == pytest.approx(0.55)
    from paper_figs.make_all import make_all

    made = {p.name for paths in make_all(tmp_path, tmp_path / "figs").values() for p in paths}
    assert {"table2_r1_zero.md", "table4_r1.md", "fig3_response_length.png"} <= made  # a pipeline's tables
    md = (tmp_path / "figs" / "table4_r1.md").read_text()
    assert (
        md.index("| DeepSeek-R1 (paper) |")
        < md.index("| base (ours, n=2) |")
        < md.index("| cold_start_sft (ours, n=2) |")
    )


def csv_logged_run(path: Path, columns: dict[str, dict[int, float]]) -> Path:
    """A run logged with `logger=csv` only: `csv/metrics.csv` as Lightning's CSVLogger writes it (one row
    per logging call, blank cells for the metrics that call did not log)."""
    (path / "csv").mkdir(parents=True)
    (path / "config.yaml").write_text(yaml.safe_dump({"seed": 0}))
    tags = list(columns)
    lines = [",".join(["epoch", "step", *tags])]
    for tag in tags:
        for step, value in columns[tag].items():
            lines.append(",".join(["0", str(step), *(str(value) if t == tag else "" for t in tags)]))
    (path / "csv" / "metrics.csv").write_text("\n".join(lines) + "\n")
    return path


def test_a_csv_logged_run_gets_every_figure_and_missing_ones_are_named(tmp_path: Path) -> None:
    from paper_figs.make_all import make_all

    run = csv_logged_run(
        tmp_path / "run", {"length/mean": {0: 10.0, 1: 30.0}, "length/correct/mean": {1: 5.0}}
    )
    assert discover_runs(tmp_path) and Run.load(run).curve("length/mean").values == (10.0, 30.0)
    made = {p.name for paths in make_all(run).values() for p in paths}
    assert {"fig3_response_length.csv", "report.html"} <= made
    rows = read_figure_csv(run / "paper_figs" / "fig3_response_length.csv")
    assert [(r["panel"], r["step"], r["mean"]) for r in rows] == [
        ("all", 0, 10.0), ("all", 1, 30.0), ("correct", 1, 5.0)
    ]  # fmt: skip
    index = (run / "paper_figs" / "index.md").read_text()
    assert "Not drawn:" in index and "Figure 2 (fig2_heldout_accuracy): no run logged heldout/pass@1" in index
    assert "Figure 3" not in index.split("Not drawn:")[1]


def test_tensorboard_wins_over_the_csv_logger_for_a_tag_both_hold(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "run", {"seed": 0}, {"length/mean": {0: 1.0}})
    csv_logged_run(tmp_path / "csv_only", {"length/mean": {0: 99.0}, "reward/total/mean": {0: 0.5}})
    shutil.copytree(tmp_path / "csv_only" / "csv", run / "csv")
    loaded = Run.load(run)
    assert loaded.curve("length/mean").values == (1.0,) and loaded.curve("reward/total/mean").values == (0.5,)


def test_an_eval_folders_metrics_table_is_not_a_training_log(tmp_path) -> None:
    from paper_figs.io import csv_metric_files, is_run_dir

    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text("- experiment=r1_zero_tiny\n")
    (run / "csv").mkdir()
    (run / "csv" / "metrics.csv").write_text("epoch,step,train/loss\n0,1,0.5\n")
    evaluation = run / "eval" / "base"
    (evaluation / ".hydra").mkdir(parents=True)
    (evaluation / ".hydra" / "overrides.yaml").write_text("- benchmarks=[synthetic]\n")
    (evaluation / "tables").mkdir()
    (evaluation / "tables" / "metrics.csv").write_text("Benchmark,Problems,k,pass@1\nsynthetic,50,4,36.5\n")
    assert csv_metric_files(run) == [run / "csv" / "metrics.csv"]
    assert is_run_dir(run) and not is_run_dir(evaluation)  # else Table 2's rows get labels of every override
