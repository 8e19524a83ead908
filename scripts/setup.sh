#!/usr/bin/env bash
# Create .venv and install r1lit (editable, with dev/bench/sweeps extras). Safe to re-run: seconds when done.
#
# torch is installed first and pinned, as the build you choose (an unpinned `pip install torch` on Linux pulls
# the multi-GB CUDA build whether or not the machine has a GPU):
#   R1LIT_TORCH=auto  (default) cuda when `nvidia-smi` lists a GPU, else cpu
#   R1LIT_TORCH=cpu   a wheel already on this machine (pip's find-links) if there is one, else PyTorch's CPU index
#   R1LIT_TORCH=cuda  the default index's build (CUDA on Linux)
#   R1LIT_TORCH_VERSION=2.13.0 (default) the version to pin
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TORCH_VERSION="${R1LIT_TORCH_VERSION:-2.13.0}"
TORCH_BUILD="${R1LIT_TORCH:-auto}"
TORCH_CPU_INDEX="https://download.pytorch.org/whl/cpu"
PYTHON="${PYTHON:-python3}"

if [ "$TORCH_BUILD" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q GPU; then
    TORCH_BUILD=cuda
  else
    TORCH_BUILD=cpu
  fi
fi
case "$TORCH_BUILD" in
  cpu | cuda) ;;
  *) echo "setup.sh: R1LIT_TORCH='$TORCH_BUILD': expected one of auto, cpu, cuda" >&2; exit 2 ;;
esac

install_torch() {
  if [ "$TORCH_BUILD" = cuda ]; then
    python -m pip install -q "torch==${TORCH_VERSION}"
  elif python -m pip install -q --no-index --no-deps "torch==${TORCH_VERSION}" 2>/dev/null; then
    python -m pip install -q "torch==${TORCH_VERSION}"  # the local wheel is in place; this adds its dependencies
  else
    python -m pip install -q "torch==${TORCH_VERSION}" --index-url "$TORCH_CPU_INDEX" \
      --extra-index-url https://pypi.org/simple
  fi
}

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=".venv/.r1lit-installed-${TORCH_BUILD}-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup.sh: installing torch==${TORCH_VERSION} (${TORCH_BUILD} build; R1LIT_TORCH=auto|cpu|cuda to choose)"
  python -m pip install -q --upgrade pip
  install_torch
  python -m pip install -q -e ".[dev,bench,sweeps]"
  python -c "import r1lit, r1lit_eval, torch; assert torch.__version__.startswith('${TORCH_VERSION}'), torch.__version__"
  rm -f .venv/.r1lit-installed-* && touch "$stamp"
fi
