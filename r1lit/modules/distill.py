"""Token-level knowledge distillation from an online teacher (an option beside the paper's method).

The paper distils R1 into small models by SFT on teacher traces alone (§2.4; sequence-level KD, which is
`stage=sft` on the rejection-sampling output). This module adds the token-level variant: the student
matches the teacher's next-token distribution on the same SFT batches,
`loss = alpha * D(student, teacher) + (1 - alpha) * CE`, with D a forward KL, reverse KL or generalized
JSD at temperature T (the math lives in r1lit.algos.kd). Teacher and student must share a tokenizer.
The teacher may be any model source, a training run folder or `.ckpt` included (`r1lit.run_models`).
"""

from __future__ import annotations

from typing import Any, Literal

import lightning as L
import torch

from r1lit.algos.kd import kd_loss
from r1lit.models import load_causal_lm, load_tokenizer
from r1lit.modules.optim import Schedule, adamw_from_hparams
from r1lit.modules.policy import frozen_model, trainable_policy
from r1lit.modules.sft import model_inputs
from r1lit.run_models import ModelOrRun, load_model_and_tokenizer


def check_same_tokenizer(student: Any, teacher: Any, student_name: str, teacher_name: str) -> None:
    """Token-level KD compares distributions id by id: the vocabularies must be identical."""
    s_vocab, t_vocab = student.get_vocab(), teacher.get_vocab()
    if s_vocab != t_vocab:
        only_s = sorted(set(s_vocab) - set(t_vocab))[:5]
        only_t = sorted(set(t_vocab) - set(s_vocab))[:5]
        raise ValueError(
            f"teacher {teacher_name!r} and student {student_name!r} do not share a tokenizer "
            f"(vocab sizes {len(t_vocab)} vs {len(s_vocab)}; only in student e.g. {only_s}, only in teacher e.g. "
            f"{only_t}). Token-level KD needs one tokenizer; use sequence-level distillation (stage=sft on "
            "teacher traces) instead."
        )


class DistillModule(L.LightningModule):
    """Student `model_name_or_path` learns from frozen teacher `teacher_name_or_path` on SFT batches.

    The divergence options are those of r1lit.algos.kd; `gradient_checkpointing` and `lora`
    (r1lit.lora.apply_lora keywords, r = 0: full fine-tuning) apply to the student only.
    """

    def __init__(
        self,
        model_name_or_path: str,
        revision: str | None,
        dtype: str,
        teacher_name_or_path: ModelOrRun,
        teacher_revision: str | None,
        divergence: Literal["forward_kl", "reverse_kl", "jsd"],
        alpha: float,
        temperature: float,
        jsd_beta: float,
        scale_by_t2: bool,
        learning_rate: float,
        weight_decay: float,
        betas: tuple[float, float] | list[float],
        warmup_steps: int,
        lr_schedule: Schedule,
        gradient_checkpointing: bool,
        lora: dict[str, Any],
    ) -> None:
        super().__init__()
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"stage.module.alpha must be in [0, 1], got {alpha}")
        if temperature <= 0:
            raise ValueError(f"stage.module.temperature must be > 0, got {temperature}")
        self.save_hyperparameters()
        self.policy: torch.nn.Module | None = None
        self.teacher: torch.nn.Module | None = None
        self.tokenizer = None

    def configure_model(self) -> None:
        if self.policy is not None:
            return
        hp = self.hparams
        self.tokenizer = load_tokenizer(hp.model_name_or_path, hp.revision)
        # a run folder stands for its HF export; a .ckpt is its base model with its trained weights
        teacher, teacher_tokenizer = load_model_and_tokenizer(
            hp.teacher_name_or_path, hp.teacher_revision, hp.dtype
        )
        check_same_tokenizer(
            self.tokenizer, teacher_tokenizer, hp.model_name_or_path, hp.teacher_name_or_path
        )
        # The student trains like SFT (dropout as configured); the teacher is a fixed target.
        self.policy = trainable_policy(
            load_causal_lm(hp.model_name_or_path, hp.revision, hp.dtype),
            dropout=True,
            lora=hp.lora,
            gradient_checkpointing=hp.gradient_checkpointing,
        )
        self.teacher = frozen_model(teacher)

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Checkpoints hold the student only; the teacher is reloaded from its name."""
        return {k: v for k, v in super().state_dict(*args, **kwargs).items() if not k.startswith("teacher.")}

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True, **kwargs: Any) -> Any:
        return super().load_state_dict(state_dict, strict=False, **kwargs)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        hp = self.hparams
        inputs = model_inputs(batch)
        vocab = len(self.tokenizer)  # embedding matrices may be padded past the real vocabulary
        student = self.policy(**inputs, use_cache=False).logits[:, :-1, :vocab]  # [B, L-1, V]
        with torch.no_grad():
            teacher = self.teacher(**inputs, use_cache=False).logits[:, :-1, :vocab]  # [B, L-1, V]
        labels = batch["labels"][:, 1:]  # [B, L-1] next-token targets
        mask = labels != -100
        loss, metrics = kd_loss(
            student,
            teacher,
            mask,
            divergence=hp.divergence,
            alpha=hp.alpha,
            labels=labels,
            temperature=hp.temperature,
            beta=hp.jsd_beta,
            scale_by_t2=hp.scale_by_t2,
        )
        bs = int(batch["input_ids"].shape[0])
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        self.log_dict({f"train/{k}": v for k, v in metrics.items()}, batch_size=bs)
        return loss

    def configure_optimizers(self) -> dict:
        return adamw_from_hparams(list(self.policy.parameters()), self.hparams, self.trainer.max_steps)
