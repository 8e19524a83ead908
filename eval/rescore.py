"""Recompute every metric from saved generations, without a model.

Two uses:

- Ours, after a grader fix: `rescore_run(<output_dir>)` (or `r1lit-eval mode=rescore output_dir=<dir>`)
  regrades `samples/<bench>.jsonl` with the current grader through each benchmark's own `grade`,
  and writes `<dir>/rescored/` (samples, results.json, tables); the original files are left untouched.
- External generations: `rescore_external(path, fields, kind)` maps another harness's JSONL onto our
  per-sample records with field specs, e.g. for the Qwen2.5-Math / SkyThought `gen_*` files
  `{"response": "code[0]", "gold": "answer", "id": "idx"}`. A spec is `name` (a list means one sample
  per element), `name[i]` (element i) or `name[*]` (every element).

Command line: `python -m r1lit_eval.rescore FILE --field response=code[0] --field gold=answer --kind math`.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from pathlib import Path
from typing import Any

from r1lit_eval.benchmarks.base import Problem

from r1lit.evaluation.results import save_results
from r1lit.evaluation.summary import summarize
from r1lit.io import read_jsonl, write_jsonl

log = logging.getLogger(__name__)
_SPEC_RE = re.compile(r"^(?P<name>[^\[\]]+)(?:\[(?P<index>-?\d+|\*)\])?$")


def field_values(record: dict[str, Any], spec: str) -> list[Any]:
    """The values a field spec selects from one record (see the module docstring)."""
    m = _SPEC_RE.match(spec.strip())
    if not m:
        raise ValueError(f"bad field spec {spec!r}: use name, name[i] or name[*]")
    name, index = m.group("name"), m.group("index")
    if name not in record:
        raise KeyError(f"field {name!r} not in record (fields: {sorted(record)})")
    value = record[name]
    if index is None:
        return list(value) if isinstance(value, list) else [value]
    if not isinstance(value, list):
        raise ValueError(f"field spec {spec!r} indexes {name!r}, which is not a list")
    return list(value) if index == "*" else [value[int(index)]]


def _grade_rows(rows: list[dict[str, Any]], kind: str, timeout_s: float, processes: int) -> None:
    """Fill pred / correct / status of `rows` (with `completion` and `gold`) using the shared grader."""
    from r1lit.grading import grade_many

    verdicts = grade_many(
        [r["completion"] for r in rows],
        [r["gold"] for r in rows],
        kind=kind,
        processes=processes,
        timeout_s=timeout_s,
    )
    for row, v in zip(rows, verdicts, strict=True):
        row.update(pred=v.pred, correct=v.correct, status=v.status)


def rescore_external(
    path: str | Path,
    fields: dict[str, str],
    kind: str = "math",
    k: int | None = None,
    timeout_s: float = 5.0,
    processes: int = 0,
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Grade another harness's generations with our grader.

    Args:
        path: a JSONL file, one record per problem.
        fields: specs for `response` and `gold` (required), `id` (optional; default: line number).
        kind: grader kind ("math", "int", "choice").
        k: samples per problem for cons@k (default: the most any problem has).

    Returns:
        Our per-sample records, and the metrics summary (`pass@1` is the accuracy for one sample each).
    """
    missing = {"response", "gold"} - set(fields)
    if missing:
        raise ValueError(f"fields lacks {sorted(missing)} (e.g. response=code[0] gold=answer)")
    rows: list[dict[str, Any]] = []
    for line_no, record in enumerate(read_jsonl(Path(path))):
        pid = str(field_values(record, fields["id"])[0]) if "id" in fields else str(line_no)
        gold = field_values(record, fields["gold"])[0]
        gold = str(int(gold)) if isinstance(gold, float) and gold.is_integer() else str(gold)
        for idx, response in enumerate(field_values(record, fields["response"])):
            rows.append(
                {
                    "problem_id": pid,
                    "sample_idx": idx,
                    "kind": kind,
                    "completion": response or "",
                    "response_prefix": "",
                    "gold": gold,
                }
            )
    if not rows:
        raise ValueError(f"{path}: no records")
    _grade_rows(rows, kind, timeout_s, processes)
    k = k or max(r["sample_idx"] for r in rows) + 1
    return rows, summarize(rows, k, n_boot=n_boot, seed=seed)


