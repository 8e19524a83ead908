"""GRPO's training forward with `chunk_size`: the LM head scores a few positions at a time, never `[N, L, V]`.

On architecture twins (random weights, real module classes): chunked log-probs, entropies and parameter
gradients equal the full-logits path, with the shared prompt prefix and without. Gemma2 applies a final
logit softcap after its lm_head, so it must fall back to full logits (and still score correctly).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from r1lit.models import disable_dropout, load_causal_lm
from r1lit.modules.rollout_batch import chunkable_head, completion_logprobs, pack_completions
from r1lit.rollout.base import Completion
from r1lit.tiny.twins import TWIN_PREFIX, ensure_twin_model

CHUNK = 3


@pytest.fixture(scope="module")
def twin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("r1lit-scale-twins")


def _groups(vocab: int) -> list[list[Completion]]:
    g = torch.Generator().manual_seed(3)
    out = []
    for prompt_len in (4, 7):
        prompt = torch.randint(5, vocab, (prompt_len,), generator=g).tolist()
        out.append([
            Completion("", torch.randint(5, vocab, (n,), generator=g).tolist(), [], "stop", prompt) for n in (2, 9)
        ])  # fmt: skip
    return out


def _scores_and_grads(model, packed, share_prefix: bool, chunk_size: int | None):
    model.zero_grad()
    logps, entropy = completion_logprobs(
        model,
        packed,
        0.7,
        share_prefix,
        with_entropy=True,
        entropy_grad=True,
        n_buckets=2,
        chunk_size=chunk_size,
    )
    mask = packed.completion_mask.bool()
    (logps[mask].sum() + 0.1 * entropy[mask].sum()).backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return logps.detach() * mask, entropy.detach() * mask, grads


@pytest.mark.parametrize("family", ["qwen2.5", "gpt2", "gemma2"])
@pytest.mark.parametrize("share_prefix", [True, False])
def test_chunked_scores_equal_full_logits(twin_cache: Path, family: str, share_prefix: bool) -> None:
    model = load_causal_lm(str(ensure_twin_model(TWIN_PREFIX + family, cache_dir=twin_cache)))
    disable_dropout(model)  # as GRPO does: train mode, deterministic forward
    model.train()
    packed = pack_completions(_groups(model.config.vocab_size), pad_id=0)
    head = chunkable_head(model)
    assert (head is None) == (family == "gemma2")  # softcapped logits are not lm_head(hidden)
    rows_seen: list[int] = []
    if head is not None:  # record how many positions reach the LM head per call
        head.register_forward_hook(lambda _m, args, _out: rows_seen.append(args[0].shape[:-1].numel()))

    lp_ref, ent_ref, grads_ref = _scores_and_grads(model, packed, share_prefix, None)
    rows_seen.clear()
    lp, ent, grads = _scores_and_grads(model, packed, share_prefix, CHUNK)
    torch.testing.assert_close(lp, lp_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ent, ent_ref, atol=1e-5, rtol=1e-5)
    assert grads.keys() == grads_ref.keys()
    for name, grad in grads.items():
        torch.testing.assert_close(grad, grads_ref[name], atol=1e-5, rtol=1e-4, msg=name)
    if head is not None:
        # the one [B, 1, V] prompt-pass position aside, the head never sees more than CHUNK positions
        assert rows_seen and max(n for n in rows_seen if n != packed.n_groups) <= CHUNK
