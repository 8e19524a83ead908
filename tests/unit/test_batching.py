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
