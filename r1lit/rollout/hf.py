"""`HFGenerator`: batched, KV-cached sampling from a live HF causal LM (the policy being trained).

The GRPO module hands in its training model: nothing is copied, generation runs under
`torch.inference_mode` (`no_grad` for an FSDP-sharded model: `rollout.grad_free`), and every
submodule's train/eval flag is restored afterwards.

Per micro-batch of prompts (at most `max_batch_size` sequences = prompts x n):

1. prompts are rendered (chat template for messages), left-padded and prefilled ONCE; the prompt's KV
   cache is then expanded to its `n` samples (`decoder.repeat(n)`);
2. each step samples one token per live row (`sampling.sample_next`: temperature / top-k / top-p, greedy
   at T=0, drawn from a `torch.Generator` seeded from `params.seed`), records it and its logprob;
3. rows that emit an EOS id (the tokenizer's and the model's `generation_config` ones, e.g. <|im_end|>)
   or complete a stop string leave the batch and the cache at once, so no work is spent on them;
   so do rows that reach their budget: `max_new_tokens`, capped so that prompt + completion fit the
   model's context (`r1lit.rollout.context`; finish reason "length").

Without stop strings the loop does one host sync per step (to learn whether any row finished); with
stop strings it also copies the new tokens to Python to decode each row's tail (`stops.StopChecker`).
The model forward is `decoders.LlamaDecoder` for Llama-family models and `decoders.HFCacheDecoder`
otherwise. Logprob convention: see `r1lit.rollout.sampling`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch

from r1lit.rollout.base import Completion, Prompt, SamplingParams
from r1lit.rollout.context import Budget, context_length, fit_to_context
from r1lit.rollout.decoders import make_decoder
from r1lit.rollout.grad_free import grad_free
from r1lit.rollout.sampling import sample_next
from r1lit.rollout.stops import StopChecker, truncate_at_stop

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)


@contextlib.contextmanager
def eval_mode(model: torch.nn.Module) -> Iterator[None]:
    """Put `model` in eval mode, then restore each submodule's own train/eval flag (frozen parts stay eval)."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, training in flags:
            m.training = training


def encode_prompt(tokenizer: PreTrainedTokenizerBase, prompt: Prompt) -> list[int]:
    """Token ids of a prompt: raw text verbatim (with the tokenizer's usual special tokens), or chat
    messages through the chat template with the generation prompt appended."""
    if isinstance(prompt, str):
        return list(tokenizer(prompt)["input_ids"])
    text = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def default_eos_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """The tokenizer's EOS plus every EOS id of the model's generation config (e.g. <|im_end|> for Qwen)."""
    ids = {tokenizer.eos_token_id}
    gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids.update(gen_eos if isinstance(gen_eos, list | tuple) else [gen_eos])
    return sorted(i for i in ids if i is not None)


