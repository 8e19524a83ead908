"""r1lit: the DeepSeek-R1 recipe (cold-start SFT, GRPO, rejection sampling, distillation) on Lightning + Hydra.

Importing `r1lit` is cheap and never imports Lightning: the evaluation harness (`r1lit_eval`) uses
`r1lit.grading`, `r1lit.rollout`, `r1lit.tasks` and `r1lit.models` without the training stack.
"""

__version__ = "0.1.0"
