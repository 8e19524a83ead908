# Sourced by every experiments/<sweep>/launch.sh: run one Hydra multirun into a fixed folder, then
# aggregate it into a table and figures with paper_figs.
#
# The sweep folder is outputs/sweeps/<name>/ ($R1LIT_OUTPUT_ROOT overrides `outputs`), one job folder per
# setting and seed, named by its overrides (hydra.sweep.subdir = override_dirname). Rerunning a launch
# script resumes the sweep: finished jobs (DONE.json) are skipped, an interrupted job continues from its
# last.ckpt (resume=auto). Extra arguments to a launch script are Hydra overrides for every job, e.g.
#   bash experiments/beta/launch.sh trainer.max_steps=40
# The GRPO sweeps run experiment=$SWEEP_EXPERIMENT: by default sweep_tiny (conf/experiment/: R1-Zero GRPO
# from the embedded r1lit-tiny-zero on 2 CPU cores, the setting the READMEs' outcomes were measured at);
# SWEEP_EXPERIMENT=r1_zero_tiny is the full-budget CPU setting, SWEEP_EXPERIMENT=r1_zero_qwen2.5_math_1.5b
# the real-model setting for GPU users. Experiments that belong
# to the sweeps only live in experiments/conf/experiment/ (on Hydra's search path here); R1LIT_CONFIG_DIR
# adds one more folder of your own configs (e.g. <dir>/experiment/my_sweep.yaml) to that search path.
set -euo pipefail
R1LIT_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SWEEP_EXPERIMENT="${SWEEP_EXPERIMENT:-sweep_tiny}"

# run_sweep NAME OVERRIDE...: the multirun, then `python -m paper_figs.make_all` on its folder.
run_sweep() {
  local name=$1
  shift
  cd "$R1LIT_REPO"
  # shellcheck disable=SC1091
  if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" \
    HF_DATASETS_OFFLINE="${HF_DATASETS_OFFLINE:-1}"
  local root="${R1LIT_OUTPUT_ROOT:-outputs}"
  local dir="$root/sweeps/$name"
  local searchpath="file://$R1LIT_REPO/experiments/conf${R1LIT_CONFIG_DIR:+,file://$R1LIT_CONFIG_DIR}"
  local start=$SECONDS
  # run_name and paths.output_root are left out of the job folder names (train.yaml exclude_keys)
  python -m r1lit.cli.train --multirun run_name="$name" hydra.sweep.dir="$dir" paths.output_root="$root" \
    "hydra.searchpath=[$searchpath]" "$@"
  echo "sweep $name: jobs finished in $((SECONDS - start)) s"
  python -m paper_figs.make_all "$dir"
  echo "figures and tables: $dir/paper_figs/ (index.md lists them with the command that makes each)"
}
