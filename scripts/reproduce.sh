#!/usr/bin/env bash
# README command 1: set up (if needed), then the whole miniature R1-Zero reproduction on the embedded tiny model:
#   build the tiny model -> R1-Zero GRPO run -> eval of the base and the trained model -> Figures 2-3, Table 2,
#   the reflection figure and the aha-moment table (Table 3).
# Rerunning resumes: the tiny model is cached, a finished training run is skipped (DONE.json), an interrupted
# one continues from its last checkpoint, and evaluations reuse their cached generations.
#   bash scripts/reproduce.sh [extra Hydra overrides for the training run, e.g. trainer.max_steps=40]
#   The default world is the search world (experiment=r1_zero_search, r1lit/tiny/corpus_search.py), where retrying
#   after a failed check pays; R1LIT_EXPERIMENT picks another: r1_zero_tiny (plain arithmetic, no reflection),
#   r1_zero_reflect (the bigarith re-check world).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1

EXPERIMENT="${R1LIT_EXPERIMENT:-r1_zero_search}"
RUN_NAME="${R1LIT_RUN_NAME:-reproduce}"
ROOT="${R1LIT_OUTPUT_ROOT:-outputs}"
RUN="$ROOT/grpo/$RUN_NAME"
start=$SECONDS
step() { printf '\n== [%4ds] %s\n' "$((SECONDS - start))" "$*"; }

# The base model and held-out set of the experiment, so the eval rows score what the run trained on.
read -r BASE DIFFICULTY N_HELDOUT HELDOUT_SEED TASK MAX_NEW K < <(python - "$EXPERIMENT" "$@" <<'PY'
import sys
from hydra import compose, initialize_config_dir
from r1lit.cli.train import CONF_DIR
with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
    cfg = compose("train", overrides=[f"experiment={sys.argv[1]}", *sys.argv[2:]])
h = cfg.data.heldout
s = cfg.stage.module.eval_sampling
print(cfg.model.name_or_path, h.difficulty, h.n, h.seed, h.task, s.max_new_tokens, s.n)
PY
)

step "1/4 the embedded base model $BASE (built once into \${R1LIT_CACHE:-~/.cache/r1lit}, then reused)"
r1lit-tiny build --name "$BASE"
r1lit-tiny info --name "$BASE"

step "2/4 R1-Zero: GRPO with accuracy + format rewards on synthetic $TASK (experiment=$EXPERIMENT)"
r1lit-train experiment="$EXPERIMENT" run_name="$RUN_NAME" paths.output_root="$ROOT" "$@"

step "3/4 the paper's protocol (T=0.6, top-p 0.95, k samples) on the held-out set: base vs trained"
# The run's own held-out set (same problems, seed and k) for both rows.
heldout=(benchmark.synthetic.loader.difficulty="$DIFFICULTY" benchmark.synthetic.loader.n="$N_HELDOUT"
  benchmark.synthetic.loader.seed="$HELDOUT_SEED" benchmark.synthetic.loader.task="$TASK"
  benchmark.synthetic.sampling.max_new_tokens="$MAX_NEW" benchmark.synthetic.k="$K" cache_dir="$ROOT/eval/cache" progress=false)
r1lit-eval model.name_or_path="$BASE" model.label=base output_dir="$RUN/eval/base" "${heldout[@]}"
r1lit-eval model.name_or_path="$RUN/hf/final" model.label=r1-zero-tiny output_dir="$RUN/eval/final" "${heldout[@]}"

step "4/4 Figures 2 and 3, Table 2 (and the reflection figure, Table 3) from the run's logs (no model needed)"
python -m paper_figs.make_all "$RUN" --tables table2  # + the reflection figure and Table 3 in reflection worlds

step "done in $((SECONDS - start)) s"
cat <<EOF
Training run:   $RUN   (TensorBoard: tensorboard --logdir $RUN)
Held-out curve: $RUN/heldout.jsonl
Eval results:   $RUN/eval/base/  $RUN/eval/final/
Figure 2:       $RUN/paper_figs/fig2_heldout_accuracy.png (.pdf)
Figure 3:       $RUN/paper_figs/fig3_response_length.png (.pdf)
Table 2:        $RUN/paper_figs/table2_r1_zero.md (.tex, .csv)
EOF
if [ -f "$RUN/paper_figs/table2_r1_zero.md" ]; then cat "$RUN/paper_figs/table2_r1_zero.md"; fi
if [ "$TASK" = bigarith ] || [ "$TASK" = modsearch ]; then
  echo "Reflection:     $RUN/paper_figs/fig_reflection.png (.pdf, .csv)"
  echo "Table 3 (aha):  $RUN/paper_figs/table3_aha.md"
  if [ -f "$RUN/paper_figs/table3_aha.md" ]; then cat "$RUN/paper_figs/table3_aha.md"; fi
fi
