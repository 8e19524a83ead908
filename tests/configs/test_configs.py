"""Compose every config (every group option, every experiment) and validate each `_target_` against its
signature, without instantiating models; and check that bad input fails early with a useful message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig

from r1lit.stages.validate import ConfigError, validate_config

CONF = Path(__file__).resolve().parents[2] / "conf"
# Groups that select one option of train.yaml (experiment and hparams_search are checked separately).
SINGLE_CHOICE_GROUPS = ["stage", "model", "data", "rollout", "trainer", "logger", "callbacks"]


# Options whose required (`???`) values a user must give; the test gives them like a user would.
REQUIRED_VALUES = {
    ("data", "jsonl"): ["data.train.path=/tmp/records.jsonl"],
    ("data", "traces_jsonl"): ["data.train.path=/tmp/traces.jsonl"],
    ("data", "traces_general"): ["data.train.path=/tmp/traces.jsonl"],
    ("stage", "distill"): ["stage.module.teacher_name_or_path=r1lit-tiny"],
    ("reward", "reward_model"): ["reward.reward_model.fn.name_or_path=r1lit-tiny"],
    ("reward", "rm_helpful"): ["reward.rm_helpful.fn.name_or_path=r1lit-tiny"],
    ("reward", "rm_harmless"): ["reward.rm_harmless.fn.name_or_path=r1lit-tiny"],
}


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def compose_train(overrides: list[str], tmp_path: Path) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=[f"paths.run_dir={tmp_path}", *overrides])


def test_default_train_config_is_valid(tmp_path: Path) -> None:
    cfg = compose_train([], tmp_path)
    validate_config(cfg)
    assert cfg.model.name_or_path == "r1lit-tiny"


@pytest.mark.parametrize("group,option", [(g, o) for g in SINGLE_CHOICE_GROUPS for o in options(g)])
def test_every_group_option_composes_and_validates(group: str, option: str, tmp_path: Path) -> None:
    validate_config(compose_train([f"{group}={option}", *REQUIRED_VALUES.get((group, option), [])], tmp_path))


@pytest.mark.parametrize("experiment", options("experiment"))
def test_every_experiment_composes_and_validates(experiment: str, tmp_path: Path) -> None:
    validate_config(compose_train([f"experiment={experiment}"], tmp_path))


@pytest.mark.parametrize("reward", options("reward"))
def test_every_reward_composes_alone(reward: str, tmp_path: Path) -> None:
    cfg = compose_train([f"reward=[{reward}]", *REQUIRED_VALUES.get(("reward", reward), [])], tmp_path)
    validate_config(cfg)
    assert list(cfg.reward) == [reward]


def test_eval_config_composes_with_every_benchmark(tmp_path: Path) -> None:
    names = options("benchmark")
    assert names, "conf/benchmark/ has no benchmark configs"
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("eval", overrides=[f"benchmarks=[{','.join(names)}]", f"output_dir={tmp_path}"])
    validate_config(cfg)


# -- bad input ----------------------------------------------------------------------------------


def test_unknown_group_option_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigCompositionException) as err:
        compose_train(["model=gpt5"], tmp_path)
    assert "model" in str(err.value) and "tiny" in str(err.value)


def test_misspelled_override_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigCompositionException) as err:
        compose_train(["trainer.max_stepz=3"], tmp_path)
    assert "max_stepz" in str(err.value)


def test_unknown_key_added_to_a_target_suggests_the_right_one(tmp_path: Path) -> None:
    cfg = compose_train(["+trainer.max_stepz=3"], tmp_path)
    with pytest.raises(ConfigError, match=r"trainer\.max_stepz.*Did you mean 'max_steps'"):
        validate_config(cfg)


def test_wrong_type_names_key_and_expected_type(tmp_path: Path) -> None:
    cfg = compose_train(["stage.datamodule.batch_size=eight"], tmp_path)
    with pytest.raises(ConfigError, match=r"stage\.datamodule\.batch_size='eight': expected int"):
        validate_config(cfg)


def test_missing_required_value_is_reported(tmp_path: Path) -> None:
    cfg = compose_train(["data=jsonl"], tmp_path)
    with pytest.raises(ConfigError, match=r"data\.train\.path"):
        validate_config(cfg)


def test_cli_fails_fast_before_loading_any_model(tmp_path: Path) -> None:
    """`r1lit-train` with a bad key exits non-zero with the key in its message, in seconds."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "r1lit.cli.train",
            f"hydra.run.dir={tmp_path}",
            "+stage.module.learning_ratee=1e-4",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"R1LIT_CACHE": str(tmp_path / "empty-cache"), "PATH": "/usr/bin:/bin", "HYDRA_FULL_ERROR": "0"},
    )
    assert proc.returncode != 0
    assert "learning_ratee" in proc.stderr + proc.stdout
    assert not (tmp_path / "empty-cache").exists(), "the tiny model must not be built before validation"
