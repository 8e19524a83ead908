"""GRPO memory options change where bytes live, never the numbers: `reference_offload` (the reference is
loaded for each rollout's scoring and freed after) trains to the same weights as a resident reference, and
no gradient outlives its optimizer step (the next rollout runs without a stale copy of every gradient)."""

from __future__ import annotations

from pathlib import Path

import hydra
import lightning as L
import torch
from hydra import compose, initialize_config_dir

CONF = str(Path(__file__).resolve().parents[2] / "conf")
GRPO = [
    "stage=grpo",
    "data=synthetic",
    "data.train.n=4",
    "data.heldout.n=2",
    "reward=[accuracy,format]",
    "stage.datamodule.batch_size=2",
    "stage.module.sampling.n=2",
    "stage.module.sampling.max_new_tokens=6",
    "stage.module.eval_at_start=false",
    "stage.module.learning_rate=1e-2",
    "stage.module.beta=0.5",
    "stage.module.logprob_chunk_size=4",
    "seed=3",
]


def _train(model_dir: Path, run_dir: Path, offload: bool, steps: int = 2):
    overrides = [
        f"paths.run_dir={run_dir}",
        f"model.name_or_path={model_dir}",
        *GRPO,
        f"stage.module.reference_offload={str(offload).lower()}",
    ]
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")
    datamodule = hydra.utils.instantiate(cfg.stage.datamodule, _convert_="all")
    grads_at_rollout: list[bool] = []
    generate = None

    class WatchGrads(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            nonlocal generate
            generate = generate or pl_module.generator.generate

            def watched(*args, **kwargs):
                grads_at_rollout.append(any(p.grad is not None for p in pl_module.policy.parameters()))
                return generate(*args, **kwargs)

            pl_module.generator.generate = watched

    torch.manual_seed(0)
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        callbacks=[WatchGrads()],
    )
    trainer.fit(module, datamodule=datamodule)
    return module, grads_at_rollout


def test_reference_offload_trains_the_same_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    kept, _ = _train(tiny_model_dir, tmp_path / "kept", offload=False)
    offloaded, grads_at_rollout = _train(tiny_model_dir, tmp_path / "offloaded", offload=True)
    assert kept.reference is not None and offloaded.reference is None  # no resident second copy
    for (name, a), b in zip(kept.policy.named_parameters(), offloaded.policy.parameters(), strict=True):
        assert torch.equal(a, b), name
    moved = load_initial(tiny_model_dir)
    assert any(not torch.equal(a, b) for a, b in zip(moved, offloaded.policy.parameters(), strict=True))
    assert grads_at_rollout == [False, False]  # step 2's rollout ran with step 1's gradients freed


def load_initial(model_dir: Path) -> list[torch.Tensor]:
    from r1lit.models import load_causal_lm

    return list(load_causal_lm(str(model_dir)).parameters())
