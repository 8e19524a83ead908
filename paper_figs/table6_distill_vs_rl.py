"""Table 6 of DeepSeek-R1: distillation vs large-scale RL on the same (smaller) base model.

The paper compares Qwen-32B-Base trained with R1-Zero-style RL (DeepSeek-R1-Zero-Qwen-32B) against the
same base distilled from DeepSeek-R1 (DeepSeek-R1-Distill-Qwen-32B). Our rows: the distill_vs_rl_tiny
experiment's evaluations of the small student after RL and after distillation (`<run>/eval/<name>/`,
or `--eval LABEL=DIR`); with several seeds, mean ± std. Reference rows: the paper's Table 6.

    python -m paper_figs.table6_distill_vs_rl RUN_OR_SWEEP_DIR [--eval LABEL=DIR ...] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence

from paper_figs.eval_tables import table_main

TABLE, STEM = "table6", "table6_distill_vs_rl"


def main(argv: Sequence[str] | None = None) -> None:
    table_main(TABLE, STEM, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
