"""Per-token quantities from logits, and the masked reductions every loss here uses.

Implements the two per-token quantities GRPO and distillation need from a causal LM's logits:
`log pi(o_t | q, o_<t)` at the sampled token (the `pi_theta` terms of DeepSeekMath eq. 3) and the
Shannon entropy `H(pi(. | q, o_<t))` (for an optional entropy bonus and for logging).

Memory: logits are `[B, L, V]` with V ~ 150k for Qwen-sized vocabularies, so a full `log_softmax`
doubles peak memory. Both functions work one batch row (or one chunk of rows) at a time, so the extra
memory is one `[L, V]` slice, not a second `[B, L, V]` tensor. `chunked_logprobs_and_entropy` goes
further: it takes the final hidden states and the LM head, and never holds more than one chunk of
logits, forward or backward (each chunk is recomputed in backward under `torch.utils.checkpoint`).

Deliberate differences from a naive `log_softmax(logits / T).gather(...)`:
- Half-precision logits (bf16 / fp16) are up-cast to float32 row by row; outputs are float32.
  `logsumexp` in bf16 loses several bits, which shows up as spurious importance ratios != 1.
- Temperature is applied row by row, never materialising `logits / T` for the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

__all__ = [
    "chunked_logprobs_and_entropy",
    "entropy_from_logits",
    "logprobs_and_entropy",
    "masked_mean",
    "masked_sum",
    "selective_log_softmax",
]


def _row_log_softmax(row: Tensor, temperature: float) -> Tensor:
    """log_softmax over the last dim of one slice, in float32 or better.  # [..., V] -> [..., V]"""
    if row.dtype not in (torch.float32, torch.float64):
        row = row.float()
    if temperature != 1.0:
        row = row / temperature
    return F.log_softmax(row, dim=-1)


def _check_temperature(temperature: float) -> None:
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")


def selective_log_softmax(logits: Tensor, index: Tensor, temperature: float = 1.0) -> Tensor:
    """Log-probability of the token `index` under `softmax(logits / temperature)`.

    Equivalent to `log_softmax(logits / T, -1).gather(-1, index[..., None])[..., 0]` but never holds a
    second batch-sized `[..., V]` tensor.

    Args:
        logits: `[B, L, V]` (any leading shape `[..., V]`).
        index: `[B, L]` token ids (the leading shape of `logits`).
        temperature: sampling temperature the tokens were drawn at (> 0).

    Returns:
        `[B, L]` float32 (float64 for float64 logits) log-probabilities; differentiable w.r.t. `logits`.
    """
    _check_temperature(temperature)
    if logits.shape[:-1] != index.shape:
        raise ValueError(
            f"index shape {tuple(index.shape)} != logits leading shape {tuple(logits.shape[:-1])}"
        )
    if logits.dim() == 1:  # a single distribution: no row to loop over
        return _row_log_softmax(logits, temperature).gather(-1, index[None])[0]
    rows = []
    for row_logits, row_index in zip(logits, index, strict=True):  # [L, V], [L]: one row at a time
        row_logps = _row_log_softmax(row_logits, temperature)  # [L, V]
        rows.append(row_logps.gather(-1, row_index.unsqueeze(-1)).squeeze(-1))  # [L]
    return torch.stack(rows)  # [B, L]


def entropy_from_logits(logits: Tensor, temperature: float = 1.0, chunk_size: int = 128) -> Tensor:
    """Shannon entropy (nats) of `softmax(logits / temperature)` over the last dim.

    Args:
        logits: `[..., V]`.
        temperature: > 0.
        chunk_size: rows of the flattened `[N, V]` logits handled at once (peak memory knob).

    Returns:
        `logits.shape[:-1]` float32 entropies in `[0, log V]`; differentiable w.r.t. `logits`.
    """
    _check_temperature(temperature)
    flat = logits.reshape(-1, logits.shape[-1])  # [N, V]
    parts = []
    for chunk in flat.split(chunk_size, dim=0):  # [<=chunk, V]
        logps = _row_log_softmax(chunk, temperature)  # [<=chunk, V]
        parts.append(-(logps.exp() * logps).sum(-1))  # [<=chunk]
    if not parts:  # zero rows
        return flat.new_zeros(logits.shape[:-1], dtype=torch.float32)
    return torch.cat(parts).reshape(logits.shape[:-1])  # [...]


