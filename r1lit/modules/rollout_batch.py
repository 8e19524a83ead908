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
- **No `[N, L, V]` logits.** With `chunk_size` set, the decoder's final hidden states are scored through
  the LM head `chunk_size` positions at a time, each chunk recomputed in backward
  (`r1lit.algos.chunked_logprobs_and_entropy`): at V = 152k and 256 tokens x 16 rows the full logits
  alone are 2.5 GB in float32, twice that with their log-softmax. Only models whose logits are exactly
  `lm_head(final hidden)` are scored this way (`chunkable_head`: an allow-list of classes, no final
  logit softcap or scale, e.g. Gemma2 falls back); the others, and `chunk_size=None`, take the full
  logits and a selective log-softmax one row at a time (`r1lit.algos.logprobs`).

`share_prefix=False` scores full rows with one `model.forward` (needed with gradient checkpointing,
which disables the KV cache in HF models); `logits_to_keep` still skips the lm_head on prompt positions.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

from r1lit.algos import logprobs_and_entropy, selective_log_softmax
from r1lit.algos.logprobs import chunked_logprobs_and_entropy
from r1lit.models import cache_keyword, returned_cache
from r1lit.rollout.base import Completion

if TYPE_CHECKING:
    from transformers.cache_utils import Cache


# Causal LMs whose forward computes `logits = lm_head(base_model(...).last_hidden_state)` and nothing
# else (checked in transformers 5.25); a subclass or another architecture may rescale the logits.
CHUNKABLE_CLASSES = (
    "LlamaForCausalLM",
    "Qwen2ForCausalLM",
    "Qwen3ForCausalLM",
    "MistralForCausalLM",
    "Phi3ForCausalLM",
    "GPT2LMHeadModel",
)
# Config keys that put a transform between lm_head and the logits (Gemma2's softcap, Cohere/Granite scales).
LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_multiplier_scale")


def unwrap_peft(model: torch.nn.Module) -> torch.nn.Module:
    """The HF model inside a peft `PeftModel` (LoRA layers stay injected in it); other models as they are."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def chunkable_head(model: torch.nn.Module) -> torch.nn.Module | None:
    """`model`'s LM head when its logits are exactly `head(final hidden states)`, else None (fall back)."""
    hf = unwrap_peft(model)
    config, head = getattr(hf, "config", None), getattr(hf, "lm_head", None)
    if type(hf).__name__ not in CHUNKABLE_CLASSES or type(head) is not torch.nn.Linear:
        return None
    if any(getattr(config, key, None) not in (None, 1, 1.0) for key in LOGIT_TRANSFORMS):
        return None
    return head


@dataclass
class Scoring:
    """How `completion_logprobs` turns a forward into per-token scores (see the module docstring)."""

    temperature: float = 1.0
    with_entropy: bool = False
    entropy_grad: bool = False
    chunk_size: int | None = None  # None: full logits; else positions per LM-head chunk

    def from_logits(self, logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor | None]:
        """`[n, L, V]` logits, `[n, L]` targets -> `(logps [n, L], entropy [n, L] or None)`."""
        if self.with_entropy or self.entropy_grad:
            return logprobs_and_entropy(logits, targets, self.temperature, entropy_grad=self.entropy_grad)
        return selective_log_softmax(logits, targets, self.temperature), None

    def forward(
        self, model: torch.nn.Module, targets: Tensor, cache: Cache | None = None, **inputs: Tensor
    ) -> tuple[Tensor, Tensor | None]:
        """Run `model(**inputs)` (attending to `cache`) and score its last `targets.shape[1]` positions."""
        head = chunkable_head(model) if self.chunk_size else None
        width = targets.shape[1]
        module = model if head is None else unwrap_peft(model).base_model  # base: the stack below lm_head
        if cache is not None:
            inputs = {**inputs, "use_cache": True, cache_keyword(module): cache}
        if head is None:
            return self.from_logits(module(**inputs, logits_to_keep=width).logits[:, -width:], targets)
        hidden = module(**inputs).last_hidden_state[:, -width:]  # [n, width, E]
        return chunked_logprobs_and_entropy(
            hidden, head, targets, self.temperature, self.chunk_size, self.with_entropy, self.entropy_grad
        )


