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
        sorted_x, order = torch.sort(x, dim=-1)  # ascending: [..., V]
        mass_up_to = sorted_x.softmax(-1).cumsum(-1)  # mass of this token and all less likely ones
        drop_sorted = mass_up_to <= 1 - top_p  # the unlikely tail holding at most 1 - top_p
        drop_sorted[..., -1] = False  # always keep the most likely token
        drop = drop_sorted.scatter(-1, order, drop_sorted)  # back to vocabulary order
        x = x.masked_fill(drop, float("-inf"))
    return x


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
        # Exponential race: argmax_i p_i / E_i with E_i ~ Exp(1) draws i with probability p_i (one RNG call).
        race = torch.empty_like(logprobs).exponential_(generator=generator)  # [B, V]
        race.clamp_(min=torch.finfo(race.dtype).tiny)  # a drawn 0 would turn a -inf token into NaN / +inf
        tokens = (logprobs - race.log()).argmax(-1)  # [B]; -inf tokens never win
    return tokens, logprobs.gather(-1, tokens[:, None])[:, 0]
