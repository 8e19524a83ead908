"""Hard time bounds for sympy/math-verify work: persistent worker processes, killed on timeout.

math-verify's own timeout uses ``signal.alarm``: it only works in the main thread, and a signal cannot
stop a long C-level computation anyway (``2^{10^{10}}`` is one big-int multiplication that never
returns to the interpreter). Here every bounded call runs in a separate worker process:

- A worker is a plain ``subprocess`` (not ``multiprocessing``), so it can be started from any thread,
  from daemonic processes (DataLoader or Pool workers) and from Ray/Lightning workers alike.
- Workers persist, import math-verify once and warm its parser at start-up (``PRELOAD``); a call
  costs one pipe round trip (~50 us).
- ``call_bounded(fn, *args, timeout_s=...)`` waits at most ``timeout_s``; on expiry the worker is
  SIGKILLed and ``BoundedTimeout`` is raised.
- Idle workers are pooled per process; concurrent callers (threads) each check one out, so
  ``grade_many(processes=N)`` runs N checks in N processes at once. A thread gets back the worker it
  used last when that one is idle, so that worker's parse cache keeps serving the same golds.
- A worker limits its own address space (``WORKER_MEMORY_MB``) and dies with its parent (PDEATHSIG).
- Fork-safe: a forked child (multiprocessing ``fork`` Pool, DataLoader worker) forgets the parent's
  workers, lock and spawner thread (``os.register_at_fork``) and starts its own; the parent's workers
  are never signalled from the child. Spawned children and threads need nothing special.

**The real bound.** A worker takes ~2.5 s to start (imports plus the parser warm-up of
``warm_up.py``; far more on a loaded machine, up to ``STARTUP_TIMEOUT_S``). So that a timeout does not
make the *next* call wait for a fresh worker, each process keeps one warm **spare** (started after
its first successful call): a killed or dead worker is replaced by the spare at once, and a new spare
starts in the background. Worst cases, from the call's start:

- a call on a ready worker: ``timeout_s`` (plus a pipe round trip and the kill);
- the call right after a timeout: the same, once the spare has finished starting, i.e. whenever the
  previous replacement happened at least one start-up time (~2.5 s idle) earlier;
- timeouts arriving faster than workers start (back to back, ``timeout_s`` below the start-up time),
  a timeout before the process's first successful call, and the very first call of a process:
  ``timeout_s`` plus what is left of one worker start-up, at most ``timeout_s + STARTUP_TIMEOUT_S`` (a worker that has not started by then is a ``WorkerError``).

The spare costs one idle process per grading process (72 MB resident, measured on this machine).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

WORKER_MEMORY_MB = 4096
STARTUP_TIMEOUT_S = 120.0  # a cold worker imports sympy; on a loaded machine that can take a while
# Run in every worker before it reports ready ("module:function"): imports math-verify/sympy and warms
# the LaTeX parser, so that no check's timeout pays for one-time start-up work.
PRELOAD = ("r1lit.grading.warm_up:warm_up",)


class BoundedTimeout(Exception):
    """The call did not finish within its time bound (the worker was killed)."""


class WorkerError(Exception):
    """The call raised inside the worker, or the worker died (memory limit, crash)."""


class _Worker:
    """One worker process and the two pipes to it."""

    def __init__(self) -> None:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
        code = "from r1lit.grading.timeout import _serve; _serve()"
        argv = [sys.executable, "-c", code, str(req_r), str(resp_w), str(os.getpid()), ",".join(PRELOAD)]
        # Popen runs on one long-lived thread: PDEATHSIG fires when the *thread* that forked exits.
        self.proc = _SPAWNER.submit(
            subprocess.Popen, argv, pass_fds=(req_r, resp_w), env=env, stdin=subprocess.DEVNULL
        ).result()
        os.close(req_r)
        os.close(resp_w)
        self.send = Connection(req_w, readable=False)
        self.recv = Connection(resp_r, writable=False)
        self.ready = False

    def call(self, fn: Any, args: tuple, timeout_s: float) -> Any:
        if not self.ready:
            if not self.recv.poll(STARTUP_TIMEOUT_S):
                raise WorkerError("grading worker did not start")
            self.recv.recv()  # the "ready" message
            self.ready = True
        self.send.send((fn, args))
        if not self.recv.poll(timeout_s):
            raise BoundedTimeout(f"{getattr(fn, '__name__', fn)} took more than {timeout_s}s")
        ok, value = self.recv.recv()
        if not ok:
            raise WorkerError(value)
        return value

    def kill(self) -> None:
        self.forget()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def forget(self) -> None:
        """Close this process's ends of the pipes, leaving the worker alone (in a forked child the
        inherited workers belong to the parent)."""
        for conn in (self.send, self.recv):
            with contextlib.suppress(OSError):
                conn.close()


def _new_spawner() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="r1lit-grading-spawner")


_SPAWNER = _new_spawner()
_lock = threading.Lock()
_idle: list[_Worker] = []
_spare: list[_Worker] = []  # at most one started worker held back to replace a killed one at once
_last = threading.local()  # the worker this thread used last: its parse cache likely holds our gold


def _after_fork_in_child() -> None:
    """Drop the parent's state: its spawner thread does not exist here, its lock may be held by a
    thread that does not exist here, and its workers answer the parent's pipes."""
    global _SPAWNER, _lock, _last
    inherited = [*_idle, *_spare]
    _idle.clear()
    _spare.clear()
    for worker in inherited:
        worker.forget()
    _SPAWNER, _lock, _last = _new_spawner(), threading.Lock(), threading.local()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _checkout() -> _Worker:
    with _lock:
        mine = getattr(_last, "worker", None)
        if mine is not None and mine in _idle:
            _idle.remove(mine)
            return mine
        if _idle:
            return _idle.pop()
    return _Worker()


