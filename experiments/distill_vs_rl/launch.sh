#!/usr/bin/env bash
# Distillation vs RL (paper Table 6): the small student r1lit-tiny-small trained with its own GRPO vs SFT on
# traces of the tiny R1 teacher, at about equal CPU time (conf/experiment/distill_vs_rl_tiny.yaml).
# 1. the teacher: the miniature R1 pipeline (experiment=r1_pipeline_tiny_zero; finished stages are skipped);
# 2. the student both ways, two seeds; eval tables 6 and 5 with the paper's rows.
#   bash experiments/distill_vs_rl/launch.sh [extra Hydra overrides for every student job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
cd "$R1LIT_REPO"
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
root="${R1LIT_OUTPUT_ROOT:-outputs}"
OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
  python -m r1lit.cli.train experiment=r1_pipeline_tiny_zero paths.output_root="$root"
run_sweep distill_vs_rl experiment=distill_vs_rl_tiny 'seed=0,1' "$@"
