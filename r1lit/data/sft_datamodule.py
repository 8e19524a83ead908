"""Chat records -> token ids with an assistant-only loss mask (EOS kept), padded batches, length bucketing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils.data import DataLoader

from r1lit.chat_template import require_chat_template
from r1lit.data.batching import batch_indices
from r1lit.data.packing import pack_examples
from r1lit.data.sources import Record
from r1lit.data.step_cursor import PositiveInt, StepCursorDataModule
from r1lit.data.tokenize import IGNORE_INDEX, tokenize_chat, tokenize_text
from r1lit.models import load_tokenizer

CHAT_FIX = (
    "use raw-text {prompt, response} records (a plain-text template) or a model whose tokenizer has one"
)


def pad_batch(examples: list[dict[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad input_ids/labels; labels of padding are IGNORE_INDEX."""
    width = max(len(e["input_ids"]) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)  # [B, L]
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)  # [B, L]
    mask = torch.zeros((len(examples), width), dtype=torch.long)  # [B, L]
    for row, e in enumerate(examples):
        n = len(e["input_ids"])
        ids[row, :n] = torch.tensor(e["input_ids"])
        labels[row, :n] = torch.tensor(e["labels"])
        mask[row, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


class SFTDataModule(StepCursorDataModule):
    """SFT batches `{"step", "input_ids", "labels", "attention_mask"}`.

    Args:
        train: zero-argument loader of SFT records: `messages`, or `prompt` (raw text or chat
            messages) + `response` (see r1lit.data.sources).
        val: the same for validation, or None.
        tokenizer_name_or_path: usually `${model.name_or_path}`.
        max_length: truncate examples to this many tokens.
        batch_size: examples per optimizer step across ranks.
        pack: pack each batch's examples into rows of `max_length` tokens (no cross-example
            attention; see r1lit.data.packing) instead of padding them.
        bucket_batches: >1 groups this many batches, sorts them by length and cuts them into
            batches of similar lengths (less padding); 1 disables bucketing.
        seed: data order seed.
    """

    def __init__(
        self,
        train: Callable[[], list[Record]],
        val: Callable[[], list[Record]] | None,
        tokenizer_name_or_path: str,
        max_length: PositiveInt,
        batch_size: PositiveInt,
        pack: bool,
        bucket_batches: int,
        seed: int,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        self.train_source, self.val_source = train, val
        self.tokenizer_name_or_path = tokenizer_name_or_path
        self.max_length, self.pack, self.bucket_batches = max_length, pack, bucket_batches
        self.train_examples: list[dict[str, list[int]]] = []
        self.val_examples: list[dict[str, list[int]]] = []
        self.pad_id = 0

    def encode(self, tokenizer: Any, record: Record) -> dict[str, list[int]]:
        if "messages" in record or not isinstance(record["prompt"], str):  # chat: fail here, not in jinja
            require_chat_template(
                tokenizer, self.tokenizer_name_or_path, "data.train (chat records)", CHAT_FIX
            )
        if "messages" in record:
            return tokenize_chat(tokenizer, record["messages"], self.max_length)
        prompt = record["prompt"]
        if isinstance(prompt, str):
            return tokenize_text(tokenizer, prompt, record["response"], self.max_length)
        return tokenize_chat(
            tokenizer, [*prompt, {"role": "assistant", "content": record["response"]}], self.max_length
        )

    def setup(self, stage: str | None = None) -> None:
        if self.train_examples:
            return
        tokenizer = load_tokenizer(self.tokenizer_name_or_path)
        self.pad_id = tokenizer.pad_token_id
        self.train_examples = [self.encode(tokenizer, r) for r in self.train_source()]
        if not self.train_examples:
            raise ValueError("data.train produced no SFT examples")
        if self.val_source is not None:
            self.val_examples = [self.encode(tokenizer, r) for r in self.val_source()]

    def n_train(self) -> int:
        return len(self.train_examples)

    def bucketed_indices(self, step: int, rank_idx: list[int]) -> list[int]:
        """With bucketing, batch `step` is one length-sorted slice of a pool of `bucket_batches` batches."""
        if self.bucket_batches <= 1:
            return rank_idx
        group, slot = divmod(step, self.bucket_batches)
        pool = batch_indices(self.n_train(), self.batch_size * self.bucket_batches, self.seed, group)
        pool.sort(key=lambda i: len(self.train_examples[i]["input_ids"]))
        order = torch.randperm(
            self.bucket_batches, generator=torch.Generator().manual_seed(self.seed + group)
        ).tolist()
        chunk = pool[order[slot] * self.batch_size : (order[slot] + 1) * self.batch_size]
        world, rank = self.trainer.world_size, self.trainer.global_rank
        return chunk[rank::world]

    def collate_train(self, item: tuple[int, list[int]]) -> dict[str, Any]:
        step, idx = item
        idx = self.bucketed_indices(step, idx)
        examples = [self.train_examples[i] for i in idx]
        if self.pack:
            return {"step": step, **pack_examples(examples, self.max_length, self.pad_id)}
        return {"step": step, **pad_batch(examples, self.pad_id)}

    def val_dataloader(self) -> DataLoader | list:
        if not self.val_examples:
            return []
        return DataLoader(
            self.val_examples, batch_size=self.batch_size, collate_fn=lambda ex: pad_batch(ex, self.pad_id)
        )
