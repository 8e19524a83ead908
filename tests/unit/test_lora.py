"""LoRA via peft: only adapters train, the base is the model with adapters off, exports merge the adapters.

A random 2-layer Qwen2 (attention with biases, tied embeddings) with adapters made non-zero, so that
"adapters on" and "adapters off" compute different distributions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest.importorskip("peft")

from transformers import AutoModelForCausalLM  # noqa: E402

from r1lit.lora import adapters_disabled, apply_lora, is_lora, merged_state_dict, save_pretrained_merged  # noqa: E402
from r1lit.rollout.testing import tiny_qwen2  # noqa: E402

IDS = torch.tensor([[5, 9, 2, 7, 11, 4]])


def _lora_model(seed: int = 0) -> tuple[torch.nn.Module, torch.Tensor]:
    base = tiny_qwen2(vocab_size=40, seed=seed, hidden=32)
    with torch.no_grad():
        base_logits = base(input_ids=IDS).logits.clone()
    model = apply_lora(base, r=4, alpha=8.0, dropout=0.0, target_modules="all-linear")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # peft starts B at 0 (a no-op adapter): make it matter
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    return model.eval(), base_logits


def test_r0_is_the_model_itself_and_lora_trains_only_adapters() -> None:
    base = tiny_qwen2(vocab_size=40, hidden=32)
    assert apply_lora(base, r=0, alpha=8.0, dropout=0.0, target_modules="all-linear") is base
    model, _ = _lora_model()
    assert is_lora(model)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert not any("lm_head" in n for n in trainable)


def test_adapters_disabled_is_the_untouched_base() -> None:
    model, base_logits = _lora_model()
    with torch.no_grad():
        with adapters_disabled(model):
            off = model(input_ids=IDS).logits
        on = model(input_ids=IDS).logits
    torch.testing.assert_close(off, base_logits, atol=1e-6, rtol=0)
    assert (on - base_logits).abs().max() > 1e-2  # the adapters do change the policy


def test_merged_export_loads_without_peft_and_equals_the_adapted_model(tmp_path: Path) -> None:
    model, base_logits = _lora_model()
    with torch.no_grad():
        on = model(input_ids=IDS).logits
    keys = merged_state_dict(model).keys()
    assert not any("lora_" in k or "base_layer" in k for k in keys)
    save_pretrained_merged(model, tmp_path)
    exported = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    assert not is_lora(exported)
    with torch.no_grad():
        torch.testing.assert_close(exported(input_ids=IDS).logits, on, atol=1e-5, rtol=1e-5)
        with adapters_disabled(model):  # exporting never merged the live model
            torch.testing.assert_close(model(input_ids=IDS).logits, base_logits, atol=1e-6, rtol=0)
