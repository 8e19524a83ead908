"""Pretrain a fresh Qwen2ForCausalLM on the tiny corpus: plain next-token loss on response tokens.

The prompt tokens are context only (label -100): they are either a fixed template or random digits,
so spending the little capacity a 1M-parameter model has on them buys nothing. A plain PyTorch loop
(AdamW, linear warmup, cosine decay to 10%) keeps the build free of Lightning and fast to start.
"""

from __future__ import annotations

import logging
import math
import time

import torch
from tokenizers import Tokenizer
from transformers import Qwen2Config, Qwen2ForCausalLM

from r1lit.tiny.specs import TinySpec
from r1lit.tiny.tokenizer import EOS_TOKEN, PAD_TOKEN

log = logging.getLogger(__name__)
IGNORE = -100


def make_config(spec: TinySpec, tok: Tokenizer) -> Qwen2Config:
    """Qwen2 config for a spec; EOS is <|im_end|>, pad is <|endoftext|>."""
    return Qwen2Config(
        vocab_size=tok.get_vocab_size(),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads,
        max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tok.token_to_id(EOS_TOKEN),
        pad_token_id=tok.token_to_id(PAD_TOKEN),
    )


def encode_corpus(tok: Tokenizer, docs: list[tuple[str, str]]) -> list[tuple[list[int], int]]:
    """Token ids of prompt+response and the prompt length, per document."""
    prompts = tok.encode_batch([p for p, _ in docs])
    responses = tok.encode_batch([r for _, r in docs])
    return [(p.ids + r.ids, len(p.ids)) for p, r in zip(prompts, responses, strict=True)]


def collate(
    batch: list[tuple[list[int], int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded input ids, attention mask and labels (prompt and padding ignored)."""
    length = max(len(ids) for ids, _ in batch)
    input_ids = torch.full((len(batch), length), pad_id, dtype=torch.long)  # [B, L]
    labels = torch.full((len(batch), length), IGNORE, dtype=torch.long)  # [B, L]
    mask = torch.zeros((len(batch), length), dtype=torch.long)  # [B, L]
    for i, (ids, prompt_len) in enumerate(batch):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        labels[i, prompt_len : len(ids)] = torch.tensor(ids[prompt_len:])
        mask[i, : len(ids)] = 1
    return input_ids, mask, labels


def _lr_at(step: int, spec: TinySpec) -> float:
    if step < spec.warmup_steps:
        return spec.lr * (step + 1) / spec.warmup_steps
    progress = (step - spec.warmup_steps) / max(1, spec.steps - spec.warmup_steps)
    return spec.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def pretrain(
    model: Qwen2ForCausalLM, encoded: list[tuple[list[int], int]], spec: TinySpec, pad_id: int
) -> dict:
    """Train `model` in place for `spec.steps` steps of `spec.batch_size` documents, in corpus order.

    Documents are consumed in order (the corpus is already shuffled), each batch sorted by nothing:
    the corpus mixes both templates, so padding stays moderate. Returns a few training statistics.
    """
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": spec.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=spec.lr,
        betas=(0.9, 0.98),
    )
    model.train()
    start, losses = time.perf_counter(), []
    for step in range(spec.steps):
        lo = (step * spec.batch_size) % len(encoded)
        input_ids, mask, labels = collate(encoded[lo : lo + spec.batch_size], pad_id)
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, spec)
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if step % 100 == 0 or step == spec.steps - 1:
            log.info(
                "tiny pretrain step %d/%d loss %.4f (%.0fs)",
                step,
                spec.steps,
                loss.item(),
                time.perf_counter() - start,
            )
    model.eval()
    tail = losses[-max(1, len(losses) // 10) :]
    return {"final_loss": sum(tail) / len(tail), "train_seconds": time.perf_counter() - start}
