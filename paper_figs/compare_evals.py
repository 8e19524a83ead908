"""Compare two eval folders in one report.html: the same problems side by side, disagreements first.

    python -m paper_figs.compare_evals DIR_A DIR_B [--out PATH]

Problems that one model solves (at least half its samples correct) and the other does not come first,
then the rest by accuracy gap. Default PATH: `compare_<A>_vs_<B>.html` beside DIR_A.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from r1lit_eval.html_report import write_compare_report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="an r1lit-eval output folder")
    parser.add_argument("b", help="another r1lit-eval output folder (the same benchmarks)")
    parser.add_argument("--out", default=None, help="report path")
    args = parser.parse_args(argv)
    a, b = Path(args.a), Path(args.b)
    out = Path(args.out) if args.out else a.parent / f"compare_{a.name}_vs_{b.name}.html"
    print(write_compare_report(a, b, out))


if __name__ == "__main__":
    main()
