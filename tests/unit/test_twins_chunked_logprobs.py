"""`chunked_logprobs_and_entropy` equals scoring the full `[B, L, V]` logits: values and gradients."""

from __future__ import annotations

import pytest
import torch

from r1lit.algos.logprobs import chunked_logprobs_and_entropy, logprobs_and_entropy


def _setup(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(3, 7, 16, generator=g, requires_grad=True)  # [B, L, E]
    head = torch.nn.Linear(16, 50, bias=True)  # V = 50
    with torch.no_grad():
        head.weight.copy_(torch.randn(50, 16, generator=g))
    index = torch.randint(0, 50, (3, 7), generator=g)  # [B, L]
    return hidden, head, index


@pytest.mark.parametrize(("chunk_size", "entropy_grad"), [(1, False), (5, True), (21, False), (64, True)])
def test_values_and_gradients_match_the_unchunked_scores(chunk_size: int, entropy_grad: bool) -> None:
    hidden, head, index = _setup()
    ref_lp, ref_ent = logprobs_and_entropy(head(hidden), index, 0.7, entropy_grad=entropy_grad)
    (ref_lp.sum() + (ref_ent.sum() if entropy_grad else 0)).backward()
    ref_grads = [hidden.grad.clone(), head.weight.grad.clone(), head.bias.grad.clone()]
    hidden.grad, head.weight.grad, head.bias.grad = None, None, None

    lp, ent = chunked_logprobs_and_entropy(
        hidden, head, index, 0.7, chunk_size=chunk_size, with_entropy=True, entropy_grad=entropy_grad
    )
    torch.testing.assert_close(lp, ref_lp, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ent, ref_ent, atol=1e-5, rtol=1e-5)
    (lp.sum() + (ent.sum() if entropy_grad else 0)).backward()
    for got, want in zip([hidden.grad, head.weight.grad, head.bias.grad], ref_grads, strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)


def test_no_grad_and_bad_shapes() -> None:
    hidden, head, index = _setup()
    with torch.no_grad():
        lp, ent = chunked_logprobs_and_entropy(hidden, head, index, chunk_size=4)
        ref, _ = logprobs_and_entropy(head(hidden), index)
    assert ent is None and not lp.requires_grad
    torch.testing.assert_close(lp, ref, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="expected hidden"):
        chunked_logprobs_and_entropy(hidden[0], head, index)
