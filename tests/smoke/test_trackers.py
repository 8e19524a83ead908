"""A short GRPO run logging to wandb (offline), TensorBoard and CSV at once: each shows the held-out samples.

One `r1lit-train` subprocess on the reduced tiny model, 2 steps, a held-out evaluation at steps 0, 1, 2,
with `logger=[wandb,tensorboard,csv]` and WANDB_MODE=offline (no network, no account). Then:
- the offline wandb run folder under the run dir holds a `heldout/completions` table per evaluation,
  each with one row per held-out sample, and a `train/completions` table with the reward components;
- the TensorBoard event file holds a `heldout/samples` text summary at every held-out step, showing a
  sample's completion verbatim;
- heldout_samples.jsonl holds the same samples (the CSV logger's view of them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("wandb")

HELDOUT_N, EVAL_K, STEPS = 2, 2, 2


def _train(model: Path, run_dir: Path, log: Path) -> None:
    overrides = [
        f"model.name_or_path={model}", f"hydra.run.dir={run_dir}", "seed=1", f"trainer.max_steps={STEPS}",
        "trainer.val_check_interval=1", "trainer.enable_progress_bar=false", "data.train.n=16",
        f"data.heldout.n={HELDOUT_N}", "stage.datamodule.batch_size=2", "stage.datamodule.eval_batch_size=2",
        "stage.module.sampling.n=2", "stage.module.sampling.max_new_tokens=8",
        f"stage.module.eval_sampling.n={EVAL_K}", "stage.module.num_iterations=1", "callbacks=grpo",
        "callbacks.hf_export=null", "callbacks.model_checkpoint=null", "logger=[wandb,tensorboard,csv]",
    ]  # fmt: skip
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
    env.pop("WANDB_DIR", None)  # the run dir's own wandb/ folder, from logger.wandb.save_dir
    with log.open("w") as f:
        code = subprocess.run(
            [sys.executable, "-m", "r1lit.cli.train", *overrides], env=env, stdout=f, stderr=subprocess.STDOUT,
            timeout=600,
        ).returncode  # fmt: skip
    assert code == 0, log.read_text()[-3000:]


def _wandb_tables(run_dir: Path, key: str) -> list[dict]:
    """Every table logged under `key` in the offline wandb run (the JSON files wandb writes per table)."""
    (offline,) = (run_dir / "wandb").glob("offline-run-*")
    media = offline / "files" / "media" / "table" / Path(key).parent
    return [json.loads(p.read_text()) for p in sorted(media.glob(f"{Path(key).name}_*.table.json"))]


def _tb_texts(run_dir: Path, tag: str) -> dict[int, str]:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    texts = {}
    for path in sorted((run_dir / "tb").glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.tag.startswith(tag):
                    texts[event.step] = b"".join(value.tensor.string_val).decode()
    return texts


def test_heldout_samples_in_wandb_tensorboard_and_jsonl(tiny_model_dir: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _train(tiny_model_dir, run_dir, tmp_path / "train.log")
    lines = [json.loads(x) for x in (run_dir / "heldout_samples.jsonl").read_text().splitlines()]
    steps = sorted({r["step"] for r in lines})
    assert steps == [0, 1, 2] and len(lines) == len(steps) * HELDOUT_N

    tables = _wandb_tables(run_dir, "heldout/completions")
    assert len(tables) == len(steps)
    for table in tables:
        assert table["columns"][:5] == ["step", "id", "sample", "prompt", "completion"]
        assert len(table["data"]) == HELDOUT_N * EVAL_K
    logged = {(row[0], row[1], row[2]): row[4] for table in tables for row in table["data"]}
    expected = {(r["step"], r["id"], j): t for r in lines for j, t in enumerate(r["texts"])}
    assert logged == expected  # every held-out sample of every evaluation, its text as graded

    train_tables = _wandb_tables(run_dir, "train/completions")
    assert train_tables and {"reward/accuracy", "reward/format", "reward/total"} <= set(
        train_tables[0]["columns"]
    )

    texts = _tb_texts(run_dir, "heldout/samples")
    assert sorted(texts) == steps
    for step in steps:
        first = next(r for r in lines if r["step"] == step)
        shown = [line.strip() for line in first["texts"][0].splitlines() if line.strip()]
        assert first["id"] in texts[step] and all(line in texts[step] for line in shown), texts[step][:500]
