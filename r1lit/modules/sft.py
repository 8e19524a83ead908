"""Supervised fine-tuning: the cold start of DeepSeek-R1 (§2.3.1) and the workhorse of distillation (§2.4).

Next-token cross-entropy on assistant tokens only (labels come masked from the SFT DataModule, EOS
included), averaged over labelled tokens of the batch. Packed batches arrive with `position_ids` and no
attention mask, which transformers turns into a block-diagonal causal mask (only when use_cache=False).
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from r1lit.lora import make_trainable
from r1lit.models import load_causal_lm, load_tokenizer
from r1lit.modules.optim import Schedule, adamw_with_schedule


def model_inputs(batch: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The tensors an HF causal LM takes from an SFT batch (padded or packed)."""
    keys = ("input_ids", "attention_mask", "position_ids")
    return {k: batch[k] for k in keys if k in batch}


class SFTModule(L.LightningModule):
    """Fine-tune `model_name_or_path` on chat / R1-format traces.

    Args:
        model_name_or_path: hub id, local folder, or `r1lit-tiny*`.
        revision: hub revision (None for local folders).
        dtype: weights dtype ("float32" on CPU; use trainer precision bf16-mixed on GPU).
        learning_rate, weight_decay, betas: AdamW.
        warmup_steps, lr_schedule, min_lr_ratio: the per-step schedule (see r1lit.modules.optim).
        gradient_checkpointing: trade compute for memory on large models.
        lora: LoRA adapters (r1lit.lora.apply_lora keywords; r = 0 or None: full fine-tuning).
    """

    def __init__(
        self,
        model_name_or_path: str,
        revision: str | None,
        dtype: str,
        learning_rate: float,
        weight_decay: float,
        betas: tuple[float, float] | list[float],
        warmup_steps: int,
        lr_schedule: Schedule,
        gradient_checkpointing: bool,
        lora: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if learning_rate <= 0:
            raise ValueError(f"stage.module.learning_rate must be > 0, got {learning_rate}")
        self.save_hyperparameters()
        self.policy: torch.nn.Module | None = None
        self.tokenizer = None

    def configure_model(self) -> None:
        if self.policy is not None:
            return
        hp = self.hparams
        self.tokenizer = load_tokenizer(hp.model_name_or_path, hp.revision)
        self.policy = load_causal_lm(hp.model_name_or_path, hp.revision, hp.dtype)
        # from_pretrained returns eval mode and Lightning keeps each module's mode: train explicitly, so
        # dropout acts as the checkpoint configures it and gradient checkpointing (train mode only) runs.
        self.policy.train()
        self.policy = make_trainable(self.policy, hp.lora, hp.gradient_checkpointing)
        self.policy.config.use_cache = False

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        # use_cache=False: with a cache, transformers skips the packed-sequence (block-diagonal) mask.
        return self.policy(**model_inputs(batch), labels=batch["labels"], use_cache=False).loss

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        loss = self(batch)
        n_tokens = (batch["labels"] != -100).sum()
        self.log("train/loss", loss, prog_bar=True, batch_size=int(batch["input_ids"].shape[0]))
        self.log("train/label_tokens", n_tokens.float(), reduce_fx="sum", batch_size=1)
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self.log(
            "val/loss",
            self(batch),
            prog_bar=True,
            sync_dist=True,
            batch_size=int(batch["input_ids"].shape[0]),
        )

    def configure_optimizers(self) -> dict:
        hp = self.hparams
        return adamw_with_schedule(
            list(self.policy.parameters()),
            hp.learning_rate,
            hp.weight_decay,
            hp.betas,
            hp.warmup_steps,
            self.trainer.max_steps,
            hp.lr_schedule,
        )
