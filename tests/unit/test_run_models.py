"""r1lit.run_models: a training run folder or a Lightning `.ckpt` resolves and loads the same way everywhere.

Loading a real `.ckpt` onto the tiny model is tested in tests/smoke/test_eval_benchmarks_tiny.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from r1lit.run_models import load_lightning_checkpoint, resolve_checkpoint, resolve_model_source


def test_resolve_checkpoint_picks_final_then_latest_step(tmp_path: Path) -> None:
    run = tmp_path / "run"
    for step in ("step_5", "step_20", "step_100"):
        (run / "hf" / step).mkdir(parents=True)
        (run / "hf" / step / "config.json").write_text("{}")
    assert resolve_checkpoint(str(run)) == str(run / "hf" / "step_100")
    (run / "hf" / "final").mkdir()
    (run / "hf" / "final" / "config.json").write_text("{}")
    assert resolve_checkpoint(str(run)) == str(run / "hf" / "final")
    assert resolve_checkpoint("org/model") == "org/model"
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="hf/step_<N>"):
        resolve_checkpoint(str(tmp_path / "empty"))


def test_model_source_resolves_runs_and_passes_the_rest_through(tmp_path: Path) -> None:
    (tmp_path / "run" / "hf" / "final").mkdir(parents=True)
    (tmp_path / "run" / "hf" / "final" / "config.json").write_text("{}")
    assert resolve_model_source(str(tmp_path / "run" / "hf")) == str(tmp_path / "run" / "hf" / "final")
    ckpt = tmp_path / "last.ckpt"
    assert resolve_model_source(str(ckpt)) == str(ckpt)  # loaded by load_lightning_checkpoint
    assert resolve_model_source("org/model") == "org/model"


NO_BASE = {"state_dict": {"policy.w": torch.zeros(1)}, "hyper_parameters": {}}
NO_POLICY = {
    "state_dict": {"reference.w": torch.zeros(1)},
    "hyper_parameters": {"model_name_or_path": "org/m"},
}


@pytest.mark.parametrize(
    ("content", "match"), [(NO_BASE, "no model_name_or_path"), (NO_POLICY, "no `policy.[*]` keys")]
)
def test_a_checkpoint_without_base_or_policy_is_a_clear_error(
    tmp_path: Path, content: dict, match: str
) -> None:
    torch.save(content, tmp_path / "last.ckpt")
    with pytest.raises(ValueError, match=match):  # before any model loads
        load_lightning_checkpoint(str(tmp_path / "last.ckpt"))