@dataclass
class PackedRollout:
    """A rollout batch as padded tensors. B prompts, G samples each, N = B*G completion rows (group-major)."""

    prompt_ids: Tensor  # [B, Lp] left-padded
    prompt_mask: Tensor  # [B, Lp] 1 on real tokens
    completion_ids: Tensor  # [N, Lc] right-padded
    completion_mask: Tensor  # [N, Lc] 1 on sampled tokens
    group_size: int
    sampling_logps: Tensor | None = None  # [N, Lc] the generator's log-probs, NaN where it gave none

    @property
    def n_groups(self) -> int:
        return self.prompt_ids.shape[0]

    @property
    def n_tokens(self) -> int:
        """Real tokens of all N `[prompt + completion]` rows (a prompt counts once per sample of it)."""
        prompt = self.prompt_mask.sum(1).repeat_interleave(self.group_size)  # [N]
        return int((prompt + self.completion_mask.sum(1)).sum())

    def to(self, device: torch.device | str) -> PackedRollout:
        sampling = None if self.sampling_logps is None else self.sampling_logps.to(device)
        return PackedRollout(
            self.prompt_ids.to(device),
            self.prompt_mask.to(device),
            self.completion_ids.to(device),
            self.completion_mask.to(device),
            self.group_size,
            sampling,
        )

    def groups(self, start: int, stop: int) -> PackedRollout:
        """Groups [start, stop), trimmed to their longest prompt and longest completion."""
        g = self.group_size
        p_ids, p_mask = self.prompt_ids[start:stop], self.prompt_mask[start:stop]  # [b, Lp]
        rows = slice(start * g, stop * g)
        c_ids, c_mask = self.completion_ids[rows], self.completion_mask[rows]  # [b*G, Lc]
        lp = int(p_mask.sum(1).max())
        lc = max(int(c_mask.sum(1).max()), 1)
        sampling = None if self.sampling_logps is None else self.sampling_logps[rows, :lc]
        return PackedRollout(p_ids[:, -lp:], p_mask[:, -lp:], c_ids[:, :lc], c_mask[:, :lc], g, sampling)


