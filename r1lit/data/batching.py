"""Step-indexed batches: the batch used at optimizer step s is a pure function of (seed, s).

That makes resuming exact without saving sampler state: the DataModule stores the next step in its
checkpointed state_dict, and a resumed run continues with exactly the batches an uninterrupted run
would have seen. Under DDP each rank takes an interleaved shard of the same global batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import IterableDataset


def batch_indices(n_records: int, batch_size: int, seed: int, step: int, shuffle: bool = True) -> list[int]:
    """Indices of the global batch for `step`: epochs are seeded permutations, batches wrap across them."""
    out: list[int] = []
    start = step * batch_size
    while len(out) < batch_size:
        epoch, offset = divmod(start + len(out), n_records)
        if shuffle:
            order = torch.randperm(n_records, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
        else:
            order = torch.arange(n_records)
        take = min(batch_size - len(out), n_records - offset)
        out.extend(order[offset : offset + take].tolist())
    return out


class StepBatches(IterableDataset):
    """Yields (step, indices) for steps start_step, start_step + 1, ... up to num_steps (exclusive)."""

    def __init__(
        self,
        n_records: int,
        batch_size: int,
        seed: int,
        num_steps: int,
        start_step: int = 0,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if n_records < 1:
            raise ValueError("cannot batch an empty dataset")
        if batch_size % world_size:
            raise ValueError(f"batch_size={batch_size} must be divisible by world_size={world_size}")
        self.n_records, self.batch_size, self.seed = n_records, batch_size, seed
        self.num_steps, self.start_step, self.shuffle = num_steps, start_step, shuffle
        self.rank, self.world_size = rank, world_size

    def __iter__(self) -> Iterator[tuple[int, list[int]]]:
        for step in range(self.start_step, self.num_steps):
            idx = batch_indices(self.n_records, self.batch_size, self.seed, step, self.shuffle)
            yield step, idx[self.rank :: self.world_size]

    def __len__(self) -> int:
        # The whole run's length, not what is left: a resumed Lightning epoch restores its batch
        # counter (start_step batches done) and ends when the counter reaches len(); with the
        # remaining count it would end early and start a new epoch from start_step again.
        return self.num_steps
