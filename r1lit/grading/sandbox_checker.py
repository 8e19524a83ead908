"""The checker process of a sandbox run in checker mode: runs trusted tests against a proxy.

Loaded by `sandbox_launcher.py` as a top-level module (stdlib only). The checker is forked by the
sandbox's init before the program and never executes a line of the program: it reads the trusted
check source (e.g. a HumanEval prompt + `test`) from an fd the program's process closes, calls
`check(candidate)` (the function's name bound to `candidate` too) where `candidate` forwards each call to the program's process over a pipe and
returns the plain value decoded from its reply (`sandbox_wire`), and writes `pass` to the verdict
pipe only when `check` returned. Any other ending (an assertion, the program gone, a malformed
reply, the wall-clock kill) leaves no `pass` behind.
"""

from __future__ import annotations

import builtins
import os

import sandbox_jail as jail
import sandbox_wire as wire


class ProgramGone(RuntimeError):
    """The program's process ended (or closed its pipe) before answering a call."""


def _exception(name: str, message: str) -> Exception:
    """The builtin exception the program's function raised (so tests expecting it still work)."""
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except TypeError:  # e.g. UnicodeDecodeError needs five arguments
            pass
    return RuntimeError(f"{name}: {message}")


class Candidate:
    """Stands in for the program's function: each call is answered by the program's process."""

    def __init__(self, req_w: int, resp_r: int, max_frame: int) -> None:
        self._req_w, self._resp_r, self._max_frame = req_w, resp_r, max_frame

    def __call__(self, *args, **kwargs):
        try:
            wire.write_frame(self._req_w, wire.encode((list(args), kwargs)))
        except BrokenPipeError as err:
            raise ProgramGone("the program ended before it was called") from err
        frame = wire.read_frame(self._resp_r, self._max_frame)
        if frame is None:
            raise ProgramGone("the program ended before answering")
        reply = wire.decode(frame)
        if not isinstance(reply, tuple) or not reply or reply[0] not in ("ok", "raise"):
            raise ProgramGone(f"malformed reply from the program: {str(reply)[:100]}")
        if reply[0] == "ok" and len(reply) == 2:
            return reply[1]
        raise _exception(str(reply[1]), str(reply[2]))


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode("utf-8")


def run_checker(cfg: dict, lib, req_w: int, resp_r: int, verdict_w: int, max_frame: int) -> int:
    """The checker process's body; returns its exit code (the verdict goes to `verdict_w`)."""
    source = _read_all(cfg["check_fd"])
    jail.set_rlimits(cfg)
    jail.no_new_privs(lib)
    if cfg["mountns"]:
        jail.drop_capabilities(lib)
    glb: dict = {"__name__": "__checker__"}
    try:
        exec(compile(source, "<check>", "exec"), glb)
        candidate = Candidate(req_w, resp_r, max_frame)
        glb[cfg["call"]] = candidate  # tests may call the function by name (HumanEval/33 does)
        glb["check"](candidate)
    except BaseException as exc:  # noqa: BLE001 - any way out but a return is a failed check
        os.write(2, f"r1lit-check: {type(exc).__name__}: {str(exc)[:300]}\n".encode())
        return 0
    finally:
        os.close(req_w)  # the program's serving loop sees end of file and exits
    os.write(verdict_w, b"pass")
    return 0
