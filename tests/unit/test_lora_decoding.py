"""A LoRA policy samples through the fast Llama decoder (adapters applied), not the slow generic fallback.

GRPO with LoRA generates from the peft model. The Llama-family decoder drives the base model's modules,
whose projections are then peft's LoRA layers: same log-probs as the peft model's own full forward,
and never fused (fused weights would be the base weights alone, i.e. the reference policy).
"""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("peft")

from r1lit.lora import apply_lora  # noqa: E402
from r1lit.rollout import SamplingParams  # noqa: E402
from r1lit.rollout.decoders import HFCacheDecoder, LlamaDecoder, make_decoder  # noqa: E402
from r1lit.rollout.hf import HFGenerator  # noqa: E402
from r1lit.rollout.sampling import sampling_logprobs  # noqa: E402
from r1lit.rollout.testing import char_tokenizer, tiny_qwen2  # noqa: E402

PROMPTS = ["2+3=", "A longer prompt, padded less: x="]


def lora_policy(vocab: int) -> torch.nn.Module:
    policy = apply_lora(tiny_qwen2(vocab, seed=0), r=4, alpha=8.0, dropout=0.0, target_modules="all-linear")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # peft starts B at 0 (a no-op adapter): make the adapters matter
        for name, p in policy.named_parameters():
            if "lora_B" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    return policy


def test_a_lora_policy_gets_the_llama_decoder_unfused() -> None:
    tok = char_tokenizer()
    decoder = make_decoder(lora_policy(len(tok)))
    assert isinstance(decoder, LlamaDecoder) and decoder.fused is None
    assert isinstance(make_decoder(lora_policy(len(tok)), kind="hf"), HFCacheDecoder)


def test_lora_samples_carry_the_adapted_policys_logprobs() -> None:
    tok = char_tokenizer()
    policy = lora_policy(len(tok)).eval()
    params = SamplingParams(n=2, max_new_tokens=16, seed=3, temperature=0.7, top_p=0.9)
    for comps in HFGenerator(policy, tok).generate(PROMPTS, params):
        for c in comps:
            ids = torch.tensor([c.prompt_token_ids + c.token_ids])
            with torch.no_grad():
                logits = policy(input_ids=ids).logits[0, len(c.prompt_token_ids) - 1 : -1]  # [C, V]
                with policy.disable_adapter():
                    base_logits = policy(input_ids=ids).logits[0, len(c.prompt_token_ids) - 1 : -1]
            index = torch.tensor(c.token_ids)[:, None]
            adapted = sampling_logprobs(logits, 0.7, 0, 0.9).gather(-1, index)[:, 0]
            base = sampling_logprobs(base_logits, 0.7, 0, 0.9).gather(-1, index)[:, 0]
            torch.testing.assert_close(torch.tensor(c.logprobs), adapted, atol=1e-4, rtol=0)
            assert (torch.tensor(c.logprobs) - base).abs().max() > 1e-3  # not the base policy's numbers
