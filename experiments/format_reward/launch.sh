#!/usr/bin/env bash
# Format reward on/off (paper §2.2.2): accuracy only vs accuracy + the <think>/<answer> format reward.
# The "no answer (%)" column of the table shows how often the answer could not be extracted.
# 2 settings x 2 seeds on experiment=$SWEEP_EXPERIMENT (default sweep_tiny), then one table + figures.
#   bash experiments/format_reward/launch.sh [extra Hydra overrides for every job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep format_reward "experiment=$SWEEP_EXPERIMENT" 'reward=choice([accuracy],[accuracy,format])' 'seed=0,1' "$@"
