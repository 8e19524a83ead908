"""Twin fixtures: every architecture twin (r1lit.tiny.twins) built once per session into a temporary cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from r1lit.tiny.twins import TWIN_PREFIX, ensure_twin_model


@pytest.fixture(scope="session")
def twin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("r1lit-twin-cache")


@pytest.fixture(scope="session")
def twin_dir(twin_cache: Path):
    """`twin_dir("qwen2.5")` -> the save_pretrained folder of `r1lit-twin/qwen2.5` (built on first use)."""

    def get(family: str) -> Path:
        return ensure_twin_model(TWIN_PREFIX + family, cache_dir=twin_cache)

    return get
