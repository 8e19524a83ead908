"""HeldoutSamples: the rows and text it builds from a held-out evaluation, and when it logs (no model)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from omegaconf import OmegaConf

from r1lit.callbacks.heldout_samples import (
    HELDOUT_COLUMNS,
    HeldoutSamples,
    heldout_markdown,
    heldout_rows,
    rollout_table,
)
from r1lit.modules.grpo_rollout import Rollout
from r1lit.rewards.compose import RewardBatch
from r1lit.rollout.base import Completion

RESULTS = [
    {"id": "p0", "prompt": "What is 2+2? Assistant:", "answer": "4", "preds": ["4", None],
     "correct": [True, False], "status": ["correct", "no_answer"], "lengths": [5, 9],
     "truncated": [False, True], "texts": ["<think>2+2</think> <answer>4</answer>", "hmm\n<think>"]},
    {"id": "p1", "prompt": "What is 3+3? Assistant:", "answer": "6", "preds": ["5", "6"],
     "correct": [False, True], "status": ["incorrect", "correct"], "lengths": [3, 4],
     "truncated": [False, False], "texts": ["5", "6"]},
]  # fmt: skip


class TableLogger:
    """A logger with tables (like WandbLogger); records what it was given."""

    def __init__(self) -> None:
        self.tables: list[tuple[str, list[str], list[list[Any]], int]] = []

    def log_table(self, key: str, columns: list[str], data: list[list[Any]], step: int) -> None:
        self.tables.append((key, columns, data, step))


class TextLogger:
    """A logger whose experiment has `add_text` (like TensorBoardLogger)."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str, int]] = []
        self.experiment = SimpleNamespace(
            add_text=lambda tag, text, global_step: self.texts.append((tag, text, global_step))
        )


def _trainer(*loggers: Any, zero: bool = True) -> Any:
    return SimpleNamespace(loggers=list(loggers), is_global_zero=zero)


def test_rows_one_per_sample_with_its_own_verdict() -> None:
    rows = heldout_rows(3, RESULTS)
    assert len(rows) == 4 and all(len(r) == len(HELDOUT_COLUMNS) for r in rows)
    second = dict(zip(HELDOUT_COLUMNS, rows[1], strict=True))
    assert second == {
        "step": 3, "id": "p0", "sample": 1, "prompt": RESULTS[0]["prompt"], "completion": "hmm\n<think>",
        "answer": "4", "pred": None, "correct": False, "status": "no_answer", "length": 9, "truncated": True,
    }  # fmt: skip


def test_markdown_shows_every_sample_of_the_first_problems_verbatim() -> None:
    text = heldout_markdown(RESULTS, n_prompts=1, prompt_chars=10)
    assert "p0" in text and "p1" not in text  # only the first problem
    assert "    <think>2+2</think> <answer>4</answer>" in text  # fenced: the tags show, not rendered
    assert "    hmm\n    <think>" in text and "(truncated)" in text and "no_answer" in text
    assert "What is 2+2? Assistant:"[-10:] in text and "What is" not in text  # prompt tail only


def test_rollout_table_carries_every_reward_component() -> None:
    group = [Completion(t, [1] * n, [0.0] * n, "stop") for t, n in (("a", 2), ("b", 3))]
    rewards = RewardBatch(
        [1.5, None], {"accuracy": [1.0, None], "format": [0.5, 0.0]}, {"accuracy": 1.0, "format": 1.0}
    )
    rollout = Rollout(7, ["q"], [group], rewards, correct=[True, None], advantages=torch.tensor([0.5, -0.5]))
    columns, rows = rollout_table(rollout)
    assert [dict(zip(columns, r, strict=True)) for r in rows][1] == {
        "step": 7, "group": 0, "prompt": "q", "completion": "b", "reward/accuracy": None, "reward/format": 0.0,
        "reward/total": None, "advantage": -0.5, "correct": None, "length": 3, "finish_reason": "stop",
    }  # fmt: skip


def test_each_evaluation_is_logged_once_to_tables_and_text() -> None:
    tables, texts = TableLogger(), TextLogger()
    callback = HeldoutSamples(n_prompts=2, prompt_chars=100, tables=True)
    module = SimpleNamespace(last_heldout=None, last_rollout=None)
    trainer = _trainer(tables, texts)
    callback.on_train_batch_start(trainer, module, None, 0)  # nothing evaluated yet
    module.last_heldout = {"step": 0, "metrics": {}, "results": RESULTS}  # eval_at_start, before batch 0
    callback.on_train_batch_start(trainer, module, None, 0)
    callback.on_train_batch_start(trainer, module, None, 1)  # same evaluation: not again
    module.last_heldout = {"step": 2, "metrics": {}, "results": RESULTS[:1]}
    callback.on_validation_end(trainer, module)
    callback.on_train_end(trainer, module)
    assert [(key, step, len(data)) for key, _, data, step in tables.tables] == [
        ("heldout/completions", 0, 4),
        ("heldout/completions", 2, 2),
    ]  # no training rollout yet: no train table
    assert [(tag, step) for tag, _, step in texts.texts] == [("heldout/samples", 0), ("heldout/samples", 2)]


def test_other_ranks_and_disabled_outputs_log_nothing() -> None:
    tables, texts = TableLogger(), TextLogger()
    module = SimpleNamespace(last_heldout={"step": 1, "metrics": {}, "results": RESULTS}, last_rollout=None)
    HeldoutSamples(n_prompts=2, prompt_chars=100, tables=True).on_validation_end(
        _trainer(tables, texts, zero=False), module
    )
    HeldoutSamples(n_prompts=0, prompt_chars=100, tables=False).on_validation_end(
        _trainer(tables, texts), module
    )
    assert tables.tables == [] and texts.texts == []


def test_modules_without_heldout_evaluations_are_ignored() -> None:
    tables = TableLogger()
    HeldoutSamples(n_prompts=2, prompt_chars=100, tables=True).on_validation_end(_trainer(tables), object())
    assert tables.tables == []


def test_default_callbacks_log_the_text_before_resume_logs_measures_it() -> None:
    # ResumableLogs records the log sizes a resume keeps at the end of each evaluation; callbacks run in
    # config order, so the held-out text must be written before then or a resume would cut it away.
    conf = OmegaConf.load(Path(__file__).resolve().parents[2] / "conf" / "callbacks" / "default.yaml")
    names = list(conf)
    assert names.index("heldout_samples") < names.index("resume_logs")