def logprobs_and_entropy(
    logits: Tensor, index: Tensor, temperature: float = 1.0, entropy_grad: bool = False
) -> tuple[Tensor, Tensor]:
    """Token log-probabilities and entropies in one pass over the logits (one softmax per row).

    Args:
        logits: `[B, L, V]`.
        index: `[B, L]` token ids.
        temperature: > 0.
        entropy_grad: let gradients flow through the entropy (needed only for an entropy bonus).

    Returns:
        `(logps [B, L], entropy [B, L])`, both float32.
    """
    _check_temperature(temperature)
    if logits.dim() != 3 or logits.shape[:-1] != index.shape:
        raise ValueError(
            f"expected logits [B, L, V] and index [B, L], got {tuple(logits.shape)}, {tuple(index.shape)}"
        )
    logp_rows, ent_rows = [], []
    for row_logits, row_index in zip(logits, index, strict=True):  # [L, V], [L]
        row_logps = _row_log_softmax(row_logits, temperature)  # [L, V]
        logp_rows.append(row_logps.gather(-1, row_index.unsqueeze(-1)).squeeze(-1))  # [L]
        src = row_logps if entropy_grad else row_logps.detach()
        ent_rows.append(-(src.exp() * src).sum(-1))  # [L]
    return torch.stack(logp_rows), torch.stack(ent_rows)  # [B, L], [B, L]


def chunked_logprobs_and_entropy(
    hidden: Tensor,
    head: Callable[[Tensor], Tensor],
    index: Tensor,
    temperature: float = 1.0,
    chunk_size: int = 256,
    with_entropy: bool = False,
    entropy_grad: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """`logprobs_and_entropy(head(hidden), index)` without ever materialising `[B, L, V]` logits.

    The `B * L` positions are scored `chunk_size` at a time; with grad enabled each chunk's
    `head` + log-softmax runs under `torch.utils.checkpoint`, so backward recomputes the chunk's logits
    instead of keeping them: peak extra memory is a few `[chunk_size, V]` tensors, not `[B, L, V]` ones.

    Args:
        hidden: `[B, L, E]` final hidden states (after the model's final norm).
        head: `[N, E] -> [N, V]` logits, e.g. `model.lm_head` (plus any logit softcap or scale the model
            applies after it: the caller knows its model).
        index: `[B, L]` token ids to score.
        temperature: > 0.
        chunk_size: positions per chunk (the peak-memory knob).
        with_entropy: also return per-token entropies.
        entropy_grad: let gradients flow through the entropy (implies `with_entropy`).

    Returns:
        `(logps [B, L], entropy [B, L] or None)`, float32.
    """
    _check_temperature(temperature)
    if hidden.dim() != 3 or hidden.shape[:-1] != index.shape or chunk_size < 1:
        raise ValueError(
            f"expected hidden [B, L, E], index [B, L], chunk_size >= 1; got "
            f"{tuple(hidden.shape)}, {tuple(index.shape)}, {chunk_size}"
        )
    want_entropy = with_entropy or entropy_grad

    def score(h: Tensor, idx: Tensor) -> tuple[Tensor, Tensor]:  # [C, E], [C] -> [C], [C]
        logps = _row_log_softmax(head(h), temperature)  # [C, V]
        lp = logps.gather(-1, idx[:, None])[:, 0]
        if not want_entropy:
            return lp, lp.new_zeros(())
        src = logps if entropy_grad else logps.detach()
        return lp, -(src.exp() * src).sum(-1)

    checkpointed = torch.is_grad_enabled() and hidden.requires_grad
    flat_h, flat_i = hidden.reshape(-1, hidden.shape[-1]), index.reshape(-1)  # [N, E], [N]
    lps, ents = [], []
    for h, idx in zip(flat_h.split(chunk_size), flat_i.split(chunk_size), strict=True):
        if checkpointed:
            lp, ent = checkpoint(score, h, idx, use_reentrant=False)  # recomputed in backward
        else:
            lp, ent = score(h, idx)
        lps.append(lp)
        ents.append(ent)
    if not lps:  # zero positions
        empty = hidden.new_zeros(index.shape, dtype=torch.float32)
        return empty, (empty if want_entropy else None)
    logps = torch.cat(lps).reshape(index.shape)  # [B, L]
    return logps, (torch.cat(ents).reshape(index.shape) if want_entropy else None)


def masked_sum(x: Tensor, mask: Tensor, dim: int | None = None) -> Tensor:
    """Sum of `x` where `mask` is true; masked entries never leak NaN/inf.  # [N, L] -> [] or reduced dim"""
    x = torch.where(mask.bool(), x, torch.zeros_like(x))
    return x.sum() if dim is None else x.sum(dim)


def masked_mean(x: Tensor, mask: Tensor, dim: int | None = None) -> Tensor:
    """Mean of `x` over entries where `mask` is true; 0 (not NaN) where nothing is unmasked.

    Args:
        x: `[N, L]` (any shape broadcastable with `mask`).
        mask: same shape as `x`, bool or {0, 1}.
        dim: reduce this dim only; `None` reduces everything.

    Returns:
        scalar, or `x` with `dim` reduced.
    """
    x, mask = torch.broadcast_tensors(x, mask)
    count = mask.to(x.dtype if x.is_floating_point() else torch.float32)
    count = count.sum() if dim is None else count.sum(dim)
    return masked_sum(x, mask, dim) / count.clamp(min=1.0)
