"""Training and evaluation on architecture twins: dropout, one GRPO step, one `r1lit-eval` run.

The GPT-2 twin keeps GPT-2's dropout (0.1 on embeddings, residuals and attention). GRPO samples from
the eval-mode policy, so the train-mode policy must compute the same distribution: its log-probs of
the rollout's tokens equal the rollout's, and the k3 KL to the reference is 0 before any update.
SFT and the distillation student train with dropout as configured (train mode); the teacher never drops.
"""

from __future__ import annotations

import csv
from pathlib import Path

import hydra
import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from r1lit.cli.train import run
from r1lit.modules.rollout_batch import completion_logprobs, pack_completions
from r1lit.rollout import SamplingParams

CONF = str(Path(__file__).resolve().parents[2] / "conf")
GRPO = [
    "stage=grpo", "data=synthetic", "data.train.n=4", "data.heldout.n=2", "reward=[accuracy,format]",
    "trainer.max_steps=1", "stage.datamodule.batch_size=2", "stage.module.sampling.n=2",
    "stage.module.sampling.max_new_tokens=6", "stage.module.eval_sampling.n=1", "stage.module.beta=0.04",
    "stage.module.eval_at_start=false",
]  # fmt: skip


def compose_train(run_dir: Path, model_dir: Path | None, overrides: list[str]):
    base = [f"paths.run_dir={run_dir}", "logger=csv", "trainer.enable_progress_bar=false"]
    base += [f"model.name_or_path={model_dir}"] if model_dir is not None else []
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return compose("train", overrides=[*base, *overrides])


def make_module(cfg):
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")  # GRPO's rewards come with it
    module.configure_model()
    return module


def dropout_rates(model: torch.nn.Module) -> list[float]:
    return [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]


def test_grpo_trains_the_policy_that_sampled(twin_dir, tmp_path: Path) -> None:
    folder = twin_dir("gpt2")
    module = make_module(compose_train(tmp_path, folder, GRPO))
    policy, reference = module.policy, module.reference
    assert policy.training and not reference.training
    assert max(dropout_rates(policy) + dropout_rates(reference)) == 0.0
    assert max(dropout_rates(type(policy).from_pretrained(folder))) == 0.1  # the checkpoint is untouched
    params = SamplingParams(n=2, max_new_tokens=10, temperature=1.0, seed=0)
    groups = module.generator.generate(["What is 2 + 3?", "7 * 6 ="], params)
    assert policy.training  # the generator restores train mode
    packed = pack_completions(groups, module.tokenizer.pad_token_id)
    logps, _ = completion_logprobs(policy, packed, 1.0, share_prefix=True)  # train mode, with grad
    with torch.no_grad():
        ref, _ = completion_logprobs(reference, packed, 1.0, share_prefix=True)
    for row, ref_row, c in zip(logps, ref, (c for g in groups for c in g), strict=True):
        torch.testing.assert_close(
            row[: len(c.logprobs)].detach(), torch.tensor(c.logprobs), atol=1e-4, rtol=0
        )
        torch.testing.assert_close(ref_row[: len(c.logprobs)], torch.tensor(c.logprobs), atol=1e-4, rtol=0)


@pytest.mark.parametrize("model", ["gpt2_twin", "qwen2.5_twin"])
def test_one_grpo_step_end_to_end(twin_cache: Path, tmp_path: Path, monkeypatch, model: str) -> None:
    monkeypatch.setenv("R1LIT_CACHE", str(twin_cache))  # `model=<family>_twin` builds / finds it there
    run(compose_train(tmp_path, None, [f"model={model}", *GRPO]))
    with (tmp_path / "csv" / "metrics.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r.get("train/kl")]
    assert len(rows) == 1 and abs(float(rows[0]["train/kl"])) < 1e-5  # step 0: policy == reference
    assert (tmp_path / "hf" / "final" / "config.json").is_file()


def test_sft_and_distill_students_train_in_train_mode(twin_dir, tmp_path: Path) -> None:
    folder = twin_dir("gpt2")
    sft = make_module(compose_train(tmp_path, folder, ["stage=sft", "data=synthetic_traces",
                                                       "stage.module.gradient_checkpointing=true"]))  # fmt: skip
    # train mode: dropout as GPT-2 configures it, and gradient checkpointing (train mode only) active
    assert all(m.training for m in sft.policy.modules()) and max(dropout_rates(sft.policy)) == 0.1
    distill = make_module(compose_train(tmp_path, folder, [
        "stage=distill", "data=synthetic_traces", f"stage.module.teacher_name_or_path={folder}"]))  # fmt: skip
    assert all(m.training for m in distill.policy.modules()) and max(dropout_rates(distill.policy)) == 0.1
    distill.train()  # whatever switches the whole module to train mode, the teacher stays exact
    assert max(dropout_rates(distill.teacher)) == 0.0


def test_eval_harness_end_to_end(twin_cache: Path, tmp_path: Path, monkeypatch) -> None:
    from r1lit_eval.cli import CONF_DIR
    from r1lit_eval.cli import run as run_eval

    monkeypatch.setenv("R1LIT_CACHE", str(twin_cache))
    overrides = ["model.name_or_path=r1lit-twin/llama3.1", "benchmarks=[synthetic]", "sampling.k=1", "limit=2",
                 "sampling.max_new_tokens=4", f"output_dir={tmp_path / 'out'}", f"cache_dir={tmp_path / 'cache'}",
                 "progress=false", "bootstrap_samples=10"]  # fmt: skip
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = OmegaConf.to_container(compose("eval", overrides=overrides), resolve=True)
    results = run_eval(cfg)
    assert results["benchmarks"]["synthetic"]["n_samples"] == 2
