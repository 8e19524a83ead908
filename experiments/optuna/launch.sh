#!/usr/bin/env bash
# Optuna (TPE) search over GRPO's learning rate, KL beta and group size (conf/hparams_search/optuna.yaml):
# each trial is one r1lit-train job whose train() returns held-out pass@1 at the end of the run.
# The sampler is seeded and the trial folders are named by their parameters, so a rerun proposes the
# same trials, takes the finished ones' values from their DONE.json and goes on where it stopped.
# The best trial: outputs/sweeps/optuna/optimization_results.yaml.
#   bash experiments/optuna/launch.sh [hydra.sweeper.n_trials=20] [extra Hydra overrides for every trial]
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
run_sweep optuna hparams_search=optuna "experiment=$SWEEP_EXPERIMENT" "$@"
cat "${R1LIT_OUTPUT_ROOT:-outputs}/sweeps/optuna/optimization_results.yaml"
