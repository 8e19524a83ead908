"""Prompt batches carry every record's fields: a mixed-task batch keeps its code tests and Countdown numbers."""

from __future__ import annotations

from r1lit.data.prompt_datamodule import PromptDataModule
from r1lit.rewards.code import code_reward
from r1lit.tasks import check


def test_mixed_batch_keeps_the_fields_of_every_task() -> None:
    records = [
        {"id": "m", "question": "1+1?", "answer": "2"},  # first record: plain math, no task fields
        {"id": "c", "question": "Use 3, 4 to make 7.", "answer": "3 + 4", "task": "countdown",
         "numbers": [3, 4], "target": 7},
        {"id": "p", "question": "Print 5.", "answer": None, "task": "code",
         "tests": [{"input": "", "output": "5\n", "testtype": "stdin"}]},
    ]  # fmt: skip
    dm = PromptDataModule(lambda: records, None, "r1_zero", batch_size=3, eval_batch_size=3, seed=0)
    batch = dm.to_batch(records)
    assert batch["task"] == [None, "countdown", "code"] and batch["numbers"] == [None, [3, 4], None]
    assert batch["tests"][2] == records[2]["tests"]
    # The countdown record is checked as Countdown (the bare target is not a solution) ...
    countdown = {k: batch[k][1] for k in ("answer", "task", "numbers", "target")}
    assert (
        not check(countdown, "<answer> 7 </answer>").correct
        and check(countdown, "<answer> 3+4 </answer>").correct
    )
    # ... and the program still reaches its tests, while the math sample is not the code reward's.
    rewards = code_reward(
        ["\\boxed{2}", "<answer> 3+4 </answer>", "```python\nprint(5)\n```"],
        answer=batch["answer"],
        tests=batch["tests"],
        task=batch["task"],
    )
    assert rewards == [None, None, 1.0]


def test_heldout_rows_carry_the_prompt_a_report_shows() -> None:
    from r1lit.modules.heldout import score_groups
    from r1lit.rollout.base import Completion

    records = [{"id": "m", "question": "1+1?", "answer": "2"}]
    batch = PromptDataModule(lambda: records, None, "r1_zero", 1, 1, 0).to_batch(records)
    group = [Completion(text="<answer> 2 </answer>", token_ids=[1], logprobs=[0.0], finish_reason="stop")]
    row = score_groups([group], batch, kind="math")[0]
    assert "1+1?" in row["prompt"] and row["correct"] == [True]
