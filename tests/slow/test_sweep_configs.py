"""Every job of every experiments/<sweep>/launch.sh composes and validates (seconds, no model, not slow).

The jobs are what Hydra's basic sweeper would launch from the script's `run_sweep` overrides; each is
composed from conf/train.yaml with experiments/conf on the search path, as common.sh does, and checked
with r1lit.stages.validate. GRPO sweeps are checked with every sweep experiment that exists (the CPU
default sweep_tiny, r1_zero_tiny, and the GPU setting
r1_zero_qwen2.5_math_1.5b); the cold-start pipeline also plans all its stages. A misspelled key or
value in a launch script fails here, not minutes into a sweep.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from r1lit.stages.validate import validate_config

REPO = Path(__file__).resolve().parents[2]
SWEEPS = sorted(p.parent.name for p in (REPO / "experiments").glob("*/launch.sh"))
SWEEP_EXPERIMENTS = [
    name
    for name in ("sweep_tiny", "r1_zero_tiny", "r1_zero_qwen2.5_math_1.5b")
    if any((REPO / d / "experiment" / f"{name}.yaml").is_file() for d in ("conf", "experiments/conf"))
]


def launch_overrides(sweep: str, experiment: str, variables: dict[str, str] | None = None) -> list[str]:
    """The Hydra overrides of the script's `run_sweep NAME ...` call (shell line continuations joined),
    with `$SWEEP_EXPERIMENT` and any other `variables` ({"$name": value}) substituted."""
    text = (REPO / "experiments" / sweep / "launch.sh").read_text().replace("\\\n", " ")
    [line] = [ln for ln in text.splitlines() if ln.startswith("run_sweep ")]
    for name, value in {"$SWEEP_EXPERIMENT": experiment, **(variables or {})}.items():
        line = line.replace(name, value)
    args = shlex.split(line)[2:]
    return [a for a in args if a != "$@"]


def jobs(overrides: list[str]) -> list[list[str]]:
    """The override list of every job the basic sweeper would run."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def compose_job(overrides: list[str], run_dir: Path) -> DictConfig:
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return compose(
            "train",
            overrides=[
                f"hydra.searchpath=[file://{REPO}/experiments/conf]",
                f"paths.run_dir={run_dir}",
                *overrides,
            ],
        )


def test_every_sweep_has_a_readme_with_its_command() -> None:
    assert {"beta", "group_size", "format_reward", "cold_start", "distill_vs_rl", "optuna"} <= set(SWEEPS)
    for sweep in SWEEPS:
        readme = (REPO / "experiments" / sweep / "README.md").read_text()
        assert f"bash experiments/{sweep}/launch.sh" in readme, sweep


@pytest.mark.parametrize("experiment", SWEEP_EXPERIMENTS)
@pytest.mark.parametrize("sweep", [s for s in SWEEPS if s not in ("cold_start", "distill_vs_rl")])
def test_grpo_sweep_jobs_validate(sweep: str, experiment: str, tmp_path: Path) -> None:
    all_jobs = jobs(launch_overrides(sweep, experiment))
    assert len(all_jobs) >= (1 if sweep == "optuna" else 4)  # two or more settings x two seeds
    for job in all_jobs:
        cfg = compose_job(job, tmp_path)
        validate_config(cfg)
        assert cfg.stage.name == "grpo" and cfg.resume == "auto"
        for key, value in (o.split("=", 1) for o in job if "." in o.split("=", 1)[0] and "hydra" not in o):
            assert OmegaConf.select(cfg, key) == yaml.safe_load(value), (
                key,
                "the experiment overrode the sweep",
            )
    if sweep == "optuna":
        assert cfg.optimized_metric == "heldout/pass@1"  # what train() returns to the sweeper


def test_cold_start_pipeline_plans_both_arms_alike(tmp_path: Path) -> None:
    from r1lit.stages.pipeline import plan_stages

    all_jobs = jobs(launch_overrides("cold_start", "unused"))
    assert [re.sub(r".*seed=", "", " ".join(j)) for j in all_jobs] == ["0", "1"]
    cfg = compose_job(all_jobs[0], tmp_path)
    validate_config(cfg)
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        plan = plan_stages(cfg, tmp_path)
    assert [spec.name for spec, _ in plan] == ["r1_zero", "cold_start_data", "cold_start_sft", "reasoning_rl"]
    stages = {spec.name: stage_cfg for spec, stage_cfg in plan}
    none, cold = stages["r1_zero"], stages["reasoning_rl"]
    assert (
        cold.model.name_or_path.endswith("cold_start_sft/hf/final")
        and none.model.name_or_path == "r1lit-tiny-zero"
    )
    for key in (
        "trainer.max_steps",
        "stage.module.learning_rate",
        "stage.module.sampling.n",
        "stage.module.beta",
    ):
        assert OmegaConf.select(none, key) == OmegaConf.select(cold, key), key
    assert set(none.reward) == set(cold.reward) == {"accuracy", "format"}  # same rewards in both arms


# the student experiment of each R1LIT_WORLD, as the launch script's `case` sets it
DISTILL_STUDENTS = re.findall(r"student=(\S+)", (REPO / "experiments/distill_vs_rl/launch.sh").read_text())


def test_distill_vs_rl_launcher_knows_both_worlds() -> None:
    assert DISTILL_STUDENTS == ["distill_vs_rl_tiny_search", "distill_vs_rl_tiny"]


@pytest.mark.parametrize("student", DISTILL_STUDENTS)
def test_distill_vs_rl_jobs_validate(student: str, tmp_path: Path) -> None:
    all_jobs = jobs(launch_overrides("distill_vs_rl", "unused", {"$student": student}))
    assert len(all_jobs) == 2 and all(f"experiment={student}" in job for job in all_jobs)
    for job in all_jobs:
        cfg = compose_job(job, tmp_path)
        validate_config(cfg)
        assert {"rl_student", "distill_student"} <= set(cfg.pipeline.stages)  # the two arms of Table 6
