"""Prompts + gold answers for RL (GRPO), rejection sampling and in-training held-out evaluation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch.utils.data import DataLoader

from r1lit.data.batching import batch_indices
from r1lit.data.sources import Record
from r1lit.data.step_cursor import PositiveInt, StepCursorDataModule
from r1lit.prompts import build_prompt


class PromptDataModule(StepCursorDataModule):
    """Batches of `{"step", "id", "prompt", "question", "answer", ...}`; `prompt` is text or chat messages.

    Args:
        train: a zero-argument loader of prompt records (a `_partial_` of a function in r1lit.data.sources).
        heldout: the same for the held-out evaluation set (disjoint from `train`), or None.
        template: prompt template name (see r1lit.prompts).
        batch_size: prompts per optimizer step, across all ranks (each prompt is sampled G times).
        eval_batch_size: held-out prompts per validation batch.
        seed: data order seed.
    """

    def __init__(
        self,
        train: Callable[[], list[Record]],
        heldout: Callable[[], list[Record]] | None,
        template: str,
        batch_size: PositiveInt,
        eval_batch_size: PositiveInt,
        seed: int,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        self.train_source, self.heldout_source = train, heldout
        self.template, self.eval_batch_size = template, eval_batch_size
        self.train_records: list[Record] = []
        self.heldout_records: list[Record] = []

    def setup(self, stage: str | None = None) -> None:
        if not self.train_records:
            self.train_records = self.train_source()
            if not self.train_records:
                raise ValueError("data.train produced no records")
        if self.heldout_source is not None and not self.heldout_records:
            self.heldout_records = self.heldout_source()

    def n_train(self) -> int:
        return len(self.train_records)

    def to_batch(self, records: list[Record], step: int = -1) -> dict[str, Any]:
        """Column-wise batch; every record field becomes a column (rewards may use any of them)."""
        columns: dict[str, Any] = {
            "step": step,
            "prompt": [build_prompt(self.template, r["question"]) for r in records],
        }
        keys = dict.fromkeys(key for r in records for key in r)  # every record's fields: mixed-task batches
        for key in keys:
            if key != "messages":
                columns[key] = [r.get(key) for r in records]
        return columns

    def collate_train(self, item: tuple[int, list[int]]) -> dict[str, Any]:
        step, idx = item
        return self.to_batch([self.train_records[i] for i in idx], step)

    def refill_batch(self, step: int, refill_round: int, rank: int, world_size: int) -> dict[str, Any]:
        """Rank `rank`'s share of a fresh, deterministic batch of training prompts for (step, refill round).

        GRPO's dynamic sampling (r1lit.modules.grpo_rollout) calls it to replace groups without signal.
        Round r >= 1 orders the records by its own seed (data seed + 7919 r), unlike the step's batch.
        """
        idx = batch_indices(self.n_train(), self.batch_size, self.seed + 7_919 * refill_round, step)
        return self.to_batch([self.train_records[i] for i in idx[rank::world_size]], step)

    def val_dataloader(self) -> DataLoader | list:
        if not self.heldout_records:
            return []
        chunks = [
            self.heldout_records[i : i + self.eval_batch_size]
            for i in range(0, len(self.heldout_records), self.eval_batch_size)
        ]
        return DataLoader(chunks, batch_size=None, collate_fn=self.to_batch)
