"""Who runs a sandboxed program and what a dead harness left behind (harness side of the sandbox).

uid slots (root only): each concurrent run takes a uid `UID_BASE + slot` with a lock file, so two
harnesses never share one, and every process a slot's uid left behind can be killed. Leftovers:
run dirs `RUN_PREFIX<harness pid>-*` (and memory cgroups) whose harness pid is dead, e.g. after a
`kill -9`, are removed by the next harness's first run (`sweep_stale`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Container, Iterator
from contextlib import contextmanager
from pathlib import Path

from r1lit.grading import sandbox_cgroup

log = logging.getLogger(__name__)

UID_BASE = 2_000_000  # slot i runs as uid/gid UID_BASE + i: far above any real user or subuid range
MAX_SLOTS = 256
RUN_PREFIX = "r1lit-sbx-"  # run dirs are RUN_PREFIX<harness pid>-<random>: stale ones are recognisable
CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1"}


class SandboxError(RuntimeError):
    """The sandbox itself could not run (not the program's fault)."""


_slot_lock = threading.Lock()


def _slot_dir() -> Path:
    base = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    path = base / "r1lit-sandbox-slots"
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.lstat()
    if st.st_uid != os.geteuid() or st.st_mode & 0o077 or not path.is_dir() or path.is_symlink():
        raise SandboxError(f"{path} is not a private directory of uid {os.geteuid()}; refusing to use it")
    return path


_swept_slots: set[int] = set()  # slots this process has already cleaned once


@contextmanager
def uid_slot() -> Iterator[int | None]:
    """A uid no other sandbox run (in any process) uses right now; None when not root."""
    if os.geteuid() != 0:
        yield None
        return
    directory = _slot_dir()
    fd = -1
    while fd < 0:
        with _slot_lock:
            for slot in range(MAX_SLOTS):
                fd = os.open(directory / f"slot-{slot}", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    os.close(fd)
                    fd = -1
        if fd < 0:
            time.sleep(0.05)
    try:
        if slot not in _swept_slots:  # a harness that died may have left processes behind
            kill_uid(UID_BASE + slot)
            _swept_slots.add(slot)
        yield UID_BASE + slot
    finally:
        os.close(fd)


def uid_pids(uids: Container[int]) -> list[int]:
    """Pids of live processes whose real, effective or saved uid is in `uids` (from /proc)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if any(int(x) in uids for x in line.split()[1:4]):
                            pids.append(int(name))
                        break
        except OSError:
            continue
    return pids


def kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid` (kill(-1) run as that uid reaches all of them atomically)."""
    for _ in range(10):
        if not uid_pids((uid,)):
            return
        kill = shutil.which("kill", path=CLEAN_ENV["PATH"]) or "/bin/kill"
        subprocess.run(
            [kill, "-9", "-1"],
            user=uid,
            group=uid,
            extra_groups=[],
            env=CLEAN_ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    log.error("sandbox: processes of uid %d survived 10 kill rounds: %s", uid, uid_pids((uid,)))


_swept_stale = False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(tmp_dir: str | None = None) -> list[Path]:
    """Remove run dirs (and memory cgroups) of harnesses that died without cleaning up, e.g. killed
    with -9: those named `r1lit-sbx-<pid>-*` whose pid is no longer alive. Returns the removed dirs."""
    removed = []
    for path in Path(tmp_dir or tempfile.gettempdir()).glob(f"{RUN_PREFIX}*-*"):
        pid = path.name[len(RUN_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and path.is_dir() and path.lstat().st_uid == os.geteuid():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    sandbox_cgroup.sweep_stale(_alive)
    return removed


def sweep_stale_once() -> None:
    global _swept_stale
    if not _swept_stale:
        _swept_stale = True
        try:
            sweep_stale()
        except OSError as err:
            log.warning("sandbox: could not sweep stale run dirs: %s", err)
