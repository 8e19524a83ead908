"""The architecture registry (r1lit/tiny/architectures.yaml) and the fused decoder's allow-list, without building.

Twins may only shrink a checkpoint (sizes, layer count, windows): every feature flag of the real
config.json is kept. Shapes keep everything, vocabulary included. The fused `LlamaDecoder` is used
only for the exact classes and features it reimplements; anything else falls back.
"""

from __future__ import annotations

import pytest
import torch

from r1lit.models import is_twin, resolve_model_path
from r1lit.rollout.decoders import HFCacheDecoder, LlamaDecoder, make_decoder, unsupported_features
from r1lit.rollout.testing import tiny_qwen2
from r1lit.tiny.twins import (
    SHAPE_PREFIX,
    TWIN_PREFIX,
    architectures,
    config_dict,
    model_dir,
    registered_names,
)

# What a twin may change: sizes, and windows shrunk so short test sequences cross them.
SIZE_KEYS = {
    "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "head_dim", "max_window_layers", "sliding_window", "query_pre_attn_scalar", "n_embd", "n_layer", "n_head",
}  # fmt: skip
# Switches a twin may turn on (never off): the mlp_bias twin exists to exercise them.
EXTRA_FLAGS = {"mlp_bias", "attention_bias"}


@pytest.mark.parametrize("twin", sorted(architectures()["twins"]))
def test_twins_keep_every_feature_flag(twin: str) -> None:
    entry = architectures()["twins"][twin]
    real = architectures()["checkpoints"][entry["checkpoint"]]["config"]
    changed = set(entry["overrides"])
    assert changed <= SIZE_KEYS | EXTRA_FLAGS, changed - SIZE_KEYS - EXTRA_FLAGS
    assert all(entry["overrides"][k] is True for k in changed & EXTRA_FLAGS)
    fields = config_dict(TWIN_PREFIX + twin, vocab_size=446, eos_id=5, pad_id=0)
    assert fields["vocab_size"] == 446 and fields["eos_token_id"] == 5
    kept = {k: v for k, v in real.items() if k not in changed and k != "vocab_size"}
    assert {k: fields[k] for k in kept} == kept
    if real.get("sliding_window") and "sliding_window" in changed:  # shrunk, never removed
        assert 0 < fields["sliding_window"] < real["sliding_window"]


def test_shapes_keep_the_real_config_and_names_resolve_by_prefix() -> None:
    fields = config_dict(SHAPE_PREFIX + "qwen2.5-0.5b", vocab_size=446, eos_id=5, pad_id=0)
    assert (fields["hidden_size"], fields["num_hidden_layers"], fields["vocab_size"]) == (896, 24, 151936)
    assert fields["tie_word_embeddings"] is True
    assert all(is_twin(n) for n in registered_names()) and not is_twin("Qwen/Qwen2.5-0.5B")
    with pytest.raises(ValueError, match="registered"):
        resolve_model_path(TWIN_PREFIX + "no-such-family")


def test_cache_folder_changes_with_the_architecture(tmp_path, monkeypatch) -> None:
    before = model_dir(TWIN_PREFIX + "qwen3", tmp_path)
    assert before.parent == tmp_path and "/" not in before.name
    entry = architectures()["twins"]["qwen3"]
    monkeypatch.setitem(entry, "overrides", {**entry["overrides"], "head_dim": 16})
    assert model_dir(TWIN_PREFIX + "qwen3", tmp_path) != before


def test_fast_decoder_falls_back_for_anything_it_does_not_reimplement() -> None:
    model = tiny_qwen2(40)
    assert unsupported_features(model) == [] and isinstance(make_decoder(model), LlamaDecoder)
    # A subclass may change the math inside forward (LlamaDecoder never calls it): fall back.
    attn = model.model.layers[1].self_attn
    attn.__class__ = type("SoftcappedQwen2Attention", (type(attn),), {})
    assert any("SoftcappedQwen2Attention" in p for p in unsupported_features(model))
    assert isinstance(make_decoder(model), HFCacheDecoder)
    with pytest.raises(ValueError, match="cannot decode this model exactly"):
        make_decoder(model, "llama")
    windowed = tiny_qwen2(40, use_sliding_window=True, sliding_window=4, max_window_layers=0)
    assert isinstance(make_decoder(windowed), HFCacheDecoder)
    capped = tiny_qwen2(40)
    capped.config.final_logit_softcapping = 30.0
    assert isinstance(make_decoder(capped), HFCacheDecoder)
    scaled = tiny_qwen2(40)  # e.g. remote code scaling the logits in its own forward
    scaled.__class__ = type("ScaledLogitsQwen2", (type(scaled),), {})
    assert isinstance(make_decoder(scaled), HFCacheDecoder)


def test_fused_weights_carry_mlp_biases() -> None:
    """The fused [gate; up] matmul includes the biases: one decode step equals the model's forward."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=40, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=2, mlp_bias=True)  # fmt: skip
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.normal_()
        decoder = LlamaDecoder(model)
        assert decoder.fused is not None and decoder.fused[0][3] is not None
        ids = torch.tensor([[3, 7, 9]])
        decoder.prefill(ids[:, :2], torch.ones(1, 2, dtype=torch.long), 4)
        torch.testing.assert_close(decoder.step(ids[:, 2]), model(ids).logits[:, -1], atol=1e-5, rtol=0)
