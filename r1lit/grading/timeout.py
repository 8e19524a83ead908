"""Hard time bounds for sympy/math-verify work: persistent worker processes, killed on timeout.

math-verify's own timeout uses ``signal.alarm``: it only works in the main thread, and a signal cannot
stop a long C-level computation anyway (``2^{10^{10}}`` is one big-int multiplication that never
returns to the interpreter). Here every bounded call runs in a separate worker process:

- A worker is a plain ``subprocess`` (not ``multiprocessing``), so it can be started from any thread,
  from daemonic processes (DataLoader or Pool workers) and from Ray/Lightning workers alike.
- Workers persist, import math-verify once and warm its parser at start-up (``PRELOAD``); a call
  costs one pipe round trip (~50 us).
- ``call_bounded(fn, *args, timeout_s=...)`` waits at most ``timeout_s``; on expiry the worker is
  SIGKILLed, a fresh one is started in the background, and ``BoundedTimeout`` is raised.
- Idle workers are pooled per process; concurrent callers (threads) each check one out, so
  ``grade_many(processes=N)`` runs N checks in N processes at once. A thread gets back the worker it
  used last when that one is idle, so that worker's parse cache keeps serving the same golds.
- A worker limits its own address space (``WORKER_MEMORY_MB``) and dies with its parent (PDEATHSIG).
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
        for conn in (self.send, self.recv):
            with contextlib.suppress(OSError):
                conn.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="r1lit-grading-spawner")
_lock = threading.Lock()
_idle: list[_Worker] = []
_owner_pid = os.getpid()
_last = threading.local()  # the worker this thread used last: its parse cache likely holds our gold


def _checkout() -> _Worker:
    global _owner_pid
    with _lock:
        if os.getpid() != _owner_pid:  # we are a forked child: the parent's pipes are not ours
            _idle.clear()
            _owner_pid = os.getpid()
        mine = getattr(_last, "worker", None)
        if mine is not None and mine in _idle:
            _idle.remove(mine)
            return mine
        if _idle:
            return _idle.pop()
    return _Worker()


def _checkin(worker: _Worker) -> None:
    with _lock:
        if os.getpid() == _owner_pid:
            _idle.append(worker)


def call_bounded(fn: Any, *args: Any, timeout_s: float) -> Any:
    """Run module-level function ``fn(*args)`` in a worker process, waiting at most ``timeout_s`` seconds.

    Raises:
        BoundedTimeout: the bound expired; the worker was killed and replaced.
        WorkerError: ``fn`` raised in the worker (message included) or the worker died.
    """
    worker = _checkout()
    try:
        value = worker.call(fn, args, timeout_s)
    except BoundedTimeout:
        worker.kill()
        _checkin(_Worker())  # start the replacement now, while the caller carries on
        raise
    except WorkerError as e:
        if worker.proc.poll() is None and "did not start" not in str(e):
            _checkin(worker)  # an exception inside fn: the worker itself is fine
        else:
            worker.kill()
        raise
    except (EOFError, OSError) as e:  # the worker died mid-call (memory limit, segfault)
        worker.kill()
        raise WorkerError(f"grading worker died: {e!r}") from e
    _last.worker = worker
    _checkin(worker)
    return value


def shutdown_workers() -> None:
    """Kill every idle worker of this process (they restart on the next call)."""
    with _lock:
        workers, _idle[:] = list(_idle), []
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
