"""Show each held-out evaluation's completions in the trackers: tables (wandb) and TensorBoard text.

At each held-out evaluation (the module's `last_heldout`, set by `GRPOModule._publish_heldout`):

- loggers with `log_table` (wandb) get `heldout/completions`: one row per held-out sample (step, problem
  id, sample index, prompt, completion, gold, extracted answer, correct, status, length, truncated), and
  `train/completions`: one row per completion of the latest training rollout, with every reward
  component, the total and the advantage;
- TensorBoard gets a markdown text summary `heldout/samples`: the first `n_prompts` problems with all
  their k samples, fenced so tags such as <think> show verbatim.

What each table can honestly claim: held-out samples are judged by the held-out evaluation, which calls
the task's one check (`r1lit.tasks.check`, the same check the accuracy reward calls) and computes no
training reward, so their rows carry `correct` and `status`, not reward components. The reward
components come from the training rollout, scored by the run's reward terms.

Loggers without tables (CSV) need nothing here: the module already writes the same per-sample data to
`<heldout_jsonl stem>_samples.jsonl` (one line per prompt per evaluation), which the resume callback
cuts back with the checkpoints; writing it again would log the same data twice.
"""

from __future__ import annotations

from typing import Any

import lightning as L

from r1lit.callbacks.sample_logger import fence

HELDOUT_COLUMNS = [
    "step",
    "id",
    "sample",
    "prompt",
    "completion",
    "answer",
    "pred",
    "correct",
    "status",
    "length",
    "truncated",
]


def heldout_rows(step: int, results: list[dict[str, Any]]) -> list[list[Any]]:
    """One row per held-out sample (HELDOUT_COLUMNS) from `r1lit.modules.heldout.score_groups` results."""
    return [
        [
            step,
            r["id"],
            j,
            r["prompt"],
            text,
            r["answer"],
            r["preds"][j],
            r["correct"][j],
            r["status"][j],
            r["lengths"][j],
            r["truncated"][j],
        ]
        for r in results
        for j, text in enumerate(r["texts"])
    ]


def rollout_table(rollout: Any) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of a training rollout (`r1lit.modules.grpo_rollout.Rollout`): one row per completion.

    Reward components are the unweighted values of each term (None: the term does not apply).
    """
    names = list(rollout.rewards.components)
    columns = [
        "step",
        "group",
        "prompt",
        "completion",
        *[f"reward/{n}" for n in names],
        "reward/total",
        "advantage",
        "correct",
        "length",
        "finish_reason",
    ]
    g = rollout.group_size
    rows = [
        [
            rollout.step,
            i // g,
            rollout.prompts[i // g],
            text,
            *[rollout.rewards.components[n][i] for n in names],
            rollout.rewards.total[i],
            float(rollout.advantages[i]),
            rollout.correct[i],
            rollout.lengths[i],
            rollout.finish_reasons[i],
        ]
        for i, text in enumerate(rollout.texts)
    ]
    return columns, rows


def heldout_markdown(results: list[dict[str, Any]], n_prompts: int, prompt_chars: int) -> str:
    """Markdown for TensorBoard: the first `n_prompts` problems, each with all its samples and verdicts."""
    blocks = []
    for r in results[:n_prompts]:
        samples = "\n\n".join(
            f"sample {j}: **{r['status'][j]}**, answer `{r['preds'][j]}`, {r['lengths'][j]} tokens"
            f"{' (truncated)' if r['truncated'][j] else ''}\n\n{fence(text)}"
            for j, text in enumerate(r["texts"])
        )
        prompt = fence((r["prompt"] or "")[-prompt_chars:])
        blocks.append(f"### {r['id']} (gold `{r['answer']}`)\n\n{prompt}\n\n{samples}")
    return "\n\n---\n\n".join(blocks)


class HeldoutSamples(L.Callback):
    """Log each held-out evaluation's completions to every logger that can show them (module docstring).

    Args:
        n_prompts: problems shown in the TensorBoard text (all their samples); 0 disables the text.
        prompt_chars: the last this many characters of each prompt are shown in the text.
        tables: log the completion tables to loggers with `log_table` (wandb).
    """

    def __init__(self, n_prompts: int, prompt_chars: int, tables: bool) -> None:
        self.n_prompts, self.prompt_chars, self.tables = n_prompts, prompt_chars, tables
        self._logged: Any = None  # the evaluation last logged (each is logged once)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # after the module's on_validation_epoch_end, which publishes the evaluation
        self._log_new(trainer, pl_module)

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        # the base-model evaluation (eval_at_start) runs in the module's on_train_start, after the callbacks'
        self._log_new(trainer, pl_module)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._log_new(trainer, pl_module)

    def _log_new(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        evaluation = getattr(pl_module, "last_heldout", None)
        if evaluation is None or evaluation is self._logged or not trainer.is_global_zero:
            return
        self._logged = evaluation
        step, results = evaluation["step"], evaluation["results"]
        rollout = getattr(pl_module, "last_rollout", None)
        text = heldout_markdown(results, self.n_prompts, self.prompt_chars) if self.n_prompts > 0 else ""
        for logger in trainer.loggers:
            if self.tables and hasattr(logger, "log_table"):
                logger.log_table(
                    "heldout/completions", HELDOUT_COLUMNS, heldout_rows(step, results), step=step
                )
                if rollout is not None:
                    columns, rows = rollout_table(rollout)
                    logger.log_table("train/completions", columns, rows, step=step)
            experiment = getattr(logger, "experiment", None)
            if text and hasattr(experiment, "add_text"):
                experiment.add_text("heldout/samples", text, global_step=step)
