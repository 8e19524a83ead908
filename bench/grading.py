"""Grading speed: r1lit's grader (sequential and process pool) against math-verify called directly.

    python bench/grading.py                          # ../shared/data, best of 2 rounds
    python bench/grading.py --data DIR --rounds 3

Workload: the 1,000 MATH-500 completions of the two SkyThought files in ../shared/data
(Qwen2.5-14B-Instruct and Qwen2.5-Math-7B, greedy), each against the raw MATH-500 `answer`.

Contenders, one round = each once, in alternating order (the machine is shared: best round counts):
- `ours`: `grade_many(processes=0)`: extraction and the exact/numeric fast path in this process,
  math-verify in one persistent, killable worker process.
- `ours_pool`: `grade_many(processes=2)`: the same, two worker processes at once.
- `math_verify`: `verify(parse("$gold$"), parse(completion))` in this process, the way reward
  functions usually call it (its signal timeouts on, as by default).
Every round starts our contenders on fresh, warmed-up workers (no parse cache from an earlier round);
worker start-up is not timed, math-verify's import is not timed either.
Each contender's accuracy is printed too (ours counts the no-box answers of the base model as wrong).

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

from r1lit.grading import grade_many
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


def warm_workers(n: int) -> None:
    """Fresh workers (no parse cache), started before the clock runs."""
    shutdown_workers()
    grade_many([r"\boxed{\frac{1}{3}}"] * n, ["0.3"] * n, processes=n)


def run_ours(completions: list[str], golds: list[str], processes: int) -> tuple[float, float]:
    warm_workers(max(processes, 1))
    start = time.perf_counter()
    verdicts = grade_many(completions, golds, "math", processes=processes, timeout_s=30.0)
    seconds = time.perf_counter() - start
    return seconds, sum(v.correct for v in verdicts) / len(verdicts)


def run_math_verify(completions: list[str], golds: list[str]) -> tuple[float, float]:
    from math_verify import parse, verify

    start = time.perf_counter()
    correct = 0
    for completion, gold in zip(completions, golds, strict=True):
        with contextlib.suppress(Exception):  # an exception counts as wrong, as in a reward function
            correct += bool(verify(parse(f"${gold}$"), parse(completion)))
    return time.perf_counter() - start, correct / len(completions)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("R1LIT_SHARED_DATA", DEFAULT_DATA)))
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # math-verify logs every failed parse
    completions, golds = load(args.data)
    import math_verify  # noqa: F401 - import time is not grading time

    contenders: dict[str, Callable[[], tuple[float, float]]] = {
        "ours": lambda: run_ours(completions, golds, 0),
        "ours_pool": lambda: run_ours(completions, golds, 2),
        "math_verify": lambda: run_math_verify(completions, golds),
    }
    best: dict[str, tuple[float, float]] = {}
    for r in range(args.rounds):
        order = list(contenders) if r % 2 == 0 else list(reversed(contenders))
        for name in order:
            seconds, acc = contenders[name]()
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, acc)
    shutdown_workers()

    n = len(completions)
    print(f"{n} completions, best of {args.rounds} rounds, {os.cpu_count()} CPUs visible")
    print(f"{'contender':<14}{'seconds':>9}{'answers/s':>11}{'accuracy':>10}")
    for name, (seconds, acc) in best.items():
        print(f"{name:<14}{seconds:>9.2f}{n / seconds:>11.1f}{100 * acc:>9.1f}%")
    ours, pool, mv = best["ours"][0], best["ours_pool"][0], best["math_verify"][0]
    print(
        f"RESULT answers_per_s={n / ours:.1f} speedup_vs_math_verify={mv / ours:.2f} "
        f"pool_answers_per_s={n / pool:.1f} pool_speedup={ours / pool:.2f}"
    )


if __name__ == "__main__":
    main()
