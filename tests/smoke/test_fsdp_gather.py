"""The FSDP gather behind HFExport, outside Lightning: a LoRA policy sharded over 2 CPU processes (gloo,
torchrun) exports, adapters merged, exactly what the unsharded policy exports (tests/smoke/fsdp_gather_worker.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

pytest.importorskip("peft")

WORKER = Path(__file__).with_name("fsdp_gather_worker.py")


def test_sharded_lora_policy_exports_like_the_unsharded_one(tiny_model_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(WORKER), str(tiny_model_dir), str(tmp_path)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]

    (local0, full), (local1, _) = (
        [int(x) for x in (tmp_path / f"local{r}.txt").read_text().split()] for r in (0, 1)
    )
    assert local0 + local1 == full and max(local0, local1) < full  # each rank held a slice

    want, got = (
        load_file(tmp_path / "single" / "model.safetensors"),
        load_file(tmp_path / "fsdp" / "model.safetensors"),
    )
    assert (
        got.keys() == want.keys() == load_file(tiny_model_dir / "model.safetensors").keys()
    )  # no lora_ keys
    for key, value in want.items():  # the same tensors, merged by the same formula: bit-identical
        torch.testing.assert_close(got[key], value, atol=0, rtol=0, msg=key)
    assert not (tmp_path / "fsdp" / "adapter_config.json").exists()
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "fsdp")
    assert all(p.numel() > 0 for p in loaded.parameters())
