"""Every architecture twin: rollout log-probs, greedy text and training log-probs equal the model's own forward.

For each twin (2 layers, random weights with randomised norms and biases, loaded from its
save_pretrained folder like a hub checkpoint) and each decoder path the generator can take (fused and
unfused `LlamaDecoder` where the architecture is supported, `HFCacheDecoder` always), over a
left-padded batch with n = 2 samples per prompt: each sampled token's log-prob equals the one from a
single full forward over prompt + completion, within 1e-4; greedy text equals `model.generate`; and
`completion_logprobs` (shared-prefix and full-row scoring) equals the same reference.
"""

from __future__ import annotations

import pytest
import torch

from r1lit.models import load_causal_lm, load_tokenizer
from r1lit.modules.rollout_batch import completion_logprobs, pack_completions
from r1lit.rollout import SamplingParams
from r1lit.rollout import decoders as decoders_module
from r1lit.rollout.decoders import HFCacheDecoder, LlamaDecoder, make_decoder, supports_llama_decoder
from r1lit.rollout.hf import HFGenerator
from r1lit.tiny.twins import architectures

# Different lengths (left padding), and long enough to cross the twins' 8-token sliding windows.
PROMPTS = [
    "What is 12 + 7? Let me think.",
    "3*4=",
    [{"role": "user", "content": "Compute 25 - 9, step by step."}],
]
PARAMS = SamplingParams(n=2, max_new_tokens=12, temperature=1.0, seed=3)
FAST_FAMILY = ("llama", "qwen2", "qwen3")
TWINS = sorted(architectures()["twins"])


@pytest.fixture(scope="module", params=TWINS)
def twin(request, twin_dir):
    """(family, model, tokenizer) of one twin, in eval mode."""
    folder = twin_dir(request.param)
    return request.param, load_causal_lm(str(folder)).eval(), load_tokenizer(str(folder))


def forward_logprobs(model, prompt_ids: list[int], ids: list[int], temperature: float = 1.0) -> torch.Tensor:
    """[C] log-probs of `ids` after `prompt_ids` from one full forward, unpadded."""
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids + ids])).logits[0, len(prompt_ids) - 1 : -1].float()  # [C, V]
    return torch.log_softmax(logits / temperature, -1).gather(-1, torch.tensor(ids)[:, None])[:, 0]


def paths(model) -> list[str]:
    """The decoder paths this model can take: fused / unfused LlamaDecoder when supported, HF always."""
    return ["fused", "unfused", "hf"] if supports_llama_decoder(model) else ["hf"]


def test_fast_path_is_taken_exactly_where_it_is_supported(twin) -> None:
    family, model, _ = twin
    supported = model.config.model_type in FAST_FAMILY
    assert supports_llama_decoder(model) == supported, decoders_module.unsupported_features(model)
    assert isinstance(make_decoder(model), LlamaDecoder if supported else HFCacheDecoder)
    if not supported:
        with pytest.raises(ValueError, match="cannot decode this model exactly"):
            make_decoder(model, "llama")


def test_generator_logprobs_match_full_forward(twin, monkeypatch) -> None:
    family, model, tok = twin
    for path in paths(model):
        monkeypatch.setattr(decoders_module, "FUSE_MAX_BYTES", 0 if path == "unfused" else 256 * 2**20)
        if path != "hf":
            assert (LlamaDecoder(model).fused is None) == (path == "unfused")
        gen = HFGenerator(model, tok, decoder="hf" if path == "hf" else "llama")
        out = gen.generate(PROMPTS, PARAMS)
        assert len({len(g[0].prompt_token_ids) for g in out}) == len(PROMPTS)  # a padded batch
        assert max(len(g[0].prompt_token_ids) for g in out) > 8  # crosses the sliding windows
        for c in (c for group in out for c in group):
            ref = forward_logprobs(model, c.prompt_token_ids, c.token_ids)
            torch.testing.assert_close(
                torch.tensor(c.logprobs), ref, atol=1e-4, rtol=0, msg=f"{family} {path}"
            )


def test_greedy_text_equals_generate(twin) -> None:
    family, model, tok = twin
    for path in paths(model):
        gen = HFGenerator(model, tok, decoder="hf" if path == "hf" else "llama")
        greedy = SamplingParams(temperature=0.0, max_new_tokens=12)
        for c in (group[0] for group in gen.generate(PROMPTS, greedy)):
            ids = torch.tensor([c.prompt_token_ids])
            ref = model.generate(ids, max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
            assert c.token_ids == ref[0, ids.shape[1] :].tolist()[: len(c.token_ids)], f"{family} {path}"
            assert c.text == tok.decode(c.token_ids, skip_special_tokens=True)


@pytest.mark.parametrize("share_prefix", [True, False])
def test_completion_logprobs_match_full_forward(twin, share_prefix: bool) -> None:
    family, model, tok = twin
    groups = HFGenerator(model, tok).generate(PROMPTS, PARAMS)
    packed = pack_completions(groups, tok.pad_token_id)
    with torch.no_grad():
        logps, _ = completion_logprobs(model, packed, 0.7, share_prefix, n_buckets=2)  # [N, Lc]
    for row, c in zip(logps, (c for group in groups for c in group), strict=True):
        ref = forward_logprobs(model, c.prompt_token_ids, c.token_ids, temperature=0.7)
        torch.testing.assert_close(row[: len(ref)], ref, atol=1e-4, rtol=0, msg=f"{family} {share_prefix}")
