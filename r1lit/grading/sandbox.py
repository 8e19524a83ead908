"""The one place model-generated code runs: an isolated, resource-limited subprocess per program.

`run(source, stdin, limits)` starts `python -I -S sandbox_launcher.py`, which isolates itself, forks
the program's process and reports exit status and CPU time on a status pipe the program never holds.
stdin/stdout/stderr are files in a root-only run dir (no pipe deadlocks; output is read back with a
cap); the run dir is deleted afterwards, and run dirs / cgroups of a harness killed with -9 are
removed by the next harness's first run. `SandboxPool` runs many programs on a thread pool.
`probe()` says which of the following applies on the current machine.

Verdicts (threat model: the program is an adversary that knows this code). A program's exit status
is never a pass on its own. Script mode (`call=None`): the harness judges its stdout, which it
cannot see in advance. Call mode (`call=...`): the harness judges the *value* the function
returned, rebuilt from plain data (`sandbox_wire`: no rigged `__eq__` survives). Checker mode
(`check=...`): the tests run in a separate checker process that never executes the program and
calls its function through a pipe; only that process can write the verdict, to a pipe only the
sandbox's init holds, so early exits, forged output, patched builtins / `check` / `assert`,
`atexit` and `__del__` tricks, leftover threads and reading the tests all fail (the tests never
enter the program's process or its file tree).

Containment:
  OS-enforced always: CPU time (RLIMIT_CPU), processes + threads (RLIMIT_NPROC), open files,
    file size incl. stdout (RLIMIT_FSIZE), no core files, PR_SET_NO_NEW_PRIVS, a wall-clock
    timeout, a new session whose process group is SIGKILLed at the end, a cleaned environment.
  Memory: with a writable memory cgroup (v2, or v1's memory controller; root or a delegated
    cgroup) the program's processes together use at most `memory_mb` (`sandbox_cgroup`); without
    one, at most `fallback_nproc` processes + threads of `memory_mb / fallback_nproc` address space
    each (RLIMIT_AS), so the product is the cap.
  When the harness runs as root: the program runs as its own unprivileged uid (one per concurrent
    slot, taken with a lock file so two harnesses never share one).
  When namespaces are permitted (root, or unprivileged user namespaces): new pid, network and
    mount namespaces; the program's file tree is an allow-list (`sandbox_jail.build_root`): system
    dirs and the interpreter's standard library read-only, private /dev, /tmp (size-limited) and
    /proc (only the sandbox's own processes). The checkout, the data, /home, /root, /tmp and other
    users' files are absent, for the eval harness and the code reward alike. No capabilities are
    left, and a seccomp filter refuses new user namespaces (`unshare -U` fails).
  Best effort (Python-level): without a network namespace `socket` is replaced by stubs that
    raise; `guard=True` also disables process- and file-destroying `os`/`shutil`/`subprocess` calls.
  Degraded (no root, no user namespaces): the program runs as the harness's user and sees its
    files; only the rlimits, the verdict rules and the fallback memory split hold.

Why our own namespace code and not bubblewrap or `systemd-run --scope -p MemoryMax=`: both were
weighed. bubblewrap is not installed on the CI machines (Debian `bubblewrap` would be one more
package) and it cannot run our checker / init process tree without wrapping this launcher anyway;
`systemd-run` needs a running systemd and D-Bus, which CI containers and most training nodes lack.
The launcher already needs namespaces for the checker's private pipes, so it builds the allow-list
tree itself (~150 lines in `sandbox_jail`) and writes the cgroup files directly, which works as
root (CI) and with a delegated cgroup (a user's systemd session); without either it falls back to
the rlimit split above.
"""

from __future__ import annotations

import functools
import logging
import marshal
import math
import os
import select
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from r1lit.grading import sandbox_cgroup
from r1lit.grading.sandbox_slots import (  # noqa: F401 - MAX_SLOTS, UID_BASE, sweep_stale: re-exported
    CLEAN_ENV,
    MAX_SLOTS,
    RUN_PREFIX,
    UID_BASE,
    SandboxError,
    kill_uid,
    sweep_stale,
    sweep_stale_once,
    uid_slot,
)

log = logging.getLogger(__name__)

LAUNCHER = Path(__file__).with_name("sandbox_launcher.py")
STATUSES = ("ok", "wrong_answer", "runtime_error", "timeout", "memory", "output_limit", "sandbox_error")
LAUNCH_GRACE_S = 1.0  # the launcher enforces `timeout_s`; the harness kills it after this much more


