"""Sweep job folders: the override list as is, hashed only when it would be too long for a folder name."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig

from r1lit.cli.sweep_dirname import MAX_BYTES, job_dirname, register

CONF = Path(__file__).resolve().parents[2] / "conf"


def test_short_names_are_kept_and_long_ones_hashed_within_the_limit() -> None:
    short = "seed=0,stage.module.beta=0.04"
    assert job_dirname(short) == short
    base = ",".join(f"stage.module.option_{i}=value_{i}" for i in range(12))
    a, b = job_dirname(base + ",seed=0"), job_dirname(base + ",seed=1")
    assert len(a.encode()) == len(b.encode()) == MAX_BYTES
    assert a != b and a[:150] == b[:150]  # readable head, unique tail
    assert job_dirname(base + ",seed=0") == a  # deterministic: a rerun finds its jobs
    assert "/" not in a[150:]


def test_multibyte_characters_are_not_split() -> None:
    name = "note=" + "é" * 300
    out = job_dirname(name)
    assert len(out.encode()) <= MAX_BYTES
    assert out.encode().decode() == out and out.startswith("note=éé")


def test_train_config_uses_it_for_sweep_subdirs() -> None:
    register()
    long = ["stage.module.beta=0.0", f"+experiment_note={'x' * 300}", "seed=3"]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        for overrides in (["seed=3"], long):
            cfg = compose("train", overrides=overrides, return_hydra_config=True)
            HydraConfig.instance().set_config(cfg)
            expected = job_dirname(cfg.hydra.job.override_dirname)
            assert cfg.hydra.sweep.subdir == expected
    assert len(expected.encode()) <= MAX_BYTES < len(cfg.hydra.job.override_dirname)
