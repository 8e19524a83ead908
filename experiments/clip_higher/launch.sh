#!/usr/bin/env bash
# Clip-higher (DAPO §3.1): a larger upper clip range epsilon_high=0.28 vs the paper's symmetric 0.2,
# which lets low-probability tokens grow and keeps entropy from collapsing. Clipping only acts when a
# rollout is used for more than one optimizer step (with one, the ratio is exactly 1), so every job here
# takes num_iterations=2 optimizer steps per rollout.
# 2 values x 2 seeds on experiment=$SWEEP_EXPERIMENT (default sweep_tiny), then one table + figures.
#   bash experiments/clip_higher/launch.sh [extra Hydra overrides for every job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep clip_higher "experiment=$SWEEP_EXPERIMENT" stage.module.num_iterations=2 \
  'stage.module.epsilon_high=null,0.28' 'seed=0,1' "$@"
