"""One memory cgroup per sandbox run: the program's memory is capped in total, not per process.

RLIMIT_AS holds per process, so 32 processes may each use `memory_mb`; a cgroup caps the sum over
every process the program starts. Used from the harness side of `r1lit.grading.sandbox`: `create`
makes `<our cgroup>/r1lit-sbx-<harness pid>-<n>` with the limit (swap included where the kernel
accounts it), the program's process joins it by writing its cgroup.procs (opened by the launcher),
`usage` reads the peak and the OOM kills afterwards, `remove` deletes it. cgroup v2 (`memory.max`)
and the v1 memory controller (`memory.limit_in_bytes`) are both handled; `parent()` is None where
neither is writable (no root and no delegated cgroup): the sandbox then splits `memory_mb` over a
small process limit instead (see `Limits.fallback_nproc`).
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "r1lit-sbx-"
_counter = itertools.count()


@dataclass(frozen=True)
class Parent:
    """Where run cgroups are made: the cgroup this process is in, for one hierarchy version."""

    version: int  # 1 or 2
    path: Path


def _candidates() -> list[Parent]:
    found = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, rel = line.split(":", 2)
        rel = rel.lstrip("/")
        if controllers == "":
            for base in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
                if (base / "cgroup.controllers").exists():
                    found.append(Parent(2, base / rel))
                    break
        elif "memory" in controllers.split(","):
            found.append(Parent(1, Path("/sys/fs/cgroup/memory") / rel))
    return found


def _usable(parent: Parent) -> bool:
    if parent.version == 2:
        try:  # the memory controller must be enabled for our children
            enabled = (parent.path / "cgroup.subtree_control").read_text().split()
        except OSError:
            return False
        if "memory" not in enabled:
            return False
    probe = parent.path / f"{PREFIX}probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
        return True
    except OSError:
        return False


@functools.cache
def parent() -> Parent | None:
    """The writable cgroup (v2 preferred) run cgroups are made in; None when there is none."""
    try:
        candidates = sorted(_candidates(), key=lambda p: -p.version)
    except (OSError, ValueError):
        return None
    return next((p for p in candidates if _usable(p)), None)


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def create(memory_mb: int) -> Path | None:
    """A new run cgroup capped at `memory_mb` (swap included); None when cgroups are not usable."""
    base = parent()
    if base is None:
        return None
    path = base.path / f"{PREFIX}{os.getpid()}-{next(_counter)}"
    limit = str(memory_mb << 20)
    try:
        path.mkdir()
    except OSError as err:
        log.warning("sandbox: could not create the memory cgroup %s: %s", path, err)
        return None
    if base.version == 2:
        ok = _write(path / "memory.max", limit)
        _write(path / "memory.swap.max", "0")
    else:
        ok = _write(path / "memory.limit_in_bytes", limit)
        _write(path / "memory.memsw.limit_in_bytes", limit)  # absent without swap accounting
    if not ok:
        remove(path)
        return None
    return path


def usage(path: Path) -> tuple[int | None, int]:
    """(peak bytes or None, OOM kills) of a run cgroup."""
    v2 = (path / "memory.peak").exists() or (path / "memory.events").exists()
    peak_file, events_file = (
        ("memory.peak", "memory.events") if v2 else ("memory.max_usage_in_bytes", "memory.oom_control")
    )
    try:
        peak = int((path / peak_file).read_text())
    except (OSError, ValueError):
        peak = None
    kills = 0
    try:
        for line in (path / events_file).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                kills = int(value)
    except (OSError, ValueError):
        pass
    return peak, kills


def remove(path: Path, wait_s: float = 2.0) -> None:
    """Delete a run cgroup once its processes are gone (the kernel reaps them shortly after a kill)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as err:
            if time.monotonic() > deadline:
                log.warning("sandbox: could not remove the memory cgroup %s: %s", path, err)
                return
            time.sleep(0.01)


def sweep_stale(alive) -> None:
    """Remove run cgroups left by harnesses that died (`alive(pid)` is False for their pid)."""
    base = parent()
    if base is None:
        return
    for child in base.path.glob(f"{PREFIX}*-*"):
        pid = child.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            remove(child, wait_s=0.0)
