"""R1-Zero in the search world: RL alone makes thinking longer, reflection frequent, and answers right.

The main job's base model (`r1lit-tiny-search`, built into a temporary cache: CI has no cache) and a
shortened `experiment=r1_zero_search`: GRPO with accuracy + format rewards only (nothing rewards a
retry). Asserted on the run's own held-out evaluations (50 unseen problems x k=8 at T=0.6, step 0 =
the base model): pass@1 up, mean response length up, and the share of samples that retry after a
failed check ("Wait, let me try x=...", `r1lit.tiny.style_stats.classify_search_style`) up, with the
retrying samples right more often than the rest at the end.

Measured: the three seeds of the full recipe (80 steps, cosine lr, README) at step 40: pass@1 +32 to +34
points, length x2.6 to x2.9, reflective share 2-3.5 % -> 36-41 %, reflective samples all right vs 18-25 %
of the others. Here 40 steps at the recipe's constant peak lr (a 40-step cosine decays too early: +5.5
points in one try), base built with one thread as the subprocess trains: +47 points, x3.4, 2.5 % -> 53 %,
about 10 minutes in all on 2 cores (6.5 of them the build). The margins are about half the smallest rise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
RL_STEPS = 40
MIN_PASS1_RISE = 0.15  # absolute
MIN_LENGTH_RATIO = 1.5
MIN_REFLECTION_RISE = 0.15  # absolute share of held-out samples


def test_rl_alone_makes_thinking_longer_and_reflective(
    tmp_path: Path, run_train_cli, build_tiny_one_thread
) -> None:
    from paper_figs.fig_reflection import reflection_curves

    model = build_tiny_one_thread("r1lit-tiny-search", tmp_path / "cache")
    run_dir = tmp_path / "run"
    overrides = [
        "experiment=r1_zero_search", f"model.name_or_path={model}", f"hydra.run.dir={run_dir}",
        f"trainer.max_steps={RL_STEPS}", f"trainer.val_check_interval={RL_STEPS}",
        "trainer.enable_progress_bar=false", "callbacks=none", "stage.module.lr_schedule=constant",
    ]  # fmt: skip
    run_train_cli(overrides, tmp_path / "train.log", timeout=1800)

    rows = [json.loads(line) for line in (run_dir / "heldout.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, RL_STEPS]
    base, trained = rows
    assert trained["pass@1"] - base["pass@1"] >= MIN_PASS1_RISE, (base, trained)
    assert trained["response_length"] >= MIN_LENGTH_RATIO * base["response_length"], (base, trained)

    samples = [json.loads(line) for line in (run_dir / "heldout_samples.jsonl").read_text().splitlines()]
    curves = reflection_curves(samples)
    rate = dict(zip(curves["rate"].steps, curves["rate"].values, strict=True))
    assert rate[RL_STEPS] - rate[0] >= MIN_REFLECTION_RISE, rate
    with_retry = dict(zip(curves["with re-check"].steps, curves["with re-check"].values, strict=True))
    without = dict(zip(curves["without re-check"].steps, curves["without re-check"].values, strict=True))
    assert with_retry[RL_STEPS] > without[RL_STEPS] + 0.3, (with_retry, without)
