"""Keep a run's logs in step with its checkpoints, so that after a crash and resume each step is logged once.

A run killed after its step-G checkpoint has already logged steps past G; the resumed run logs them
again. Cutting by step number cannot tell the two apart: GRPO logs a batch's metrics at the step
before it and the held-out evaluation at the step after it, so both write step G, and Lightning does
not redo the evaluation that followed the checkpoint. So the cut is by position instead:

- when a checkpoint is written, every logger is flushed and the size of every log file goes into it;
- when the evaluation that follows the checkpoint starts and ends, and when the next batch starts,
  the sizes are measured again into `<sidecar>` under that step (the latest wins): this is what a
  resume from the checkpoint keeps. Lightning writes the checkpointed batch's `self.log` row after the
  checkpoint, and does not redo the evaluation after it on resume, so both must be kept;
- on resume, each file is cut back to the sizes recorded for the checkpoint's step (the sidecar's if
  it has them, else the checkpoint's own), and TensorBoard event files written after it are removed;
  a fresh start (no checkpoint) in a used run dir empties them, as Lightning's CSV logger did.

Files: `jsonl` (append-only JSONL logs: sampled completions, held-out results), each CSV logger's
`metrics.csv` (cut by rows: a new column rewrites its header) and each TensorBoard logger's event
files (cut by bytes: TFRecord files are append-only).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

log = logging.getLogger(__name__)
CHECKPOINT_KEY = "r1lit_log_sizes"
SIDECAR_STEPS = 8  # steps kept in the sidecar: enough for any checkpoint a resume may fall back to
Sizes = dict[str, list[Any]]  # relative path -> [kind ("bytes" | "rows"), size]


def count_rows(path: Path) -> int:
    """Data rows of a CSV file (lines after the header); 0 when it does not exist."""
    if not path.is_file():
        return 0
    with path.open("rb") as f:
        return max(sum(1 for _ in f) - 1, 0)


def cut_file(path: Path, kind: str, size: int) -> int:
    """Cut `path` back to `size` bytes or CSV rows; returns how many bytes/rows were dropped."""
    if not path.is_file():
        return 0
    if kind == "bytes":
        extra = path.stat().st_size - size
        if extra > 0:
            os.truncate(path, size)
        return max(extra, 0)
    lines = path.read_bytes().splitlines(keepends=True)
    extra = len(lines) - 1 - size
    if extra > 0:
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(b"".join(lines[: size + 1]))
        os.replace(tmp, path)
    return max(extra, 0)


def _event_files(trainer: L.Trainer) -> list[Path]:
    return [
        path
        for logger in trainer.loggers
        if isinstance(logger, TensorBoardLogger)
        for path in sorted(Path(logger.log_dir).glob("events.out.tfevents.*"))
    ]


def _csv_files(trainer: L.Trainer) -> list[Path]:
    return [Path(lg.log_dir) / "metrics.csv" for lg in trainer.loggers if isinstance(lg, CSVLogger)]


class ResumableLogs(L.Callback):
    """Record log sizes with each checkpoint and cut the logs back to them on resume.

    Args:
        root: the run dir; sizes are stored relative to it (a moved run dir still resumes).
        jsonl: append-only JSONL logs, relative to `root` (missing ones count as empty).
        sidecar: JSON file of the sizes measured after each checkpoint (see the module docstring).
    """

    def __init__(self, root: str, jsonl: list[str], sidecar: str) -> None:
        self.root, self.jsonl, self.sidecar = Path(root), list(jsonl), Path(sidecar)
        self._saved_step: int | None = None
        self._resumed = False
        # Event files here now were written by earlier attempts. Taken before the trainer exists:
        # Lightning creates this run's writer (and its file) before any callback hook runs.
        self._earlier_events = {p.resolve() for p in self.root.glob("**/events.out.tfevents.*")}

    def _rel(self, path: Path) -> str:
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def _measure(self, trainer: L.Trainer) -> Sizes:
        for logger in trainer.loggers:
            logger.save()
        sizes: Sizes = {name: ["bytes", self._size(self.root / name)] for name in self.jsonl}
        for path in _csv_files(trainer):
            sizes[self._rel(path)] = ["rows", count_rows(path)]
        for path in _event_files(trainer):
            sizes[self._rel(path)] = ["bytes", path.stat().st_size]
        return sizes

    @staticmethod
    def _size(path: Path) -> int:
        return path.stat().st_size if path.is_file() else 0

    # -- recording --------------------------------------------------------------------------------
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # A fresh start in a used run dir (resume=null, or a crash before the first checkpoint) replaces
        # the old logs, as it does the checkpoints; appending would log steps twice. (Runs after any
        # checkpoint is loaded, and before the module's own on_train_start logs step 0.)
        if not self._resumed and trainer.is_global_zero:
            empty: Sizes = {name: ["bytes", 0] for name in self.jsonl}
            empty |= {self._rel(path): ["rows", 0] for path in _csv_files(trainer)}
            self._cut_back(trainer, empty, "a fresh start")

    def on_save_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        if trainer.is_global_zero:
            checkpoint[CHECKPOINT_KEY] = {"step": trainer.global_step, "sizes": self._measure(trainer)}
            self._saved_step = trainer.global_step

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Lightning writes the checkpointed batch's `self.log` row after the checkpoint, before this;
        # a kill during the (possibly long) evaluation then still keeps that row.
        if not trainer.sanity_checking:
            self._record_after_checkpoint(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Lightning does not redo this evaluation on resume: its rows, now written, must be kept.
        if not trainer.sanity_checking:
            self._record_after_checkpoint(trainer)

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._record_after_checkpoint(trainer)
        self._saved_step = None

    def _record_after_checkpoint(self, trainer: L.Trainer) -> None:
        """Store the current sizes under the step of the checkpoint saved at this step, if any."""
        if not trainer.is_global_zero or self._saved_step != trainer.global_step:
            return
        table = self._read_sidecar()
        table[str(trainer.global_step)] = self._measure(trainer)
        recent = sorted(table, key=int)[-SIDECAR_STEPS:]
        self.sidecar.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.sidecar.with_name(f".{self.sidecar.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps({k: table[k] for k in recent}, indent=1))
        os.replace(tmp, self.sidecar)

    def _read_sidecar(self) -> dict[str, Sizes]:
        try:
            return json.loads(self.sidecar.read_text())
        except (OSError, ValueError):  # none yet, or torn by a kill: the checkpoint's own sizes apply
            return {}

    # -- resuming ---------------------------------------------------------------------------------
    def on_load_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        self._resumed = True
        record = checkpoint.get(CHECKPOINT_KEY)
        if record is None or not trainer.is_global_zero:
            return
        sizes = self._read_sidecar().get(str(record["step"]), record["sizes"])
        self._cut_back(trainer, sizes, f"resume at step {record['step']}")

    def _cut_back(self, trainer: L.Trainer, sizes: Sizes, why: str) -> None:
        """Cut every file in `sizes` back to its size; remove earlier event files not in `sizes`."""
        dropped = {}
        for name, (kind, size) in sizes.items():
            path = Path(name) if Path(name).is_absolute() else self.root / name
            if n := cut_file(path, kind, int(size)):
                dropped[name] = f"{n} {kind}"
        known = {(self.root / name).resolve() for name in sizes}
        # event files of this run's TensorBoard loggers written after the checkpoint by a killed attempt
        ours = {p.resolve() for p in _event_files(trainer)}
        for path in (self._earlier_events & ours) - known:
            path.unlink(missing_ok=True)
            dropped[self._rel(path)] = "removed"
        if dropped:
            log.info("%s: dropped what was logged after the checkpoint: %s", why, dropped)
