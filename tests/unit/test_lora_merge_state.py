"""`merged_state_dict` from a gathered state dict (what FSDP exports use) equals the merge of the live
model, which calls peft's own `get_delta_weight`: for Llama-style linears and GPT-2's transposed Conv1D."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, GPT2Config, Qwen2Config

from r1lit.lora import apply_lora, merged_state_dict

pytest.importorskip("peft")

CONFIGS = {
    "qwen2": Qwen2Config(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True,
    ),
    "gpt2": GPT2Config(vocab_size=64, n_embd=16, n_layer=2, n_head=2, n_positions=32),  # Conv1D: fan_in_fan_out
}  # fmt: skip


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("family", sorted(CONFIGS))
def test_merge_from_a_state_dict_equals_the_live_merge(family: str, dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    model = apply_lora(
        AutoModelForCausalLM.from_config(CONFIGS[family]).to(dtype),
        r=4, alpha=8.0, dropout=0.0, target_modules="all-linear",
    )  # fmt: skip
    with torch.no_grad():  # peft starts B at zero: adapters that change the weights
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.2)
    live = merged_state_dict(model)
    gathered = {k: v.clone() for k, v in model.state_dict().items()}  # copies, as a gather returns
    from_state = merged_state_dict(model, gathered)
    assert from_state.keys() == live.keys()
    assert not any("lora_" in k or "base_layer" in k for k in from_state)
    for key, value in live.items():
        torch.testing.assert_close(from_state[key], value, atol=0, rtol=0, msg=key)
    base = model.get_base_model()
    first = next(m for m in base.modules() if hasattr(m, "lora_A"))
    name = next(n for n, m in base.named_modules() if m is first)
    assert not torch.equal(live[f"{name}.weight"], first.get_base_layer().weight)  # the merge did something


def test_a_plain_model_returns_the_given_state() -> None:
    model = AutoModelForCausalLM.from_config(CONFIGS["qwen2"])
    state = {k: torch.zeros_like(v) for k, v in model.state_dict().items()}
    assert all(torch.equal(v, state[k]) for k, v in merged_state_dict(model, state).items())
