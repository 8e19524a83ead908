"""Supervised fine-tuning: the cold start of DeepSeek-R1 (§2.3.1) and the workhorse of distillation (§2.4).

Next-token cross-entropy on assistant tokens only (labels come masked from the SFT DataModule, EOS
included), averaged over labelled tokens of the batch. With `logprob_chunk_size` set (and a model whose
logits are plain `lm_head(hidden)`, r1lit.modules.rollout_batch.chunkable_head) only labelled positions
reach the LM head, a chunk at a time: no `[B, L, V]` logits (at V = 152k the largest tensor of a step). Packed batches arrive with `position_ids` and no
attention mask, which transformers turns into a block-diagonal causal mask (only when use_cache=False).
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from r1lit.algos.logprobs import chunked_logprobs_and_entropy
from r1lit.models import load_causal_lm, load_tokenizer
from r1lit.modules.optim import Schedule, adamw_from_hparams
from r1lit.modules.policy import trainable_policy
from r1lit.modules.rollout_batch import chunkable_head, unwrap_peft


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
        logprob_chunk_size: labelled positions per LM-head chunk (None: the model's own loss on full logits).
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
        logprob_chunk_size: int | None = None,
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
        self.policy = trainable_policy(
            load_causal_lm(hp.model_name_or_path, hp.revision, hp.dtype),
            dropout=True,  # SFT trains with the dropout the checkpoint configures
            lora=hp.lora,
            gradient_checkpointing=hp.gradient_checkpointing,
        )
        self.policy.config.use_cache = False

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        # use_cache=False: with a cache, transformers skips the packed-sequence (block-diagonal) mask.
        chunk, head = self.hparams.logprob_chunk_size, chunkable_head(self.policy)
        if not chunk or head is None:
            return self.policy(**model_inputs(batch), labels=batch["labels"], use_cache=False).loss
        decoder = unwrap_peft(self.policy).base_model
        hidden = decoder(**model_inputs(batch), use_cache=False).last_hidden_state[:, :-1]  # [B, L-1, E]
        labels = batch["labels"][:, 1:]  # [B, L-1] next-token targets
        keep = labels != -100
        logps, _ = chunked_logprobs_and_entropy(
            hidden[keep][None], head, labels[keep][None], chunk_size=chunk
        )
        return -logps.mean()  # the mean cross-entropy over labelled tokens, as the model's own loss

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
        return adamw_from_hparams(list(self.policy.parameters()), self.hparams, self.trainer.max_steps)