def left_pad(
    seqs: Sequence[Sequence[int]], pad_id: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-pad id lists -> input_ids [B, L] and attention_mask [B, L] (1 on real tokens)."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for b, s in enumerate(seqs):
        if s:
            ids[b, width - len(s) :] = torch.tensor(s, dtype=torch.long)
            mask[b, width - len(s) :] = 1
    return ids.to(device), mask.to(device)


class HFGenerator:
    """The `Generator` for a live `transformers` causal LM (see the module docstring).

    Args:
        model: the causal LM (used in place, never copied).
        tokenizer: its tokenizer (needs a chat template for message prompts).
        max_batch_size: most sequences (prompts x n) decoded together; prompts are micro-batched to fit.
        decoder: "auto" (fast Llama-family path when supported), "llama" or "hf" (`model.forward`).
        eos_token_ids: ids that end a sequence; None = tokenizer EOS + generation_config EOS ids.
        sort_by_length: micro-batch prompts of similar length together (less padding); outputs keep input order.
        max_context: positions a prompt and its completion may use together; None = the model's own
            (`r1lit.rollout.context.context_length`: `config.max_position_embeddings`).
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        max_batch_size: int = 64,
        decoder: str = "auto",
        eos_token_ids: Sequence[int] | None = None,
        sort_by_length: bool = True,
        max_context: int | None = None,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        self.model, self.tokenizer = model, tokenizer
        self.max_batch_size, self.decoder, self.sort_by_length = max_batch_size, decoder, sort_by_length
        self.eos_ids = list(eos_token_ids) if eos_token_ids is not None else default_eos_ids(model, tokenizer)
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else (self.eos_ids[0] if self.eos_ids else 0)
        self.stats: dict[str, float] = {}  # of the last generate call: tokens and seconds
        self.max_context = max_context or context_length(model.config, tokenizer)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        """For each prompt, in order, `params.n` completions (see `r1lit.rollout.base.Generator`)."""
        start = time.perf_counter()
        budgets = [
            fit_to_context(
                encode_prompt(self.tokenizer, p),
                params.max_new_tokens,
                self.max_context,
                params.prompt_overflow,
            )
            for p in prompts
        ]
        encoded = [b.prompt_ids for b in budgets]
        seed = params.seed if params.seed is not None else int(torch.randint(0, 2**62, (1,)).item())
        rng = torch.Generator(device=self.device).manual_seed(seed)
        order = list(range(len(encoded)))
        if self.sort_by_length:
            order.sort(key=lambda i: len(encoded[i]))
        per_batch = max(1, self.max_batch_size // params.n)
        results: list[list[Completion]] = [[] for _ in encoded]
        with grad_free(self.model), eval_mode(self.model):
            for lo in range(0, len(order), per_batch):
                chunk = order[lo : lo + per_batch]
                for i, comps in zip(
                    chunk, self._generate_batch([budgets[i] for i in chunk], params, rng), strict=True
                ):
                    results[i] = comps
        self.stats = {
            "prompt_tokens": float(sum(len(e) for e in encoded)),
            "completion_tokens": float(sum(len(c.token_ids) for comps in results for c in comps)),
            "seconds": time.perf_counter() - start,
        }
        return results

    def _generate_batch(
        self, budgets: list[Budget], params: SamplingParams, rng: torch.Generator
    ) -> list[list[Completion]]:
        """One micro-batch: prefill once, share across n samples, decode until every row is done."""
        prompt_ids = [b.prompt_ids for b in budgets]
        n, T, device = params.n, max(b.max_new_tokens for b in budgets), self.device
        R = len(prompt_ids) * n
        limits = torch.tensor([b.max_new_tokens for b in budgets], device=device).repeat_interleave(n)  # [A]
        first_limit = min(b.max_new_tokens for b in budgets)  # no row's budget ends before this step
        input_ids, mask = left_pad(prompt_ids, self.pad_id, device)  # [P, Lp]
        decoder = make_decoder(self.model, self.decoder)
        logits = decoder.prefill(input_ids, mask, T).repeat_interleave(n, dim=0)  # [R, V]
        decoder.repeat(n)
        out_tokens = torch.full((R, T), self.pad_id, dtype=torch.long, device=device)  # [R, T]
        out_logprobs = torch.zeros((R, T), dtype=torch.float32, device=device)  # [R, T]
        lengths = torch.full((R,), T, dtype=torch.long, device=device)  # [R]
        stopped = torch.zeros(R, dtype=torch.bool, device=device)  # [R] ended by EOS or a stop string
        rows = torch.arange(R, device=device)  # [A] original row of each live row
        eos = torch.tensor(self.eos_ids, dtype=torch.long, device=device)
        checker = StopChecker(self.tokenizer, params.stop)
        history: list[list[int]] = [[] for _ in range(R)]  # only filled when stop strings are set
        for t in range(T):
            tokens, logprobs = sample_next(logits, params.temperature, params.top_k, params.top_p, rng)  # [A]
            out_tokens[rows, t], out_logprobs[rows, t] = tokens, logprobs
            ended = torch.isin(tokens, eos)  # [A]
            if checker:
                ended |= self._stop_hits(checker, history, rows, tokens)
            done = ended | (limits <= t + 1) if t + 1 >= first_limit else ended  # [A] budget spent: "length"
            if bool(done.any()):
                lengths[rows[done]], stopped[rows[ended]] = t + 1, True
                keep = (~done).nonzero()[:, 0]  # [A']
                if keep.numel() == 0:
                    break
                rows, tokens, limits = rows[keep], tokens[keep], limits[keep]
                decoder.select(keep)
            if t + 1 < T:
                logits = decoder.step(tokens)  # [A, V]
        return self._completions(budgets, n, out_tokens, out_logprobs, lengths, stopped, params.stop)

    @staticmethod
    def _stop_hits(
        checker: StopChecker, history: list[list[int]], rows: torch.Tensor, tokens: torch.Tensor
    ) -> torch.Tensor:
        """[A] bool: which live rows completed a stop string with this step's token."""
        hits = []
        for r, tok in zip(rows.tolist(), tokens.tolist(), strict=True):
            history[r].append(tok)
            hits.append(checker.hit(history[r]))
        return torch.tensor(hits, dtype=torch.bool, device=tokens.device)

    def _completions(
        self,
        budgets: list[Budget],
        n: int,
        out_tokens: torch.Tensor,
        out_logprobs: torch.Tensor,
        lengths: torch.Tensor,
        stopped: torch.Tensor,
        stops: Sequence[str],
    ) -> list[list[Completion]]:
        """Turn the [R, T] token / logprob buffers into `Completion`s grouped per prompt."""
        lens, ended = lengths.tolist(), stopped.tolist()
        ids = [row[:k] for row, k in zip(out_tokens.tolist(), lens, strict=True)]
        lps = [row[:k] for row, k in zip(out_logprobs.tolist(), lens, strict=True)]
        texts = self.tokenizer.batch_decode(ids, skip_special_tokens=True)
        grouped: list[list[Completion]] = [[] for _ in budgets]
        for r, text in enumerate(texts):
            text, hit = truncate_at_stop(text, stops)
            reason: Any = "stop" if (ended[r] or hit) else "length"
            b = budgets[r // n]
            grouped[r // n].append(
                Completion(
                    text, ids[r], lps[r], reason, list(b.prompt_ids), b.max_new_tokens, b.prompt_truncated
                )
            )
        return grouped
