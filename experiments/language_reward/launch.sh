#!/usr/bin/env bash
# Language-consistency reward on/off (paper §2.3.2): the paper reports better readability for a slight
# drop in accuracy. The tiny model's synthetic tasks are English-only, so expect little effect here;
# the sweep is meant for multilingual data on a real model.
# 2 settings x 2 seeds on experiment=$SWEEP_EXPERIMENT (default sweep_tiny), then one table + figures.
#   bash experiments/language_reward/launch.sh [extra Hydra overrides for every job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep language_reward "experiment=$SWEEP_EXPERIMENT" \
  'reward=choice([accuracy,format],[accuracy,format,language])' 'seed=0,1' "$@"
