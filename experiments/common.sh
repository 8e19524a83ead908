# Sourced by every experiments/<sweep>/launch.sh: run one Hydra multirun into a fixed folder, then
# aggregate it into a table and figures with paper_figs.
#
# The sweep folder is outputs/sweeps/<name>/ ($R1LIT_OUTPUT_ROOT overrides `outputs`), one job folder per
# setting and seed, named by its overrides (hydra.sweep.subdir = override_dirname). Rerunning a launch
# script resumes the sweep: finished jobs (DONE.json) are skipped, an interrupted job continues from its
# last.ckpt (resume=auto). Extra arguments to a launch script are Hydra overrides for every job, e.g.
#   bash experiments/beta/launch.sh trainer.max_steps=200 model=qwen2.5_math_1.5b trainer=gpu rollout=vllm
set -euo pipefail
R1LIT_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# run_sweep NAME OVERRIDE...: the multirun, then `python -m paper_figs.make_all` on its folder.
run_sweep() {
  local name=$1
  shift
  cd "$R1LIT_REPO"
  # shellcheck disable=SC1091
  if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
  local dir="${R1LIT_OUTPUT_ROOT:-outputs}/sweeps/$name"
  local start=$SECONDS
  python -m r1lit.cli.train --multirun run_name="$name" hydra.sweep.dir="$dir" "$@"
  echo "sweep $name: jobs finished in $((SECONDS - start)) s"
  python -m paper_figs.make_all "$dir" --tables none
  echo "table:   $dir/paper_figs/table_sweep.md"
  echo "figures: $dir/paper_figs/fig2_heldout_accuracy.png $dir/paper_figs/fig3_response_length.png"
}
