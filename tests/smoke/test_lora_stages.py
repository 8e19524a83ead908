"""LoRA in every training stage on the reduced tiny model: adapters train, the base stays as loaded.

GRPO with LoRA loads no second model: its reference is the policy with adapters disabled, which
scores exactly like the checkpoint it started from, even once the adapters have moved away.
"""

from __future__ import annotations

from pathlib import Path

import hydra
import lightning as L
import pytest
import torch
from hydra import compose, initialize_config_dir

from r1lit.models import load_causal_lm
from r1lit.modules.grpo_reference import FrozenScorer
from r1lit.modules.rollout_batch import completion_logprobs, pack_completions
from r1lit.rollout import SamplingParams

pytest.importorskip("peft")

CONF = str(Path(__file__).resolve().parents[2] / "conf")
LORA = ["stage.module.lora.r=4", "stage.module.lora.dropout=0.0"]
STAGES = {
    "grpo": ["stage=grpo", "data=synthetic", "data.train.n=4", "data.heldout.n=2", "reward=[accuracy,format]",
             "stage.datamodule.batch_size=2", "stage.module.sampling.n=2", "stage.module.sampling.max_new_tokens=6",
             "stage.module.eval_at_start=false", "stage.module.learning_rate=1e-2", "stage.module.logprob_chunk_size=4"],
    "sft": ["stage=sft", "data=synthetic_traces", "stage.datamodule.batch_size=4", "stage.module.warmup_steps=0",
            "stage.module.gradient_checkpointing=true"],
    "distill": ["stage=distill", "data=synthetic_traces", "stage.datamodule.batch_size=4",
                "stage.module.warmup_steps=0"],
}  # fmt: skip


def _move_adapters(model: torch.nn.Module) -> None:
    """peft starts lora_B at 0 (policy == base): move it, so the policy differs from its base (GRPO's KL > 0
    gives every adapter a gradient even when a tiny batch's advantages are all zero)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.2)


def _module_and_data(model_dir: Path, run_dir: Path, stage: str):
    extra = [f"stage.module.teacher_name_or_path={model_dir}"] if stage == "distill" else []
    overrides = [f"paths.run_dir={run_dir}", f"model.name_or_path={model_dir}", *STAGES[stage], *LORA, *extra]
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")  # GRPO's rewards come with it
    return module, hydra.utils.instantiate(cfg.stage.datamodule, _convert_="all")


@pytest.mark.parametrize("stage", ["grpo", "sft", "distill"])
def test_one_step_trains_only_the_adapters(tiny_model_dir: Path, tmp_path: Path, stage: str) -> None:
    module, datamodule = _module_and_data(tiny_model_dir, tmp_path, stage)
    module.configure_model()
    _move_adapters(module.policy)
    before = {n: p.detach().clone() for n, p in module.policy.named_parameters()}
    assert all(("lora_" in n) == p.requires_grad for n, p in module.policy.named_parameters())
    torch.manual_seed(0)
    trainer = L.Trainer(
        accelerator="cpu", max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0, num_sanity_val_steps=0,
    )  # fmt: skip
    trainer.fit(module, datamodule=datamodule)
    after = dict(module.policy.named_parameters())
    moved = {n for n, p in after.items() if not torch.equal(p.detach(), before[n])}
    assert moved and all("lora_" in n for n in moved)


def test_grpo_reference_is_the_base_with_adapters_disabled(tiny_model_dir: Path, tmp_path: Path) -> None:
    module, _ = _module_and_data(tiny_model_dir, tmp_path, "grpo")
    module.configure_model()
    assert module.reference is None  # no second copy of the weights
    _move_adapters(module.policy)
    groups = module.generator.generate(["What is 2 + 3?"], SamplingParams(n=2, max_new_tokens=6, seed=0))
    packed = pack_completions(groups, module.tokenizer.pad_token_id)
    scorer = FrozenScorer(module.sampling.temperature, True, 1, 4)
    ref = scorer.reference(module.policy, module.reference, module._reference_copy, [packed])[0]
    with torch.no_grad():
        base, _ = completion_logprobs(load_causal_lm(str(tiny_model_dir)), packed, 1.0, chunk_size=4)
        policy, _ = completion_logprobs(module.policy, packed, 1.0, chunk_size=4)
    mask = packed.completion_mask.bool()
    torch.testing.assert_close(ref[mask], base[mask], atol=1e-5, rtol=0)
    assert (policy[mask] - base[mask]).abs().max() > 1e-3
    # the generator samples from the adapted policy: its log-probs are the policy's, not the base's
    sampled = packed.sampling_logps[mask]
    torch.testing.assert_close(sampled, policy[mask], atol=1e-4, rtol=0)
