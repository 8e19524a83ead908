"""Bad training input fails before any model loads, naming the key, the value and what is allowed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from r1lit.stages.group_options import GroupOptionError, check_group_overrides
from r1lit.stages.validate import ConfigError, check_run_folder, validate_config

CONF = Path(__file__).resolve().parents[2] / "conf"


def compose_train(overrides: list[str], tmp_path: Path) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=[f"paths.run_dir={tmp_path}", *overrides])


@pytest.mark.parametrize(
    "stage,key", [("grpo", "batch_size"), ("grpo", "eval_batch_size"), ("sft", "batch_size")]
)
def test_zero_batch_size_fails_in_validation(stage: str, key: str, tmp_path: Path) -> None:
    cfg = compose_train([f"stage={stage}", f"stage.datamodule.{key}=0"], tmp_path)
    with pytest.raises(ConfigError, match=rf"stage\.datamodule\.{key}=0: must be >= 1"):
        validate_config(cfg)


def test_missing_model_path_names_the_key_the_user_set(tmp_path: Path) -> None:
    cfg = compose_train([f"model.name_or_path={tmp_path}/no_such_model"], tmp_path)
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    message = str(err.value)
    assert "no_such_model" in message and "no such file or folder" in message
    assert "(set by model.name_or_path)" in message and "r1lit-tiny" in message


def test_missing_reward_model_names_the_reward_key_the_user_set(tmp_path: Path) -> None:
    # GRPO receives its rewards as `stage.module.rewards: ${reward}`: the message must name `reward.…`
    cfg = compose_train(
        ["reward=[accuracy,rm_helpful]", f"reward.rm_helpful.fn.name_or_path={tmp_path}/no_such_rm"], tmp_path
    )
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    assert "(set by reward.rm_helpful.fn.name_or_path)" in str(err.value)


def test_interpolation_into_a_nulled_group_names_the_key_to_set(tmp_path: Path) -> None:
    # hf_export's cadence copies model_checkpoint's: HF exports only, without setting it, was a raw
    # OmegaConf traceback from inside the validator
    cfg = compose_train(["callbacks=default", "callbacks.model_checkpoint=null"], tmp_path)
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    message = str(err.value)
    assert message.startswith("callbacks.hf_export.every_n_train_steps: does not resolve")
    assert (
        "callbacks.model_checkpoint" in message and "callbacks.hf_export.every_n_train_steps=..." in message
    )


def test_several_nodes_need_a_fixed_run_folder(tmp_path: Path) -> None:
    # the default run_name is a timestamp each torchrun/srun process resolves itself
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        default = compose("train", overrides=["trainer=ddp_multinode", "trainer.num_nodes=2"])
        named = compose("train", overrides=["trainer=ddp_multinode", "trainer.num_nodes=2", "run_name=mn1"])
        one_node = compose("train", overrides=["trainer=ddp_multinode", "trainer.num_nodes=1"])
    with pytest.raises(ConfigError, match=r"trainer\.num_nodes=2: set run_name=\.\.\. \(or hydra\.run\.dir"):
        check_run_folder(default, [])
    check_run_folder(default, [f"hydra.run.dir={tmp_path}"])
    check_run_folder(named, [])
    check_run_folder(one_node, [])


def test_folder_that_is_not_a_model_fails_in_validation(tmp_path: Path) -> None:
    folder = tmp_path / "not_a_model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen2"}))  # but no tokenizer files
    cfg = compose_train(["stage=sft", f"model.name_or_path={folder}"], tmp_path)
    with pytest.raises(ConfigError, match=r"not_a_model'?: not a model folder: it has no tokenizer files"):
        validate_config(cfg)


def test_pipeline_plans_later_stages_before_their_models_exist(tmp_path: Path) -> None:
    from r1lit.stages.pipeline import plan_stages

    cfg = compose_train(["experiment=r1_pipeline_tiny"], tmp_path)
    plan = plan_stages(cfg, tmp_path)
    assert len(plan) > 1  # later stages start from folders that only the earlier stages will write


def test_unknown_reward_lists_the_options() -> None:
    with pytest.raises(GroupOptionError, match=r"reward='nosuch'.*options: \[.*'accuracy'.*'format'"):
        check_group_overrides(["seed=1", "reward=[accuracy,nosuch]"], CONF)
    with pytest.raises(GroupOptionError, match=r"model='gpt5'"):
        check_group_overrides(["model=tiny,gpt5"], CONF)  # a multirun choice is checked too
    check_group_overrides(
        ["reward=[accuracy,format]", "trainer.max_steps=3", "~logger", "hydra/sweeper=basic"], CONF
    )


def test_group_options_on_the_hydra_search_path_are_options(tmp_path: Path) -> None:
    """The sweeps put experiments/conf (and R1LIT_CONFIG_DIR) on Hydra's search path: their options count."""
    extra = tmp_path / "conf"
    (extra / "experiment").mkdir(parents=True)
    (extra / "experiment" / "sweep_test.yaml").write_text("# @package _global_\n")
    experiments = CONF.parent / "experiments" / "conf"
    searchpath = f"hydra.searchpath=[file://{experiments},file://{extra}]"
    check_group_overrides([searchpath, "experiment=sweep_test"], CONF)
    check_group_overrides([searchpath, "experiment=cold_start_tiny"], CONF)
    with pytest.raises(GroupOptionError, match=r"experiment='nosuch'.*'cold_start_tiny'.*'sweep_test'"):
        check_group_overrides([searchpath, "experiment=nosuch"], CONF)


@pytest.mark.parametrize(
    "override,expected",
    [
        ("reward=[accuracy,nosuch]", "reward='nosuch'"),
        ("model.name_or_path=/no/such/model", "/no/such/model"),
        ("stage.datamodule.batch_size=0", "stage.datamodule.batch_size=0: must be >= 1"),
    ],
)
def test_cli_fails_before_building_any_model(override: str, expected: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "r1lit.cli.train", f"hydra.run.dir={tmp_path}", override],
        capture_output=True, text=True, timeout=120,
        env={"R1LIT_CACHE": str(tmp_path / "empty-cache"), "PATH": "/usr/bin:/bin", "HYDRA_FULL_ERROR": "0"},
    )  # fmt: skip
    assert proc.returncode != 0
    assert "r1lit-train: " in proc.stderr and expected in proc.stderr
    assert "Traceback" not in proc.stderr  # the message is the whole report
    assert not (tmp_path / "empty-cache").exists(), "the tiny model must not be built before validation"


def test_unknown_reward_in_a_pipeline_stage_lists_the_options(tmp_path: Path) -> None:
    from r1lit.stages.pipeline import plan_stages

    cfg = compose_train(["experiment=r1_pipeline_tiny"], tmp_path)
    last = list(cfg.pipeline.stages)[-1]
    cfg.pipeline.stages[last].overrides = [*cfg.pipeline.stages[last].overrides, "reward=[accuracy,nosuch]"]
    with pytest.raises(GroupOptionError, match=r"reward='nosuch'.*options: \[.*'accuracy'"):
        plan_stages(cfg, tmp_path)
