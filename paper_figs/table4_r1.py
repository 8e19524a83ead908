"""Table 4 of DeepSeek-R1 (its reasoning columns): the full R1 pipeline's models beside DeepSeek-R1.

Our rows: a pipeline run's held-out evaluations after each stage (`<run>/eval/<stage>/`, as written by
experiment=r1_pipeline_tiny; the base model first), or `--eval LABEL=DIR`; with several seeds,
mean ± std. Reference row: DeepSeek-R1 in the paper's Table 4 (AIME 2024, MATH-500, GPQA Diamond,
LiveCodeBench, CodeForces).

    python -m paper_figs.table4_r1 PIPELINE_OR_SWEEP_DIR [--eval LABEL=DIR ...] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence

from paper_figs.eval_tables import table_main

TABLE, STEM = "table4_r1", "table4_r1"


def main(argv: Sequence[str] | None = None) -> None:
    table_main(TABLE, STEM, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
