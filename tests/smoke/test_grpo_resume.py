"""Kill a GRPO run hard, tear its last.ckpt, resume it: same metrics as an uninterrupted run, each logged once.

Three `r1lit-train` subprocesses on the reduced tiny model, checkpointing and evaluating every 2 steps:
an uninterrupted run A; run B, which `os._exit`s (no flush, like `kill -9`) as global step 5 starts, after
the step-4 checkpoint, the step-4 evaluation and one more logged batch; then B's `last.ckpt` is cut in
half (a kill while it was written) and B is run again with `resume=auto`. The resumed run must fall
back to `step_000004.ckpt` with a warning naming `last.ckpt`, and then:
- every metric of every step (rewards, loss, KL, grad norm, held-out pass@1 ...; not wall-clock
  timings) equals A's, in metrics.csv, with each (step, metric) in exactly one row;
- TensorBoard (every event file together), samples.jsonl and heldout.jsonl hold each step exactly once
  and nothing from before the kill is lost: they equal A's.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

MAX_STEPS = 6
KILL_AT = 5  # global step at whose batch start run B dies: after checkpoint + evaluation at 4
SKIP_PREFIXES = ("time/", "throughput/", "epoch")
KILLER = """
import os
import lightning as L


class KillAt(L.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os._exit(9)
"""


def _command(model: Path, run_dir: Path, *extra: str) -> list[str]:
    overrides = [
        f"model.name_or_path={model}", f"hydra.run.dir={run_dir}", "resume=auto", "seed=3",
        f"trainer.max_steps={MAX_STEPS}", "trainer.val_check_interval=2", "trainer.enable_progress_bar=false",
        "data.train.n=64", "data.heldout.n=4", "stage.datamodule.batch_size=2", "stage.datamodule.eval_batch_size=2",
        "stage.module.sampling.n=4", "stage.module.sampling.max_new_tokens=12", "stage.module.eval_sampling.n=2",
        "stage.module.learning_rate=1e-3", "stage.module.beta=0.04", "stage.module.num_iterations=1",
        "callbacks=grpo", "callbacks.model_checkpoint.every_n_train_steps=2", "callbacks.hf_export=null",
        "callbacks.lr_monitor=null", "callbacks.sample_logger.every_n_steps=1", "logger=many",
        "+logger.csv.flush_logs_every_n_steps=1", *extra,  # rows past the checkpoint reach the disk before the kill
    ]  # fmt: skip
    return [sys.executable, "-m", "r1lit.cli.train", *overrides]


def _env(extra_path: Path | None = None) -> dict[str, str]:
    # One thread: identical kernels in every run (and no thread thrashing on a shared CI machine).
    path = os.pathsep.join(filter(None, [str(extra_path or ""), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
            "PYTHONPATH": path}  # fmt: skip


def _run(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    with log.open("w") as f:
        return subprocess.run(
            cmd, env=env or _env(), stdout=f, stderr=subprocess.STDOUT, timeout=600
        ).returncode


def _csv_cells(run_dir: Path) -> Counter:
    """(step, metric, value) of every non-empty cell of metrics.csv, counted."""
    cells: Counter = Counter()
    for row in csv.DictReader((run_dir / "csv" / "metrics.csv").open()):
        for key, value in row.items():
            if key != "step" and value not in ("", None) and not key.startswith(SKIP_PREFIXES):
                cells[(int(row["step"]), key, round(float(value), 6))] += 1
    return cells


def _tb_scalars(run_dir: Path) -> Counter:
    """(tag, step) of every scalar in every TensorBoard event file, counted (no reader-side purging)."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    seen: Counter = Counter()
    for path in sorted((run_dir / "tb").glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if not value.tag.startswith(SKIP_PREFIXES):
                    seen[(value.tag, event.step)] += 1
    return seen


def _steps(path: Path) -> list[int]:
    return [json.loads(line)["step"] for line in path.read_text().splitlines()]


def test_kill_tear_last_ckpt_resume_logs_each_step_once(tiny_model_dir: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(_command(tiny_model_dir, a), tmp_path / "a.log") == 0, (tmp_path / "a.log").read_text()[
        -3000:
    ]

    (tmp_path / "killer").mkdir()
    (tmp_path / "killer" / "kill_at.py").write_text(KILLER)
    kill = ["+callbacks.kill._target_=kill_at.KillAt", f"+callbacks.kill.step={KILL_AT}"]
    code = _run(_command(tiny_model_dir, b, *kill), tmp_path / "b1.log", _env(tmp_path / "killer"))
    assert code == 9, (tmp_path / "b1.log").read_text()[-3000:]
    last = b / "checkpoints" / "last.ckpt"
    assert (b / "checkpoints" / "step_000004.ckpt").is_file()
    os.truncate(last, last.stat().st_size // 2)

    assert _run(_command(tiny_model_dir, b), tmp_path / "b2.log") == 0, (tmp_path / "b2.log").read_text()[
        -3000:
    ]
    assert (
        "skipping checkpoint" in (tmp_path / "b2.log").read_text()
        and str(last) in (tmp_path / "b2.log").read_text()
    )

    full, resumed = _csv_cells(a), _csv_cells(b)
    assert max(resumed.values()) == 1, [cell for cell, n in resumed.items() if n > 1][:5]
    assert resumed.keys() == full.keys(), (
        sorted(full.keys() - resumed.keys())[:5],
        sorted(resumed.keys() - full.keys())[:5],
    )
    assert {step for step, key, _ in resumed if key == "heldout/pass@1"} == {0, 2, 4, 6}

    tb_full, tb_resumed = _tb_scalars(a), _tb_scalars(b)
    assert max(tb_resumed.values()) == 1 and tb_resumed == tb_full
    assert {("train/loss", s) for s in range(MAX_STEPS)} | {("heldout/pass@1", 4)} <= tb_full.keys()

    for name in ("samples.jsonl", "heldout.jsonl", "heldout_samples.jsonl"):
        assert (b / name).read_text() == (a / name).read_text(), name
    assert Counter(_steps(b / "samples.jsonl")) == Counter(
        {s: 2 for s in range(MAX_STEPS)}
    )  # 2 prompts a step
