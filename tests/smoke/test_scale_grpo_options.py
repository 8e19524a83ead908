"""GRPO's sampler/trainer options end to end on the reduced tiny model: IS correction, GSPO, chunking.

The HF generator samples from the same fp32 policy the trainer scores, so with
`is_correction=token_truncate` every importance weight is 1 up to float noise: the weights are built
from the generator's own log-probs, token by token. `is_correction=auto` turns it on for vLLM only.
"""

from __future__ import annotations

import csv
from pathlib import Path

import hydra
import pytest
from hydra import compose, initialize_config_dir

from r1lit.cli.train import run

CONF = str(Path(__file__).resolve().parents[2] / "conf")
GRPO = [
    "stage=grpo", "data=synthetic", "data.train.n=4", "data.heldout.n=2", "reward=[accuracy,format]",
    "trainer.max_steps=1", "stage.datamodule.batch_size=2", "stage.module.sampling.n=2",
    "stage.module.sampling.max_new_tokens=8", "stage.module.eval_sampling.n=1", "stage.module.eval_at_start=false",
    "logger=csv", "trainer.enable_progress_bar=false", "callbacks.hf_export=null",
]  # fmt: skip


def _compose(run_dir: Path, model_dir: Path, overrides: list[str]):
    base = [f"paths.run_dir={run_dir}", f"model.name_or_path={model_dir}"]
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return compose("train", overrides=[*base, *GRPO, *overrides])


def _metrics(run_dir: Path) -> dict[str, float]:
    with (run_dir / "csv" / "metrics.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r.get("train/loss")]
    assert len(rows) == 1
    return {k: float(v) for k, v in rows[0].items() if v}


@pytest.mark.parametrize("ratio_level", ["token", "sequence"])
def test_is_weights_come_from_the_generator_logprobs(
    tiny_model_dir: Path, tmp_path: Path, ratio_level: str
) -> None:
    cfg = _compose(tmp_path, tiny_model_dir, [
        "stage.module.is_correction=token_truncate", "stage.module.is_cap=2.0",
        f"stage.module.ratio_level={ratio_level}", "stage.module.logprob_chunk_size=5",
    ])  # fmt: skip
    run(cfg)
    m = _metrics(tmp_path)
    assert m["train/is_weight_mean"] == pytest.approx(1.0, abs=1e-3)
    assert m["train/is_weight_min"] == pytest.approx(1.0, abs=1e-3)
    assert m["train/is_weight_max"] == pytest.approx(1.0, abs=1e-3)
    assert m["train/ratio_mean"] == pytest.approx(1.0, abs=1e-6)  # mu = 1: on-policy in the trainer


@pytest.mark.parametrize(("backend", "expected"), [("hf", "none"), ("vllm", "token_truncate")])
def test_auto_is_correction_follows_the_rollout_backend(tmp_path: Path, backend: str, expected: str) -> None:
    cfg = _compose(tmp_path, tmp_path, [f"rollout={backend}"])
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")  # loads no model
    assert module.is_correction == expected


def test_packed_rollout_carries_sampling_logprobs_nan_where_missing() -> None:
    from r1lit.modules.rollout_batch import pack_completions
    from r1lit.rollout.base import Completion

    groups = [
        [
            Completion("", [5, 6, 7], [-0.1, -0.2, -0.3], "stop", [1, 2]),
            Completion("", [5], [], "stop", [1, 2]),
        ]
    ]
    packed = pack_completions(groups, pad_id=0)
    assert packed.sampling_logps[0].tolist() == pytest.approx([-0.1, -0.2, -0.3])
    assert packed.sampling_logps[1].isnan().all()  # no log-probs from the generator: no correction
    assert packed.groups(0, 1).sampling_logps.shape == packed.completion_ids.shape
