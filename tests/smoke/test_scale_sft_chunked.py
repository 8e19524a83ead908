"""SFT with `logprob_chunk_size`: only labelled positions reach the LM head, a chunk at a time.

The loss and every gradient equal the model's own cross-entropy on full logits, on a left-padded batch
with prompt tokens masked (-100) and on a packed batch (position_ids restart, no attention mask).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from r1lit.modules.rollout_batch import chunkable_head
from r1lit.modules.sft import SFTModule


def _module(model_dir: Path, chunk: int | None) -> SFTModule:
    module = SFTModule(
        model_name_or_path=str(model_dir), revision=None, dtype="float32", learning_rate=1e-3, weight_decay=0.0,
        betas=[0.9, 0.95], warmup_steps=0, lr_schedule="constant", gradient_checkpointing=False,
        lora=None, logprob_chunk_size=chunk,
    )  # fmt: skip
    module.configure_model()
    assert chunkable_head(module.policy) is not None  # the chunked path is the one under test
    return module


def _batches() -> dict[str, dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 60, (3, 10), generator=g)
    mask = torch.ones_like(ids)
    mask[0, :3] = 0  # left padding
    labels = ids.clone()
    labels[:, :4] = -100  # the prompt
    labels[mask == 0] = -100
    packed_ids = torch.randint(5, 60, (1, 12), generator=g)
    packed_labels = packed_ids.clone()
    packed_labels[0, [0, 1, 6, 7]] = -100  # two sequences' prompts
    positions = torch.tensor([[0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]])
    return {
        "padded": {"input_ids": ids, "attention_mask": mask, "labels": labels},
        "packed": {"input_ids": packed_ids, "position_ids": positions, "labels": packed_labels},
    }


@pytest.mark.parametrize("kind", ["padded", "packed"])
def test_chunked_sft_loss_and_grads_equal_full_logits(tiny_model_dir: Path, kind: str) -> None:
    batch = _batches()[kind]
    results = []
    for chunk in (None, 3):
        module = _module(tiny_model_dir, chunk)
        loss = module(batch)
        loss.backward()
        results.append((loss.detach(), {n: p.grad.clone() for n, p in module.policy.named_parameters()}))
    (ref_loss, ref_grads), (loss, grads) = results
    torch.testing.assert_close(loss, ref_loss, atol=1e-5, rtol=1e-5)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, ref_grads[name], atol=1e-5, rtol=1e-4, msg=name)
