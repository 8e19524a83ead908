"""Rewards reach GRPOModule through its config (`stage.module.rewards: ${reward}`): built once into RewardTerms,
recorded as plain data in the hyperparameters, and rebuilt from a checkpoint as the same terms."""

from __future__ import annotations

import io
from pathlib import Path

import hydra
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from r1lit.rewards.compose import RewardTerm, build_reward_terms, reward_config
from r1lit.rewards.length import cosine_length_reward

CONF = str(Path(__file__).resolve().parents[2] / "conf")


def _compose(*overrides: str):
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return compose("train", overrides=["paths.run_dir=/tmp/unused", *overrides])


def _same(a: list[RewardTerm], b: list[RewardTerm]) -> bool:
    key = lambda t: (t.name, t.weight, t.outcome, t.fn.func, t.fn.keywords)  # noqa: E731
    return [key(t) for t in a] == [key(t) for t in b]


def test_the_module_builds_its_terms_from_the_reward_group() -> None:
    cfg = _compose("reward=[accuracy,format,cosine]", "reward.cosine.weight=0.5")
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")  # as r1lit-train does; no model loads
    assert [(t.name, t.weight, t.outcome) for t in module.rewards] == [
        ("accuracy", 1.0, True),
        ("format", 1.0, False),
        ("cosine", 0.5, True),
    ]
    assert module.rewards[2].fn.func is cosine_length_reward
    assert module.rewards[2].fn.keywords == {
        k: v for k, v in cfg.reward.cosine.fn.items() if not k.startswith("_")
    }
    # the hyperparameters hold the YAML itself, not functions
    assert module.hparams.rewards == OmegaConf.to_container(cfg.reward, resolve=True)


def test_a_checkpoint_restores_the_same_rewards() -> None:
    cfg = _compose("reward=[accuracy,format,rm_helpful]", "reward.rm_helpful.fn.name_or_path=some/rm")
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")
    buffer = io.BytesIO()
    torch.save({"hyper_parameters": dict(module.hparams)}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)["hyper_parameters"]  # no pickled functions in it
    assert _same(build_reward_terms(saved["rewards"]), module.rewards)
    assert reward_config(saved["rewards"]) == saved["rewards"]  # already plain: recorded as is


def test_only_grpo_takes_rewards() -> None:
    assert "rewards" in _compose().stage.module
    for stage in ("sft", "distill"):
        assert "rewards" not in _compose(f"stage={stage}", "data=synthetic_traces").stage.module