def _ensure_spare() -> None:
    """Start the spare once this process has a working worker (not before: on a busy machine two
    cold workers warming up at once would slow the first call down)."""
    with _lock:
        if not _spare:
            _spare.append(_Worker())  # Popen returns at once; the spare warms up in the background


def _replace(worker: _Worker) -> None:
    """Kill ``worker``; the spare (warm unless timeouts come faster than start-ups) takes its place."""
    worker.kill()
    with _lock:
        if _spare:
            _idle.append(_spare.pop())
            _spare.append(_Worker())  # timeouts come in runs (one hard problem, G samples)
        else:
            _idle.append(_Worker())


def _checkin(worker: _Worker) -> None:
    with _lock:
        _idle.append(worker)


def call_bounded(fn: Any, *args: Any, timeout_s: float) -> Any:
    """Run module-level function ``fn(*args)`` in a worker process, waiting at most ``timeout_s`` seconds.

    On a ready worker the call returns or raises within ``timeout_s``; see the module docstring for
    the worst case when the worker is still starting (back-to-back timeouts, a process's first call).

    Raises:
        BoundedTimeout: the bound expired; the worker was killed and the spare took its place.
        WorkerError: ``fn`` raised in the worker (message included) or the worker died.
    """
    worker = _checkout()
    try:
        value = worker.call(fn, args, timeout_s)
    except BoundedTimeout:
        _replace(worker)
        raise
    except WorkerError as e:
        if worker.proc.poll() is None and "did not start" not in str(e):
            _checkin(worker)  # an exception inside fn: the worker itself is fine
        else:
            _replace(worker)
        raise
    except (EOFError, OSError) as e:  # the worker died mid-call (memory limit, segfault)
        _replace(worker)
        raise WorkerError(f"grading worker died: {e!r}") from e
    _last.worker = worker
    _checkin(worker)
    _ensure_spare()
    return value


def shutdown_workers() -> None:
    """Kill every idle worker and the spare of this process (they restart on the next call)."""
    with _lock:
        workers = [*_idle, *_spare]
        _idle.clear()
        _spare.clear()
    for worker in workers:
        worker.kill()


atexit.register(shutdown_workers)


def _die_with_parent(parent_pid: int) -> None:
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(0)


def _serve() -> None:
    """Worker main loop: receive ``(fn, args)``, send back ``(True, result)`` or ``(False, message)``."""
    import importlib
    import resource
    import signal

    req_fd, resp_fd, parent_pid, preload = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    logging.disable(logging.WARNING)  # math-verify warns about its disabled signal timeout on every call
    requests, responses = Connection(req_fd, writable=False), Connection(resp_fd, readable=False)
    for hook in filter(None, preload.split(",")):
        module, _, function = hook.partition(":")
        loaded = importlib.import_module(module)
        if function:
            getattr(loaded, function)()
    limit = WORKER_MEMORY_MB * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    responses.send("ready")
    while True:
        try:
            fn, args = requests.recv()
        except (EOFError, OSError):
            return
        try:
            result = (True, fn(*args))
        except BaseException as e:  # noqa: BLE001 - everything goes back to the caller as a message
            result = (False, f"{type(e).__name__}: {str(e)[:500]}")
        try:
            responses.send(result)
        except (EOFError, OSError):
            return  # the parent is gone
        except Exception as e:  # noqa: BLE001 - an unpicklable result must not kill the worker
            responses.send((False, f"result could not be sent back: {type(e).__name__}: {str(e)[:300]}"))
