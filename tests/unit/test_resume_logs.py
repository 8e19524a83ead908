"""Cutting logs back to a checkpoint's sizes on resume (bytes for JSONL/TensorBoard, rows for CSV)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from r1lit.callbacks.loggers import AppendingExperimentWriter
from r1lit.callbacks.resume_logs import count_rows, cut_file
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
