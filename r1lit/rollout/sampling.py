"""Pure next-token sampling math: temperature, top-k, top-p (nucleus), greedy, seeded draws.

Which distribution the reported logprobs are under (the contract of `Completion.logprobs`):

- sampling (temperature > 0): the *processed* distribution the token was drawn from, i.e.
  `log_softmax(mask_top_k_top_p(logits / T))`; tokens outside the top-k / top-p support get -inf. With
  T = 1, top_k = 0 and top_p = 1 this is exactly `log_softmax(logits)` of the model.
- greedy (temperature == 0): the point mass on the argmax has logprob 0, which says nothing; we report
  the *model's* logprob `log_softmax(logits)` of the chosen token instead.

Order of operations follows HF `generate` and vLLM: temperature, then top-k, then top-p. Top-p keeps the
smallest set of most likely tokens whose mass reaches `top_p` (computed as HF does: drop the least likely
tokens whose total mass is <= 1 - top_p); ties at the top-k threshold are all kept.
"""

from __future__ import annotations

import torch


def process_logits(
    logits: torch.Tensor, temperature: float, top_k: int = 0, top_p: float = 1.0
) -> torch.Tensor:
    """Scaled and truncated logits: `logits / T` with tokens outside the top-k / top-p support at -inf.

    Args:
        logits: [..., V] raw model logits.
        temperature: > 0.
        top_k: keep the `top_k` largest (0 disables).
        top_p: keep the nucleus of mass `top_p` (1.0 disables).

    Returns:
        [..., V] float32 logits; `log_softmax` of them is the sampling distribution.
    """
    if temperature <= 0:
        raise ValueError("process_logits needs temperature > 0 (temperature 0 is greedy decoding)")
    x = logits.float() / temperature  # [..., V]
    if 0 < top_k < x.shape[-1]:
        kth = torch.topk(x, top_k, dim=-1).values[..., -1:]  # [..., 1]
        x = x.masked_fill(x < kth, float("-inf"))
    if top_p < 1.0:
        x = _apply_top_p(x, top_p)
    return x


# Candidate counts tried in turn before a full sort: a confident model's nucleus at top_p ~0.95 fits in
# the first (topk(16) costs a third of topk(64) on CPU), a less confident one's nearly always in the second.
TOP_P_CANDIDATES = (16, 64)


def _ranked(probs: torch.Tensor, top_p: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities in descending order with their token ids, enough of them to cover `top_p` in every row."""
    for k in TOP_P_CANDIDATES:
        if k >= probs.shape[-1]:
            break
        ranked, idx = probs.topk(k, dim=-1)  # [..., k] descending
        if bool((ranked.sum(-1) >= top_p).all()):
            return ranked, idx
    return probs.sort(dim=-1, descending=True)  # [..., V]


def _apply_top_p(x: torch.Tensor, top_p: float) -> torch.Tensor:
    """[..., V] logits -> the same with tokens outside the nucleus at -inf.

    A token stays while the mass of the tokens strictly more likely than it is below `top_p` (the set HF
    keeps: it drops the least likely tokens whose total mass is <= 1 - top_p); the most likely one always
    stays. The ranking comes from a `topk` over a few candidates (TOP_P_CANDIDATES), much cheaper than
    sorting the vocabulary; only when some row's nucleus does not fit in them is the whole vocabulary sorted.
    """
    ranked, idx = _ranked(x.softmax(-1), top_p)
    keep_ranked = (ranked.cumsum(-1) - ranked) < top_p
    keep_ranked[..., 0] = True
    keep = torch.zeros_like(x, dtype=torch.bool).scatter(-1, idx, keep_ranked)
    return x.masked_fill(~keep, float("-inf"))


def sampling_logprobs(
    logits: torch.Tensor, temperature: float, top_k: int = 0, top_p: float = 1.0
) -> torch.Tensor:
    """[..., V] log-probabilities of the distribution tokens are drawn from (see the module docstring)."""
    if temperature == 0:
        return torch.log_softmax(logits.float(), dim=-1)
    return torch.log_softmax(process_logits(logits, temperature, top_k, top_p), dim=-1)


def sample_next(
    logits: torch.Tensor,
    temperature: float,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw one token per row.

    Args:
        logits: [B, V] raw model logits.
        temperature: 0 for greedy (argmax), else the softmax temperature.
        top_k: keep the `top_k` largest (0 disables).
        top_p: nucleus mass (1.0 disables).
        generator: the RNG to draw from (seeded runs pass their own, untouched by global RNG use).

    Returns:
        tokens [B] (long) and their logprobs [B] under `sampling_logprobs`.
    """
    logprobs = sampling_logprobs(logits, temperature, top_k, top_p)  # [B, V]
    if temperature == 0:
        tokens = logprobs.argmax(-1)  # [B]
    else:
        # Inverse CDF: one uniform draw per row (B random numbers, not B x V as a Gumbel/exponential race).
        cdf = logprobs.exp().cumsum(-1)  # [B, V]; flat over truncated (-inf) tokens
        u = (
            torch.rand(cdf.shape[:-1] + (1,), generator=generator, device=cdf.device) * cdf[..., -1:]
        )  # [B, 1]
        # The first index whose cdf exceeds u: never a zero-probability token, since cdf is flat there.
        tokens = torch.searchsorted(cdf, u, right=True)[..., 0].clamp_(max=cdf.shape[-1] - 1)  # [B]
        tokens = _last_positive(tokens, logprobs)
    return tokens, logprobs.gather(-1, tokens[:, None])[:, 0]


def _last_positive(tokens: torch.Tensor, logprobs: torch.Tensor) -> torch.Tensor:
    """Guard for u rounding up to the cdf's top: the clamped last index may be a truncated token; take the
    most likely token instead (probability ~2^-24 per draw, so the distribution is unaffected)."""
    bad = torch.isinf(logprobs.gather(-1, tokens[:, None])[:, 0])  # [B]
    if bool(bad.any()):
        tokens = torch.where(bad, logprobs.argmax(-1), tokens)
    return tokens
