"""Grading speed: r1lit's grader (sequential and process pool) against math-verify called directly.

    python bench/grading.py                          # ../shared/data, best of 2 rounds
    python bench/grading.py --data DIR --rounds 3 --repeats 5

Workload: the 1,000 MATH-500 completions of the two SkyThought files in ../shared/data
(Qwen2.5-14B-Instruct and Qwen2.5-Math-7B, greedy), each against the raw MATH-500 `answer`.

Contenders, one round = each once (ours: `--repeats` times, they take seconds where math-verify takes
minutes), in alternating order (the machine may be shared: the best run counts):
- `ours`: `grade_many(processes=0)`: extraction and the exact/numeric fast path in this process,
  math-verify in one persistent, killable worker process.
- `ours_pool`: `grade_many(processes=2)`: the same, two worker processes at once.
- `math_verify`: `verify(parse("$gold$"), parse(completion))` in this process, the way reward
  functions usually call it (its signal timeouts on, as by default).
Every round starts our contenders on fresh workers (no parse cache from an earlier round); worker
start-up is not timed (importing math-verify and warming its parser on generic answer shapes,
`r1lit/grading/warm_up.py`, ~2.5 s per worker, printed), math-verify's import is not timed either.
Each contender's accuracy is printed too (ours counts the no-box answers of the base model as wrong),
and its CPU seconds (this process plus our worker processes): on a busy shared machine the wall-clock
pool speedup says little, while CPU seconds show how much work each contender does.

Last line: `RESULT answers_per_s=<ours sequential> speedup_vs_math_verify=<ours / math_verify>
pool_answers_per_s=<ours_pool> pool_speedup=<ours_pool / ours>`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from r1lit.grading import grade_many, timeout
from r1lit.grading.timeout import shutdown_workers

FILES = (
    "gen_skythought_qwen2.5-14b-instruct_math500_greedy.jsonl",
    "gen_skythought_qwen2.5-math-7b_math500_greedy.jsonl",
)
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load(data: Path) -> tuple[list[str], list[str]]:
    """(completions, golds) of the two SkyThought MATH-500 files, 1,000 pairs."""
    completions, golds = [], []
    for name in FILES:
        for line in (data / name).read_text().splitlines():
            row = json.loads(line)
            completions.append(row["code"][0])
            golds.append(str(row["answer"]))
    return completions, golds


Run = tuple[float, float, float]  # (wall seconds, CPU seconds of this process and its workers, accuracy)


def warm_workers(n: int) -> list[int]:
    """Fresh workers (only the start-up warm-up in their parse cache), started before the clock runs; their pids."""
    shutdown_workers()
    grade_many([r"\boxed{\frac{1}{3}}"] * n, [f"0.{i + 1}" for i in range(n)], processes=n)
    pids = [w.proc.pid for w in timeout._idle]
    assert len(pids) == n, f"{len(pids)} warm workers, wanted {n}"
    return pids


def worker_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of the given (live) processes, from /proc."""
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run_ours(completions: list[str], golds: list[str], processes: int) -> Run:
    pids = warm_workers(max(processes, 1))
    cpu0, workers0, start = time.process_time(), worker_cpu(pids), time.perf_counter()
    verdicts = grade_many(completions, golds, "math", processes=processes, timeout_s=30.0)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0 + worker_cpu(pids) - workers0
    return seconds, cpu, sum(v.correct for v in verdicts) / len(verdicts)


def run_math_verify(completions: list[str], golds: list[str]) -> Run:
    from math_verify import parse, verify

    cpu0, start = time.process_time(), time.perf_counter()
    correct = 0
    for completion, gold in zip(completions, golds, strict=True):
        with contextlib.suppress(Exception):  # an exception counts as wrong, as in a reward function
            correct += bool(verify(parse(f"${gold}$"), parse(completion)))
    seconds = time.perf_counter() - start
    return seconds, time.process_time() - cpu0, correct / len(completions)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("R1LIT_SHARED_DATA", DEFAULT_DATA)))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="runs of each of our contenders per round")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # math-verify logs every failed parse
    completions, golds = load(args.data)
    import math_verify  # noqa: F401 - import time is not grading time

    def best_of(repeats: int, fn: Callable[[], Run]) -> Callable[[], Run]:
        return lambda: min((fn() for _ in range(repeats)), key=lambda run: run[0])

    contenders: dict[str, Callable[[], Run]] = {
        "ours": best_of(args.repeats, lambda: run_ours(completions, golds, 0)),
        "ours_pool": best_of(args.repeats, lambda: run_ours(completions, golds, 2)),
        "math_verify": lambda: run_math_verify(completions, golds),
    }
    best: dict[str, Run] = {}
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    warm_workers(1)  # what the timed runs leave out: one worker's start-up, imports and parser warm-up
    startup_s = time.perf_counter() - start
    for r in range(args.rounds):
        order = list(contenders) if r % 2 == 0 else list(reversed(contenders))
        for name in order:
            run = contenders[name]()
            if name not in best or run[0] < best[name][0]:
                best[name] = run
    shutdown_workers()

    n = len(completions)
    print(
        f"{n} completions, best of {args.rounds} rounds (ours x{args.repeats} each), {os.cpu_count()} CPUs visible, "
        f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}; "
        f"a grading worker's start-up (not timed below): {startup_s:.1f} s"
    )
    print(f"{'contender':<14}{'wall_s':>9}{'answers/s':>11}{'cpu_s':>9}{'accuracy':>10}")
    for name, (seconds, cpu, acc) in best.items():
        print(f"{name:<14}{seconds:>9.2f}{n / seconds:>11.1f}{cpu:>9.2f}{100 * acc:>9.1f}%")
    ours, pool, mv = best["ours"][0], best["ours_pool"][0], best["math_verify"][0]
    print(
        f"RESULT answers_per_s={n / ours:.1f} speedup_vs_math_verify={mv / ours:.2f} "
        f"pool_answers_per_s={n / pool:.1f} pool_speedup={ours / pool:.2f}"
    )


if __name__ == "__main__":
    main()
