"""The reward-model stage of "RL for all scenarios" (DeepSeek-R1 §2.3.4): a scalar-head classifier trained
with the Bradley-Terry loss on preference pairs.

The model is `AutoModelForSequenceClassification` with `num_labels=1`, loaded from a causal LM
checkpoint (for the tiny model: its Qwen2 body and a fresh linear `score` head), so the reward model
shares the policy's architecture and tokenizer, as the paper's reward models share DeepSeek-V3's. Its
score is the head's output at the last non-padding token. The exports (`hf/final/`, via the HFExport
callback) load with `r1lit.rewards.reward_model` (`reward=[rm_helpful,rm_harmless]`).

Logged: `train/loss`, `train/pair_acc`, `train/score_gap` (mean r_w - r_l); on the held-out pairs
`val/loss`, `val/pair_acc` and `val/pair_acc/<view>` / `val/pair_acc/<kind>` (which failures it
tells apart). Deliberate differences from the paper: one classifier serves helpfulness and
harmlessness (two views of the response, see r1lit.data.preference_datamodule) instead of two models.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import lightning as L
import torch

from r1lit.algos.bradley_terry import bradley_terry_loss, pair_accuracy
from r1lit.data.preference_datamodule import split_scores
from r1lit.models import DTYPES, load_tokenizer, resolve_model_path
from r1lit.modules.optim import Schedule, adamw_from_hparams
from r1lit.modules.policy import trainable_policy


def load_scalar_classifier(name_or_path: str, revision: str | None, dtype: str, pad_token_id: int) -> Any:
    """`AutoModelForSequenceClassification(num_labels=1)` from a causal LM or classifier checkpoint."""
    from transformers import AutoModelForSequenceClassification

    if dtype not in DTYPES or dtype == "auto":
        raise ValueError(
            f"model.dtype={dtype!r}: the reward model needs one of {[d for d in DTYPES if d != 'auto']}"
        )
    model = AutoModelForSequenceClassification.from_pretrained(
        resolve_model_path(name_or_path), revision=revision, num_labels=1, dtype=getattr(torch, dtype)
    )
    model.config.pad_token_id = pad_token_id  # the score is read at the last non-pad token
    return model


class RewardModelModule(L.LightningModule):
    """Train a scalar reward model on `(chosen, rejected)` batches from `PreferenceDataModule`.

    Args:
        model_name_or_path: the starting checkpoint (hub id, local folder, or `r1lit-tiny*`).
        revision: hub revision (None for local folders).
        dtype: weights dtype.
        margin: Bradley-Terry margin (0: the plain loss).
        learning_rate, weight_decay, betas: AdamW.
        warmup_steps, lr_schedule: the per-step schedule (see r1lit.modules.optim).
    """

    def __init__(
        self,
        model_name_or_path: str,
        revision: str | None,
        dtype: str,
        margin: float,
        learning_rate: float,
        weight_decay: float,
        betas: tuple[float, float] | list[float],
        warmup_steps: int,
        lr_schedule: Schedule,
    ) -> None:
        super().__init__()
        if learning_rate <= 0:
            raise ValueError(f"stage.module.learning_rate must be > 0, got {learning_rate}")
        self.save_hyperparameters()
        self.classifier: torch.nn.Module | None = None
        self.tokenizer = None
        self._val_wins: dict[str, list[torch.Tensor]] = defaultdict(list)

    @property
    def policy(self) -> torch.nn.Module | None:
        """The trained HF model under the name the HFExport callback saves."""
        return self.classifier

    def configure_model(self) -> None:
        if self.classifier is not None:
            return
        hp = self.hparams
        self.tokenizer = load_tokenizer(hp.model_name_or_path, hp.revision)
        classifier = load_scalar_classifier(
            hp.model_name_or_path, hp.revision, hp.dtype, self.tokenizer.pad_token_id
        )
        # full fine-tuning with the dropout the checkpoint configures
        self.classifier = trainable_policy(classifier, dropout=True)

    def forward(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """(chosen, rejected) scores of a batch.  # [2B, L] -> [B], [B]"""
        logits = self.classifier(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        return split_scores(logits[:, 0].float())  # [2B, 1] -> [2B] -> halves

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        chosen, rejected = self(batch)
        loss = bradley_terry_loss(chosen, rejected, self.hparams.margin)
        n = int(chosen.shape[0])
        self.log("train/loss", loss, prog_bar=True, batch_size=n)
        self.log("train/pair_acc", pair_accuracy(chosen.detach(), rejected.detach()), batch_size=n)
        self.log("train/score_gap", (chosen - rejected).detach().mean(), batch_size=n)
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        chosen, rejected = self(batch)
        n = int(chosen.shape[0])
        self.log(
            "val/loss",
            bradley_terry_loss(chosen, rejected, self.hparams.margin),
            sync_dist=True,
            batch_size=n,
        )
        wins = (chosen > rejected).float() + 0.5 * (chosen == rejected).float()  # [B], as pair_accuracy
        for key, values in (("view", batch["view"]), ("kind", batch["kind"])):
            for group in sorted(set(values)):
                rows = torch.tensor([v == group for v in values], device=wins.device)
                self._val_wins[f"{key}:{group}"].append(wins[rows])
        self._val_wins["all"].append(wins)

    def on_validation_epoch_end(self) -> None:
        for key, parts in sorted(self._val_wins.items()):
            name = "val/pair_acc" if key == "all" else f"val/pair_acc/{key.split(':', 1)[1]}"
            self.log(name, torch.cat(parts).mean(), sync_dist=True)
        self._val_wins.clear()

    def configure_optimizers(self) -> dict:
        return adamw_from_hparams(list(self.classifier.parameters()), self.hparams, self.trainer.max_steps)
