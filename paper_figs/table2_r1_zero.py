"""Table 2 of DeepSeek-R1: DeepSeek-R1-Zero vs OpenAI o1 on reasoning benchmarks.

Our rows: the R1-Zero run's evaluations, by convention `<run>/eval/base/` (the model RL starts from)
and `<run>/eval/final/` (the last checkpoint), as written by scripts/reproduce.sh; with several seeds,
mean ± std. Reference rows: the paper's Table 2 (o1-mini, o1-0912, DeepSeek-R1-Zero).

    python -m paper_figs.table2_r1_zero RUN_OR_SWEEP_DIR [--eval LABEL=DIR ...] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence

from paper_figs.eval_tables import table_main

TABLE, STEM = "table2", "table2_r1_zero"


def main(argv: Sequence[str] | None = None) -> None:
    table_main(TABLE, STEM, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
