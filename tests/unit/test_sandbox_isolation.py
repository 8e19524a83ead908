"""Whole-program isolation: total memory, the file tree, private /proc, no nested user namespaces,
hide paths under /tmp, stale run dirs, plain-value transport and sandbox failures that surface."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from r1lit.grading import sandbox, sandbox_cgroup, sandbox_wire
from r1lit.grading.sandbox import Limits, probe, run

ISO = probe()
needs_ns = pytest.mark.skipif(not ISO["private_root"], reason="no mount/pid namespaces on this machine")
LIMITS = Limits(timeout_s=2.0, memory_mb=256)

MEMHOG = """\
import os, select, time
n, mb = N_CHILDREN, MB_EACH
r, w = os.pipe()
release_r, release_w = os.pipe()
kids = []
for i in range(n):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.close(release_w)
        try:
            b = bytearray(mb << 20)
            for j in range(0, len(b), 4096):
                b[j] = 1
            os.write(w, b"%d\\n" % os.getpid())
            os.read(release_r, 1)  # hold the memory until the parent has counted
        finally:
            os._exit(0)
    kids.append(pid)
reported, dead = set(), set()
deadline = time.monotonic() + 5
while len(reported | dead) < len(kids) and time.monotonic() < deadline:
    if select.select([r], [], [], 0.1)[0]:
        reported |= {int(x) for x in os.read(r, 1 << 16).split()}
    dead |= {p for p in kids if p not in dead and os.waitpid(p, os.WNOHANG) != (0, 0)}
