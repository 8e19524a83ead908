#!/usr/bin/env bash
# Loss aggregation: grpo (paper eq. 1: mean over each completion's tokens, then over completions),
# dapo (token-level mean over the batch, DAPO §3.3), dr_grpo (sum over tokens / a constant, Dr. GRPO),
# which differ in how they weight long vs short completions and hence in the length drift of Figure 3.
# 3 variants x 2 seeds on experiment=$SWEEP_EXPERIMENT (default sweep_tiny), then one table + figures.
#   bash experiments/loss_agg/launch.sh [extra Hydra overrides for every job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep loss_agg "experiment=$SWEEP_EXPERIMENT" 'stage.module.loss_agg=grpo,dapo,dr_grpo' 'seed=0,1' "$@"
