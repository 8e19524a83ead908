"""Sampled completions as tensors, and the policy / reference forward that scores them.

GRPO's expensive part after sampling is one forward pass of the policy (with grad) and one of the
reference (without) over every `[prompt + completion]`. Three things keep it lean:

- **The prompt prefix is shared across its group.** With `share_prefix=True` the B prompts run once
  (`use_cache=True`), their KV cache is repeated G times, and the B*G completions attend to it: the
  prompt tokens cost B, not B*G, sequence positions, forward and backward (gradients flow back through
  the repeated cache into the single prompt pass). Mathematically the same as scoring each
  `[prompt + completion]` row on its own; numerically equal up to float rounding.
- **No padding to `max_new_tokens`.** Each micro-batch is trimmed to its longest real completion and
  its longest real prompt.
- **Selective log-softmax.** Only the sampled token's log-prob is taken (`r1lit.algos.logprobs`), one
  row at a time, so no second `[N, L, V]` tensor is ever built.

`share_prefix=False` scores full rows with one `model.forward` (needed with gradient checkpointing,
which disables the KV cache in HF models); `logits_to_keep` still skips the lm_head on prompt positions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from r1lit.algos import logprobs_and_entropy, selective_log_softmax
from r1lit.rollout.base import Completion


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


def _shared_prefix_logits(model: torch.nn.Module, rb: PackedRollout) -> tuple[Tensor, Tensor]:
    """Prompt pass once per group, completions against the repeated cache.

    Returns:
        `(first [N, 1, V], rest [N, Lc - 1, V])`: logits predicting completion token 0 and tokens 1..Lc-1.
    """
    g = rb.group_size
    p_pos = (rb.prompt_mask.cumsum(-1) - 1).clamp(min=0)  # [B, Lp]
    out = model(
        input_ids=rb.prompt_ids,
        attention_mask=rb.prompt_mask,
        position_ids=p_pos,
        use_cache=True,
        logits_to_keep=1,
    )
    cache = out.past_key_values
    cache.batch_repeat_interleave(g)  # [B, ...] -> [B*G, ...]; differentiable (a repeat of the prompt's K/V)
    first = out.logits[:, -1:].repeat_interleave(g, dim=0)  # [N, 1, V]
    full_mask = torch.cat(
        [rb.prompt_mask.repeat_interleave(g, dim=0), rb.completion_mask], dim=1
    )  # [N, Lp+Lc]
    lc = rb.completion_ids.shape[1]
    c_pos = rb.prompt_mask.sum(-1, keepdim=True).repeat_interleave(g, dim=0) + torch.arange(
        lc, device=full_mask.device
    )
    if lc == 1:  # nothing after the first token to predict
        return first, first[:, :0]
    out = model(
        input_ids=rb.completion_ids[:, :-1], attention_mask=full_mask[:, :-1], position_ids=c_pos[:, :-1],
        past_key_values=cache, use_cache=True,
    )  # fmt: skip
    return first, out.logits  # [N, 1, V], [N, Lc-1, V]


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
) -> tuple[Tensor, Tensor | None]:
    """Log-probs (and optionally entropies) of each sampled completion token under `model`.

    Args:
        model: an HF causal LM (the policy, or the frozen reference).
        rb: the rows to score (usually one micro-batch from `PackedRollout.groups`).
        temperature: the sampling temperature; logits are divided by it, as at sampling time.
        share_prefix: run each prompt once per group (see the module docstring).
        with_entropy: also return per-token entropies (detached: for logging).
        entropy_grad: return entropies with grad (for an entropy bonus); implies `with_entropy`.

    Returns:
        `(logps [N, Lc], entropy [N, Lc] or None)`, float32; padding positions hold garbage (mask them).
    """
    targets = rb.completion_ids  # [N, Lc]
    if not share_prefix:
        return _scores(_full_row_logits(model, rb), targets, temperature, with_entropy, entropy_grad)
    first, rest = _shared_prefix_logits(model, rb)
    lp0, ent0 = _scores(first, targets[:, :1], temperature, with_entropy, entropy_grad)  # [N, 1]
    if rest.shape[1] == 0:
        return lp0, ent0
    lp1, ent1 = _scores(rest, targets[:, 1:], temperature, with_entropy, entropy_grad)  # [N, Lc-1]
    entropy = torch.cat([ent0, ent1], dim=1) if ent0 is not None else None
    return torch.cat([lp0, lp1], dim=1), entropy
