#!/usr/bin/env bash
# README command 2: set up (if needed) and run the whole test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# The report.html tests drive a real headless browser: install Debian's chromium where we may (root + apt),
# else those tests skip and say why.
if ! command -v chromium >/dev/null 2>&1 && [ -z "${R1LIT_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing chromium (Debian package) for tests/browser"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
      echo "test.sh: could not install chromium: tests/browser will skip"
  else
    echo "test.sh: no chromium (and not root with apt-get): tests/browser will skip"
  fi
fi
# shellcheck disable=SC1091
. .venv/bin/activate
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
# The tiny model a test needs is built from scratch into a temporary cache; never reuse ~/.cache/r1lit.
export R1LIT_CACHE="$(mktemp -d)/r1lit-cache"
exec python -m pytest "$@"
