"""`HFExport` writes a LoRA policy as a plain HF checkpoint with the adapters merged in."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from transformers import AutoModelForCausalLM

from r1lit.callbacks.hf_export import HFExport
from r1lit.lora import apply_lora
from r1lit.models import load_causal_lm, load_tokenizer

pytest.importorskip("peft")


def test_hf_export_merges_lora_adapters(tiny_model_dir: Path, tmp_path: Path) -> None:
    policy = apply_lora(
        load_causal_lm(str(tiny_model_dir)), r=4, alpha=8.0, dropout=0.0, target_modules="all-linear"
    )
    with torch.no_grad():  # adapters that change the model
        for name, p in policy.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.2)
    module = SimpleNamespace(policy=policy.eval(), tokenizer=load_tokenizer(str(tiny_model_dir)))
    HFExport(str(tmp_path), every_n_train_steps=0).on_train_end(SimpleNamespace(is_global_zero=True), module)
    exported = AutoModelForCausalLM.from_pretrained(tmp_path / "final").eval()
    ids = torch.tensor([[5, 9, 2, 7, 11]])
    with torch.no_grad():
        torch.testing.assert_close(
            exported(input_ids=ids).logits, policy(input_ids=ids).logits, atol=1e-5, rtol=1e-5
        )
    assert not (tmp_path / "final" / "adapter_config.json").exists()
