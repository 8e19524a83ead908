#!/usr/bin/env bash
# Distillation vs RL (paper Table 6): a small student trained with its own GRPO vs SFT on traces of the tiny
# R1 teacher. R1LIT_WORLD picks the world:
#   search (default)  student r1lit-tiny-search-small, teacher experiment=r1_pipeline_tiny_search
#                     (conf/experiment/distill_vs_rl_tiny_search.yaml)
#   arithmetic        student r1lit-tiny-small, teacher experiment=r1_pipeline_tiny_zero
#                     (conf/experiment/distill_vs_rl_tiny.yaml)
# 1. the teacher pipeline (finished stages are skipped); 2. the student both ways, two seeds; eval tables 6 and
# 5 with the paper's rows.
#   [R1LIT_WORLD=arithmetic] bash experiments/distill_vs_rl/launch.sh [extra Hydra overrides for every student job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
case "${R1LIT_WORLD:-search}" in
  search) teacher=r1_pipeline_tiny_search student=distill_vs_rl_tiny_search sweep=distill_vs_rl_search ;;
  arithmetic) teacher=r1_pipeline_tiny_zero student=distill_vs_rl_tiny sweep=distill_vs_rl ;;
  *) echo "R1LIT_WORLD=${R1LIT_WORLD}: expected search or arithmetic" >&2; exit 2 ;;
esac
cd "$R1LIT_REPO"
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
root="${R1LIT_OUTPUT_ROOT:-outputs}"
OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
  python -m r1lit.cli.train "experiment=$teacher" paths.output_root="$root"
run_sweep "$sweep" "experiment=$student" 'seed=0,1' "$@"
