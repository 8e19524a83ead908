"""Preference pairs -> tokenized (chosen, rejected) batches for the reward-model stage (Bradley-Terry).

The classifier must learn on the text it will score in RL. `r1lit.rewards.reward_model` scores
`rendered prompt + view of the completion`, where the view is the summary after `</think>`
(helpfulness) or the whole response (harmlessness); this module builds the same strings with the same
function (`response_view`). Each pair yields one training item per view in `views`, so one
classifier can serve both reward terms.

Tokenization matches the reward's too: right padding, truncation from the left to `max_length`
tokens (the end of the response is always kept), the tokenizer's own special tokens added as there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader

from r1lit.data.step_cursor import PositiveInt, StepCursorDataModule
from r1lit.models import load_tokenizer
from r1lit.prompts import build_prompt
from r1lit.rewards.reward_model import response_view

Pair = dict[str, Any]
VIEWS = ("summary", "full")


def render(tokenizer: Any, template: str, question: str) -> str:
    """The prompt as the policy sees it: raw template text, or chat messages through the chat template."""
    prompt = build_prompt(template, question)
    if isinstance(prompt, str):
        return prompt
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


def pair_texts(
    pairs: Sequence[Pair], views: Sequence[str], tokenizer: Any, template: str
) -> list[dict[str, str]]:
    """One `{chosen, rejected, view, kind}` item of classifier input strings per pair and view."""
    items = []
    for pair in pairs:
        missing = {"question", "chosen", "rejected"} - set(pair)
        if missing:
            raise ValueError(
                f"a preference pair needs question, chosen and rejected; missing {sorted(missing)} "
                f"(use data=preferences or a source of pairs)"
            )
        prompt = render(tokenizer, template, pair["question"])
        for view in views:
            items.append(
                {
                    "chosen": prompt + response_view(pair["chosen"], prompt, view),
                    "rejected": prompt + response_view(pair["rejected"], prompt, view),
                    "view": view,
                    "kind": str(pair.get("kind", "")),
                }
            )
    return items


class PreferenceDataModule(StepCursorDataModule):
    """Batches `{"step", "input_ids", "attention_mask", "view", "kind"}` of 2B rows: B chosen, then B rejected.

    Args:
        train: zero-argument loader of preference pairs (`question`, `chosen`, `rejected`, `kind`),
            e.g. a `_partial_` of `r1lit.tasks.general.make_preference_pairs`.
        heldout: the same for the held-out pairs (pair accuracy), or None.
        template: prompt template name (r1lit.prompts), as in the RL stage.
        views: which views of each response to train on ("summary", "full").
        tokenizer_name_or_path: the reward model's tokenizer (usually `${model.name_or_path}`).
        max_length: tokens per text, truncated from the left.
        batch_size: pairs per optimizer step across ranks.
        eval_batch_size: held-out pairs per validation batch.
        seed: data order seed.
    """

    def __init__(
        self,
        train: Callable[[], list[Pair]],
        heldout: Callable[[], list[Pair]] | None,
        template: str,
        views: list[str],
        tokenizer_name_or_path: str,
        max_length: PositiveInt,
        batch_size: PositiveInt,
        eval_batch_size: PositiveInt,
        seed: int,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        unknown = set(views) - set(VIEWS)
        if unknown or not views:
            raise ValueError(f"stage.datamodule.views must be a non-empty subset of {VIEWS}, got {views}")
        self.train_source, self.heldout_source = train, heldout
        self.template, self.views = template, list(views)
        self.tokenizer_name_or_path, self.max_length = tokenizer_name_or_path, max_length
        self.eval_batch_size = eval_batch_size
        self.tokenizer: Any = None
        self.train_items: list[dict[str, str]] = []
        self.heldout_items: list[dict[str, str]] = []

    def setup(self, stage: str | None = None) -> None:
        if self.tokenizer is None:
            self.tokenizer = load_tokenizer(self.tokenizer_name_or_path)
            self.tokenizer.padding_side, self.tokenizer.truncation_side = "right", "left"
        if not self.train_items:
            self.train_items = pair_texts(self.train_source(), self.views, self.tokenizer, self.template)
            if not self.train_items:
                raise ValueError("data.train produced no preference pairs")
        if self.heldout_source is not None and not self.heldout_items:
            self.heldout_items = pair_texts(self.heldout_source(), self.views, self.tokenizer, self.template)

    def n_train(self) -> int:
        return len(self.train_items)

    def to_batch(self, items: list[dict[str, str]], step: int = -1) -> dict[str, Any]:
        """Chosen rows first, then rejected rows, in one padded tensor (one forward pass scores both)."""
        texts = [it["chosen"] for it in items] + [it["rejected"] for it in items]
        enc = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return {
            "step": step,
            "input_ids": enc["input_ids"],  # [2B, L]
            "attention_mask": enc["attention_mask"],  # [2B, L]
            "view": [it["view"] for it in items],
            "kind": [it["kind"] for it in items],
        }

    def collate_train(self, item: tuple[int, list[int]]) -> dict[str, Any]:
        step, idx = item
        return self.to_batch([self.train_items[i] for i in idx], step)

    def val_dataloader(self) -> DataLoader | list:
        if not self.heldout_items:
            return []
        size = self.eval_batch_size
        chunks = [self.heldout_items[i : i + size] for i in range(0, len(self.heldout_items), size)]
        return DataLoader(chunks, batch_size=None, collate_fn=self.to_batch)


def split_scores(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(chosen, rejected) halves of a `to_batch` batch's scores.  # [2B] -> [B], [B]"""
    half = scores.shape[0] // 2
    return scores[:half], scores[half:]
