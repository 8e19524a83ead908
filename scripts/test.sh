#!/usr/bin/env bash
# README command 2: set up (if needed) and run the whole test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
# The tiny model a test needs is built from scratch into a temporary cache; never reuse ~/.cache/r1lit.
export R1LIT_CACHE="$(mktemp -d)/r1lit-cache"
exec python -m pytest "$@"
