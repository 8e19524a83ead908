"""A training progress bar counted in optimizer steps: `step N/max_steps` with its ETA.

r1lit's runs are sized by `trainer.max_steps` with `max_epochs=-1`, so Lightning's bar (one bar per
epoch, `Epoch 0/-2`) shows neither how far the run is nor when it ends. This one spans the whole run
and starts at the resumed step.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import TQDMProgressBar


class StepProgressBar(TQDMProgressBar):
    """One bar from `global_step` to `max_steps` (the validation bars are Lightning's)."""

    @property
    def train_description(self) -> str:
        return "step"

    def on_train_start(self, trainer: pl.Trainer, *_: Any) -> None:
        self.train_progress_bar = self.init_train_tqdm()
        self.train_progress_bar.reset(total=trainer.max_steps if trainer.max_steps > 0 else None)
        self.train_progress_bar.initial = trainer.global_step  # a resumed run: ETA over the steps left
        self.train_progress_bar.n = trainer.global_step

    def on_train_epoch_start(self, trainer: pl.Trainer, *_: Any) -> None:
        """Keep the one bar across epochs (the base class resets it to the epoch's batches)."""

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *_: Any) -> None:
        bar = self.train_progress_bar
        if bar is None or bar.disable or not self._should_update(trainer.global_step, bar.total or 0):
            return
        bar.n = trainer.global_step  # optimizer steps, the unit of max_steps (not batch_idx, which restarts)
        bar.set_postfix(self.get_metrics(trainer, pl_module))
        bar.refresh()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.train_progress_bar.disable:
            self.train_progress_bar.set_postfix(self.get_metrics(trainer, pl_module))
