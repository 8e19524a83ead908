"""Sampled completions as tensors, and the policy / reference forward that scores them.

GRPO's expensive part after sampling is one forward pass of the policy (with grad) and one of the
reference (without) over every `[prompt + completion]`. Three things keep it lean:

- **The prompt prefix is shared across its group.** With `share_prefix=True` the B prompts run once
  (`use_cache=True`), each completion row gathers its prompt's KV cache and attends to it: the
  prompt tokens cost B, not B*G, sequence positions, forward and backward (gradients flow back through
  the gathered cache into the single prompt pass). Mathematically the same as scoring each
  `[prompt + completion]` row on its own; numerically equal up to float rounding.
- **Little padding.** Each micro-batch is trimmed to its longest real prompt, and its completions are
  scored in `length_buckets` batches of similar length, each trimmed to its own longest completion: with
  lengths from 5 to 64 tokens, one padded batch would spend most of its matmuls on padding. (The prompt
  pass still runs once; each bucket gathers its rows' prompt K/V from it.)
- **Selective log-softmax.** Only the sampled token's log-prob is taken (`r1lit.algos.logprobs`), one
  row at a time, so no second `[N, L, V]` tensor is ever built.

`share_prefix=False` scores full rows with one `model.forward` (needed with gradient checkpointing,
which disables the KV cache in HF models); `logits_to_keep` still skips the lm_head on prompt positions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

from r1lit.algos import logprobs_and_entropy, selective_log_softmax
from r1lit.models import cache_keyword, returned_cache
from r1lit.rollout.base import Completion

if TYPE_CHECKING:
    from transformers.cache_utils import Cache


@dataclass
class PackedRollout:
    """A rollout batch as padded tensors. B prompts, G samples each, N = B*G completion rows (group-major)."""

    prompt_ids: Tensor  # [B, Lp] left-padded
    prompt_mask: Tensor  # [B, Lp] 1 on real tokens
    completion_ids: Tensor  # [N, Lc] right-padded
    completion_mask: Tensor  # [N, Lc] 1 on sampled tokens
    group_size: int

    @property
    def n_groups(self) -> int:
        return self.prompt_ids.shape[0]

    def to(self, device: torch.device | str) -> PackedRollout:
        return PackedRollout(
            self.prompt_ids.to(device), self.prompt_mask.to(device),
            self.completion_ids.to(device), self.completion_mask.to(device), self.group_size,
        )  # fmt: skip

    def groups(self, start: int, stop: int) -> PackedRollout:
        """Groups [start, stop), trimmed to their longest prompt and longest completion."""
        g = self.group_size
        p_ids, p_mask = self.prompt_ids[start:stop], self.prompt_mask[start:stop]  # [b, Lp]
        c_ids, c_mask = self.completion_ids[start * g : stop * g], self.completion_mask[start * g : stop * g]
        lp = int(p_mask.sum(1).max())
        lc = max(int(c_mask.sum(1).max()), 1)
        return PackedRollout(p_ids[:, -lp:], p_mask[:, -lp:], c_ids[:, :lc], c_mask[:, :lc], g)


def pack_completions(groups: Sequence[Sequence[Completion]], pad_id: int) -> PackedRollout:
    """Left-pad each group's prompt ids and right-pad every completion's ids.

    Args:
        groups: B lists of G completions; each carries `prompt_token_ids` and `token_ids`.
        pad_id: padding token id (never attended to).

    Returns:
        A `PackedRollout` on CPU.
    """
    sizes = {len(group) for group in groups}
    if len(sizes) != 1:
        raise ValueError(f"every prompt needs the same number of completions, got sizes {sorted(sizes)}")
    prompts = [list(group[0].prompt_token_ids) for group in groups]
    if any(not p for p in prompts):
        raise ValueError("completions carry no prompt_token_ids; the generator must fill them")
    flat = [c for group in groups for c in group]
    lp, lc = max(map(len, prompts)), max(max(len(c.token_ids) for c in flat), 1)
    prompt_ids = torch.full((len(prompts), lp), pad_id, dtype=torch.long)
    prompt_mask = torch.zeros((len(prompts), lp), dtype=torch.long)
    for i, ids in enumerate(prompts):
        prompt_ids[i, lp - len(ids) :] = torch.tensor(ids)
        prompt_mask[i, lp - len(ids) :] = 1
    completion_ids = torch.full((len(flat), lc), pad_id, dtype=torch.long)
    completion_mask = torch.zeros((len(flat), lc), dtype=torch.long)
    for i, c in enumerate(flat):
        completion_ids[i, : len(c.token_ids)] = torch.tensor(c.token_ids, dtype=torch.long)
        completion_mask[i, : len(c.token_ids)] = 1
    return PackedRollout(prompt_ids, prompt_mask, completion_ids, completion_mask, sizes.pop())


def micro_batches(n_groups: int, groups_per_micro_batch: int | None) -> Iterator[tuple[int, int]]:
    """[start, stop) group ranges covering all groups; None means one micro-batch."""
    step = groups_per_micro_batch if groups_per_micro_batch else n_groups
    for start in range(0, n_groups, step):
        yield start, min(start + step, n_groups)


def _scores(
    logits: Tensor, targets: Tensor, temperature: float, with_entropy: bool, entropy_grad: bool
) -> tuple[Tensor, Tensor | None]:
    if with_entropy or entropy_grad:
        return logprobs_and_entropy(logits, targets, temperature, entropy_grad=entropy_grad)
    return selective_log_softmax(logits, targets, temperature), None


def _select_cache(cache: Cache, rows: Tensor) -> Cache:
    """A new cache holding rows `rows` of `cache` (differentiable gather; `cache` itself is unchanged)."""
    sub = copy.copy(cache)
    sub.layers = [copy.copy(layer) for layer in cache.layers]
    sub.batch_select_indices(rows)
    return sub


def length_buckets(lengths: Tensor, n_buckets: int) -> list[Tensor]:
    """Row indices split into at most `n_buckets` runs of similar length, longest rows first.  # [n_b] each"""
    order = torch.argsort(lengths, descending=True, stable=True)
    return [rows for rows in order.tensor_split(max(1, min(n_buckets, len(order)))) if rows.numel()]


