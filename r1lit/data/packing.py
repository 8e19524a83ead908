"""Pack several SFT examples into one row without cross-sample attention.

Each packed row carries `position_ids` that restart at 0 for every example and no attention mask:
transformers (>= 4.53 / 5.x) then builds a block-diagonal causal mask from the position ids, so no
token attends to another example. The first label of every example is masked so no example learns
to predict its first token from the previous example.
"""

from __future__ import annotations

import torch

from r1lit.data.tokenize import IGNORE_INDEX


def pack_examples(
    examples: list[dict[str, list[int]]], max_length: int, pad_id: int
) -> dict[str, torch.Tensor]:
    """First-fit-decreasing packing into rows of at most `max_length` tokens (right-padded)."""
    rows: list[list[dict[str, list[int]]]] = []
    space: list[int] = []
    for ex in sorted(examples, key=lambda e: -len(e["input_ids"])):
        n = min(len(ex["input_ids"]), max_length)
        slot = next((i for i, free in enumerate(space) if free >= n), None)
        if slot is None:
            rows.append([]), space.append(max_length)
            slot = len(rows) - 1
        rows[slot].append({"input_ids": ex["input_ids"][:n], "labels": ex["labels"][:n]})
        space[slot] -= n
    width = max(max_length - free for free in space)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)  # [R, L]
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)  # [R, L]
    pos = torch.zeros((len(rows), width), dtype=torch.long)  # [R, L]
    for r, row in enumerate(rows):
        at = 0
        for ex in row:
            n = len(ex["input_ids"])
            ids[r, at : at + n] = torch.tensor(ex["input_ids"])
            labels[r, at : at + n] = torch.tensor([IGNORE_INDEX, *ex["labels"][1:]])
            pos[r, at : at + n] = torch.arange(n)
            at += n
        pos[r, at:] = torch.arange(width - at)  # padding forms its own block; its labels are ignored
    return {"input_ids": ids, "labels": labels, "position_ids": pos}
