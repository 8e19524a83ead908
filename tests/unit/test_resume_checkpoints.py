"""Resume picks the newest intact checkpoint: a truncated or empty one is skipped with a warning naming it."""

from __future__ import annotations

import logging
import os
import time
import zipfile
from pathlib import Path

import pytest

from r1lit.stages.checkpoints import check_checkpoint_file, latest_intact_checkpoint


def write_ckpt(path: Path, mtime: float) -> Path:
    """A stand-in checkpoint: torch.save writes a zip archive, which is all the check looks at."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"x" * 1000)
    os.utime(path, (mtime, mtime))
    return path


def test_intact_last_ckpt_is_used(tmp_path: Path) -> None:
    now = time.time()
    write_ckpt(tmp_path / "step_000002.ckpt", now - 10)
    last = write_ckpt(tmp_path / "last.ckpt", now)
    assert latest_intact_checkpoint(tmp_path) == last


@pytest.mark.parametrize("cut", ["empty", "half"])
def test_torn_last_ckpt_falls_back_to_newest_intact(
    cut: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = time.time()
    write_ckpt(tmp_path / "step_000002.ckpt", now - 20)
    newest = write_ckpt(tmp_path / "step_000004.ckpt", now - 10)
    last = write_ckpt(tmp_path / "last.ckpt", now)
    os.truncate(last, 0 if cut == "empty" else last.stat().st_size // 2)
    with caplog.at_level(logging.WARNING):
        assert latest_intact_checkpoint(tmp_path) == newest
    assert str(last) in caplog.text and "skipping checkpoint" in caplog.text


def test_no_checkpoint_means_a_fresh_start(tmp_path: Path) -> None:
    assert latest_intact_checkpoint(tmp_path / "nothing_yet") is None


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 torn"])
def test_no_intact_checkpoint_is_a_clear_error(content: bytes, tmp_path: Path) -> None:
    (tmp_path / "last.ckpt").write_bytes(content)
    with pytest.raises(
        RuntimeError, match=r"no intact checkpoint.*last\.ckpt: it is (empty|truncated).*resume=null"
    ):
        latest_intact_checkpoint(tmp_path)


def test_explicit_resume_path_must_be_intact(tmp_path: Path) -> None:
    (tmp_path / "bad.ckpt").write_bytes(b"")
    with pytest.raises(ValueError, match=r"resume=.*bad\.ckpt'?: it is empty"):
        check_checkpoint_file(tmp_path / "bad.ckpt")
    with pytest.raises(ValueError, match="does not exist"):
        check_checkpoint_file(tmp_path / "missing.ckpt")
    good = write_ckpt(tmp_path / "good.ckpt", time.time())
    assert check_checkpoint_file(good) == str(good)


def write_sharded(path: Path, mtime: float, files: tuple[str, ...] = (".metadata", "meta.pt")) -> Path:
    """A stand-in sharded checkpoint folder (FSDP `save_distributed_checkpoint`): shards + the two index files."""
    path.mkdir()
    (path / "__0_0.distcp").write_bytes(b"x" * 100)
    for name in files:
        (path / name).write_bytes(b"x")
    os.utime(path, (mtime, mtime))
    return path


def test_a_complete_sharded_checkpoint_folder_is_resumed_from(tmp_path: Path) -> None:
    now = time.time()
    write_ckpt(tmp_path / "step_000002.ckpt", now - 10)
    last = write_sharded(tmp_path / "last.ckpt", now)
    assert latest_intact_checkpoint(tmp_path) == last
    assert check_checkpoint_file(last) == str(last)


@pytest.mark.parametrize("files", [(), (".metadata",)])
def test_a_sharded_folder_whose_save_did_not_finish_is_skipped(
    files: tuple[str, ...], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = time.time()
    older = write_sharded(tmp_path / "step_000002.ckpt", now - 10)
    last = write_sharded(tmp_path / "last.ckpt", now, files)
    with caplog.at_level(logging.WARNING):
        assert latest_intact_checkpoint(tmp_path) == older
    assert "sharded checkpoint without" in caplog.text and "meta.pt" in caplog.text
    with pytest.raises(ValueError, match="its save did not finish"):
        check_checkpoint_file(last)
