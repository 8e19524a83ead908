"""JSON and JSONL files: the one reader and writers that training, eval and paper_figs share.

Pure Python (no torch, no Lightning), so `r1lit_eval` and `paper_figs` can import it without pulling
in the trainer. Records are written with `ensure_ascii=False` (problems and completions stay readable).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


def read_jsonl(path: str | Path, *, skip_bad: bool = False, missing_ok: bool = False) -> list[dict[str, Any]]:
    """Every record of a JSONL file (blank lines skipped).

    Args:
        path: the file.
        skip_bad: log a warning and skip a line that does not parse (a file appended to by a process that
            may crash mid-line, e.g. rejection sampling's chunks) instead of raising.
        missing_ok: a file that does not exist (yet) reads as no records.

    Raises:
        ValueError: naming file and line, for a line that does not parse (unless `skip_bad`) or holds
            something other than a JSON object.
    """
    if missing_ok and not Path(path).is_file():
        return []
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                if skip_bad:
                    log.warning("%s:%d: ignoring a partial line (interrupted write)", path, lineno)
                    continue
                raise ValueError(
                    f"{path}:{lineno}: not a JSON record ({err.msg}); the file is torn or edited, "
                    "restore it or rerun the step that wrote it"
                ) from err
            if not isinstance(rows[-1], dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(rows[-1]).__name__}")
    return rows


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Write `rows` as a fresh JSONL file (parent folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(_line(row) for row in rows)
    return path


def append_jsonl(path: str | Path, rows: Iterable[dict[str, Any]], *, fsync: bool = False) -> None:
    """Append `rows` to a JSONL file (parent folders created).

    Args:
        path: the file.
        rows: the records.
        fsync: flush to disk before returning, for files a resumed run trusts after a crash.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.writelines(_line(row) for row in rows)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())


def write_json_atomic(path: str | Path, obj: Any, *, sort_keys: bool = False) -> Path:
    """Write `obj` as indented JSON through a temporary file and a rename: readers never see half a file.

    Used for files whose presence means "finished" (results.json, DONE.json). Values JSON cannot hold
    (paths, numpy scalars) are written as their `str`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str, sort_keys=sort_keys)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_json(path: str | Path) -> Any | None:
    """The JSON in `path`, or None when it is absent or unreadable (a marker file's "not finished")."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("ignoring an unreadable %s", path)
        return None
