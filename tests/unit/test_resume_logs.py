"""Logs cut back to a checkpoint's sizes on resume (bytes for JSONL/TensorBoard, rows for CSV): each step once."""

from __future__ import annotations

import csv
import json
import logging
import os
from collections import Counter
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger

from r1lit.callbacks.loggers import AppendingExperimentWriter, ResumableCSVLogger
from r1lit.callbacks.resume_logs import ResumableLogs, count_rows, cut_file
from r1lit.modules.heldout import truncate_jsonl


def test_cut_bytes_drops_only_what_came_after(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    path.write_text('{"step": 0}\n{"step": 1}\n{"st')  # a kill tore the last line
    kept = len('{"step": 0}\n')
    size = path.stat().st_size
    assert cut_file(path, "bytes", kept) == size - kept
    assert path.read_text() == '{"step": 0}\n'
    assert cut_file(path, "bytes", kept) == 0  # already that size: untouched
    assert cut_file(tmp_path / "missing.jsonl", "bytes", 0) == 0


def test_cut_rows_keeps_the_header(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("a,step\n1,0\n2,1\n3,2\n")
    assert count_rows(path) == 3
    assert cut_file(path, "rows", 1) == 2
    assert path.read_text() == "a,step\n1,0\n"


def test_csv_writer_continues_an_existing_file(tmp_path: Path) -> None:
    """Lightning's writer deletes metrics.csv on creation; ours appends under the existing header."""
    (tmp_path / "metrics.csv").write_text("a,step\n1.0,0\n")
    writer = AppendingExperimentWriter(str(tmp_path))
    writer.log_metrics({"a": 2.0}, step=1)
    writer.log_metrics({"b": 5.0}, step=1)  # a new column rewrites the header, keeping old rows
    writer.save()
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert rows == ["a,b,step", "1.0,,0", "2.0,,1", ",5.0,1"]


def test_heldout_truncate_drops_a_torn_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "heldout.jsonl"
    path.write_text(json.dumps({"step": 0}) + "\n" + json.dumps({"step": 2}) + "\n" + '{"step": 4, "pa')
    with caplog.at_level(logging.WARNING):
        truncate_jsonl(path, last_step=2)
    assert [json.loads(line)["step"] for line in path.read_text().splitlines()] == [0, 2]
    assert "heldout.jsonl:3: dropping a torn line" in caplog.text


class Line(L.LightningModule):
    """Fits y = 2x, logging `train/loss` each step; raises at global step `fail_at` (a crash)."""

    def __init__(self, fail_at: int | None) -> None:
        super().__init__()
        self.w, self.fail_at = torch.nn.Parameter(torch.zeros(1)), fail_at

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        if self.global_step == self.fail_at:
            raise RuntimeError("crash")
        loss = ((self.w * batch - 2 * batch) ** 2).mean()
        self.log("train/loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(torch.linspace(-1, 1, 16).unsqueeze(1), batch_size=1)


class StepLines(L.Callback):
    """Appends one JSONL line per batch, like SampleLogger."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps({"step": trainer.global_step - 1}) + "\n")


def fit(run: Path, fail_at: int | None, ckpt_path: str | None) -> None:
    trainer = L.Trainer(
        max_steps=6, accelerator="cpu", log_every_n_steps=1, enable_progress_bar=False, enable_model_summary=False,
        logger=[ResumableCSVLogger(save_dir=run, name="csv", version=""), TensorBoardLogger(run, name="tb", version="")],
        callbacks=[
            ModelCheckpoint(dirpath=run / "checkpoints", every_n_train_steps=2, save_last=True, save_top_k=-1),
            ResumableLogs(root=str(run), jsonl=["steps.jsonl"], sidecar=str(run / "checkpoints" / "sizes.json")),
            StepLines(run / "steps.jsonl"),
        ],
    )  # fmt: skip
    trainer.fit(Line(fail_at), ckpt_path=ckpt_path)


def logged_steps(run: Path) -> dict[str, Counter]:
    """Steps of `train/loss` in metrics.csv and in every TensorBoard event file, and of steps.jsonl."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    rows = csv.DictReader((run / "csv" / "metrics.csv").open())
    events = [e for path in (run / "tb").glob("events.*") for e in EventFileLoader(str(path)).Load()]
    return {
        "csv": Counter(int(r["step"]) for r in rows if r["train/loss"]),
        "tb": Counter(e.step for e in events for v in e.summary.value if v.tag == "train/loss"),
        "jsonl": Counter(json.loads(line)["step"] for line in (run / "steps.jsonl").read_text().splitlines()),
    }


def test_crash_resume_and_fresh_start_log_each_step_once(tmp_path: Path) -> None:
    once = Counter(range(6))
    with pytest.raises(RuntimeError, match="crash"):
        fit(tmp_path, fail_at=5, ckpt_path=None)  # steps 0-4 logged, checkpoints at 2 and 4
    crashed = logged_steps(tmp_path)
    assert crashed["jsonl"] == Counter(range(5))
    fit(tmp_path, fail_at=None, ckpt_path=str(tmp_path / "checkpoints" / "last.ckpt"))
    assert logged_steps(tmp_path) == {"csv": once, "tb": once, "jsonl": once}

    os.truncate(tmp_path / "checkpoints" / "last.ckpt", 0)
    with pytest.raises(RuntimeError, match="crash"):  # resume from step 4 (sidecar) again, crash at 5
        fit(tmp_path, fail_at=5, ckpt_path=str(tmp_path / "checkpoints" / "epoch=0-step=4.ckpt"))
    fit(tmp_path, fail_at=None, ckpt_path=None)  # resume=null in a used run dir: the old logs go
    assert logged_steps(tmp_path) == {"csv": once, "tb": once, "jsonl": once}
