#!/usr/bin/env bash
# Cold start vs none (paper §2.3.1): R1-Zero (GRPO from the base model) against cold-start SFT on
# verified, readable traces sampled from it, followed by the same GRPO. One pipeline job per seed
# (experiments/conf/experiment/cold_start_tiny.yaml: the first four stages of r1_pipeline_tiny, both RL
# stages with the same rewards and steps); the eval table compares the held-out rows r1_zero (none) and
# reasoning_rl (cold start), mean ± std over seeds.
#   bash experiments/cold_start/launch.sh [extra Hydra overrides for every job]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep cold_start experiment=cold_start_tiny \
  '~pipeline.stages.rs_data' '~pipeline.stages.rs_sft' '~pipeline.stages.final_rl' 'seed=0,1' "$@"
