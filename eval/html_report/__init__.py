"""report.html: a self-contained page to read an eval's (or a training run's) samples, tables and figures.

`write_eval_report(out_dir)` for an `r1lit-eval` folder, `write_compare_report(a, b, path)` for two of
them side by side; `paper_figs.run_report` builds the training-run page from the same parts (`page`).
"""

from r1lit_eval.html_report.eval_report import write_compare_report, write_eval_report

__all__ = ["write_compare_report", "write_eval_report"]
