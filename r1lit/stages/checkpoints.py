"""Pick the checkpoint a run resumes from, skipping files a crash left truncated or empty.

A process killed while writing `last.ckpt` leaves a file that `torch.load` rejects with a bare
`EOFError` or zip error. A checkpoint is a zip archive whose index sits at its end, so a truncated one
fails to open as a zip: that check reads only the index, not the weights. A sharded checkpoint
(FSDP / model-parallel with `save_distributed_checkpoint`) is a folder named like the file: Lightning
writes every shard and torch.distributed.checkpoint's `.metadata` first and its own `meta.pt` last, so a
folder holding both is complete.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from omegaconf import DictConfig

from r1lit.stages.validate import ConfigError

log = logging.getLogger(__name__)
LAST = "last.ckpt"
SHARDED_COMPLETE = (".metadata", "meta.pt")  # written last by torch.distributed.checkpoint, then Lightning


def checkpoint_problem(path: Path) -> str | None:
    """Why `path` cannot be a complete checkpoint (empty, truncated, not a zip), or None when it can."""
    if path.is_dir():
        missing = [name for name in SHARDED_COMPLETE if not (path / name).is_file()]
        return (
            f"it is a sharded checkpoint without {' and '.join(missing)} (its save did not finish)"
            if missing
            else None
        )
    try:
        size = path.stat().st_size
    except OSError as err:
        return f"it cannot be read ({err})"
    if size == 0:
        return "it is empty (0 bytes)"
    try:
        with zipfile.ZipFile(path) as archive:
            if not archive.namelist():
                return "it is an empty archive"
    except (OSError, zipfile.BadZipFile) as err:
        return f"it is truncated or not a checkpoint ({size} bytes: {err})"
    return None


def latest_intact_checkpoint(ckpt_dir: str | Path) -> Path | None:
    """`last.ckpt` if intact, else the newest intact `*.ckpt` (warning about each bad one); None if there are none.

    Raises:
        RuntimeError: checkpoints exist but none of them is intact (the message lists each and why).
    """
    folder = Path(ckpt_dir)
    last = folder / LAST
    others = sorted((p for p in folder.glob("*.ckpt") if p.name != LAST), key=lambda p: p.stat().st_mtime)
    candidates = ([last] if last.exists() else []) + others[::-1]
    problems = []
    for path in candidates:
        problem = checkpoint_problem(path)
        if problem is None:
            if problems:
                log.warning("resuming from %s instead (%s)", path, "; ".join(problems))
            return path
        problems.append(f"{path}: {problem}")
        log.warning("skipping checkpoint %s: %s", path, problem)
    if problems:
        raise RuntimeError(
            "cannot resume: no intact checkpoint in "
            f"{folder} ({'; '.join(problems)}). Delete them to start over, or pass resume=null."
        )
    return None


def check_checkpoint_file(path: str | Path, key: str = "resume") -> str:
    """An explicitly given checkpoint must exist and be intact; returns it as a string.

    Raises:
        ConfigError: naming `key`, the path and why it cannot be resumed from.
    """
    path = Path(path)
    problem = "it does not exist" if not path.exists() else checkpoint_problem(path)
    if problem:
        raise ConfigError(
            f"{key}={str(path)!r}: {problem}; allowed: auto, null, or a complete .ckpt file (or sharded .ckpt folder)"
        )
    return str(path)


def resolve_ckpt_path(cfg: DictConfig) -> str | None:
    """`resume: auto` continues from the newest intact checkpoint of this run (last.ckpt first), if any.

    A truncated or empty checkpoint (a kill while it was written) is skipped with a warning naming it;
    an explicit `resume: <path>` must be intact.
    """
    if cfg.resume in (None, False, "never"):
        return None
    if cfg.resume == "auto":
        found = latest_intact_checkpoint(cfg.paths.ckpt_dir)
        return str(found) if found is not None else None
    return check_checkpoint_file(cfg.resume)
