"""DONE.json: `train()` writes it after a finished fit and skips a finished run under `resume: auto`.

The stage is a two-parameter regression module defined here (no model, no tokenizer): what is
tested is train()'s bookkeeping, not learning. Instantiations are counted, so "skipped" means
nothing was built at all.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import lightning as L
import pytest
import torch
from omegaconf import DictConfig, OmegaConf

from r1lit.stages.done_marker import MARKER, mark_done, optimized_value, read_done, scalar_metrics
from r1lit.stages.fit import train

BUILT: list[str] = []  # what train() instantiated, in order


class LineModule(L.LightningModule):
    """Fits y = 2x; logs `train/loss` every step and a constant `val/score` so the objective is known."""

    def __init__(self) -> None:
        super().__init__()
        BUILT.append("module")
        self.w = torch.nn.Parameter(torch.zeros(1))

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        loss = ((self.w * batch - 2 * batch) ** 2).mean()
        self.log("train/loss", loss)
        self.log("val/score", 0.75)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


class ExplodingModule(LineModule):
    """Crashes in its second training step, after the first one has run and logged."""

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        if batch_idx == 1:
            raise RuntimeError("boom")
        return super().training_step(batch, batch_idx)


class LineData(L.LightningDataModule):
    def __init__(self) -> None:
        super().__init__()
        BUILT.append("datamodule")

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(torch.linspace(-1, 1, 16).unsqueeze(1), batch_size=4)


def make_cfg(run_dir: Path, resume: str | None = "auto", metric: str | None = "val/score") -> DictConfig:
    return OmegaConf.create({
        "seed": 0, "resume": resume, "optimized_metric": metric,
        "paths": {"run_dir": str(run_dir), "ckpt_dir": str(run_dir / "checkpoints")},
        "stage": {"datamodule": {"_target_": f"{__name__}.LineData"}, "module": {"_target_": f"{__name__}.LineModule"}},
        "trainer": {"_target_": "lightning.pytorch.Trainer", "accelerator": "cpu", "max_steps": 3,
                    "enable_checkpointing": False, "enable_progress_bar": False, "enable_model_summary": False,
                    "default_root_dir": str(run_dir)},
    })  # fmt: skip


def test_train_marks_done_then_skips_without_building_anything(tmp_path: Path) -> None:
    BUILT.clear()
    cfg = make_cfg(tmp_path / "job")
    assert train(cfg) == 0.75
    assert BUILT == ["datamodule", "module"]
    marker = read_done(tmp_path / "job")
    assert marker is not None and marker["global_step"] == 3
    assert marker["metrics"]["val/score"] == 0.75 and marker["metrics"]["train/loss"] > 0

    BUILT.clear()
    assert train(cfg) == 0.75  # the stored objective, for an Optuna rerun
    assert BUILT == []


def test_resume_null_trains_again_and_a_missing_marker_means_not_done(tmp_path: Path) -> None:
    train(make_cfg(tmp_path / "job"))
    BUILT.clear()
    train(make_cfg(tmp_path / "job", resume=None))
    assert BUILT == ["datamodule", "module"]
    (tmp_path / "job" / MARKER).unlink()
    BUILT.clear()
    train(make_cfg(tmp_path / "job"))
    assert BUILT == ["datamodule", "module"] and read_done(tmp_path / "job") is not None


def test_a_crashed_fit_leaves_no_marker(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path / "job")
    cfg.stage.module._target_ = f"{__name__}.ExplodingModule"
    with pytest.raises(RuntimeError, match="boom"):
        train(cfg)
    assert (tmp_path / "job" / "config.yaml").is_file() and not (tmp_path / "job" / MARKER).exists()


def test_unknown_objective_is_a_clear_error_but_the_run_is_still_done(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="heldout/pass@1"):
        train(make_cfg(tmp_path / "job", metric="heldout/pass@1"))
    assert read_done(tmp_path / "job") is not None


def test_marker_helpers(tmp_path: Path) -> None:
    metrics = scalar_metrics(
        {"a": torch.tensor(0.5), "b": 2, "nan": math.nan, "vec": torch.ones(3), "s": "x"}
    )
    assert metrics == {"a": 0.5, "b": 2.0}
    path = mark_done(tmp_path, metrics, 7)
    assert json.loads(path.read_text())["global_step"] == 7 and list(tmp_path.iterdir()) == [path]
    assert optimized_value(metrics, "a") == 0.5 and optimized_value(metrics, None) is None
    path.write_text("{not json")
    assert read_done(tmp_path) is None  # a corrupt marker means "not done": the job runs again
