"""Shared fixtures: the real benchmark files in ../shared/data, and a reduced tiny model built from scratch."""

from __future__ import annotations

import os
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
