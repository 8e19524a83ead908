"""r1lit_eval: the paper's benchmarks and tables on any HF checkpoint.

Installed under the import name `r1lit_eval` (the folder is `eval/`). Uses `r1lit.grading`,
`r1lit.rollout`, `r1lit.tasks` and `r1lit.models`; never imports Lightning or r1lit's training code.
"""
