#!/usr/bin/env bash
# Create .venv and install r1lit (editable, with dev/bench/sweeps extras). Safe to re-run: seconds when done.
# torch is installed first and pinned: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TORCH_VERSION="${R1LIT_TORCH_VERSION:-2.13.0}"
PYTHON="${PYTHON:-python3}"

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=".venv/.r1lit-installed-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  python -m pip install -q --upgrade pip
  python -m pip install -q "torch==${TORCH_VERSION}"
  python -m pip install -q -e ".[dev,bench,sweeps]"
  python -c "import r1lit, r1lit_eval, torch; assert torch.__version__.startswith('${TORCH_VERSION}'), torch.__version__"
  rm -f .venv/.r1lit-installed-* && touch "$stamp"
fi
