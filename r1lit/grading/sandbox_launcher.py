"""The sandbox launcher: a stdlib-only script that `r1lit.grading.sandbox.run` starts as `python -I -S`.

Never imported by library code. Process tree of one run:
    harness -> launcher (this script, as the harness's user: reads config + program, opens the
    checker's source and unlinks it, enters new net/mount/pid namespaces and builds the program's
    file tree, `sandbox_jail.build_root`) -> init (pid 1 of the new pid namespace: mounts its /proc,
    chroots; when it exits the kernel kills every process left in the namespace)
      -> checker (only with `check`: trusted code, never runs a line of the program)
      -> program (its memory cgroup, rlimits, the trusted preamble, uid drop, no capabilities,
         seccomp, then the untrusted code).
init waits for both and writes `key=value` lines (started, exit, wall_s, cpu_s, maxrss_kb, verdict,
namespaces) to the status fd, which neither the program nor the checker holds.

Checker mode (`check` given): the program's process only serves calls to its function over two
pipes (arguments in, `sandbox_wire`-encoded return values out); the checker process runs the
trusted `check(candidate)` with a proxy for that function and writes its verdict to a pipe only
init holds. The verdict therefore exists only if the checker saw `check` return: a program that
exits early, patches builtins, prints a forged token or returns objects with a rigged `__eq__`
cannot produce it, and the tests (the checker's source) never enter the program's memory.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox_jail as jail  # noqa: E402 - a sibling file; the launcher is not run as a package
import sandbox_wire as wire  # noqa: E402
from sandbox_checker import run_checker  # noqa: E402

del sys.path[0]

MAX_FRAME = 64 << 20  # largest encoded argument list / return value crossing the checker pipes
_BLOCKED_OS_NAMES = (  # os functions `guard=True` disables
    "fork forkpty system kill killpg remove unlink rmdir removedirs rename renames replace "
    "truncate chmod chown lchown fchmod fchown chroot putenv unsetenv execv execve execl "
    "execle execlp execvp execvpe spawnv spawnve posix_spawn posix_spawnp setuid setgid"
)
BLOCKED_OS = tuple(_BLOCKED_OS_NAMES.split())


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


def _exit(code: object = None) -> None:
    raise SystemExit(code)


def _enter_child(cfg: dict, lib) -> dict:
    """In the program's process: limits, the trusted preamble, uid drop, then the Python-level guards."""
    if cfg["cgroup_fd"] >= 0:
        os.write(cfg["cgroup_fd"], b"0")  # "0": this process; its children inherit the memory cgroup
        os.close(cfg["cgroup_fd"])
    jail.set_rlimits(cfg)
    jail.no_new_privs(lib)
    sys.path.extend(cfg["site_dirs"])  # the exposed site-packages (launched with -S: no .pth processing)
    if cfg["uid"] is not None and not cfg["stdlib_readable"]:
        # no mount namespace and the stdlib is unreadable after the uid drop: import what the launcher
        # needs later now; the program can only use already-loaded modules
        for name in ("io", "json", "linecache", "shutil", "socket", "subprocess", "traceback"):
            __import__(name)
    import builtins

    builtins.exit = builtins.quit = _exit  # what `site` would add (the launcher runs with -S)
    glb: dict = {"__name__": cfg["module_name"], "__builtins__": builtins}
    exec(compile(cfg["preamble"], "<preamble>", "exec"), glb)  # trusted imports, before the uid drop
    if cfg["uid"] is not None:
        os.setgroups([])
        os.setgid(cfg["gid"])
        os.setuid(cfg["uid"])
    jail.check(lib.prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
    if cfg["mountns"]:
        jail.drop_capabilities(lib)  # a new user namespace granted some: the mounts stay as they are
    cfg["seccomp"] = jail.seccomp_no_namespaces(lib)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # CPython ignores it; let the kernel stop runaway output
    if not cfg["netns"]:
        _block_sockets()
    if cfg["guard"]:
        _guard()
    return glb


def _function(glb: dict, name: str):
    """`Solution().<name>` when the program defines a class `Solution`, else its top-level `<name>`."""
    target = glb["Solution"]() if isinstance(glb.get("Solution"), type) else None
    return getattr(target, name) if target is not None else glb[name]


def _serve(fn, req_fd: int, resp_fd: int) -> None:
    """Checker mode, program side: answer each call the checker sends until it closes the pipe."""
    while (frame := wire.read_frame(req_fd, MAX_FRAME)) is not None:
        args, kwargs = wire.decode(frame)
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the checker may expect it (BaseException ends us)
            reply = wire.encode(("raise", type(exc).__name__, str(exc)[:1000]))
        else:
            try:
                reply = wire.encode(("ok", value))
            except (TypeError, ValueError, RecursionError) as exc:
                reply = wire.encode(("raise", "TypeError", f"the return value is not a plain value: {exc}"))
        wire.write_frame(resp_fd, reply)


def _exec_program(cfg: dict, glb: dict, source: str) -> None:
    """Run the program; then call its function on JSON args from stdin, or serve the checker's calls."""
    import linecache

    linecache.cache["<solution>"] = (len(source), None, source.splitlines(True), "<solution>")
    code = compile(source, "<solution>", "exec")
    if cfg["call"] is None:
        exec(code, glb)
        return
    if cfg["check"]:
        exec(code, glb)
        _serve(_function(glb, cfg["call"]), cfg["req_fd"], cfg["resp_fd"])
        return
    import io
    import json

    args = [json.loads(line) for line in sys.stdin.read().split("\n") if line.strip()]
    sys.stdin = io.StringIO("")
    result_fd = os.dup(1)
    os.dup2(2, 1)  # the program's own prints go to stderr; `result_fd` carries only the result
    exec(code, glb)
    out = wire.encode(_function(glb, cfg["call"])(*args))
    sys.stdout.flush()
    os.write(result_fd, out)


def _program_main(cfg: dict, source: str, ready_w: int, lib) -> int:
    """The program's process: set up (a failure here is the sandbox's), then run the untrusted code."""
    try:
        glb = _enter_child(cfg, lib)
    except BaseException as err:  # noqa: BLE001
        os.write(2, f"r1lit-sandbox: setup failed: {err!r}\n".encode())
        return 120
    os.write(ready_w, b"1")
    os.close(ready_w)
    try:
        _exec_program(cfg, glb, source)
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


def _fork(body, close: tuple[int, ...]) -> int:
    """Fork a child that closes `close` (fds it must not hold), runs `body()` and exits with its code."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        for fd in close:
            if fd >= 0:
                os.close(fd)
        code = body()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:  # noqa: SIM105 - no contextlib here: every import costs start-up time
                stream.flush()
            except BaseException:  # noqa: BLE001 - stdout may be closed or over its size limit
                pass
        os._exit(code & 0xFF)


def _supervise(cfg: dict, source: str, iso: dict, lib) -> None:
    """Fork the checker (if any) and the program, wait, write the status lines, exit (ends the namespace)."""
    ready_r, ready_w = os.pipe()
    pipes = os.pipe() + os.pipe() + os.pipe() if cfg["check"] else (-1,) * 6
    req_r, req_w, resp_r, resp_w, verdict_r, verdict_w = pipes
    cfg.update(req_fd=req_r, resp_fd=resp_w)
    common = (cfg["status_fd"], ready_r)
    start = time.monotonic()
    checker = None
    if cfg["check"]:
        body = lambda: run_checker(cfg, lib, req_w, resp_r, verdict_w, MAX_FRAME)  # noqa: E731
        checker = _fork(body, (*common, ready_w, cfg["cgroup_fd"], req_r, resp_w, verdict_r))
        os.close(cfg["check_fd"])
    program_close = (*common, req_w, resp_r, verdict_r, verdict_w)  # check_fd: closed above
    pid = _fork(lambda: _program_main(cfg, source, ready_w, lib), program_close)
    for fd in (ready_w, req_r, req_w, resp_r, resp_w, verdict_w, cfg["cgroup_fd"]):
        if fd >= 0:
            os.close(fd)
    timed_out = []

    def on_alarm(*_args) -> None:  # the wall-clock limit, measured from the program's start
        timed_out.append(1)
        for victim in (pid, checker):
            if victim is not None:
                os.kill(victim, signal.SIGKILL)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, cfg["timeout_s"])
    _, status, usage = os.wait4(pid, 0)  # an interrupted wait is retried after the handler (PEP 475)
    if checker is not None:
        os.waitpid(checker, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    report = {
        "started": int(os.read(ready_r, 1) == b"1"),
        "timed_out": int(bool(timed_out)),
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": time.monotonic() - start,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "maxrss_kb": usage.ru_maxrss,
        **{k: int(v) for k, v in iso.items()},
    }
    if checker is not None:
        report["verdict"] = int(os.read(verdict_r, 16) == b"pass")
    os.write(cfg["status_fd"], "".join(f"{k}={v}\n" for k, v in report.items()).encode())
    os._exit(0)


def _isolate(cfg: dict, lib) -> dict:
    """Namespaces and the program's file tree; the isolation achieved (`key: bool`)."""
    iso = jail.unshare(lib) if cfg["namespaces"] else {"netns": False, "mountns": False, "pidns": False}
    cfg["root"] = None
    if iso["mountns"]:
        try:
            cfg["root"] = jail.build_root(lib, cfg)
        except OSError as err:  # never run a program half-confined
            os.write(2, f"r1lit-sandbox: building the program's file tree failed: {err}\n".encode())
            os._exit(1)
    iso["private_root"] = cfg["root"] is not None
    iso["private_tmp"] = iso["private_root"]
    iso["stdlib_readable"] = iso["private_root"] or _world_readable(os.path.dirname(os.__file__))
    cfg.update(netns=iso["netns"], mountns=iso["mountns"], stdlib_readable=iso["stdlib_readable"])
    return iso


def _world_readable(path: str) -> bool:
    """Whether a process of another uid can reach and read `path` (every dir on the way is o+rx)."""
    parts = path.rstrip("/").split("/")
    try:
        return all(
            os.stat("/".join(parts[:i]) or "/").st_mode & 0o005 == 0o005 for i in range(1, len(parts) + 1)
        )
    except OSError:
        return False


def _open_fds(cfg: dict) -> None:
    """The checker's source and the memory cgroup, opened now: neither path exists in the new root."""
    cfg["check_fd"] = os.open(cfg["check_path"], os.O_RDONLY) if cfg["check"] else -1
    if cfg["check"]:
        os.unlink(cfg["check_path"])  # only the fd is left, and the program's process closes it
    cfg["cgroup_fd"] = os.open(cfg["cgroup_procs"], os.O_WRONLY) if cfg["cgroup_procs"] else -1


def _launch(config_path: str) -> None:
    """Launcher entry: read config + program, isolate, then supervise the program (via an init)."""
    with open(config_path, "rb") as fh:
        cfg = marshal.load(fh)  # written by the harness (trusted), in a dir the program cannot read
    with open(cfg["source_path"], encoding="utf-8") as fh:
        source = fh.read()
    lib = jail.libc()
    lib.prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the harness died: stop
    _open_fds(cfg)
    iso = _isolate(cfg, lib)
    # after the user namespace's id maps are written (/proc/self of a non-dumpable process is root's):
    # a program of our uid (no root) cannot read our memory or fds, nor those of init and the checker
    jail.not_dumpable(lib)
    os.environ["HOME"] = "/tmp" if cfg["root"] else cfg["workdir"]
    if not iso["pidns"]:
        if cfg["root"]:
            jail.enter_root(lib, cfg["root"], pidns=False)
        else:
            os.chdir(cfg["workdir"])
        _supervise(cfg, source, iso, lib)
    init = os.fork()
    if init == 0:
        try:
            lib.prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            jail.enter_root(lib, cfg["root"], pidns=True)
            _supervise(cfg, source, iso, lib)
        except BaseException as err:  # noqa: BLE001
            os.write(2, f"r1lit-sandbox: init failed: {err!r}\n".encode())
        finally:
            os._exit(1)
    for fd in (cfg["status_fd"], cfg["check_fd"], cfg["cgroup_fd"]):
        if fd >= 0:
            os.close(fd)
    os.waitpid(init, 0)
    os._exit(0)


if __name__ == "__main__":
    _launch(sys.argv[1])
