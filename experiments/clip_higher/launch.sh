#!/usr/bin/env bash
# Clip-higher (DAPO §3.1): a larger upper clip range epsilon_high=0.28 vs the paper's symmetric 0.2,
# which lets low-probability tokens grow and keeps entropy from collapsing.
# 2 values x 2 seeds on the embedded tiny model (experiment=sweep_tiny), then one table + figures.
#   bash experiments/clip_higher/launch.sh [extra Hydra overrides for every job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep clip_higher experiment=sweep_tiny 'stage.module.epsilon_high=null,0.28' 'seed=0,1' "$@"
