"""SFT under FSDP on CPU: 2 processes, gloo (`trainer=fsdp_cpu`), through `r1lit-train`.

Each rank holds half of every weight between steps, so `HFExport` must gather the full state before
rank 0 writes. The export of a 2-process run must equal the export of a single-process run of the same
seed and global batches, and load with `from_pretrained` with every weight at its full shape.

Same objective in both runs: the SFT loss is the mean over a batch's labelled tokens, and data parallel
averages the per-rank means; the two agree only when both ranks' halves hold as many labelled tokens,
so the test trains on records whose responses tokenize to the same length.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from r1lit.data.sources import synthetic_traces
from r1lit.data.tokenize import IGNORE_INDEX, tokenize_text
from r1lit.models import load_tokenizer

# Records in the global batch: 2 per rank.
BATCH = 4
LR = 1e-3
# Both runs compute the same gradients up to float32 summation order (gloo's reduce-scatter vs one
# backward over the whole batch), ~1e-7 relative; the first Adam steps move each weight by about LR (1e-3),
# so a rank that exported its own slice or missed the other's gradients is off by >= 1e-4 somewhere.
ATOL = 1e-5

PROBE = """
import lightning as L, torch
from pathlib import Path
from torch.distributed.tensor import DTensor

class ShardProbe(L.Callback):
    '''Writes, per rank, how many weight elements the rank holds locally and in full.'''

    def __init__(self, out: str) -> None:
        self.out = Path(out)

    def on_train_end(self, trainer, module) -> None:
        params = list(module.policy.parameters())
        local = sum((p.to_local() if isinstance(p, DTensor) else p).numel() for p in params)
        (self.out / f"shard{trainer.global_rank}.txt").write_text(f"{local} {sum(p.numel() for p in params)}")
"""


def equal_length_records(model_dir: Path, path: Path) -> None:
    """Writes BATCH synthetic SFT records whose responses (EOS included) have the same token count."""
    tokenizer = load_tokenizer(str(model_dir))
    records = synthetic_traces("train", n=64, seed=0, difficulty=3, template="r1_zero")
    lengths = [
        sum(t != IGNORE_INDEX for t in tokenize_text(tokenizer, r["prompt"], r["response"])["labels"])
        for r in records
    ]
    common, count = Counter(lengths).most_common(1)[0]
    assert count >= BATCH, Counter(lengths)
    chosen = [r for r, n in zip(records, lengths, strict=True) if n == common][:BATCH]
    path.write_text("".join(json.dumps(r) + "\n" for r in chosen))


def train_sft(run_train_cli, model_dir: Path, data: Path, run_dir: Path, trainer: list[str]) -> Path:  # noqa: ANN001
    overrides = [
        f"model.name_or_path={model_dir}", f"hydra.run.dir={run_dir}", "stage=sft", "data=jsonl",
        f"data.train.path={data}", f"stage.datamodule.batch_size={BATCH}", "stage.datamodule.bucket_batches=1",
        "stage.module.warmup_steps=0", f"stage.module.learning_rate={LR}", "trainer.max_steps=2",
        "trainer.enable_progress_bar=false", "logger=csv", "callbacks=default", "callbacks.model_checkpoint=null",
        "callbacks.hf_export.every_n_train_steps=1", "callbacks.lr_monitor=null", *trainer,
    ]  # fmt: skip
    run_train_cli(overrides, run_dir.with_suffix(".log"), extra_path=run_dir.parent, timeout=300)
    return run_dir / "hf"


def test_fsdp_export_equals_the_single_process_export(
    tiny_model_dir: Path,
    tmp_path: Path,
    run_train_cli,  # noqa: ANN001
) -> None:
    data = tmp_path / "sft.jsonl"
    equal_length_records(tiny_model_dir, data)
    (tmp_path / "fsdp_probe.py").write_text(PROBE)
    single = train_sft(run_train_cli, tiny_model_dir, data, tmp_path / "single", ["trainer=cpu"])
    fsdp = train_sft(run_train_cli, tiny_model_dir, data, tmp_path / "fsdp", [
        "trainer=fsdp_cpu", "+callbacks.probe._target_=fsdp_probe.ShardProbe", f"+callbacks.probe.out={tmp_path}",
    ])  # fmt: skip

    (local0, full), (local1, _) = (
        [int(x) for x in (tmp_path / f"shard{r}.txt").read_text().split()] for r in (0, 1)
    )
    assert local0 + local1 == full and max(local0, local1) < full  # each rank held a slice, not a replica

    base = load_file(tiny_model_dir / "model.safetensors")
    for export in ("step_1", "step_2", "final"):  # the step exports gather mid-training too
        want, got = (
            load_file(single / export / "model.safetensors"),
            load_file(fsdp / export / "model.safetensors"),
        )
        assert want.keys() == got.keys() == base.keys()
        for key, value in want.items():
            assert got[key].shape == value.shape == base[key].shape, key
            torch.testing.assert_close(got[key], value, atol=ATOL, rtol=0, msg=key)
    moved = max((want[k] - base[k]).abs().max().item() for k in base)
    assert moved > 50 * ATOL  # the runs trained: equality is not just two copies of the base model

    loaded = AutoModelForCausalLM.from_pretrained(fsdp / "final")
    reference = AutoModelForCausalLM.from_pretrained(single / "final")
    assert all(p.numel() > 0 for p in loaded.parameters())
    for (name, p), (_, q) in zip(loaded.named_parameters(), reference.named_parameters(), strict=True):
        assert p.shape == q.shape, name
        torch.testing.assert_close(p, q, atol=ATOL, rtol=0, msg=name)
