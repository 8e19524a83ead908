"""R1-Zero on a tiny model built from scratch: GRPO makes it answer better and at greater length.

The R1-Zero base model's recipe (`r1lit-tiny-zero`: r1_zero template, difficulty 1-2, half step-by-step
answers) with fewer pretraining steps is built into a temporary cache (CI has no cache), then
`r1lit-train experiment=sweep_tiny` runs pure GRPO with the accuracy + format rewards. The base model
answers most questions directly, and those answers are mostly wrong; the step-by-step ones are right
more often, so GRPO shifts it to the longer style and held-out pass@1 rises (the paper's Figures 2
and 3 in miniature), asserted on the run's own heldout.jsonl (k=4 samples at T=0.6 on 100 unseen
questions). Measured: pass@1 0.12 -> 0.20, length 29.6 -> 35.6 tokens, 191 s on a quiet 2-core machine;
the thresholds below are about half of that, for the seed-to-seed and machine-to-machine spread.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
PRETRAIN_STEPS = 600  # the full recipe uses 1000
RL_STEPS = 60
MIN_LENGTH_RISE = 3.0  # tokens
MIN_PASS1_RISE = 0.04  # absolute


def test_grpo_raises_accuracy_and_length(tmp_path: Path, run_train_cli, build_tiny_one_thread) -> None:
    from r1lit.tiny.specs import get_spec

    spec = get_spec("r1lit-tiny-zero").replace(steps=PRETRAIN_STEPS)
    # One thread, as the training subprocess. Measured here with the same seed: built with 1 thread, pass@1
    # 0.125 -> 0.2125 and length +3.8; built with 2, 0.145 -> 0.14 and +2.0 (the code before issue 12 too).
    model = build_tiny_one_thread("r1lit-tiny-zero", tmp_path / "cache", spec)
    run_dir = tmp_path / "run"
    overrides = [
        "experiment=sweep_tiny", f"model.name_or_path={model}", f"hydra.run.dir={run_dir}",
        f"trainer.max_steps={RL_STEPS}", f"trainer.val_check_interval={RL_STEPS}",
        "trainer.enable_progress_bar=false", "data.heldout.n=100", "stage.datamodule.eval_batch_size=100",
        "callbacks=none", "logger=csv",
        "stage.datamodule.batch_size=32",  # r1_zero_tiny's prompts per step: 8 gives a noisy, lower rise
    ]  # fmt: skip
    run_train_cli(overrides, tmp_path / "train.log")

    rows = [json.loads(line) for line in (run_dir / "heldout.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, RL_STEPS]
    base, trained = rows
    assert trained["response_length"] - base["response_length"] >= MIN_LENGTH_RISE, (base, trained)
    assert trained["pass@1"] - base["pass@1"] >= MIN_PASS1_RISE, (base, trained)
