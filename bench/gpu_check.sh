#!/usr/bin/env bash
# One-GPU readiness check, under 5 minutes: what only a GPU can show (CUDA kernels, bf16 speed, memory).
#
#   bash bench/gpu_check.sh            # from the repository root, venv active (or .venv present)
#
# 1. the architecture twins on CUDA: sampled log-probs equal the training forward's (fp32), and stay
#    close in bf16 (tests/smoke/test_scale_cuda.py);
# 2. one bf16 GRPO step at the Qwen2.5-0.5B shape, full fine-tune and LoRA r=16 (bench/scale.py
#    grpo part, ours only: TRL is the CPU bench's job), 4 prompts x G=4 x 256 new tokens, beta 0.04;
# 3. the generation bench (16 rows x 128 tokens, ours vs `model.generate`, fraction of the bandwidth bound).
# Last line: `RESULT gpu=<name> parity=<pass|fail> ...` with bench/scale.py's numbers.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f .venv/bin/activate ] && source .venv/bin/activate
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=4
export R1LIT_CACHE="${R1LIT_CACHE:-/tmp/r1lit-gpu-check-cache}"
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '_')
echo "gpu: ${gpu:-none}  torch: $(python -c 'import torch; print(torch.__version__, torch.cuda.is_available())')"

start=$SECONDS
if timeout 150 python -m pytest tests/smoke/test_scale_cuda.py -q -x -p no:cacheprovider; then parity=pass; else parity=fail; fi
echo "parity: $parity ($((SECONDS - start)) s)"

start=$SECONDS
bench=$(timeout 240 python bench/scale.py --device cuda --dtype bfloat16 --parts grpo,generate \
  --cases ours_full,ours_lora --steps 2 --warmup 1 --threads 4 2>&1 | tee /dev/stderr | grep '^RESULT' | tail -1)
echo "bench: $((SECONDS - start)) s"
echo "RESULT gpu=${gpu:-none} parity=${parity} ${bench#RESULT }"