alive = {p for p in kids if p not in dead and os.waitpid(p, os.WNOHANG) == (0, 0)}
print(len(reported & alive) * mb)  # MB held at the same time
"""


def test_memory_is_capped_for_the_whole_program():
    """15 children x 40 MB under memory_mb=200: at most the cap is held at once (RLIMIT_AS alone: 600 MB)."""
    prog = MEMHOG.replace("N_CHILDREN, MB_EACH", "15, 40")
    result = run(prog, limits=Limits(timeout_s=10.0, memory_mb=200, nproc=32))
    held_mb = int(result.stdout) if result.stdout.strip() else 0
    assert held_mb <= 200, result
    if ISO["memory_cgroup"]:
        assert result.memory_peak_mb is not None and result.memory_peak_mb <= 200


def test_memory_cap_without_a_cgroup(monkeypatch):
    """No memory cgroup (no root, no delegation): processes x per-process memory = the cap."""
    monkeypatch.setattr(sandbox_cgroup, "create", lambda memory_mb: None)
    prog = MEMHOG.replace("N_CHILDREN, MB_EACH", "15, 40")
    result = run(prog, limits=Limits(timeout_s=10.0, memory_mb=200, nproc=32, fallback_nproc=4))
    assert result.status == "ok", result.stderr
    assert int(result.stdout) <= 200
    assert run("print(len(bytearray(30 << 20)))", limits=Limits(memory_mb=200)).status == "ok"


@needs_ns
def test_private_proc_shows_only_the_sandbox():
    prog = (
        "import glob\n"
        "print(len(glob.glob('/proc/[0-9]*')))\n"
        "for p in glob.glob('/proc/[0-9]*/cmdline'):\n"
        "    print(open(p, 'rb').read())\n"
    )
    result = run(prog, limits=LIMITS)
    assert result.status == "ok"
    assert int(result.stdout.split()[0]) <= 3  # init and the program (and a checker in checker mode)
    assert "pytest" not in result.stdout and str(os.getpid()) not in result.stdout.split("\n")[0]


@needs_ns
def test_nested_user_namespaces_are_refused():
    prog = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.unshare(0x10000000), ctypes.get_errno())\n"
        "print(os.system('unshare -U true 2>/dev/null') != 0)\n"
    )
    result = run(prog, limits=LIMITS)
    assert result.stdout.split() == ["-1", "1", "True"]  # EPERM


@needs_ns
def test_file_tree_holds_the_stdlib_only(tmp_path):
    """World-readable files in /tmp, home and the checkout are absent; the stdlib (C parts too) works."""
    home = Path.home() / f".r1lit-secret-{os.getpid()}"
    secrets = [tmp_path / "secret.txt", home, Path(__file__).with_name(f".r1lit-secret-{os.getpid()}")]
    os.chmod(tmp_path, 0o755)
    try:
        for path in secrets:
            path.write_text("hunter2")
            os.chmod(path, 0o644)
        assert run(f"print(open({str(secrets[-1])!r}).read())", limits=Limits(namespaces=False)).stdout
        paths = [*map(str, secrets), sys.prefix + "/lib"]  # the last: the venv (site-packages not exposed)
        prog = (
            f"import os, json, sqlite3, decimal\nprint(json.dumps([os.path.exists(p) for p in {paths!r}]))\n"
        )
        result = run(prog, limits=LIMITS)
    finally:
        for path in secrets:
            path.unlink(missing_ok=True)
    assert result.status == "ok", result.stderr
    assert result.stdout.strip() == "[false, false, false, false]"


@needs_ns
def test_hide_paths_under_tmp_are_not_a_sandbox_error(tmp_path):
    """A benchmark file under /tmp: its dir is hidden by not being in the tree (was a sandbox error)."""
    result = run("print('hi')", limits=Limits(timeout_s=2.0, hide_paths=(str(tmp_path),)))
    assert (result.status, result.stdout) == ("ok", "hi\n")


def test_stale_run_dirs_of_dead_harnesses_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{sandbox.RUN_PREFIX}{dead.pid}-abc"
    live = tmp_path / f"{sandbox.RUN_PREFIX}{os.getpid()}-def"
    for d in (stale, live):
        (d / "work").mkdir(parents=True)
    assert sandbox.sweep_stale(str(tmp_path)) == [stale]
    assert not stale.exists() and live.exists()


def test_launcher_failure_is_a_sandbox_error(monkeypatch):
    monkeypatch.setattr(sandbox, "LAUNCHER", sandbox.LAUNCHER.with_name("no_such_launcher.py"))
    assert run("print(1)", limits=LIMITS).status == "sandbox_error"  # was "runtime_error": a silent 0


@pytest.mark.parametrize(
    "value",
    [None, True, 3, -2.5, float("inf"), "s", b"\x00b", 1 + 2j, (1, [2, {3: "x"}]), {(1, 2): {4}},
     frozenset({1}), Fraction(1, 3), Decimal("1.10")],
)  # fmt: skip
def test_wire_round_trips_plain_values(value):
    assert sandbox_wire.decode(sandbox_wire.encode(value)) == value
    assert type(sandbox_wire.decode(sandbox_wire.encode(value))) is type(value)


def test_wire_reads_values_not_objects():
    class Liar(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    assert sandbox_wire.decode(sandbox_wire.encode(Liar(0))) == 0 != 5
    with pytest.raises(TypeError):
        sandbox_wire.encode(object())
    np = pytest.importorskip("numpy")
    assert sandbox_wire.decode(sandbox_wire.encode([np.int64(3), np.float32(0.5)])) == [3, 0.5]


@needs_ns
def test_site_packages_only_when_asked():
    """numpy scalars compare by value when site-packages are exposed; by default only the stdlib is there."""
    pytest.importorskip("numpy")
    from r1lit.grading.code_tests import TestCase, run_tests

    program = "import numpy as np\ndef f(x):\n    return np.int64(x) * 2\n"
    test = [TestCase("21", "42", "functional")]
    assert run_tests(program, test, "f", Limits(timeout_s=5.0, expose_site_packages=True)).all_passed
    assert run_tests(program, test, "f", Limits(timeout_s=5.0)).outcomes[0].status == "runtime_error"