@dataclass(frozen=True)
class Limits:
    """What one program may use. Benchmarks and rewards pass these from their YAML."""

    timeout_s: float = 5.0  # wall clock for the program; CPU time is capped at ceil(timeout_s) + 1 s
    memory_mb: int = 1024  # all the program's processes together (memory cgroup; see fallback_nproc)
    nproc: int = 32  # RLIMIT_NPROC: processes + threads of the sandbox uid
    fallback_nproc: int = 4  # without a memory cgroup: nproc, and memory_mb / this per process
    nofile: int = 64  # RLIMIT_NOFILE
    file_mb: int = 16  # RLIMIT_FSIZE: largest file the program may write (its stdout included)
    output_bytes: int = 4_000_000  # stdout/stderr read back at most; more is truncated -> "output_limit"
    scratch_mb: int = 64  # size of the private tmpfs on /tmp (when a mount namespace is available)
    hide_paths: tuple[str, ...] = ()  # dirs inside the program's file tree to cover (mount ns only)
    expose_site_packages: bool = False  # the interpreter's site-packages too, not only the stdlib
    namespaces: bool = True  # try network + mount namespaces


@dataclass
class RunResult:
    """The outcome of one program run."""

    status: str  # one of STATUSES
    returncode: int | None  # the program's exit code, -signal when killed; None when unknown
    stdout: str
    stderr: str
    wall_s: float  # the program's wall time (launcher start-up excluded when known)
    cpu_s: float | None = None
    truncated: bool = False  # stdout or stderr was longer than `Limits.output_bytes`
    memory_peak_mb: float | None = None  # all processes together (memory cgroup only)
    isolation: dict[str, Any] = field(default_factory=dict)  # what the launcher could apply

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# ----------------------------------------------------------------------------------------- one run


@functools.cache
def _interpreter_dirs(site_packages: bool) -> tuple[list[str], list[str]]:
    """(dirs the program's file tree shows: the stdlib's prefix [+ venv + site-packages], site dirs)."""
    site_dirs = [p for p in site.getsitepackages() if os.path.isdir(p)] if site_packages else []
    roots = (sys.base_prefix, sys.prefix, *site_dirs) if site_packages else (sys.base_prefix,)
    paths = {os.path.realpath(p) for p in roots}
    return sorted(p for p in paths if not any(p.startswith(q + "/") for q in paths)), site_dirs


