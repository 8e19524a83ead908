"""stage=reward_model end to end on the reduced tiny model, then its export as the RL reward of a mixed
reasoning + general GRPO step (the "RL for all scenarios" stage in miniature)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from r1lit.cli.train import run
from r1lit.data.preference_datamodule import pair_texts
from r1lit.models import load_tokenizer
from r1lit.rewards.reward_model import load_reward_model, reward_model_reward
from r1lit.tasks.general import make_general_prompts, make_preference_pairs

CONF = Path(__file__).resolve().parents[2] / "conf"


def compose_stage(run_dir: Path, model_dir: Path, overrides: list[str]) -> DictConfig:
    base = [f"paths.run_dir={run_dir}", f"model.name_or_path={model_dir}", "logger=csv",
            "trainer.enable_progress_bar=false"]  # fmt: skip
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=[*base, *overrides])


def logged(run_dir: Path) -> dict[str, str]:
    """The last non-empty value of every logged metric."""
    out: dict[str, str] = {}
    with (run_dir / "csv" / "metrics.csv").open() as f:
        for row in csv.DictReader(f):
            out.update({k: v for k, v in row.items() if v})
    return out


@pytest.fixture(scope="module")
def trained_rm(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("rm_stage")
    run(compose_stage(run_dir, tiny_model_dir, [
        "stage=reward_model", "data=preferences", "data.train.n=24", "data.heldout.n=12",
        "trainer.max_steps=2", "trainer.val_check_interval=2", "stage.datamodule.batch_size=4",
        "stage.module.warmup_steps=0",
    ]))  # fmt: skip
    return run_dir


def test_reward_model_stage_trains_validates_and_exports(trained_rm: Path) -> None:
    metrics = logged(trained_rm)
    assert {"train/loss", "train/pair_acc", "val/loss", "val/pair_acc"} <= set(metrics)
    assert {"val/pair_acc/summary", "val/pair_acc/full"} <= set(metrics)  # one per view of a pair
    assert 0.0 <= float(metrics["val/pair_acc"]) <= 1.0
    model, _ = load_reward_model(str(trained_rm / "hf" / "final"))
    assert type(model).__name__ == "Qwen2ForSequenceClassification" and model.config.num_labels == 1


@pytest.mark.parametrize("view", ["summary", "full"])
def test_the_reward_scores_the_text_the_stage_trained_on(trained_rm: Path, view: str) -> None:
    """The reward's input for a completion is byte for byte the stage's training text for that view."""
    path = str(trained_rm / "hf" / "final")
    pair = make_preference_pairs("heldout", 1, seed=3, p_unsafe=0.0)[0]
    tokenizer = load_tokenizer(path)
    item = pair_texts([pair], [view], tokenizer, "r1_zero")[0]
    prompt = item["chosen"][: item["chosen"].index("Assistant:") + len("Assistant:")]
    model, rm_tok = load_reward_model(path)
    direct = model(**rm_tok([item["chosen"], item["rejected"]], return_tensors="pt", padding=True)).logits
    scores = reward_model_reward([pair["chosen"], pair["rejected"]], name_or_path=path, response=view,
                                 prompts=[prompt] * 2)  # fmt: skip
    assert scores == pytest.approx(direct[:, 0].tolist(), abs=1e-5)


def test_mixed_grpo_step_scores_each_prompt_by_its_own_rewards(trained_rm: Path, tiny_model_dir: Path,
                                                               tmp_path: Path) -> None:  # fmt: skip
    rm = str(trained_rm / "hf" / "final")
    run(compose_stage(tmp_path, tiny_model_dir, [
        "stage=grpo", "data=mixed", "data.train.sources.0.n=4", "data.train.sources.1.n=4", "data.heldout=null",
        "reward=[accuracy,format,rm_helpful,rm_harmless]", f"reward.rm_helpful.fn.name_or_path={rm}",
        f"reward.rm_harmless.fn.name_or_path={rm}", "trainer.max_steps=1", "stage.datamodule.batch_size=8",
        "stage.module.sampling.n=2", "stage.module.sampling.max_new_tokens=8",
    ]))  # fmt: skip
    metrics = logged(tmp_path)
    # every sample is either a reasoning one (accuracy applies) or a general one (both RM terms apply)
    for term in ("accuracy", "rm_helpful", "rm_harmless"):
        assert float(metrics[f"reward/{term}/none_rate"]) == pytest.approx(0.5)
    assert float(metrics["reward/total/none_rate"]) == 0.0


def test_general_eval_reports_pass1_and_rm_scores(
    trained_rm: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    from r1lit.stages.general_eval import main

    out = tmp_path / "rows.json"
    rows = main(["--rm", str(trained_rm / "hf" / "final"), "--model", f"tiny={tiny_model_dir}", "--n-general", "6",
                 "--n-reasoning", "2", "--k", "2", "--max-new-tokens", "8", "--out", str(out)])  # fmt: skip
    row = rows[0]
    assert row["model"] == "tiny" and row["k"] == 2 and row["n_prompts"] == 6 and 0.0 <= row["pass@1"] <= 1.0
    categories = {r["category"] for r in make_general_prompts("heldout", 6, seed=1234, p_unsafe=0.3)}
    for name in ("rm_helpful", "rm_harmless"):
        assert math.isfinite(row[name])
        assert {f"{c}/{name}" for c in categories} <= set(row)  # one mean per prompt category
    assert json.loads(out.read_text()) == rows


def test_pipeline_general_scores_are_cached_until_a_model_changes(
    trained_rm: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    """pipeline.eval.general: scored once per stage, again only when the stage or the reward model is newer."""
    import os

    from omegaconf import OmegaConf

    from r1lit.stages.general_eval import GENERAL_RESULTS, GENERAL_SAMPLES, evaluate_general

    general = OmegaConf.create({"rm_stage": "reward_model", "n": 4, "k": 2, "p_unsafe": 0.5})
    eval_cfg = OmegaConf.create({
        "template": "r1_zero", "batch_size": 4, "device": "cpu", "dtype": "float32",
        "sampling": {"_target_": "r1lit.rollout.base.SamplingParams", "n": 8, "temperature": 0.6, "top_p": 0.95,
                     "max_new_tokens": 8, "seed": 0},
    })  # fmt: skip
    marker = tmp_path / "DONE.json"
    marker.write_text("{}")
    os.utime(marker, (1, 1))
    out = tmp_path / "eval"
    rm = str(trained_rm / "hf" / "final")
    scores = evaluate_general(str(tiny_model_dir), rm, general, eval_cfg, out, made_after=marker)
    assert scores["k"] == 2 and scores["n_prompts"] == 4  # general.k, not the reasoning eval's n
    assert {"rm_helpful", "rm_harmless", "helpful/names_number", "unsafe/declines"} <= set(scores)
    samples = [json.loads(line) for line in (out / GENERAL_SAMPLES).read_text().splitlines()]
    assert len(samples) == 8  # every completion, with the numbers the means are made of
    helpful = [r for r in samples if r["category"] == "helpful"]
    assert scores["rm_helpful"] == pytest.approx(sum(r["rm_helpful"] for r in samples) / 8, abs=1e-4)
    assert scores["helpful/names_number"] == pytest.approx(
        sum(r["helpful/names_number"] for r in helpful) / len(helpful), abs=1e-4
    )
    cached = out / GENERAL_RESULTS
    cached.write_text(json.dumps({**scores, "rm_helpful": 123.0}))  # a marked cache: reused while fresh
    assert (
        evaluate_general(str(tiny_model_dir), rm, general, eval_cfg, out, made_after=marker)["rm_helpful"]
        == 123.0
    )
    os.utime(marker, (cached.stat().st_mtime + 10,) * 2)  # the stage (or the RM) was redone since
    assert evaluate_general(str(tiny_model_dir), rm, general, eval_cfg, out, made_after=marker) == scores
