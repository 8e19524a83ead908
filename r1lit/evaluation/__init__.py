"""r1lit.evaluation: the one evaluator's pure code, shared by `r1lit-eval`, the pipeline and GRPO training.

- `rows`: the per-sample row format, and grading generated completions into it with the task's check;
- `summary`: the numbers of one benchmark from its rows (pass@1, CI, pass@k, cons@k, rates, lengths);
- `results`: the results folder (`samples/<bench>.jsonl` first, `results.json` last).

No Lightning and no model here; `r1lit_eval` (the harness) builds on these, never the other way round.
"""