def _launch_config(
    limits: Limits, uid: int | None, run_dir: Path, status_fd: int, cgroup: Path | None, **program: Any
) -> dict:
    """Everything the launcher needs (marshalled into the root-only run dir): limits, uid, paths, program.

    The checker's source is not in it: it goes to its own file, which only the checker reads.
    """
    expose, site_dirs = _interpreter_dirs(limits.expose_site_packages)
    paths = {k: str(run_dir / k) for k in ("program.py", "work", "root", "check")}
    cfg = {**asdict(limits), **program, "status_fd": status_fd, "uid": uid, "gid": uid}
    cfg.update(source_path=paths["program.py"], workdir=paths["work"], root_dir=paths["root"])
    cfg.update(
        check_path=paths["check"], hide_paths=list(limits.hide_paths), expose=expose, site_dirs=site_dirs
    )
    cfg["cgroup_procs"] = str(cgroup / "cgroup.procs") if cgroup else None
    split = 1 if cgroup else max(1, limits.fallback_nproc)  # no cgroup: processes x memory = the cap
    cfg["nproc"] = limits.nproc if cgroup else min(limits.nproc, split)
    cfg["as_mb"] = max(1, limits.memory_mb // split)
    cfg["cpu_s"] = math.ceil(limits.timeout_s) + 1
    cfg["module_name"] = "__main__" if program["call"] is None else "__solution__"
    return cfg


def _wait(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait for `proc` up to `timeout` seconds; True when it exited (pidfd: no polling latency)."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        ready, _, _ = select.select([pidfd], [], [], max(timeout, 0.0))
    finally:
        os.close(pidfd)
    if ready:
        proc.wait()
    return bool(ready)


def _private(path: str | Path, flags: int) -> int:
    """`open` opener: files of the run dir are 0600 (other sandbox runs cannot read them)."""
    return os.open(path, flags, 0o600)


def _write_private(path: Path, data: bytes) -> None:
    with open(path, "wb", opener=_private) as fh:
        fh.write(data)


def _read_capped(path: Path, cap: int) -> tuple[str, bool]:
    with open(path, "rb") as fh:
        data = fh.read(cap + 1)
    return data[:cap].decode("utf-8", errors="replace"), len(data) > cap


def _read_status(fd: int) -> str:
    """What the launcher's init wrote to the status pipe (one small write), without blocking."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 1 << 16).decode("ascii", errors="replace")
    except BlockingIOError:
        return ""
    finally:
        os.close(fd)


def _parse_status(text: str) -> dict[str, float] | None:
    """The launcher's `key=value` status lines (None when it never wrote them)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    report = {k: float(v) for k, v in pairs}
    if "exit" not in report:
        return None
    report["exit"] = int(report["exit"])
    return report


def _classify(
    report: dict | None, timed_out: bool, limits: Limits, cpu_cap: int, stdout_size: int, stderr: str
) -> str:
    if timed_out or (report and report.get("timed_out")):
        return "timeout"
    if report is None or not report.get("started"):
        return "sandbox_error"  # the launcher, init or the program's set-up failed: not the program's fault
    code, cpu = report["exit"], report["cpu_s"]
    if report.get("oom_kills"):  # the cgroup's OOM killer ended one of the program's processes
        return "memory"
    if code == -signal.SIGXCPU or (code == -signal.SIGKILL and cpu >= cpu_cap - 0.05):
        return "timeout"
    if code == -signal.SIGXFSZ or stdout_size > limits.output_bytes:
        return "output_limit"
    if report["wall_s"] > limits.timeout_s:
        return "timeout"
    if code == 0:  # checker mode: only the checker's own verdict makes a pass
        return "ok" if report.get("verdict", 1) == 1 else "wrong_answer"
    tail = stderr[-2000:]
    return "memory" if "MemoryError" in tail or "Cannot allocate memory" in tail else "runtime_error"


def run(
    source: str,
    stdin: str = "",
    limits: Limits | None = None,
    *,
    call: str | None = None,
    check: str | None = None,
    preamble: str = "",
    guard: bool = False,
) -> RunResult:
    """Run one untrusted program in the sandbox and return what happened. Thread-safe.

    Args:
        source: Python source of the program.
        stdin: text fed to the program's stdin.
        limits: resource limits; `Limits()` when None.
        call: call mode: after running `source` as a module (not `__main__`), call `Solution().<call>`
            when a class `Solution` exists, else the top-level function `<call>`, with arguments parsed
            from `stdin` (one JSON value per line); stdout is then its return value encoded by
            `sandbox_wire.encode` (read it with `sandbox_wire.decode`) and the program's own prints
            go to stderr.
        check: checker mode (needs `call`): trusted Python source defining `check(candidate)`, run in
            a separate process with `candidate` calling the program's function; status "ok" only
            when `check` returned, else "wrong_answer" (or the program's own failure).
        preamble: trusted Python run in the program's globals before it (e.g. imports), with the
            limits set but before the uid drop.
        guard: also disable dangerous `os`/`shutil`/`subprocess` functions (best effort).
    """
    if check is not None and call is None:
        raise ValueError("checker mode needs the name of the function to call")
    limits = limits or Limits()
    sweep_stale_once()
    with uid_slot() as uid:
        run_dir = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-"))
        cgroup = sandbox_cgroup.create(limits.memory_mb)
        try:
            return _run_in(run_dir, uid, cgroup, source, stdin, limits, call, check, preamble, guard)
        finally:
            if cgroup is not None:
                sandbox_cgroup.remove(cgroup)
            shutil.rmtree(run_dir, ignore_errors=True)


def _prepare(run_dir: Path, uid: int | None, source: str, stdin: str, check: str | None) -> None:
    """The run dir's files (0600, the harness's) and the program's workdir / root mount point."""
    _write_private(run_dir / "program.py", source.encode())
    _write_private(run_dir / "stdin", stdin.encode())
    if check is not None:
        _write_private(run_dir / "check", check.encode())
    (run_dir / "root").mkdir(mode=0o755)
    work = run_dir / "work"
    work.mkdir(mode=0o700)
    if uid is not None:
        os.chown(work, uid, uid)
        os.chmod(run_dir, 0o711)  # no mount namespace: the program may traverse to its workdir only


def _run_in(
    run_dir: Path,
    uid: int | None,
    cgroup: Path | None,
    source: str,
    stdin: str,
    limits: Limits,
    call: str | None,
    check: str | None,
    preamble: str,
    guard: bool,
) -> RunResult:
    _prepare(run_dir, uid, source, stdin, check)
    # a pipe, not a file in the run dir: a program of the harness's own uid (no root, no namespaces)
    # could otherwise write a forged status next to its workdir
    status_r, status_fd = os.pipe()
    program = {"call": call, "check": check is not None, "preamble": preamble, "guard": guard}
    cfg = _launch_config(limits, uid, run_dir, status_fd, cgroup, **program)
    _write_private(run_dir / "config", marshal.dumps(cfg))
    start = time.monotonic()
    try:
        with (
            open(run_dir / "stdin", "rb") as fin,
            open(run_dir / "stdout", "wb", opener=_private) as fout,
            open(run_dir / "stderr", "wb", opener=_private) as ferr,
        ):
            argv = [sys.executable, "-I", "-S", str(LAUNCHER), str(run_dir / "config")]
            proc = subprocess.Popen(
                argv,
                stdin=fin,
                stdout=fout,
                stderr=ferr,
                cwd=run_dir,
                env=CLEAN_ENV,
                pass_fds=(status_fd,),
                start_new_session=True,
            )
    except OSError as err:
        os.close(status_r)
        raise SandboxError(f"could not start the sandbox launcher: {err}") from err
    finally:
        os.close(status_fd)
    try:
        timed_out = not _wait(proc, limits.timeout_s + LAUNCH_GRACE_S)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher's session: whatever is left of it
        proc.wait()
    wall = time.monotonic() - start
    report = _parse_status(_read_status(status_r))
    if uid is not None and (timed_out or not (report and report.get("pidns"))):
        kill_uid(uid)  # no pid namespace ended them all: sweep daemons that left the process group
    peak = None
    if cgroup is not None:
        peak, kills = sandbox_cgroup.usage(cgroup)
        if report is not None:
            report["oom_kills"] = kills
    result = _result(run_dir, report, timed_out, limits, cfg["cpu_s"], wall)
    result.memory_peak_mb = None if peak is None else peak / 2**20
    return result


def _result(
    run_dir: Path, report: dict | None, timed_out: bool, limits: Limits, cpu_cap: int, wall: float
) -> RunResult:
    stdout, trunc_out = _read_capped(run_dir / "stdout", limits.output_bytes)
    stderr, trunc_err = _read_capped(run_dir / "stderr", limits.output_bytes)
    status = _classify(report, timed_out, limits, cpu_cap, (run_dir / "stdout").stat().st_size, stderr)
    if status == "sandbox_error":
        log.warning("sandbox error: %s", stderr[-500:])
    isolation = {
        k: bool(report[k])
        for k in ("netns", "mountns", "pidns", "private_root", "private_tmp", "stdlib_readable")
        if report and k in report
    }
    return RunResult(
        status=status,
        returncode=report["exit"] if report else None,
        stdout=stdout,
        stderr=stderr,
        wall_s=report["wall_s"] if report else wall,
        cpu_s=report["cpu_s"] if report else None,
        truncated=trunc_out or trunc_err,
        isolation=isolation,
    )


# ---------------------------------------------------------------------------------------- the pool


class SandboxPool:
    """Runs many programs concurrently: a thread pool whose threads each drive one sandbox subprocess."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers or os.cpu_count() or 1
        self._executor = ThreadPoolExecutor(self.max_workers, thread_name_prefix="r1lit-sandbox")

    def submit(
        self, source: str, stdin: str = "", limits: Limits | None = None, **kw: Any
    ) -> Future[RunResult]:
        """Schedule `run(source, stdin, limits, **kw)`; returns its future."""
        return self._executor.submit(run, source, stdin, limits, **kw)

    def map(self, jobs: Iterable[dict[str, Any]]) -> list[RunResult]:
        """Run `run(**job)` for every job dict, in order."""
        futures = [self._executor.submit(run, **job) for job in jobs]
        return [f.result() for f in futures]

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_probe_cache: dict[str, Any] = {}


def probe() -> dict[str, Any]:
    """What containment applies here: {"root", "uid_isolation", "memory_cgroup", "netns", "mountns", "pidns",
    "private_root", "private_tmp", "stdlib_readable"} (the last: programs may import the whole stdlib,
    not only preloaded modules)."""
    if not _probe_cache:
        result = run("pass", limits=Limits(timeout_s=5.0))
        if result.status != "ok":
            raise SandboxError(
                f"the sandbox cannot run a trivial program: {result.status}: {result.stderr[-500:]}"
            )
        root = os.geteuid() == 0
        memory_cgroup = sandbox_cgroup.parent() is not None
        _probe_cache.update(
            {"root": root, "uid_isolation": root, "memory_cgroup": memory_cgroup, **result.isolation}
        )
    return dict(_probe_cache)
