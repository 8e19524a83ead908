"""GRPO under DDP on CPU: 2 processes, gloo (`trainer=ddp_cpu`), through `r1lit-train`.

One run exercises the paths where ranks must stay in lock-step: micro-batches with gradient sync only
on the last backward, mu = 2 inner updates, dynamic sampling (refill rounds decided across ranks) and
the held-out evaluation gathered from both ranks. The replicas must end with identical weights.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import torch

PROBE = """
import lightning as L, torch
from pathlib import Path

class WeightProbe(L.Callback):
    def __init__(self, out: str) -> None:
        self.out = Path(out)

    def on_train_end(self, trainer, module) -> None:
        flat = torch.cat([p.detach().flatten() for p in module.policy.parameters()])
        torch.save(flat, self.out / f"rank{trainer.global_rank}.pt")
"""


def test_grpo_ddp_two_cpu_processes(tiny_model_dir: Path, tmp_path: Path, run_train_cli) -> None:
    run_dir = tmp_path / "run"
    overrides = [
        f"model.name_or_path={tiny_model_dir}", f"hydra.run.dir={run_dir}", "trainer=ddp_cpu",
        "trainer.max_steps=4", "trainer.val_check_interval=2", "trainer.enable_progress_bar=false",
        "data.train.n=64", "data.heldout.n=6", "stage.datamodule.batch_size=4", "stage.datamodule.eval_batch_size=2",
        "stage.module.sampling.n=4", "stage.module.sampling.max_new_tokens=12", "stage.module.eval_sampling.n=2",
        "stage.module.num_iterations=2", "stage.module.micro_batch_size=4", "stage.module.dynamic_sampling=true",
        "stage.module.max_refill_rounds=1", "stage.module.learning_rate=1e-3",
        "callbacks=default", "callbacks.model_checkpoint.every_n_train_steps=2", "callbacks.hf_export=null",
        "callbacks.lr_monitor=null", "logger=csv",
        "+callbacks.probe._target_=ddp_probe.WeightProbe", f"+callbacks.probe.out={tmp_path}",
    ]  # fmt: skip
    (tmp_path / "ddp_probe.py").write_text(PROBE)
    run_train_cli(overrides, tmp_path / "ddp.log", extra_path=tmp_path, timeout=600)

    rows = list(csv.DictReader((run_dir / "csv" / "metrics.csv").open()))
    losses = [float(r["train/loss"]) for r in rows if r.get("train/loss")]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)  # 4 optimizer steps = 2 batches of mu=2
    assert any(r.get("dynamic/refill_rounds") for r in rows)

    summaries = [json.loads(line) for line in (run_dir / "heldout.jsonl").read_text().splitlines()]
    assert [s["step"] for s in summaries] == [0, 4]
    assert all(s["n_prompts"] == 6 for s in summaries)  # both ranks' halves, padding duplicates removed

    rank0, rank1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    assert torch.equal(rank0, rank1)  # gradients were all-reduced: the replicas never diverged

    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == 4
    assert all(key.startswith("policy.") for key in ckpt["state_dict"])
