"""Smoke-test fixtures: a reduced tiny model (`r1lit-tiny-test`) built from scratch once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A save_pretrained folder of the reduced tiny model, built into a fresh temporary cache (seconds).

    Same files, tokenizer and formats as `r1lit-tiny`, but 2 layers of width 32 trained for 20 steps:
    good for exercising code paths (load, generate, one training step), useless for accuracy.
    Load it with `r1lit.models.load_causal_lm(str(tiny_model_dir))` / `load_tokenizer(...)`.
    """
    from r1lit.tiny.build import ensure_tiny_model

    return ensure_tiny_model("r1lit-tiny-test", cache_dir=tmp_path_factory.mktemp("r1lit-cache"))
