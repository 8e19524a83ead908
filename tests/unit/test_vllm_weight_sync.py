"""What `VLLMGenerator.load_weights` pushes into the engine: HF names, and merged weights for LoRA.

No vLLM here: a fake engine object stands where `vllm.LLM` keeps its model runner and records what it
is given. A plain model of the same architecture loading those weights must compute what the policy does.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch

pytest.importorskip("peft")

from r1lit.lora import apply_lora  # noqa: E402
from r1lit.rollout.testing import tiny_qwen2  # noqa: E402
from r1lit.rollout.vllm import VLLMGenerator  # noqa: E402

IDS = torch.tensor([[5, 9, 2, 7, 11, 4]])


class FakeEngine:
    """The attribute path VLLMGenerator reaches into, recording every pushed (name, tensor)."""

    def __init__(self) -> None:
        self.pushed: dict[str, torch.Tensor] = {}
        self.prefix_cache_resets = 0
        model = SimpleNamespace(
            load_weights=lambda pairs: self.pushed.update({n: t.clone() for n, t in pairs})
        )
        runner = SimpleNamespace(model=model)
        self.llm_engine = SimpleNamespace(
            model_executor=SimpleNamespace(
                driver_worker=SimpleNamespace(worker=SimpleNamespace(model_runner=runner))
            )
        )

    def reset_prefix_cache(self) -> None:
        self.prefix_cache_resets += 1


def pushed_weights(policy: torch.nn.Module) -> tuple[dict[str, torch.Tensor], FakeEngine]:
    generator = VLLMGenerator.__new__(VLLMGenerator)  # no engine start: only the sync path is under test
    generator.llm = FakeEngine()  # type: ignore[assignment]
    generator.load_weights(policy)
    return generator.llm.pushed, generator.llm  # type: ignore[return-value]


def logits_with(weights: dict[str, Any]) -> torch.Tensor:
    plain = tiny_qwen2(
        vocab_size=40, seed=123, hidden=32
    )  # other random weights: everything must come from `weights`
    missing, unexpected = plain.load_state_dict(weights, strict=False)
    assert not unexpected
    assert set(missing) <= {"lm_head.weight"}  # tied to the embedding
    with torch.no_grad():
        return plain.eval()(input_ids=IDS).logits


def test_a_full_policy_pushes_its_parameters_under_hf_names() -> None:
    policy = tiny_qwen2(vocab_size=40, seed=0, hidden=32).eval()
    pushed, engine = pushed_weights(policy)
    assert set(pushed) == {n for n, _ in policy.named_parameters()}
    assert engine.prefix_cache_resets == 1  # cached prompt KV came from the old weights
    with torch.no_grad():
        torch.testing.assert_close(logits_with(pushed), policy(input_ids=IDS).logits)


def test_a_lora_policy_pushes_merged_weights_under_the_base_names() -> None:
    base = tiny_qwen2(vocab_size=40, seed=0, hidden=32)
    base_names = {n for n, _ in base.named_parameters()}
    policy = apply_lora(base, r=4, alpha=8.0, dropout=0.0, target_modules="all-linear")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # peft starts B at 0 (a no-op adapter): make the adapters matter
        for name, p in policy.named_parameters():
            if "lora_B" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    policy.eval()
    pushed, _ = pushed_weights(policy)
    assert set(pushed) <= base_names | {"lm_head.weight"}
    assert base_names - {"lm_head.weight"} <= set(pushed)
    assert not any("lora_" in n or "base_layer" in n for n in pushed)
    with torch.no_grad():
        adapted = policy(input_ids=IDS).logits
    torch.testing.assert_close(logits_with(pushed), adapted, atol=1e-5, rtol=1e-5)
    with torch.no_grad(), policy.disable_adapter():
        assert (policy(input_ids=IDS).logits - adapted).abs().max() > 1e-2  # the adapters changed the model
