"""Every command takes a training run the same way (r1lit.run_models): the distillation teacher, rejection
sampling and the pipeline's stage eval load a run folder (its HF export) or its Lightning `.ckpt` (its
base model with the trained weights), and config validation accepts both for those keys only."""

from __future__ import annotations

import json
from pathlib import Path

import hydra
import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from r1lit.cli.train import run
from r1lit.models import load_causal_lm
from r1lit.rollout import SamplingParams
from r1lit.stages.validate import ConfigError, validate_config

CONF = Path(__file__).resolve().parents[2] / "conf"


def compose_stage(run_dir: Path, model: str | Path, overrides: list[str]) -> DictConfig:
    base = [f"paths.run_dir={run_dir}", f"model.name_or_path={model}", "logger=csv"]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=[*base, "trainer.enable_progress_bar=false", *overrides])


@pytest.fixture(scope="module")
def trained_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-step SFT run of the test model: `hf/final` and `checkpoints/last.ckpt` with trained weights."""
    run_dir = tmp_path_factory.mktemp("sft_run")
    run(compose_stage(run_dir, tiny_model_dir, [
        "stage=sft", "data=synthetic_traces", "data.train.n=4", "trainer.max_steps=1",
        "stage.datamodule.batch_size=4", "stage.module.warmup_steps=0", "stage.module.learning_rate=1e-2",
    ]))  # fmt: skip
    return run_dir


def trained_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_causal_lm(str(run_dir / "hf" / "final")).state_dict()


def assert_trained(model: torch.nn.Module, run_dir: Path, base: Path) -> None:
    """`model` holds the run's weights, not its base model's."""
    expected, untrained = trained_weights(run_dir), load_causal_lm(str(base)).state_dict()
    got = model.state_dict()
    assert got.keys() == expected.keys()
    for key, value in got.items():
        torch.testing.assert_close(value, expected[key], msg=key)
    assert any(not torch.equal(got[k], untrained[k]) for k in got)  # the step moved something


@pytest.mark.parametrize("source", ["run folder", ".ckpt"])
def test_distill_teacher_is_a_training_run(
    source: str, trained_run: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    teacher = trained_run if source == "run folder" else trained_run / "checkpoints" / "last.ckpt"
    cfg = compose_stage(tmp_path, tiny_model_dir, [
        "stage=distill", f"stage.module.teacher_name_or_path={teacher}", "data=synthetic_traces",
    ])  # fmt: skip
    validate_config(cfg)  # before: "a folder without config.json" / a .ckpt refused
    module = hydra.utils.instantiate(cfg.stage.module)
    module.configure_model()
    assert_trained(module.teacher, trained_run, tiny_model_dir)


def test_only_keys_loaded_through_run_models_accept_a_run(trained_run: Path, tmp_path: Path) -> None:
    cfg = compose_stage(
        tmp_path, trained_run / "checkpoints" / "last.ckpt", ["stage=sft", "data=synthetic_traces"]
    )
    with pytest.raises(ConfigError, match=r"name_or_path=.*last\.ckpt': a file, not a model folder"):
        validate_config(cfg)  # the SFT student (and its tokenizer) load HF models only


@pytest.mark.parametrize("source", ["run folder", ".ckpt"])
def test_rejection_sampling_samples_from_a_training_run(
    source: str, trained_run: Path, tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from r1lit.stages import rejection_sampling

    model = trained_run if source == "run folder" else trained_run / "checkpoints" / "last.ckpt"
    loaded = []
    real = rejection_sampling.load_generator

    def spy(*args: object, **kwargs: object) -> tuple:
        generator, tokenizer = real(*args, **kwargs)
        loaded.append(generator.model)
        return generator, tokenizer

    monkeypatch.setattr(rejection_sampling, "load_generator", spy)
    run(compose_stage(tmp_path, model, [
        "stage=rejection_sampling", "data=synthetic", "stage.runner.limit=2", "stage.runner.sampling.n=1",
        "stage.runner.sampling.max_new_tokens=4", "stage.runner.chunk_size=2",
    ]))  # fmt: skip
    (generator_model,) = loaded
    assert_trained(generator_model, trained_run, tiny_model_dir)
    card = json.loads((tmp_path / "dataset_card.json").read_text())
    assert card["source"]["model"] == str(model) and card["stats"]["samples"] == 2


def test_stage_eval_of_a_ckpt_writes_r1lit_eval_names_only(trained_run: Path, tmp_path: Path) -> None:
    from r1lit.stages.heldout_eval import evaluate_checkpoint
    from r1lit.tasks.synthetic import make_problems

    summary = evaluate_checkpoint(
        str(trained_run / "checkpoints" / "last.ckpt"), lambda: make_problems("heldout", 2, 0, 2), "r1_zero",
        SamplingParams(n=1, max_new_tokens=4, seed=0), "int", tmp_path, label="sft",
    )  # fmt: skip
    written = json.loads((tmp_path / "results.json").read_text())["benchmarks"]["synthetic"]
    assert summary["n_problems"] == written["n_problems"] == 2
    assert {"mean_completion_tokens", "truncated_rate", "unparseable_rate"} <= set(written)
    assert not {"response_length", "truncated_frac", "no_answer_frac"} & set(written)