def _regrade_benchmark(
    name: str,
    bench_cfg: dict[str, Any] | None,
    rows: list[dict[str, Any]],
    problems: dict[str, dict[str, Any]],
    workers: int = 1,
) -> int:
    """Regrade one benchmark's rows in place with its own `grade` (`workers` threads); returns how many verdicts changed."""
    from concurrent.futures import ThreadPoolExecutor

    from r1lit_eval.benchmarks.registry import build_benchmark

    bench = build_benchmark(name, bench_cfg["loader"]) if bench_cfg else None  # constructing loads no data

    def regrade(row: dict[str, Any]) -> dict[str, Any]:
        p = problems.get(str(row["problem_id"]), {"gold": row["gold"], "kind": row["kind"], "meta": {}})
        problem = Problem(
            id=str(row["problem_id"]),
            prompt=row.get("prompt", ""),
            gold=p["gold"],
            kind=p["kind"],
            meta=p["meta"],
        )
        text = (row.get("response_prefix") or "") + row["completion"]
        if bench is not None:
            v = bench.grade(problem, text)
            return {"pred": v.pred, "correct": v.correct, "status": v.status, "detail": v.detail}
        from r1lit.grading import grade

        v = grade(text, problem.gold, kind=problem.kind)
        return {"pred": v.pred, "correct": v.correct, "status": v.status}

    with ThreadPoolExecutor(max_workers=workers) as pool:
        new = list(pool.map(regrade, rows))
    changed = 0
    for row, verdict in zip(rows, new, strict=True):
        changed += verdict["correct"] != row["correct"]
        row.update(verdict)
    return changed


def rescore_run(out_dir: str | Path, n_boot: int = 1000, seed: int = 0, workers: int = 1) -> dict[str, Any]:
    """Regrade a finished run's samples; write `<out_dir>/rescored/{samples/,results.json}` and return the results."""
    out = Path(out_dir)
    results_path = out / "results.json"
    if not results_path.is_file():
        raise FileNotFoundError(f"{results_path} not found (merge sharded runs first: r1lit-eval mode=merge)")
    results = json.loads(results_path.read_text(encoding="utf-8"))
    for name, summary in results["benchmarks"].items():
        rows = read_jsonl(out / "samples" / f"{name}.jsonl")
        problems_file = out / "samples" / f"{name}.problems.jsonl"
        problems = (
            {str(p["problem_id"]): p for p in read_jsonl(problems_file)} if problems_file.is_file() else {}
        )
        changed = _regrade_benchmark(name, summary.get("config"), rows, problems, workers)
        write_jsonl(out / "rescored" / "samples" / f"{name}.jsonl", rows)
        before = summary.get("pass@1")
        summary.update(summarize(rows, summary["k"], n_boot=n_boot, seed=seed))
        summary["rescore"] = {"changed_verdicts": changed, "pass@1_before": before}
        log.info("%s: %d verdicts changed; pass@1 %s -> %.4f", name, changed, before, summary["pass@1"])
    save_results(results, out / "rescored")
    return results


def main(argv: list[str] | None = None) -> None:
    """`python -m r1lit_eval.rescore`: grade an external generations file and print its metrics."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="JSONL of generations, one record per problem")
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="OURS=SPEC",
        help="response=code[0] gold=answer id=idx (repeat the flag)",
    )
    parser.add_argument("--kind", default="math", choices=["math", "int", "choice"])
    parser.add_argument("--k", type=int, default=None, help="samples per problem for cons@k")
    parser.add_argument("--processes", type=int, default=0, help="grader worker processes")
    parser.add_argument("--out", default=None, help="write our per-sample JSONL and summary JSON here")
    args = parser.parse_args(argv)
    fields = dict(f.split("=", 1) for f in args.field)
    rows, summary = rescore_external(args.path, fields, args.kind, args.k, processes=args.processes)
    if args.out:
        write_jsonl(Path(args.out) / "samples.jsonl", rows)
        save_results({"source": str(args.path), "fields": fields, "summary": summary}, args.out)
    print(json.dumps(summary, indent=2))  # a command-line tool's output
    print(f"accuracy (pass@1) = {100 * summary['pass@1']:.1f}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
