"""A LightningDataModule base whose position in the data is checkpointed as "the next step".

`on_after_batch_transfer` runs for the batch actually being trained on (not Lightning's prefetched
one), so the saved position is exact; on resume, `load_state_dict` runs before the dataloader is
built and the run continues at the right step.
"""

from __future__ import annotations

from typing import Annotated, Any

import lightning as L
from torch.utils.data import DataLoader

from r1lit.data.batching import StepBatches


def at_least_one(value: int) -> str | None:
    """A constraint for `Annotated` parameters (r1lit.stages.validate runs it before anything loads)."""
    return None if value >= 1 else "must be >= 1"


# A count per step: 0 would build empty batches and fail only after the step-0 evaluation.
PositiveInt = Annotated[int, at_least_one]


class StepCursorDataModule(L.LightningDataModule):
    """Holds the data position; subclasses provide `n_train`, `collate_train` and a global batch size."""

    def __init__(self, batch_size: PositiveInt, seed: int) -> None:
        super().__init__()
        self.batch_size, self.seed = batch_size, seed
        self.next_step = 0

    # -- checkpointed position ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"next_step": self.next_step}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.next_step = int(state_dict["next_step"])

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        if self.trainer is not None and self.trainer.training and isinstance(batch, dict) and "step" in batch:
            self.next_step = int(batch["step"]) + 1
        return batch

    # -- loaders -----------------------------------------------------------------------------
    def n_train(self) -> int:
        raise NotImplementedError

    def collate_train(self, item: tuple[int, list[int]]) -> dict[str, Any]:
        raise NotImplementedError

    def train_dataloader(self) -> DataLoader:
        trainer = self.trainer
        max_steps = trainer.max_steps if trainer is not None and trainer.max_steps > 0 else None
        if max_steps is None:
            raise ValueError(
                "trainer.max_steps must be set (> 0): r1lit batches are indexed by optimizer step"
            )
        steps = StepBatches(
            self.n_train(),
            self.batch_size,
            self.seed,
            num_steps=max_steps * self.batches_per_step(),
            start_step=self.next_step,
            rank=trainer.global_rank,
            world_size=trainer.world_size,
        )
        return DataLoader(steps, batch_size=None, collate_fn=self.collate_train, num_workers=0)

    def batches_per_step(self) -> int:
        """Dataloader batches per optimizer step (gradient accumulation)."""
        trainer = self.trainer
        return int(getattr(trainer, "accumulate_grad_batches", 1) or 1) if trainer is not None else 1
