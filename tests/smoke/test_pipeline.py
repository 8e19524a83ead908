"""The R1 pipeline runner on the reduced tiny model: experiment=r1_pipeline_tiny shrunk to one step a stage.

It runs every stage in order, each from the previous stage's HF export, evaluates after each trained
stage, and on a rerun skips every finished stage (DONE.json) while an interrupted one resumes from
its last.ckpt.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import r1lit.cli.train as train_cli
import r1lit.stages.fit as fit
from r1lit.stages.pipeline import parse_stages

CONF = Path(__file__).resolve().parents[2] / "conf"
# Rejection sampling reads a scripted "model" here: the reduced test model never answers correctly.
SCRIPT = "<think> 2+2=4 </think> <answer> 4 </answer>"
SHRINK = {
    "grpo": ["trainer.max_steps=1", "stage.datamodule.batch_size=2", "stage.module.sampling.n=2",
             "stage.module.sampling.max_new_tokens=12"],
    "sft": ["trainer.max_steps=2", "stage.datamodule.batch_size=2", "stage.module.warmup_steps=0"],
    "rejection_sampling": ["stage.runner.limit=3", "stage.runner.sampling.n=2", "stage.runner.chunk_size=2",
                           "stage.runner.filters.require_correct=false", "stage.runner.filters.min_tokens=null", "rollout.backend=scripted",
                           "~rollout.max_batch_size", f"+rollout.script=['{SCRIPT}']"],
}  # fmt: skip


def pipeline_cfg(run_dir: Path, model_dir: Path):  # noqa: ANN201
    """experiment=r1_pipeline_tiny on the test model, every stage cut to a step or two."""
    overrides = [
        "experiment=r1_pipeline_tiny", f"paths.run_dir={run_dir}", f"model.name_or_path={model_dir}",
        "pipeline.eval.limit=3", "pipeline.eval.sampling.n=2", "pipeline.eval.sampling.max_new_tokens=12",
        "logger=csv",
    ]  # fmt: skip
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    cfg.pipeline.common = [*cfg.pipeline.common, "logger=csv"]
    for stage in cfg.pipeline.stages.values():
        kind = next(o.split("=", 1)[1] for o in stage.overrides if o.startswith("stage="))
        stage.overrides = [*stage.overrides, *SHRINK[kind]]
    return cfg


def summary(run_dir: Path) -> dict[str, dict]:
    return {
        row["stage"]: row for row in json.loads((run_dir / "pipeline_summary.json").read_text())["stages"]
    }


def test_pipeline_runs_every_stage_then_skips_finished_ones(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "pipe"
    cfg = pipeline_cfg(run_dir, tiny_model_dir)
    names = [s.name for s in parse_stages(OmegaConf.to_container(cfg.pipeline.stages))]
    assert names == [
        "r1_zero",
        "cold_start_data",
        "cold_start_sft",
        "reasoning_rl",
        "rs_data",
        "rs_sft",
        "final_rl",
    ]
    train_cli.run(cfg)

    rows = summary(run_dir)
    assert list(rows) == ["base", *names]
    assert all(rows[n]["status"] == "ran" for n in names)
    # links: each stage starts from the model its spec names
    config = OmegaConf.load(run_dir / "cold_start_sft" / "config.yaml")
    assert config.model.name_or_path == str(tiny_model_dir)  # the cold start fine-tunes the base model
    assert config.data.train.path == str(run_dir / "cold_start_data" / "traces.jsonl")
    config = OmegaConf.load(run_dir / "reasoning_rl" / "config.yaml")
    assert config.model.name_or_path == str(run_dir / "cold_start_sft" / "hf" / "final")
    assert list(config.reward) == ["accuracy", "format", "language"]
    card = json.loads((run_dir / "rs_data" / "dataset_card.json").read_text())
    assert (
        card["source"]["model"] == str(run_dir / "reasoning_rl" / "hf" / "final")
        and card["stats"]["kept"] == 3
    )
    for name in ["base", "r1_zero", "cold_start_sft", "reasoning_rl", "rs_sft", "final_rl"]:
        result = json.loads((run_dir / "eval" / name / "results.json").read_text())["benchmarks"]["synthetic"]
        assert result["k"] == 2 and result["n_problems"] == 3 and 0.0 <= result["pass@1"] <= 1.0, name
        assert len((run_dir / "eval" / name / "samples" / "synthetic.jsonl").read_text().splitlines()) == 6
        assert rows[name]["eval"]["pass@1"] == result["pass@1"]
    assert (run_dir / "pipeline_summary.md").read_text().count("| final_rl | grpo |") == 1

    # rerun: every stage and evaluation is finished, so nothing may train, sample or evaluate again
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a finished stage was run again")

    monkeypatch.setattr("r1lit.stages.pipeline.evaluate_checkpoint", forbidden)
    exported = run_dir / "final_rl" / "hf" / "final" / "model.safetensors"
    before = exported.stat().st_mtime_ns
    with monkeypatch.context() as m:
        m.setattr(fit, "train", forbidden)
        m.setattr(train_cli.hydra.utils, "instantiate", forbidden)
        train_cli.run(cfg)
    assert all(row["status"] == "skipped" for name, row in summary(run_dir).items() if name != "base")
    assert exported.stat().st_mtime_ns == before

    # an interrupted stage (no DONE.json, a last.ckpt) resumes from its checkpoint; the others stay skipped
    (run_dir / "final_rl" / "DONE.json").unlink()
    (run_dir / "eval" / "final_rl" / "results.json").unlink()
    monkeypatch.undo()
    train_cli.run(cfg)
    rows = summary(run_dir)
    assert rows["final_rl"]["status"] == "resumed"
    assert all(rows[n]["status"] == "skipped" for n in names[:-1])
    ckpt = torch.load(
        run_dir / "final_rl" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False
    )
    assert ckpt["global_step"] == 1  # max_steps was already reached: resuming trained nothing more
    assert (run_dir / "eval" / "final_rl" / "results.json").is_file()

    # a deleted (to be rerun) stage makes the finished stages after it stale: stop before running anything
    import shutil

    shutil.rmtree(run_dir / "rs_data")
    with pytest.raises(RuntimeError, match="stage rs_sft finished before its input stage rs_data"):
        train_cli.run(cfg)
    assert not (run_dir / "rs_data").exists()


@pytest.mark.parametrize(
    ("stages", "match"),
    [
        (
            {"a": {"model": "b", "overrides": ["stage=sft"]}, "b": {"overrides": ["stage=sft"]}},
            "earlier stage",
        ),
        ({"a": {"overrides": ["stage=sft"], "traces": "a"}}, "earlier stage"),
        ({"a": {}}, "overrides"),
        ({"a": {"overrides": ["stage=sft"], "modle": "base"}}, "unknown keys"),
        ({"base": {"overrides": ["stage=sft"]}}, "cannot name a stage"),
    ],
)
def test_bad_stage_graphs_are_rejected(stages: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_stages(stages)


def test_a_bad_override_in_a_late_stage_fails_before_any_stage_runs(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from hydra.errors import ConfigCompositionException

    cfg = pipeline_cfg(tmp_path / "pipe", tiny_model_dir)
    cfg.pipeline.stages.final_rl.overrides = [
        *cfg.pipeline.stages.final_rl.overrides,
        "stage.module.learnig_rate=1",
    ]
    with pytest.raises(ConfigCompositionException, match="learnig_rate"):
        train_cli.run(cfg)
    assert not (tmp_path / "pipe" / "r1_zero").exists() and not (tmp_path / "pipe" / "eval").exists()


def test_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    from r1lit.stages.pipeline import check_checkpoint

    with pytest.raises(FileNotFoundError, match="pipeline.stages.teacher.checkpoint"):
        check_checkpoint("teacher", str(tmp_path / "nothing"))
    assert check_checkpoint("teacher", "r1lit-tiny") == "r1lit-tiny"


def test_a_run_folder_checkpoint_stands_for_its_export(tmp_path: Path) -> None:
    from r1lit.stages.pipeline import check_checkpoint

    export = tmp_path / "run" / "hf" / "final"
    export.mkdir(parents=True)
    (export / "config.json").write_text('{"model_type": "qwen2"}')
    (export / "tokenizer.json").write_text("{}")
    assert check_checkpoint("teacher", str(tmp_path / "run")) == str(export)  # as r1lit-eval resolves it
    (tmp_path / "last.ckpt").write_bytes(b"x")
    with pytest.raises(ValueError, match="give its run folder"):
        check_checkpoint("teacher", str(tmp_path / "last.ckpt"))


@pytest.mark.parametrize(
    "experiment", sorted(p.stem for p in (CONF / "experiment").glob("*.yaml") if "pipeline" in p.read_text())
)
def test_every_stage_of_every_pipeline_experiment_composes_and_validates(
    experiment: str, tmp_path: Path
) -> None:
    """Real-model pipelines cannot run here; their stages are at least composed and validated (no model loaded)."""
    from r1lit.stages.pipeline import plan_stages

    overrides = [f"experiment={experiment}", f"paths.run_dir={tmp_path}"]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    for stage in cfg.pipeline.stages.values():  # a teacher checkpoint that does not exist here yet
        if stage.get("checkpoint"):
            stage.checkpoint = "r1lit-tiny"
    plan = plan_stages(cfg, tmp_path)
    assert plan and all(
        stage_cfg is None or stage_cfg.paths.run_dir.startswith(str(tmp_path)) for _, stage_cfg in plan
    )


def test_general_eval_must_name_the_reward_model_stage(tmp_path: Path) -> None:
    """pipeline.eval.general.rm_stage is checked against the plan before any stage runs."""
    from r1lit.stages.pipeline import general_rm_stage, plan_stages

    overrides = ["experiment=r1_pipeline_tiny_search_full", f"paths.run_dir={tmp_path}"]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    plan = plan_stages(cfg, tmp_path)
    assert general_rm_stage(cfg.pipeline.eval.general, plan).paths.run_dir == str(tmp_path / "reward_model")
    for wrong in ("final_rl", "nosuch"):
        cfg.pipeline.eval.general.rm_stage = wrong
        with pytest.raises(ValueError, match=rf"rm_stage='{wrong}'.*\['reward_model'\]"):
            general_rm_stage(cfg.pipeline.eval.general, plan)


def test_stage4_scores_every_evaluated_stage_with_the_pipelines_reward_model(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    """experiment=r1_pipeline_tiny_search_full's last stages, shrunk: rs_sft on traces + general demonstrations,
    the reward model, RL for all scenarios, and pipeline.eval.general's columns for every evaluated stage."""
    run_dir = tmp_path / "pipe"
    overrides = [
        "experiment=r1_pipeline_tiny_search_full", f"paths.run_dir={run_dir}", f"model.name_or_path={tiny_model_dir}",
        "pipeline.eval.limit=2", "pipeline.eval.sampling.n=2", "pipeline.eval.sampling.max_new_tokens=12",
        "pipeline.eval.general.n=4", "pipeline.eval.general.k=2", "logger=csv",
    ]  # fmt: skip
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    stages = cfg.pipeline.stages
    keep = ["rs_data", "rs_sft", "reward_model", "all_scenarios_rl"]
    cfg.pipeline.stages = {name: stages[name] for name in keep}
    cfg.pipeline.stages.rs_data.model = "base"
    cfg.pipeline.common = [*cfg.pipeline.common, "logger=csv"]
    shrink = {**SHRINK, "reward_model": ["trainer.max_steps=2", "trainer.val_check_interval=2",
                                         "stage.datamodule.batch_size=4", "data.train.n=12", "data.heldout.n=6",
                                         "stage.module.warmup_steps=0"]}  # fmt: skip
    for stage in cfg.pipeline.stages.values():
        kind = next(o.split("=", 1)[1] for o in stage.overrides if o.startswith("stage="))
        stage.overrides = [*stage.overrides, *shrink[kind]]
    train_cli.run(cfg)

    rows = summary(run_dir)
    for name in ("base", "rs_sft", "all_scenarios_rl"):
        scores = rows[name]["general"]
        assert scores["k"] == 2 and scores["n_prompts"] == 4, name
        assert {"rm_helpful", "rm_harmless", "helpful/names_number", "unsafe/declines"} <= set(scores), name
        assert len((run_dir / "eval" / name / "general_samples.jsonl").read_text().splitlines()) == 8
    assert "general" not in rows["rs_data"] and "general" not in rows["reward_model"]  # nothing to evaluate
    assert (
        "| RM helpful | RM harmless | names number | declines |"
        in (run_dir / "pipeline_summary.md").read_text()
    )
    rl = OmegaConf.load(run_dir / "all_scenarios_rl" / "config.yaml")
    assert rl.model.name_or_path == str(run_dir / "rs_sft" / "hf" / "final")
    assert rl.reward.rm_helpful.fn.name_or_path == str(run_dir / "reward_model" / "hf" / "final")
    assert rl.reward.rm_harmless.fn.output == "prob" and rl.data.train.sources[0].task == "modsearch"
    sft = OmegaConf.load(run_dir / "rs_sft" / "config.yaml")
    assert sft.data.train.path == str(run_dir / "rs_data" / "traces.jsonl")
    assert sft.data.train.extra[0]._target_ == "r1lit.tasks.general.make_general_demos"
