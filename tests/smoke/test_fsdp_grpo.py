"""GRPO under per-block FSDP on CPU (`trainer=fsdp_cpu`: 2 processes, gloo) equals GRPO under DDP.

Two defects made the shipped config unusable for GRPO (both runs below failed before):
- rollouts under `torch.inference_mode` left FSDP2's gather buffers as inference tensors, and the next
  training forward crashed refilling them; (`r1lit.rollout.grad_free`: a sharded model runs under no_grad)
- gathering block by block on each decode step made every token a collective: a rank whose rows
  finished first left the other waiting forever (a hang). Rollouts and held-out evaluation now gather
  every unit once (`r1lit.fsdp.gathered`).

Same seeds, same global batches: the two runs sample the same completions and end with the same weights
(DDP all-reduces gradients, FSDP reduce-scatters them: equal up to float32 summation order).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from r1lit.io import read_jsonl
from tests.smoke.test_fsdp_export import PROBE

ATOL = 1e-5  # as in test_fsdp_export: an Adam step moves each weight by about the learning rate (1e-3)
MAX_NEW = 24


def train_grpo(run_train_cli, model_dir: Path, run_dir: Path, trainer: list[str]) -> Path:  # noqa: ANN001
    run_train_cli([
        f"model.name_or_path={model_dir}", f"hydra.run.dir={run_dir}", "stage=grpo", *trainer,
        "trainer.max_steps=2", "trainer.val_check_interval=2", "trainer.enable_progress_bar=false",
        "data.heldout.n=8", "stage.datamodule.batch_size=4", "stage.datamodule.eval_batch_size=4",
        "stage.module.sampling.n=4", f"stage.module.sampling.max_new_tokens={MAX_NEW}",
        "stage.module.eval_sampling.n=2", "stage.module.learning_rate=1e-3",
        # the reduced model writes noise and no EOS: a stop string ends rows at different steps, as EOS would
        "stage.module.sampling.stop=[' ']",
        # the reduced model earns no reward: the entropy bonus alone makes a gradient, so the weights move
        "stage.module.entropy_coef=0.01", "logger=csv", "callbacks=grpo", "callbacks.model_checkpoint=null",
        "callbacks.hf_export.every_n_train_steps=1", "callbacks.sample_logger.every_n_steps=1",
        "callbacks.sample_logger.n_groups=4", "callbacks.lr_monitor=null",
    ], run_dir.with_suffix(".log"), extra_path=run_dir.parent, timeout=300)  # fmt: skip
    return run_dir


def texts(path: Path) -> list[str]:
    return [json.dumps(r, sort_keys=True) for r in read_jsonl(path)]


def test_grpo_under_per_block_fsdp_equals_ddp(tiny_model_dir: Path, tmp_path: Path, run_train_cli) -> None:  # noqa: ANN001
    (tmp_path / "fsdp_probe.py").write_text(PROBE)
    ddp = train_grpo(run_train_cli, tiny_model_dir, tmp_path / "ddp", ["trainer=ddp_cpu"])
    fsdp = train_grpo(run_train_cli, tiny_model_dir, tmp_path / "fsdp", [
        "trainer=fsdp_cpu", "+callbacks.probe._target_=fsdp_probe.ShardProbe", f"+callbacks.probe.out={tmp_path}",
    ])  # fmt: skip

    (local0, full), (local1, _) = (
        [int(x) for x in (tmp_path / f"shard{r}.txt").read_text().split()] for r in (0, 1)
    )
    assert local0 + local1 == full and max(local0, local1) < full  # each rank held a slice of the policy

    # the hang needs ranks whose rows stop at different decode steps: some completions end early
    lengths = {s["length"] for s in read_jsonl(fsdp / "samples.jsonl")}
    assert min(lengths) < MAX_NEW and len(lengths) > 1, lengths
    for name in ("samples.jsonl", "heldout_samples.jsonl"):  # the same rollouts, at start and after 2 steps
        assert texts(fsdp / name) == texts(ddp / name), name
    assert {r["step"] for r in read_jsonl(fsdp / "heldout_samples.jsonl")} == {0, 2}

    base = load_file(tiny_model_dir / "model.safetensors")
    for export in ("step_1", "final"):
        want, got = (load_file(run / "hf" / export / "model.safetensors") for run in (ddp, fsdp))
        assert want.keys() == got.keys() == base.keys()
        for key, value in want.items():
            assert got[key].shape == value.shape == base[key].shape, key  # gathered full weights
            torch.testing.assert_close(got[key], value, atol=ATOL, rtol=0, msg=key)
    assert max((want[k] - base[k]).abs().max().item() for k in base) > 50 * ATOL  # both runs trained
