#!/usr/bin/env bash
# Group size G (samples per prompt; the paper does not state it for R1, DeepSeekMath used 64).
# A larger group gives a better baseline (mean of the group) at G times the rollout cost per prompt.
# 2 values x 2 seeds on experiment=$SWEEP_EXPERIMENT (default sweep_tiny), then one table + figures.
#   bash experiments/group_size/launch.sh [extra Hydra overrides for every job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep group_size "experiment=$SWEEP_EXPERIMENT" 'stage.module.sampling.n=4,8' 'seed=0,1' "$@"
