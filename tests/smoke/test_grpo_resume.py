"""`kill -9` a GRPO run after a checkpoint exists, resume it, and get exactly the uninterrupted run's metrics.

Three `r1lit-train` subprocesses on the reduced tiny model: an uninterrupted run A; run B killed with
SIGKILL as soon as its step-2 checkpoint is on disk; run B again with the same run dir and
`resume=auto`. Every logged metric of every step B trains after resuming (rewards, loss, KL, clip
fractions, grad norm, lengths, held-out pass@1 ...; not wall-clock timings) must equal A's.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MAX_STEPS = 6
SKIP_PREFIXES = ("time/", "throughput/", "epoch")


def _command(model: Path, run_dir: Path) -> list[str]:
    overrides = [
        f"model.name_or_path={model}", f"hydra.run.dir={run_dir}", "resume=auto", "seed=3",
        f"trainer.max_steps={MAX_STEPS}", "trainer.val_check_interval=3", "trainer.enable_progress_bar=false",
        "data.train.n=64", "data.heldout.n=4", "stage.datamodule.batch_size=2", "stage.datamodule.eval_batch_size=2",
        "stage.module.sampling.n=4", "stage.module.sampling.max_new_tokens=12", "stage.module.eval_sampling.n=2",
        "stage.module.learning_rate=1e-3", "stage.module.beta=0.04", "stage.module.num_iterations=1",
        "callbacks=default", "callbacks.model_checkpoint.every_n_train_steps=2", "callbacks.hf_export=null",
        "callbacks.lr_monitor=null", "logger=csv",
    ]  # fmt: skip
    return [sys.executable, "-m", "r1lit.cli.train", *overrides]


def _env() -> dict[str, str]:
    # One thread: identical kernels in every run (and no thread thrashing on a shared CI machine).
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def _metrics_by_step(run_dir: Path) -> dict[int, dict[str, float]]:
    rows = list(csv.DictReader((run_dir / "csv" / "metrics.csv").open()))
    out: dict[int, dict[str, float]] = {}
    for row in rows:
        values = {k: float(v) for k, v in row.items() if v not in ("", None) and k != "step"}
        out.setdefault(int(row["step"]), {}).update(
            {k: v for k, v in values.items() if not k.startswith(SKIP_PREFIXES)}
        )
    return out


def _run(cmd: list[str], log: Path) -> None:
    with log.open("w") as f:
        proc = subprocess.run(cmd, env=_env(), stdout=f, stderr=subprocess.STDOUT, timeout=600)
    assert proc.returncode == 0, log.read_text()[-3000:]


def test_kill9_then_resume_matches_uninterrupted(tiny_model_dir: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _run(_command(tiny_model_dir, a), tmp_path / "a.log")

    with (tmp_path / "b1.log").open("w") as f:
        proc = subprocess.Popen(_command(tiny_model_dir, b), env=_env(), stdout=f, stderr=subprocess.STDOUT)
    first_ckpt = b / "checkpoints" / "step_000002.ckpt"
    deadline = time.monotonic() + 600
    while not (first_ckpt.is_file() and (b / "checkpoints" / "last.ckpt").is_file()):
        assert proc.poll() is None, (tmp_path / "b1.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "no checkpoint within 10 minutes"
        time.sleep(0.05)
    time.sleep(0.2)  # let the checkpoint file be fully written
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    killed_at = max(int(p.stem.split("_")[1]) for p in (b / "checkpoints").glob("step_*.ckpt"))
    assert killed_at < MAX_STEPS

    _run(_command(tiny_model_dir, b), tmp_path / "b2.log")
    full, resumed = _metrics_by_step(a), _metrics_by_step(b)
    compared = [s for s in resumed if s >= killed_at]
    assert compared and max(compared) >= MAX_STEPS - 1
    for step in compared:
        assert full[step].keys() == resumed[step].keys(), step
        for key, value in full[step].items():
            assert resumed[step][key] == pytest.approx(value, rel=1e-6, abs=1e-9), (step, key)
    assert any("train/loss" in resumed[s] for s in compared)
    assert any("heldout/pass@1" in resumed[s] for s in compared)

    heldout_a = [json.loads(line) for line in (a / "heldout.jsonl").read_text().splitlines()]
    heldout_b = [json.loads(line) for line in (b / "heldout.jsonl").read_text().splitlines()]
    assert heldout_b == heldout_a
