"""Table 5 of DeepSeek-R1: distilled models vs comparable models on reasoning benchmarks.

Our rows: evaluations of distilled students (SFT on teacher traces after rejection sampling) and of
their teacher, e.g. from the r1_pipeline_tiny or distill_vs_rl_tiny runs (`<run>/eval/<name>/`), or
given as `--eval LABEL=DIR`. Reference rows: the paper's Table 5 (GPT-4o, Claude-3.5, o1-mini,
QwQ-32B-Preview and the six DeepSeek-R1-Distill models).

    python -m paper_figs.table5_distilled RUN_OR_SWEEP_DIR [--eval LABEL=DIR ...] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence

from paper_figs.eval_tables import table_main

TABLE, STEM = "table5", "table5_distilled"


def main(argv: Sequence[str] | None = None) -> None:
    table_main(TABLE, STEM, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
