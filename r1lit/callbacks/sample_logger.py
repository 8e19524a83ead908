"""Log a few sampled completions as text every N steps (TensorBoard `add_text`, plus a JSONL file).

Reading samples is how one notices reward hacking, format collapse or the first "wait, let me check"
long before a scalar shows it. The module must expose `last_rollout` (r1lit.modules.grpo_rollout.Rollout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L

from r1lit.io import append_jsonl


def fence(text: str) -> str:
    """TensorBoard renders markdown: indent so tags like <think> show verbatim."""
    return "\n".join("    " + line for line in text.splitlines())


class SampleLogger(L.Callback):
    """Every `every_n_steps` batches, log the first completion of the first `n_groups` prompts.

    Args:
        every_n_steps: logging interval in training batches (0 disables).
        n_groups: prompts shown per logged step (one completion each, with reward and advantage).
        jsonl: also append the samples here (null: TensorBoard only).
    """

    def __init__(self, every_n_steps: int, n_groups: int, jsonl: str | None) -> None:
        self.every, self.n_groups = every_n_steps, n_groups
        self.jsonl = Path(jsonl) if jsonl else None

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        rollout = getattr(pl_module, "last_rollout", None)
        if rollout is None or not trainer.is_global_zero or self.every <= 0 or rollout.step % self.every:
            return
        g = rollout.group_size
        rows = []
        for b in range(min(self.n_groups, len(rollout.groups))):
            i = b * g
            rows.append(
                {
                    "step": rollout.step,
                    "prompt": rollout.prompts[b],
                    "completion": rollout.texts[i],
                    "reward": rollout.rewards.total[i],
                    "advantage": float(rollout.advantages[i]),
                    "finish_reason": rollout.finish_reasons[i],
                    "length": rollout.lengths[i],
                }
            )
        text = "\n\n---\n\n".join(
            f"**reward {r['reward']}, advantage {r['advantage']:+.3f}, {r['length']} tokens ({r['finish_reason']})**\n\n"
            f"{fence(r['prompt'][-300:])}\n\n{fence(r['completion'])}"
            for r in rows
        )
        for logger in trainer.loggers:
            experiment = getattr(logger, "experiment", None)
            if hasattr(experiment, "add_text"):
                experiment.add_text("samples", text, global_step=rollout.step)
        if self.jsonl is not None:
            append_jsonl(self.jsonl, rows)