def _shared_prefix_scores(
    model: torch.nn.Module,
    rb: PackedRollout,
    score: Callable[[Tensor, Tensor], tuple[Tensor, Tensor | None]],
    n_buckets: int,
) -> tuple[Tensor, Tensor | None]:
    """Prompt pass once per group; each length bucket of completions attends to its rows' prompt K/V.

    Returns:
        `score` of every completion token, `(logps [N, Lc], entropy [N, Lc] or None)`, zeros on padding.
    """
    g, (n, lc) = rb.group_size, rb.completion_ids.shape
    p_pos = (rb.prompt_mask.cumsum(-1) - 1).clamp(min=0)  # [B, Lp]
    out = model(
        input_ids=rb.prompt_ids, attention_mask=rb.prompt_mask, position_ids=p_pos, use_cache=True,
        logits_to_keep=1,
    )  # fmt: skip
    group_of = torch.arange(n, device=rb.completion_ids.device) // g  # [N] prompt row of each completion
    cache_kw = cache_keyword(model)
    first = score(out.logits[:, -1:][group_of], rb.completion_ids[:, :1])  # predicts completion token 0
    parts: list[tuple[Tensor, Tensor, Tensor | None]] = []  # (rows, logps [n_b, Lc-1], entropy)
    for rows in length_buckets(rb.completion_mask.sum(1), n_buckets) if lc > 1 else []:
        width = max(int(rb.completion_mask[rows].sum(1).max()), 2)  # this bucket's longest completion
        prompts = group_of[rows]
        mask = torch.cat([rb.prompt_mask[prompts], rb.completion_mask[rows, : width - 1]], dim=1)
        pos = rb.prompt_mask[prompts].sum(-1, keepdim=True) + torch.arange(width - 1, device=mask.device)
        logits = model(
            input_ids=rb.completion_ids[rows, : width - 1],
            attention_mask=mask,
            position_ids=pos,
            use_cache=True,
            **{cache_kw: _select_cache(returned_cache(out), prompts)},
        ).logits  # [n_b, width-1, V]: predicts completion tokens 1 .. width-1
        lp, ent = score(logits, rb.completion_ids[rows, 1:width])
        pad = (0, lc - width)
        parts.append((rows, F.pad(lp, pad), None if ent is None else F.pad(ent, pad)))
    if not parts:
        return first
    inverse = torch.argsort(torch.cat([rows for rows, _, _ in parts]))  # back to the original row order
    logps = torch.cat([first[0], torch.cat([lp for _, lp, _ in parts])[inverse]], dim=1)
    if first[1] is None:
        return logps, None
    return logps, torch.cat([first[1], torch.cat([e for _, _, e in parts])[inverse]], dim=1)


def _full_row_logits(model: torch.nn.Module, rb: PackedRollout) -> Tensor:
    """One forward over `[prompt + completion]` per row; logits predicting each completion token.  # [N, Lc, V]"""
    g, lc = rb.group_size, rb.completion_ids.shape[1]
    ids = torch.cat([rb.prompt_ids.repeat_interleave(g, dim=0), rb.completion_ids], dim=1)  # [N, Lp+Lc]
    mask = torch.cat([rb.prompt_mask.repeat_interleave(g, dim=0), rb.completion_mask], dim=1)  # [N, Lp+Lc]
    pos = (mask.cumsum(-1) - 1).clamp(min=0)  # [N, Lp+Lc]
    out = model(
        input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=pos[:, :-1], logits_to_keep=lc
    )
    return out.logits  # [N, Lc, V]


def completion_logprobs(
    model: torch.nn.Module,
    rb: PackedRollout,
    temperature: float = 1.0,
    share_prefix: bool = True,
    with_entropy: bool = False,
    entropy_grad: bool = False,
    n_buckets: int = 1,
) -> tuple[Tensor, Tensor | None]:
    """Log-probs (and optionally entropies) of each sampled completion token under `model`.

    Args:
        model: an HF causal LM (the policy, or the frozen reference).
        rb: the rows to score (usually one micro-batch from `PackedRollout.groups`).
        temperature: the sampling temperature; logits are divided by it, as at sampling time.
        share_prefix: run each prompt once per group (see the module docstring).
        with_entropy: also return per-token entropies (detached: for logging).
        entropy_grad: return entropies with grad (for an entropy bonus); implies `with_entropy`.
        n_buckets: with `share_prefix`, score completions in this many batches of similar length.

    Returns:
        `(logps [N, Lc], entropy [N, Lc] or None)`, float32; padding positions hold garbage (mask them).
    """

    def score(logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor | None]:
        return _scores(logits, targets, temperature, with_entropy, entropy_grad)

    if not share_prefix:
        return score(_full_row_logits(model, rb), rb.completion_ids)
    return _shared_prefix_scores(model, rb, score, n_buckets)
