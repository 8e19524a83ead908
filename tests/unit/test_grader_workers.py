"""Grading worker processes: fork-started, spawn-started children and threads all get verdicts, and the
call right after a timeout is served within its bound by the warm spare (r1lit/grading/timeout.py)."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from r1lit.grading import grade, timeout
from r1lit.grading.timeout import BoundedTimeout, call_bounded, shutdown_workers

# Needs math-verify (not the exact-number fast path), so it goes through a worker process.
COMPLETION, GOLD = r"so \boxed{(x+1)^2}", "x^2+2x+1"
CHILD_WAIT_S = 90.0  # a hang fails the test instead of blocking the suite


def _grade_status() -> str:
    return grade(COMPLETION, GOLD).status


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_grade_works_in_a_child_after_the_parent_graded(method: str) -> None:
    assert _grade_status() == "correct"  # the parent now has workers and a spawner thread
    with multiprocessing.get_context(method).Pool(1) as pool:
        status = pool.apply_async(grade, (COMPLETION, GOLD)).get(timeout=CHILD_WAIT_S).status
    assert status == "correct"
    assert _grade_status() == "correct"  # the child did not touch the parent's workers


def test_grade_works_in_threads() -> None:
    statuses: list[str] = []
    threads = [threading.Thread(target=lambda: statuses.append(_grade_status())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CHILD_WAIT_S)
    assert statuses == ["correct"] * 3


def test_the_call_after_a_timeout_stays_within_its_bound() -> None:
    shutdown_workers()
    assert call_bounded(pow, 2, 3, timeout_s=60.0) == 8  # a working worker; the spare starts now
    assert timeout._spare and timeout._spare[0].recv.poll(60.0)  # the spare has said "ready"
    with pytest.raises(BoundedTimeout):
        call_bounded(time.sleep, 30, timeout_s=2.0)
    start = time.perf_counter()
    assert grade(COMPLETION, GOLD, timeout_s=2.0).status == "correct"
    assert time.perf_counter() - start < 2.0  # the spare served it: no fresh start-up (~2.5 s) to wait for
    assert len(timeout._spare) == 1  # and a new spare is on its way
