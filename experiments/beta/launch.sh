#!/usr/bin/env bash
# KL coefficient beta: 0 (no reference model: DAPO, Dr. GRPO, open-r1) vs 0.04 (DeepSeekMath / TRL default).
# Paper: eq. 1 keeps a k3 KL penalty to the reference policy; follow-ups drop it for long RL runs.
# 2 values x 2 seeds on experiment=$SWEEP_EXPERIMENT (default sweep_tiny), then one table + figures.
#   bash experiments/beta/launch.sh [extra Hydra overrides for every job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep beta "experiment=$SWEEP_EXPERIMENT" 'stage.module.beta=0.0,0.04' 'seed=0,1' "$@"
