"""One short run of every stage through `r1lit.cli.train.run` with Hydra-composed configs, on the reduced
tiny model: sft, grpo, rejection_sampling, distill (token-level KD) and sequence-level distillation
(rejection sampling from a teacher, then sft of a student on its traces)."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from r1lit.cli.train import run
from r1lit.models import load_causal_lm

CONF = Path(__file__).resolve().parents[2] / "conf"


def compose_stage(run_dir: Path, model_dir: Path, overrides: list[str]) -> DictConfig:
    base = [
        f"paths.run_dir={run_dir}",
        f"model.name_or_path={model_dir}",
        "logger=csv",
        "trainer.enable_progress_bar=false",
    ]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=[*base, *overrides])


def global_step(run_dir: Path) -> int:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)[
        "global_step"
    ]


def logged(run_dir: Path) -> set[str]:
    with (run_dir / "csv" / "metrics.csv").open() as f:
        return {key for row in csv.DictReader(f) for key, value in row.items() if value}


def test_sft_stage(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    cfg = compose_stage(tmp_path, tiny_model_dir, [
        "stage=sft", "data=synthetic_traces", "data.train.n=8", "trainer.max_steps=2",
        "stage.datamodule.batch_size=4", "stage.module.warmup_steps=0",
    ])  # fmt: skip
    cfg.trainer.enable_progress_bar = True
    with caplog.at_level(logging.INFO, logger="r1lit.stages.fit"):
        run(cfg)
    assert global_step(tmp_path) == 2 and "train/loss" in logged(tmp_path)
    load_causal_lm(str(tmp_path / "hf" / "final"))
    assert "2/2 [" in capsys.readouterr().out  # steps of max_steps, not `Epoch 0/-2`
    assert caplog.records[-1].getMessage() == f"run folder: {tmp_path.resolve()} (step 2)"


def test_grpo_stage_with_the_r1_rewards(tiny_model_dir: Path, tmp_path: Path) -> None:
    run(compose_stage(tmp_path, tiny_model_dir, [
        "stage=grpo", "data=synthetic", "data.train.n=8", "data.heldout.n=2", "reward=[accuracy,format,language]",
        "trainer.max_steps=1", "stage.datamodule.batch_size=2", "stage.module.sampling.n=2",
        "stage.module.sampling.max_new_tokens=8", "stage.module.eval_sampling.n=2",
    ]))  # fmt: skip
    assert global_step(tmp_path) == 1
    assert {f"reward/{name}/mean" for name in ("accuracy", "format", "language")} <= logged(tmp_path)
    evals = [json.loads(line) for line in (tmp_path / "heldout.jsonl").read_text().splitlines()]
    assert evals[0]["step"] == 0 and evals[0]["k"] == 2 and evals[0]["n_prompts"] == 2
    load_causal_lm(str(tmp_path / "hf" / "final"))


def test_rejection_sampling_stage_with_the_hf_sampler(tiny_model_dir: Path, tmp_path: Path) -> None:
    run(compose_stage(tmp_path, tiny_model_dir, [
        "stage=rejection_sampling", "data=synthetic", "stage.runner.limit=3", "stage.runner.sampling.n=2",
        "stage.runner.sampling.max_new_tokens=8", "stage.runner.chunk_size=2",
    ]))  # fmt: skip
    progress = [json.loads(line) for line in (tmp_path / "progress.jsonl").read_text().splitlines()]
    assert len(progress) == 3 and {p["chunk"] for p in progress} == {0, 1}
    card = json.loads((tmp_path / "dataset_card.json").read_text())
    stats = card["stats"]
    assert stats["samples"] == 6 and stats["kept"] + sum(stats["dropped"].values()) == 6
    assert card["source"]["model"] == str(tiny_model_dir) and card["sampling"]["n"] == 2


def test_token_level_distill_stage(tiny_model_dir: Path, tmp_path: Path) -> None:
    run(compose_stage(tmp_path, tiny_model_dir, [
        "stage=distill", f"stage.module.teacher_name_or_path={tiny_model_dir}", "stage.module.divergence=jsd",
        "data=synthetic_traces", "data.train.n=8", "trainer.max_steps=2", "stage.datamodule.batch_size=4",
        "stage.module.warmup_steps=0",
    ]))  # fmt: skip
    assert global_step(tmp_path) == 2 and "train/loss" in logged(tmp_path)
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert not any(k.startswith("teacher.") for k in ckpt["state_dict"]), (
        "the frozen teacher is not checkpointed"
    )
    load_causal_lm(str(tmp_path / "hf" / "final"))


def test_sequence_level_distillation(tiny_model_dir: Path, tmp_path: Path) -> None:
    """The paper's distillation: teacher traces by rejection sampling, then plain SFT of the student on them."""
    traces_dir, student_dir = tmp_path / "traces", tmp_path / "student"
    good, bad = "<think> 1+1=2 </think> <answer> 2 </answer>", "no tags here"
    run(compose_stage(traces_dir, tiny_model_dir, [
        "stage=rejection_sampling", "data=synthetic", "stage.runner.limit=4", "stage.runner.sampling.n=2",
        "stage.runner.filters.require_correct=false", "rollout.backend=scripted", "~rollout.max_batch_size",
        f"+rollout.script=['{good}','{bad}']",
    ]))  # fmt: skip
    traces = [json.loads(line) for line in (traces_dir / "traces.jsonl").read_text().splitlines()]
    assert [t["response"] for t in traces] == [
        good
    ] * 4  # the malformed sample of each prompt is filtered out
    run(compose_stage(student_dir, tiny_model_dir, [
        "stage=sft", "data=traces_jsonl", f"data.train.path={traces_dir / 'traces.jsonl'}", "trainer.max_steps=2",
        "stage.datamodule.batch_size=4", "stage.module.warmup_steps=0",
    ]))  # fmt: skip
    assert global_step(student_dir) == 2
    load_causal_lm(str(student_dir / "hf" / "final"))
