"""Save the trained policy with `save_pretrained` so any HF tool (and r1lit-eval) can load it.

A LoRA policy (r1lit.lora) is written with its adapters merged into the base weights: a plain HF
checkpoint that loads without peft (vLLM, r1lit-eval, the next pipeline stage).
"""

from __future__ import annotations

from pathlib import Path

import lightning as L

from r1lit.lora import save_pretrained_merged


class HFExport(L.Callback):
    """Writes `<dirpath>/step_<N>/` every N optimizer steps and `<dirpath>/final/` at the end of fit.

    The LightningModule must expose the trainable HF model as `policy` and its tokenizer as `tokenizer`.
    """

    def __init__(self, dirpath: str, every_n_train_steps: int) -> None:
        self.dirpath, self.every = Path(dirpath), every_n_train_steps

    def _save(self, trainer: L.Trainer, module: L.LightningModule, name: str) -> None:
        if trainer.is_global_zero:
            out = self.dirpath / name
            save_pretrained_merged(module.policy, out)
            module.tokenizer.save_pretrained(out)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # noqa: ANN001
        step = trainer.global_step
        if (
            self.every > 0
            and step > 0
            and step % self.every == 0
            and not (self.dirpath / f"step_{step}").exists()
        ):
            self._save(trainer, pl_module, f"step_{step}")

    def on_train_end(self, trainer, pl_module) -> None:  # noqa: ANN001
        self._save(trainer, pl_module, "final")
