"""Token-level knowledge-distillation divergences between a student's and a teacher's logits.

DeepSeek-R1 §2.4 distils R1 into small dense models by plain SFT on 800k teacher samples; these are the
logit-level alternatives for the distillation stage, each a per-token divergence between
`p_S = softmax(student_logits / T)` and `p_T = softmax(teacher_logits / T)`, summed over the vocabulary
and averaged over the tokens of `mask`:

- "forward_kl": KL(p_T || p_S) = sum_v p_T (log p_T - log p_S)   (Hinton et al. 2015; mean-seeking)
- "reverse_kl": KL(p_S || p_T)                                    (MiniLLM, Gu et al. 2024; mode-seeking)
- "jsd":        generalized JSD of GKD (Agarwal et al. 2024, eq. 1), with M = beta p_T + (1 - beta) p_S,
                JSD(beta) = beta KL(p_T || M) + (1 - beta) KL(p_S || M)

`kd_loss` mixes the divergence with the student's cross-entropy on the target tokens:
`alpha * kd + (1 - alpha) * ce` (Hinton et al. 2015).

Deliberate differences from the papers (all shared with TRL 1.16's GKDTrainer.generalized_jsd_loss):
- "jsd" at beta = 0 and beta = 1 is forward and reverse KL, not the limits of eq. 1 (which are 0), so
  beta interpolates between the two KLs.
- No T^2 factor on the soft term by default (GKD, TRL); `scale_by_t2=True` gives Hinton's scaling.
- Probability-zero entries (logits of -inf, e.g. a masked vocabulary) contribute 0, never NaN.
- Half-precision logits are up-cast to float32 before the softmax.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from r1lit.algos.logprobs import masked_mean, selective_log_softmax

__all__ = ["KD_DIVERGENCES", "forward_kl", "generalized_jsd", "kd_divergence", "kd_loss", "reverse_kl"]


def _log_probs(logits: Tensor, temperature: float) -> Tensor:
    """float32 log-softmax at a temperature.  # [B, L, V] -> [B, L, V]"""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    return F.log_softmax(logits / temperature, dim=-1)


def _kl(logp_a: Tensor, logp_b: Tensor) -> Tensor:
    """KL(a || b) summed over the last dim, 0 * log 0 = 0.  # [B, L, V], [B, L, V] -> [B, L]"""
    lowest = torch.finfo(logp_a.dtype).min  # clamp -inf so that 0 * (-inf) never appears, even in backward
    logp_a, logp_b = logp_a.clamp(min=lowest), logp_b.clamp(min=lowest)
    return (logp_a.exp() * (logp_a - logp_b)).sum(-1)


def forward_kl(student_logp: Tensor, teacher_logp: Tensor, beta: float = 0.5) -> Tensor:
    """KL(p_T || p_S) per token (beta unused).  # [B, L, V], [B, L, V] -> [B, L]"""
    return _kl(teacher_logp, student_logp)


def reverse_kl(student_logp: Tensor, teacher_logp: Tensor, beta: float = 0.5) -> Tensor:
    """KL(p_S || p_T) per token (beta unused).  # [B, L, V], [B, L, V] -> [B, L]"""
    return _kl(student_logp, teacher_logp)


def generalized_jsd(student_logp: Tensor, teacher_logp: Tensor, beta: float = 0.5) -> Tensor:
    """GKD's generalized JSD per token; beta = 0 / 1 give forward / reverse KL.  # [B, L, V] x2 -> [B, L]"""
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"jsd beta must be in [0, 1], got {beta}")
    if beta == 0.0:
        return forward_kl(student_logp, teacher_logp)
    if beta == 1.0:
        return reverse_kl(student_logp, teacher_logp)
    # log M = logsumexp(log p_T + log beta, log p_S + log(1 - beta))
    mixture = torch.logaddexp(teacher_logp + math.log(beta), student_logp + math.log1p(-beta))  # [B, L, V]
    return beta * _kl(teacher_logp, mixture) + (1.0 - beta) * _kl(student_logp, mixture)  # [B, L]


KD_DIVERGENCES: dict[str, Callable[[Tensor, Tensor, float], Tensor]] = {
    "forward_kl": forward_kl,
    "reverse_kl": reverse_kl,
    "jsd": generalized_jsd,
}


def kd_divergence(
    student_logits: Tensor,
    teacher_logits: Tensor,
    mask: Tensor,
    *,
    divergence: str,
    temperature: float = 1.0,
    beta: float = 0.5,
) -> Tensor:
    """Token-mean divergence between student and teacher over the tokens of `mask`.

    Args:
        student_logits: `[B, L, V]`, already aligned with the positions of `mask` (shifted by the caller).
        teacher_logits: `[B, L, V]`, same vocabulary as the student; no gradient needed.
        mask: `[B, L]` positions that count.
        divergence: a key of `KD_DIVERGENCES`.
        temperature: both distributions are `softmax(logits / temperature)`.
        beta: the JSD interpolation (ignored by the KLs).

    Returns:
        scalar: sum over the vocabulary, mean over masked tokens; 0 when the mask is empty.
    """
    if divergence not in KD_DIVERGENCES:
        raise ValueError(f"unknown divergence {divergence!r}; choose from {sorted(KD_DIVERGENCES)}")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student {tuple(student_logits.shape)} and teacher {tuple(teacher_logits.shape)} differ"
        )
    student_logp = _log_probs(student_logits, temperature)  # [B, L, V]
    teacher_logp = _log_probs(teacher_logits, temperature)  # [B, L, V]
    per_token = KD_DIVERGENCES[divergence](student_logp, teacher_logp, beta)  # [B, L]
    return masked_mean(per_token, mask.bool())


def kd_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    mask: Tensor,
    *,
    divergence: str,
    alpha: float = 1.0,
    labels: Tensor | None = None,
    temperature: float = 1.0,
    beta: float = 0.5,
    scale_by_t2: bool = False,
) -> tuple[Tensor, dict[str, Tensor]]:
    """`alpha * kd + (1 - alpha) * ce`, the student's distillation loss.

    Args:
        student_logits: `[B, L, V]`.
        teacher_logits: `[B, L, V]`.
        mask: `[B, L]` positions that count, for both terms.
        divergence: a key of `KD_DIVERGENCES`.
        alpha: weight of the divergence; 1 means pure distillation (then `labels` may be None).
        labels: `[B, L]` target token ids for the cross-entropy (at temperature 1); ignored off-mask.
        temperature: softmax temperature of the divergence.
        beta: the JSD interpolation.
        scale_by_t2: multiply the divergence by temperature^2 (Hinton et al.).

    Returns:
        `(loss [], {"kd": [], "ce": []})`, metrics detached ("ce" only when computed).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    kd = kd_divergence(
        student_logits, teacher_logits, mask, divergence=divergence, temperature=temperature, beta=beta
    )
    if scale_by_t2:
        kd = kd * temperature**2
    metrics = {"kd": kd.detach()}
    if alpha == 1.0:
        return kd, metrics
    if labels is None:
        raise ValueError("alpha < 1 mixes in cross-entropy and needs labels")
    mask = mask.bool()
    targets = torch.where(mask, labels, torch.zeros_like(labels))  # [B, L], -100 etc. off-mask -> 0
    ce = masked_mean(-selective_log_softmax(student_logits, targets), mask)  # []
    metrics["ce"] = ce.detach()
    return alpha * kd + (1.0 - alpha) * ce, metrics
