"""The sandbox run by an unprivileged user (a user's machine): user namespaces instead of root.

Runs the harness as uid 65534 with the system Python (the venv may lie under /root, unreadable to
that uid) and stubs the `r1lit` packages so only the sandbox's own stdlib-only modules load. Checks
the verdict, the file tree and the nested-namespace refusal hold there too, and that without any
namespace a program of the harness's own uid cannot forge the launcher's status. Skips where the test
cannot switch users or the kernel refuses unprivileged user namespaces.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

GRADING = Path(__file__).resolve().parents[2] / "r1lit" / "grading"
SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = f"""
import json, sys, types
for name, path in (("r1lit", {str(GRADING.parent)!r}), ("r1lit.grading", {str(GRADING)!r})):
    mod = types.ModuleType(name)
    mod.__path__ = [path]
    sys.modules[name] = mod
from r1lit.grading.sandbox import Limits, probe, run

L = Limits(timeout_s=3.0)
check = "def check(c):\\n    assert c(1) == 2\\n"
out = {{"probe": probe()}}
out["honest"] = run("def f(x):\\n    return x + 1\\n", call="f", check=check, limits=L).status
out["exit0"] = run("import os\\ndef f(x):\\n    return 0\\nos._exit(0)\\n", call="f", check=check, limits=L).status
out["userns"] = run("import ctypes\\nprint(ctypes.CDLL(None).unshare(0x10000000))", limits=L).stdout
out["tree"] = run("import os\\nprint(os.path.exists({str(GRADING)!r}))", limits=L).stdout
forge = "import os\\nif os.path.exists('../status'):\\n    os.unlink('../status')\\nopen('../status', 'w').write('started=1 exit=0 wall_s=0 cpu_s=0 verdict=1'.replace(' ', chr(10)))\\nos._exit(0)\\n"
bare = Limits(timeout_s=3.0, namespaces=False)  # no namespaces: the program runs as our own uid
out["forged_status"] = run(forge + "def f(x):\\n    return 0\\n", call="f", check=check, limits=bare).status
print(json.dumps(out))
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv") or not os.access(SYSTEM_PYTHON, os.X_OK),
    reason="needs root (to switch to an unprivileged uid), setpriv and a system Python",
)
def test_unprivileged_harness():
    folder = Path(tempfile.mkdtemp(prefix="r1lit-unprivileged-"))  # pytest's tmp_path is root-only
    try:
        script = folder / "harness.py"
        script.write_text(SCRIPT)
        os.chmod(folder, 0o755)
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SYSTEM_PYTHON, str(script)]
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp"}
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, cwd="/tmp")
    finally:
        shutil.rmtree(folder)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    if not out["probe"]["private_root"]:
        pytest.skip("the kernel refuses unprivileged user namespaces here")
    assert out["probe"]["root"] is False
    assert (out["honest"], out["exit0"]) == ("ok", "wrong_answer")
    assert (out["userns"], out["tree"]) == ("-1\n", "False\n")
    assert out["forged_status"] == "wrong_answer"  # a status file beside its workdir was once trusted
