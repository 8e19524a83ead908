"""A CSV logger that a resumed run continues instead of wiping.

Lightning's `CSVLogger` deletes `metrics.csv` when its writer is created, so a run resumed after a
crash keeps only the steps it trains after resuming. `ResumableCSVLogger` keeps the file and starts from
its header; `r1lit.callbacks.resume_logs.ResumableLogs` then cuts the rows the checkpoint had not seen.
"""

from __future__ import annotations

import csv

from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers.logger import rank_zero_experiment


class AppendingExperimentWriter(ExperimentWriter):
    """Appends to an existing `metrics.csv`, knowing its columns (a new column still rewrites the header)."""

    def _check_log_dir_exists(self) -> None:
        if not self._fs.isfile(self.metrics_file_path):
            return
        with self._fs.open(self.metrics_file_path, "r", newline="") as file:
            self.metrics_keys = next(csv.reader(file), [])


class ResumableCSVLogger(CSVLogger):
    """`CSVLogger` whose `metrics.csv` survives a restart in the same folder (same arguments)."""

    @property
    @rank_zero_experiment  # other ranks get a no-op writer, as in CSVLogger
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = AppendingExperimentWriter(log_dir=self.log_dir)
        return self._experiment
