"""The sandbox launcher: a stdlib-only script that `r1lit.grading.sandbox.run` starts as `python -I -S`.

Never imported by library code. Process tree of one run:
    harness -> launcher (this script, as the harness's user: reads config + program, enters new
    net/mount/pid namespaces and sets up mounts) -> init (pid 1 of the new pid namespace; when it
    exits the kernel kills every process left in the namespace) -> program (rlimits, the trusted
    preamble, then the uid drop, then the untrusted code).
init waits for the program and writes `key=value` lines (started, exit, wall_s, cpu_s, maxrss_kb,
namespaces) to the status fd, which the program never holds. Without a pid namespace the launcher
plays init. Imports are kept minimal (no json, no re): this runs once per test case.
"""

from __future__ import annotations

import ctypes
import marshal
import os
import resource
import signal
import sys
import time

# Namespace and prctl constants (linux/sched.h, linux/mount.h, linux/prctl.h).
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_MOVE = 1, 2, 4, 32, 4096, 8192
MS_REC, MS_PRIVATE = 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SCRATCH_ALIASES = ("/var/tmp", "/dev/shm", "/run/lock")  # world-writable dirs that share the /tmp tmpfs
_BLOCKED_OS_NAMES = (  # os functions `guard=True` disables
    "fork forkpty system kill killpg remove unlink rmdir removedirs rename renames replace "
    "truncate chmod chown lchown fchmod fchown chroot putenv unsetenv execv execve execl "
    "execle execlp execvp execvpe spawnv spawnve posix_spawn posix_spawnp setuid setgid"
)
BLOCKED_OS = tuple(_BLOCKED_OS_NAMES.split())


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _sys(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc, src: str | None, dst: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _sys(libc.mount(enc(src), enc(dst), enc(fstype), flags, enc(data)), f"mount {dst}")


def _unshare(libc) -> dict[str, bool]:
    """Enter new network, mount and pid namespaces (as root, or inside a new user namespace otherwise)."""
    flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID
    uid, gid = os.geteuid(), os.getegid()
    try:
        if uid == 0:
            _sys(libc.unshare(flags), "unshare")
        else:
            _sys(libc.unshare(flags | CLONE_NEWUSER), "unshare")
    except OSError:
        return {"netns": False, "mountns": False, "pidns": False}
    if uid != 0:  # map our uid/gid into the new user namespace (cosmetic: file owners read right)
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            try:
                with open(f"/proc/self/{name}", "w") as fh:
                    fh.write(text)
            except OSError:
                pass
    return {"netns": True, "mountns": True, "pidns": True}


def _inside(path: str, parent: str) -> bool:
    return path.startswith(parent.rstrip("/") + "/")


def _setup_mounts(libc, cfg: dict) -> str:
    """Private tmpfs scratch on /tmp (returned as the cwd) and hidden dirs with the interpreter re-exposed.

    The interpreter's own dirs may lie under a dir that gets covered (a venv in a checkout under /tmp, a
    pyenv under /root): a handle to each is opened first and bind-mounted back, read-only, afterwards.
    """
    exposed = cfg["expose"]  # the interpreter's prefixes and site dirs (realpaths, from the harness)
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    hides = [h for h in cfg["hide_paths"] if os.path.isdir(h)]
    outer = [h for h in hides if not any(_inside(h, p) for p in exposed)]  # e.g. /root, /home
    covered = ["/tmp", *SCRATCH_ALIASES, *outer]
    kept = [
        (p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in exposed if any(_inside(p, c) for c in covered)
    ]
    owner = f",uid={cfg['uid']},gid={cfg['gid']}" if cfg["uid"] is not None else ""
    _mount(
        libc, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={cfg['scratch_mb']}m,mode=0700{owner}"
    )
    for alias in SCRATCH_ALIASES:
        if os.path.isdir(alias):
            _mount(libc, "/tmp", alias, None, MS_BIND)
    for hide in outer:
        _mount(libc, "tmpfs", hide, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path, fd in kept:
        os.makedirs(path, 0o755, exist_ok=True)  # root-owned parents: the program cannot write there
        _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _mount(libc, None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    for hide in hides:  # dirs inside the interpreter's (e.g. a package's data), now back in place
        if hide not in outer and os.path.isdir(hide):
            _mount(libc, "tmpfs", hide, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0755")
    return "/tmp"


def _block_sockets() -> None:
    """Fallback when no network namespace exists: socket creation raises (Python-level only)."""
    import _socket
    import socket

    def refuse(*_a, **_k):
        raise PermissionError(1, "network access is disabled in the r1lit sandbox")

    for mod in (socket, _socket):
        for name in ("socket", "socketpair", "create_connection", "create_server", "fromfd", "getaddrinfo"):
            if hasattr(mod, name):
                setattr(mod, name, refuse)


def _guard() -> None:
    """Best-effort: disable process and file-destroying calls (the OS limits are the real containment)."""
    import shutil
    import subprocess

    def disabled(*_a, **_k):
        raise PermissionError(1, "disabled in the r1lit sandbox")

    for name in BLOCKED_OS:
        if hasattr(os, name):
            setattr(os, name, disabled)
    shutil.rmtree = shutil.move = shutil.chown = disabled
    subprocess.Popen = disabled  # type: ignore[assignment]


def _world_readable(path: str) -> bool:
    """Whether a process of another uid can reach and read `path` (every dir on the way is o+rx)."""
    parts = path.rstrip("/").split("/")
    try:
        return all(
            os.stat("/".join(parts[:i]) or "/").st_mode & 0o005 == 0o005 for i in range(1, len(parts) + 1)
        )
    except OSError:
        return False


def _enter_child(cfg: dict, cwd: str) -> None:
    """In the forked child: limits, the trusted preamble, then drop privileges and apply the Python guards."""
    cpu = int(cfg["cpu_s"])
    for res, val in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (cfg["memory_mb"] << 20,) * 2),
        (resource.RLIMIT_NPROC, (cfg["nproc"],) * 2),
        (resource.RLIMIT_NOFILE, (cfg["nofile"],) * 2),
        (resource.RLIMIT_FSIZE, (cfg["file_mb"] << 20,) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(res, val)
    libc = _libc()
    _sys(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    os.chdir(cwd)
    sys.path.extend(cfg["site_dirs"])  # the harness's site-packages (launched with -S: no .pth processing)
    if cfg["uid"] is not None and not cfg["stdlib_readable"]:
        # the stdlib stays unreadable after the uid drop (no mount namespace to expose it): import
        # what the launcher itself needs later now; the program can only use already-loaded modules
        for name in ("io", "json", "linecache", "shutil", "socket", "subprocess", "traceback"):
            __import__(name)
    glb: dict = {"__name__": cfg["module_name"], "__builtins__": __builtins__}
    exec(compile(cfg["preamble"], "<preamble>", "exec"), glb)  # trusted imports, before the uid drop
    if cfg["uid"] is not None:
        os.setgroups([])
        os.setgid(cfg["gid"])
        os.setuid(cfg["uid"])
    _sys(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")  # after setuid resets it
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # CPython ignores it; let the kernel stop runaway output
    if not cfg["netns"]:
        _block_sockets()
    if cfg["guard"]:
        _guard()
    cfg["globals"] = glb


def _exec_program(cfg: dict, source: str) -> None:
    """Run the program as __main__, or (call mode) call its function on JSON args read from stdin."""
    import linecache

    glb = cfg["globals"]
    linecache.cache["<solution>"] = (len(source), None, source.splitlines(True), "<solution>")
    code = compile(source, "<solution>", "exec")
    if cfg["call"] is None:
        exec(code, glb)
        return
    import io
    import json

    args = [json.loads(line) for line in sys.stdin.read().split("\n") if line.strip()]
    sys.stdin = io.StringIO("")
    result_fd = os.dup(1)
    os.dup2(2, 1)  # the program's own prints go to stderr; `result_fd` carries only the result
    exec(code, glb)
    target = glb["Solution"]() if isinstance(glb.get("Solution"), type) else None
    fn = getattr(target, cfg["call"]) if target is not None else glb[cfg["call"]]
    out = json.dumps(fn(*args))
    sys.stdout.flush()
    os.write(result_fd, out.encode())


def _program_main(cfg: dict, source: str, cwd: str, ready_w: int) -> int:
    """The program's process: set up (a failure here is the sandbox's), then run the untrusted code."""
    try:
        _enter_child(cfg, cwd)
    except BaseException as err:  # noqa: BLE001
        os.write(2, f"r1lit-sandbox: setup failed: {err!r}\n".encode())
        return 120
    os.write(ready_w, b"1")
    os.close(ready_w)
    try:
        _exec_program(cfg, source)
        return 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException as exc:  # noqa: BLE001 - the program's own error: report it like `python` does
        import traceback

        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != "<solution>":
            tb = tb.tb_next  # hide the launcher's frames
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__)
        return 1


def _fork_program(cfg: dict, source: str, cwd: str, ready_w: int) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.close(cfg["status_fd"])
        code = _program_main(cfg, source, cwd, ready_w)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:  # noqa: SIM105 - no contextlib here: every import costs start-up time
                stream.flush()
            except BaseException:  # noqa: BLE001 - stdout may be closed or over its size limit
                pass
        os._exit(code & 0xFF)


def _supervise(cfg: dict, source: str, cwd: str, iso: dict) -> None:
    """Fork the program, wait for it, write the status lines, exit (as init, this ends the namespace)."""
    ready_r, ready_w = os.pipe()
    start = time.monotonic()
    pid = _fork_program(cfg, source, cwd, ready_w)
    os.close(ready_w)
    timed_out = []

    def on_alarm(*_args) -> None:  # the wall-clock limit, measured from the program's start
        timed_out.append(1)
        os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, cfg["timeout_s"])
    _, status, usage = os.wait4(pid, 0)  # an interrupted wait is retried after the handler (PEP 475)
    signal.setitimer(signal.ITIMER_REAL, 0)
    wall = time.monotonic() - start
    report = {
        "started": int(os.read(ready_r, 1) == b"1"),
        "timed_out": int(bool(timed_out)),
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "maxrss_kb": usage.ru_maxrss,
        **{k: int(v) for k, v in iso.items()},
    }
    os.write(cfg["status_fd"], "".join(f"{k}={v}\n" for k, v in report.items()).encode())
    os._exit(0)


def _launch(config_path: str) -> None:
    """Launcher entry: read config + program, isolate, then supervise the program (via an init)."""
    with open(config_path, "rb") as fh:
        cfg = marshal.load(fh)  # written by the harness (trusted), in a dir the program cannot read
    with open(cfg["source_path"], encoding="utf-8") as fh:
        source = fh.read()
    libc = _libc()
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the harness died: stop
    iso = _unshare(libc) if cfg["namespaces"] else {"netns": False, "mountns": False, "pidns": False}
    cwd = cfg["workdir"]
    if iso["mountns"]:
        try:
            cwd = _setup_mounts(libc, cfg)
        except OSError as err:
            if not os.path.isdir(cwd):  # /tmp was already replaced: the workdir is gone too
                os.write(2, f"r1lit-sandbox: mount setup failed: {err}\n".encode())
                os._exit(1)
            os.write(2, f"r1lit-sandbox warning: mount setup failed before /tmp, going on: {err}\n".encode())
    iso["private_tmp"] = cwd == "/tmp"
    iso["stdlib_readable"] = _world_readable(os.path.dirname(os.__file__))  # for another uid
    cfg["netns"], cfg["stdlib_readable"] = iso["netns"], iso["stdlib_readable"]
    os.environ["HOME"] = cwd
    if not iso["pidns"]:
        _supervise(cfg, source, cwd, iso)
    init = os.fork()
    if init == 0:
        try:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            _supervise(cfg, source, cwd, iso)
        finally:
            os._exit(1)
    os.close(cfg["status_fd"])
    os.waitpid(init, 0)
    os._exit(0)


if __name__ == "__main__":
    _launch(sys.argv[1])
