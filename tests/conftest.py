"""Shared fixtures: the real benchmark files in ../shared/data, and a reduced tiny model built from scratch."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("R1LIT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: skipped with a reason on a user's machine, a hard failure in CI (CI=true)."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    reason = f"real benchmark files not found at {SHARED_DATA} (set R1LIT_SHARED_DATA to point at them)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture
def run_train_cli() -> Callable[..., None]:
    """``run(overrides, log, extra_path=None, timeout=900)``: ``python -m r1lit.cli.train`` in a subprocess.

    One torch thread; stdout and stderr go to ``log``; a nonzero exit fails the test with the log's tail.
    ``extra_path`` is put first on PYTHONPATH (for test-only callbacks).
    """

    def run(
        overrides: Sequence[str], log: Path, extra_path: Path | None = None, timeout: float = 900
    ) -> None:
        path = os.pathsep.join(filter(None, [str(extra_path or ""), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": path}
        with log.open("w") as f:
            proc = subprocess.run(
                [sys.executable, "-m", "r1lit.cli.train", *overrides],
                env=env, stdout=f, stderr=subprocess.STDOUT, timeout=timeout,
            )  # fmt: skip
        assert proc.returncode == 0, log.read_text()[-4000:]

    return run


@pytest.fixture
def build_tiny_one_thread() -> Callable[..., Path]:
    """``build(name, cache_dir, spec=None)``: a registered tiny model built with one torch thread.

    One thread, as `run_train_cli`'s subprocess trains: the base model (and so whether a short RL run
    moves it) depends on the thread count's float summation order (test_r1_zero_learns.py measured it).
    """
    import torch

    from r1lit.tiny.build import ensure_tiny_model

    def build(name: str, cache_dir: Path, spec: object = None) -> Path:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return ensure_tiny_model(name, cache_dir=cache_dir, spec=spec)
        finally:
            torch.set_num_threads(threads)

    return build
