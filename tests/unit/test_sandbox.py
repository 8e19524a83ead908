"""The hostile-program suite: every attack is contained, reported as a failure, and the harness carries on.

Limits are small so the suite stays fast (the two timeout cases cost ~1.5 s each). Tests of
containment that needs root (a separate uid) or namespaces skip with a reason where unavailable.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from r1lit.grading.sandbox import (
    MAX_SLOTS,
    UID_BASE,
    Limits,
    SandboxPool,
    probe,
    run,
)
from r1lit.grading.sandbox_slots import uid_pids

LIMITS = Limits(
    timeout_s=0.5, memory_mb=256, nproc=16, nofile=32, file_mb=1, output_bytes=50_000, scratch_mb=8
)
ISO = probe()
needs_root = pytest.mark.skipif(not ISO["uid_isolation"], reason="a separate sandbox uid needs root")
needs_netns = pytest.mark.skipif(not ISO["netns"], reason="no network namespace on this machine")
needs_private_tmp = pytest.mark.skipif(not ISO["private_tmp"], reason="no mount namespace on this machine")


@pytest.fixture(scope="module")
def run_root(tmp_path_factory: pytest.TempPathFactory):
    """A private parent for this module's run dirs: a leftover process of OUR runs is recognisable by
    its command line (the launcher's argv names its run dir), even while other harnesses use the sandbox."""
    tmp_path_factory.getbasetemp()  # fix pytest's basetemp now, not under the patched tempfile.tempdir
    root = tempfile.mkdtemp(prefix="r1lit-sandbox-test-")
    os.chmod(root, 0o711)  # without a mount namespace the program's workdir lies below it
    yield root
    shutil.rmtree(root, ignore_errors=True)


def leftover_processes(run_root: str) -> list[int]:
    """Live processes of a sandbox uid started by this module's runs (root only)."""
    left = []
    for pid in uid_pids(range(UID_BASE, UID_BASE + MAX_SLOTS)) if ISO["root"] else []:
        try:
            if run_root.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                left.append(pid)
        except OSError:
            continue
    return left


@pytest.fixture
def outside_dirs(tmp_path):
    """Dirs outside the sandbox, 0755 root-owned: tmp_path (under /tmp) and one beside this file (not
    under any scratch dir, so the uid drop, not the private /tmp, is what protects it)."""
    visible = Path(tempfile.mkdtemp(prefix=".sandbox-outside-", dir=Path(__file__).parent))
    for d in (tmp_path, visible):
        os.chmod(d, 0o755)
    yield [tmp_path, visible]
    shutil.rmtree(visible, ignore_errors=True)


@pytest.fixture(autouse=True)
def harness_carries_on(run_root, monkeypatch):
    """After every attack: no sandbox process is left and a normal program still runs fine."""
    monkeypatch.setattr(tempfile, "tempdir", run_root)
    yield
    assert leftover_processes(run_root) == []
    result = run("print(sum(map(int, input().split())))", "2 3\n", LIMITS)
    assert (result.status, result.stdout) == ("ok", "5\n")


def test_normal_program_and_exit_codes():
    ok = run("import sys\nprint(sys.stdin.read()[::-1], end='')", "abc", LIMITS)
    assert (ok.status, ok.stdout, ok.returncode) == ("ok", "cba", 0)
    err = run("raise ValueError('boom')", "", LIMITS)
    assert err.status == "runtime_error" and "ValueError: boom" in err.stderr and err.returncode == 1
    assert run("import sys; sys.exit(3)", "", LIMITS).status == "runtime_error"
    assert run("import sys; sys.exit(0)", "", LIMITS).status == "ok"
    assert run("def f(:\n", "", LIMITS).status == "runtime_error"  # syntax error


def test_call_mode_method_and_function():
    method = (
        "class Solution:\n    def add(self, a, b):\n        print('debug')\n        return [a + b, 0.5]\n"
    )
    result = run(method, "1\n2", LIMITS, call="add")
    assert result.status == "ok" and result.stdout == "[3, 0.5]"  # prints go to stderr
    assert "debug" in result.stderr
    assert run("def sq(x):\n    return x * x\n", "7", LIMITS, call="sq").stdout == "49"


def test_fork_bomb_is_capped_and_killed():
    bomb = "import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(0.01)\n"
    start = time.monotonic()
    result = run(bomb, "", LIMITS)
    assert result.status == "timeout"
    assert time.monotonic() - start < 5


def test_nproc_limit_and_escaped_daemons_are_reaped():
    daemons = (
        "import os, time\n"
        "for i in range(100):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        print('forks', i)\n"
        "        break\n"
        "    if pid == 0:\n"
        "        os.setsid()\n"  # leave the process group: killpg alone would miss these
        "        time.sleep(1000)\n"
    )
    result = run(daemons, "", LIMITS)
    assert result.status == "ok"
    if ISO["uid_isolation"]:  # RLIMIT_NPROC counts this program's own uid only
        assert 0 < int(result.stdout.split()[1]) < LIMITS.nproc
    # harness_carries_on asserts that none of the daemons survived the run


def test_infinite_loop_times_out():
    start = time.monotonic()
    assert run("while True:\n    pass\n", "", LIMITS).status == "timeout"
    assert run("import time\ntime.sleep(100)\n", "", LIMITS).status == "timeout"  # wall clock, no CPU
    assert time.monotonic() - start < 6


def test_memory_hog():
    assert run("x = bytearray(1 << 30)", "", LIMITS).status == "memory"
    grow = "a = []\nwhile True:\n    a.append(bytes(10 ** 7))\n"  # bytes(n) is calloc'd: fast to allocate
    assert run(grow, "", dataclasses.replace(LIMITS, timeout_s=3.0)).status == "memory"


@needs_root
def test_writes_outside_its_dir_fail(outside_dirs):
    for d in outside_dirs:
        target = d / "pwned"
        result = run(f"open({str(target)!r}, 'w').write('x')", "", LIMITS)
        assert result.status == "runtime_error"
        assert not target.exists()
    # With a private file tree the dir does not exist for the program; otherwise the uid refuses it.
    assert ("FileNotFoundError" if ISO["private_root"] else "PermissionError") in result.stderr


@needs_private_tmp
def test_tmp_writes_stay_private():
    name = f"r1lit-escape-{os.getpid()}"
    prog = f"import os\nfor d in ('/tmp', '/var/tmp', '/dev/shm'):\n    open(os.path.join(d, {name!r}), 'w').write('x')\nprint(os.getcwd())"
    result = run(prog, "", LIMITS)
    assert result.status == "ok"
    assert not any(os.path.exists(os.path.join(d, name)) for d in ("/tmp", "/var/tmp", "/dev/shm"))
    # A fresh, empty dir each run (the interpreter is bound elsewhere in the program's file tree).
    assert run("import os; print(sorted(os.listdir('.')))", "", LIMITS).stdout == "[]\n"


@needs_root
def test_deleting_files_outside_fails(outside_dirs):
    for d in outside_dirs:
        sentinel = d / "sentinel.txt"
        sentinel.write_text("keep me")
        os.chmod(sentinel, 0o644)
        assert run(f"import os\nos.remove({str(sentinel)!r})", "", LIMITS).status == "runtime_error"
        assert run(f"import shutil\nshutil.rmtree({str(d)!r})", "", LIMITS).status == "runtime_error"
        assert sentinel.read_text() == "keep me"


@needs_netns
def test_network_is_unreachable():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        prog = f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\ns.sendall(b'leak')"
        result = run(prog, "", LIMITS)
        assert result.status == "runtime_error" and "unreachable" in result.stderr
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    finally:
        server.close()


def test_socket_fallback_without_namespaces():
    prog = "import socket\nsocket.socket()"
    result = run(prog, "", Limits(timeout_s=1.0, namespaces=False))
    assert result.status == "runtime_error" and "network access is disabled" in result.stderr


@needs_root
def test_killing_parent_or_harness_fails():
    survived = run("import os\nos.kill(os.getppid(), 9)\nprint('alive')", "", LIMITS)
    assert survived.status == "runtime_error" and "PermissionError" in survived.stderr
    harness = run(f"import os\nos.kill({os.getpid()}, 9)", "", LIMITS)
    assert harness.status == "runtime_error"
    assert run("import os\nos.kill(-1, 9)\nprint('alive')", "", LIMITS).status in ("ok", "runtime_error")
    # still alive: this line runs, and harness_carries_on runs a program afterwards


@needs_root
def test_environment_secrets_are_not_visible(monkeypatch):
    monkeypatch.setenv("SECRET", "hunter2-r1lit")
    prog = (
        "import os, glob\n"
        "print(dict(os.environ))\n"
        "for path in glob.glob('/proc/*/environ'):\n"
        "    try:\n"
        "        print(open(path, 'rb').read())\n"
        "    except OSError:\n"
        "        pass\n"
    )
    result = run(prog, "", Limits(timeout_s=2.0, output_bytes=1_000_000))
    assert result.status == "ok"
    assert "hunter2" not in result.stdout
    assert set(eval(result.stdout.splitlines()[0])) <= {"PATH", "LANG", "HOME", "OMP_NUM_THREADS"}


def test_huge_output_is_truncated():
    spam = run("while True:\n    print('x' * 10000)\n", "", LIMITS)
    assert spam.status == "output_limit" and spam.truncated and len(spam.stdout) == LIMITS.output_bytes
    once = run("print('y' * 200_000)", "", LIMITS)  # below RLIMIT_FSIZE, above the read cap
    assert once.status == "output_limit" and len(once.stdout) == LIMITS.output_bytes


def test_guard_disables_dangerous_calls():
    result = run("import os\nos.system('echo hi')", "", LIMITS, guard=True)
    assert result.status == "runtime_error" and "disabled in the r1lit sandbox" in result.stderr


def test_pool_runs_concurrently_with_distinct_uids():
    prog = "import os, time\ntime.sleep(0.2)\nprint(os.getuid())"
    with SandboxPool(max_workers=2) as pool:
        results = pool.map({"source": prog, "limits": LIMITS} for _ in range(4))
        futures = [pool.submit("print(input())", str(i), LIMITS) for i in range(3)]
        assert [f.result().stdout for f in futures] == ["0\n", "1\n", "2\n"]
    assert all(r.status == "ok" for r in results)
    if ISO["uid_isolation"]:
        uids = [int(r.stdout) for r in results]
        assert all(u >= UID_BASE for u in uids) and uids[0] != uids[1]
