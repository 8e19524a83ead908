"""r1lit.io: the one JSONL reader/writer and atomic JSON writer shared by training, eval and paper_figs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from r1lit.io import append_jsonl, read_jsonl, write_json_atomic, write_jsonl


def test_jsonl_round_trip_keeps_unicode_readable_and_skips_blank_lines(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a" / "b.jsonl", [{"q": "√2 ≈ 1.41"}, {"q": "x"}])
    assert "√2" in path.read_text(encoding="utf-8")  # not \u221a: files stay readable
    append_jsonl(path, [{"q": "y"}], fsync=True)
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert [r["q"] for r in read_jsonl(path)] == ["√2 ≈ 1.41", "x", "y"]


def test_torn_line_raises_naming_file_and_line_unless_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"a": 1}\n{"a": 2\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.jsonl:2: not a JSON record"):
        read_jsonl(path)
    with caplog.at_level(logging.WARNING, logger="r1lit.io"):
        assert read_jsonl(path, skip_bad=True) == [{"a": 1}]
    assert "t.jsonl:2" in caplog.text
    path.write_text('{"a": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.jsonl:2: expected a JSON object, got list"):
        read_jsonl(path, skip_bad=True)
    assert read_jsonl(tmp_path / "absent.jsonl", missing_ok=True) == []
    with pytest.raises(FileNotFoundError):
        read_jsonl(tmp_path / "absent.jsonl")


def test_atomic_json_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.json"
    write_json_atomic(path, {"old": 1})
    write_json_atomic(path, {"b": Path("/x"), "a": "é"}, sort_keys=True)
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": "é", "b": "/x"}
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]
