"""StepProgressBar: a run sized by max_steps (max_epochs=-1) shows `step N/max_steps`, not `Epoch 0/-2`."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import pytest
from lightning.pytorch.demos.boring_classes import BoringModel

from r1lit.callbacks.progress import StepProgressBar


def fit(tmp_path: Path, bar: pl.Callback) -> None:
    trainer = pl.Trainer(
        max_steps=5, max_epochs=-1, limit_train_batches=2, limit_val_batches=0, callbacks=[bar], logger=False,
        enable_checkpointing=False, enable_model_summary=False, default_root_dir=tmp_path,
    )  # fmt: skip
    trainer.fit(BoringModel())


def test_bar_counts_optimizer_steps_over_epochs_to_max_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fit(tmp_path, StepProgressBar())  # 2 batches per epoch: 3 epochs for 5 steps, one bar throughout
    out = capsys.readouterr()
    text = out.out + out.err
    assert "step: 100%" in text and "5/5 [" in text, text[-500:]
    assert "Epoch" not in text