def pack_completions(groups: Sequence[Sequence[Completion]], pad_id: int) -> PackedRollout:
    """Left-pad each group's prompt ids and right-pad every completion's ids (and its sampling log-probs).

    Args:
        groups: B lists of G completions; each carries `prompt_token_ids`, `token_ids` and `logprobs`.
        pad_id: padding token id (never attended to).

    Returns:
        A `PackedRollout` on CPU; `sampling_logps` is NaN for a completion without one log-prob per token.
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
    sampling = torch.full((len(flat), lc), float("nan"))
    for i, c in enumerate(flat):
        completion_ids[i, : len(c.token_ids)] = torch.tensor(c.token_ids, dtype=torch.long)
        completion_mask[i, : len(c.token_ids)] = 1
        if c.logprobs is not None and len(c.logprobs) == len(c.token_ids):
            sampling[i, : len(c.token_ids)] = torch.tensor(c.logprobs, dtype=torch.float32)
    return PackedRollout(prompt_ids, prompt_mask, completion_ids, completion_mask, sizes.pop(), sampling)


def micro_batches(n_groups: int, groups_per_micro_batch: int | None) -> Iterator[tuple[int, int]]:
    """[start, stop) group ranges covering all groups; None means one micro-batch."""
    step = groups_per_micro_batch if groups_per_micro_batch else n_groups
    for start in range(0, n_groups, step):
        yield start, min(start + step, n_groups)


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
    model: torch.nn.Module, rb: PackedRollout, scoring: Scoring, n_buckets: int
) -> tuple[Tensor, Tensor | None]:
    """Prompt pass once per group; each length bucket of completions attends to its rows' prompt K/V.

    Returns:
        Scores of every completion token, `(logps [N, Lc], entropy [N, Lc] or None)`, zeros on padding.
    """
    g, (n, lc) = rb.group_size, rb.completion_ids.shape
    p_pos = (rb.prompt_mask.cumsum(-1) - 1).clamp(min=0)  # [B, Lp]
    out = model(
        input_ids=rb.prompt_ids,
        attention_mask=rb.prompt_mask,
        position_ids=p_pos,
        use_cache=True,
        logits_to_keep=1,
    )
    group_of = torch.arange(n, device=rb.completion_ids.device) // g  # [N] prompt row of each completion
    # [B, 1, V] only: predicts completion token 0
    first = scoring.from_logits(out.logits[:, -1:][group_of], rb.completion_ids[:, :1])
    parts: list[tuple[Tensor, Tensor, Tensor | None]] = []  # (rows, logps [n_b, Lc-1], entropy)
    for rows in length_buckets(rb.completion_mask.sum(1), n_buckets) if lc > 1 else []:
        width = max(int(rb.completion_mask[rows].sum(1).max()), 2)  # this bucket's longest completion
        prompts = group_of[rows]
        mask = torch.cat([rb.prompt_mask[prompts], rb.completion_mask[rows, : width - 1]], dim=1)
        pos = rb.prompt_mask[prompts].sum(-1, keepdim=True) + torch.arange(width - 1, device=mask.device)
        # predicts completion tokens 1 .. width-1: [n_b, width-1]
        lp, ent = scoring.forward(
            model,
            rb.completion_ids[rows, 1:width],
            cache=_select_cache(returned_cache(out), prompts),
            input_ids=rb.completion_ids[rows, : width - 1],
            attention_mask=mask,
            position_ids=pos,
        )
        pad = (0, lc - width)
        parts.append((rows, F.pad(lp, pad), None if ent is None else F.pad(ent, pad)))
    if not parts:
        return first
    inverse = torch.argsort(torch.cat([rows for rows, _, _ in parts]))  # back to the original row order
    logps = torch.cat([first[0], torch.cat([lp for _, lp, _ in parts])[inverse]], dim=1)
    if first[1] is None:
        return logps, None
    return logps, torch.cat([first[1], torch.cat([e for _, _, e in parts])[inverse]], dim=1)


def _full_row_scores(
    model: torch.nn.Module, rb: PackedRollout, scoring: Scoring
) -> tuple[Tensor, Tensor | None]:
    """One forward over `[prompt + completion]` per row, scoring each completion token.  # [N, Lc]"""
    g = rb.group_size
    ids = torch.cat([rb.prompt_ids.repeat_interleave(g, dim=0), rb.completion_ids], dim=1)  # [N, Lp+Lc]
    mask = torch.cat([rb.prompt_mask.repeat_interleave(g, dim=0), rb.completion_mask], dim=1)  # [N, Lp+Lc]
    pos = (mask.cumsum(-1) - 1).clamp(min=0)  # [N, Lp+Lc]
    return scoring.forward(
        model, rb.completion_ids, input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=pos[:, :-1]
    )


def completion_logprobs(
    model: torch.nn.Module,
    rb: PackedRollout,
    temperature: float = 1.0,
    share_prefix: bool = True,
    with_entropy: bool = False,
    entropy_grad: bool = False,
    n_buckets: int = 1,
    chunk_size: int | None = None,
) -> tuple[Tensor, Tensor | None]:
    """Log-probs (and optionally entropies) of each sampled completion token under `model`.

    Args:
        model: an HF causal LM (the policy, or the frozen reference), possibly inside a peft `PeftModel`.
        rb: the rows to score (usually one micro-batch from `PackedRollout.groups`).
        temperature: the sampling temperature; logits are divided by it, as at sampling time.
        share_prefix: run each prompt once per group (see the module docstring).
        with_entropy: also return per-token entropies (detached: for logging).
        entropy_grad: return entropies with grad (for an entropy bonus); implies `with_entropy`.
        n_buckets: with `share_prefix`, score completions in this many batches of similar length.
        chunk_size: score the LM head this many positions at a time, never building `[N, Lc, V]` logits
            (None: full logits; models `chunkable_head` rejects always take full logits).

    Returns:
        `(logps [N, Lc], entropy [N, Lc] or None)`, float32; padding positions hold garbage (mask them).
    """
    scoring = Scoring(temperature, with_entropy, entropy_grad, chunk_size)
    if not share_prefix:
        return _full_row_scores(model, rb, scoring)
    return _shared_prefix_scores(model, rb, scoring, n_buckets)
