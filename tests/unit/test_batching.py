"""Step-indexed batching: deterministic, resumable at any step, sharded across ranks without overlap."""

from r1lit.data.batching import StepBatches, batch_indices


def test_same_seed_and_step_give_the_same_batch() -> None:
    assert batch_indices(10, 4, seed=3, step=5) == batch_indices(10, 4, seed=3, step=5)
    assert batch_indices(10, 4, seed=3, step=5) != batch_indices(10, 4, seed=4, step=5)


def test_each_epoch_is_a_permutation_and_batches_wrap_across_epochs() -> None:
    # 10 records, batch 4: steps 0,1 and the first half of step 2 are epoch 0.
    epoch0 = batch_indices(10, 4, 0, 0) + batch_indices(10, 4, 0, 1) + batch_indices(10, 4, 0, 2)[:2]
    assert sorted(epoch0) == list(range(10))
    assert len(batch_indices(10, 4, 0, 2)) == 4


def test_resuming_at_step_k_continues_the_uninterrupted_sequence() -> None:
    full = list(StepBatches(7, 3, seed=1, num_steps=6))
    resumed = list(StepBatches(7, 3, seed=1, num_steps=6, start_step=4))
    assert resumed == full[4:]
    assert [step for step, _ in full] == list(range(6))


def test_ranks_split_the_global_batch() -> None:
    shards = [list(StepBatches(20, 8, seed=0, num_steps=3, rank=r, world_size=2)) for r in (0, 1)]
    for step in range(3):
        assert sorted(shards[0][step][1] + shards[1][step][1]) == sorted(batch_indices(20, 8, 0, step))


def bucketing_datamodule(lengths: list[int], batch_size: int, bucket_batches: int):  # noqa: ANN201
    """An SFTDataModule over examples of the given lengths, without a tokenizer or a Trainer."""
    from types import SimpleNamespace

    from r1lit.data.sft_datamodule import SFTDataModule

    dm = SFTDataModule(
        list, None, "unused", 64, batch_size, pack=False, bucket_batches=bucket_batches, seed=3
    )
    dm.train_examples = [{"input_ids": [7] * n, "labels": [7] * n} for n in lengths]
    dm.trainer = SimpleNamespace(world_size=1, global_rank=0)
    return dm


def padded_tokens(dm, steps: range) -> int:  # noqa: ANN001
    """Token slots (real + padding) of the padded batches of `steps`."""
    total = 0
    for step in steps:
        batch = dm.collate_train((step, batch_indices(dm.n_train(), dm.batch_size, dm.seed, step)))
        total += batch["input_ids"].numel()
    return total


def test_length_bucketing_sorts_each_pool_and_keeps_every_example_once() -> None:
    lengths = [(i * 37) % 50 + 1 for i in range(48)]
    dm = bucketing_datamodule(lengths, batch_size=4, bucket_batches=4)
    pool = batch_indices(48, 16, dm.seed, 0)  # steps 0-3 draw from one pool of 4 batches
    batches = [dm.bucketed_indices(step, []) for step in range(4)]
    assert sorted(i for b in batches for i in b) == sorted(pool)
    # each batch is a contiguous slice of the length-sorted pool: no two batches' length ranges interleave
    spans = sorted((min(lengths[i] for i in b), max(lengths[i] for i in b)) for b in batches)
    assert all(hi <= next_lo for (_, hi), (next_lo, _) in zip(spans, spans[1:], strict=False))
    unbucketed = bucketing_datamodule(lengths, batch_size=4, bucket_batches=1)
    assert padded_tokens(dm, range(12)) < padded_tokens(unbucketed, range(12))
