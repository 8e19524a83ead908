"""GRPO step speed: r1lit's GRPOModule (through Lightning, as `r1lit-train` runs it) vs TRL's GRPOTrainer.

    python bench/grpo.py                         # r1lit-tiny, 3 rounds x (ours, trl), 2 threads
    python bench/grpo.py --rounds 1 --steps 3    # quicker

Same model (fp32), same prompts (r1_zero template, synthetic arithmetic, in the same order), same
rewards (r1lit's accuracy + format functions), same settings on both sides: 8 prompts x 8 samples,
64 new tokens max, beta = 0.04 (k3 KL to a frozen reference), T = 0.6, top-p 0.95, the "grpo" loss
aggregation (per-sequence mean) on both, mu = 1, lr 1e-6, 2 torch threads, CPU.

TRL 1.16 settings that make the comparison fair: `per_device_train_batch_size=64` (it counts
completions, not prompts), `gradient_checkpointing=False` and `bf16=False` (both on by default),
`beta=0.04` and `loss_type="grpo"` (defaults are 0 and "dapo"), `shuffle_dataset=False` (we feed it
our step order).

Each side runs in its own process (`--side ours|trl`), and the rounds alternate ours, trl, ours, trl...
so a noisy neighbour hits both. A step is timed from the start of the batch to the end of the
optimizer step (rollout, rewards, reference and policy forward/backward, optimizer); the first
`--warmup` steps are dropped. Peak memory is the process's max RSS. The last line is machine-readable:
`RESULT speedup_vs_trl=<trl median / ours median> step_s=<ours median> trl_step_s=<trl median>`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPTS, SAMPLES, NEW_TOKENS, BETA, TEMPERATURE, TOP_P, LR, SEED = 8, 8, 64, 0.04, 0.6, 0.95, 1e-6, 0
REPO = Path(__file__).resolve().parents[1]


def step_prompts(n_steps: int) -> list[dict]:
    """The records our datamodule trains on at steps 0..n_steps-1, flattened in order."""
    from r1lit.data.batching import batch_indices
    from r1lit.data.sources import synthetic

    records = synthetic("train", n=4000, seed=SEED, difficulty=3)
    idx = [i for s in range(n_steps) for i in batch_indices(len(records), PROMPTS, SEED, s)]
    return [records[i] for i in idx]


def run_ours(model_path: str, n_steps: int) -> list[float]:
    import hydra
    import lightning as L
    from hydra import compose, initialize_config_dir

    overrides = [
        f"model.name_or_path={model_path}",
        f"seed={SEED}",
        "data.heldout=null",
        "callbacks=none",
        "logger=csv",
        f"paths.run_dir={tempfile.mkdtemp(prefix='bench_grpo_')}",
        f"trainer.max_steps={n_steps}",
        "trainer.enable_progress_bar=false",
        "+trainer.enable_model_summary=false",
        f"stage.datamodule.batch_size={PROMPTS}",
        f"stage.module.sampling.n={SAMPLES}",
        f"stage.module.sampling.max_new_tokens={NEW_TOKENS}",
        f"stage.module.sampling.temperature={TEMPERATURE}",
        f"stage.module.sampling.top_p={TOP_P}",
        f"stage.module.beta={BETA}",
        "stage.module.loss_agg=grpo",
        f"stage.module.learning_rate={LR}",
        "stage.module.max_grad_norm=1.0",
        "stage.module.eval_at_start=false",
        "stage.module.heldout_jsonl=null",
        "reward=[accuracy,format]",
    ]
    with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    times: list[float] = []

    class StepTimer(L.Callback):
        def on_train_batch_start(self, *args: object) -> None:
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, *args: object) -> None:
            times.append(time.perf_counter() - self.t0)

    L.seed_everything(SEED)
    datamodule = hydra.utils.instantiate(cfg.stage.datamodule)
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")  # rewards: stage.module.rewards
    trainer = hydra.utils.instantiate(cfg.trainer, callbacks=[StepTimer()], logger=False)
    trainer.fit(module, datamodule=datamodule)
    return times


def run_trl(model_path: str, n_steps: int) -> list[float]:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from r1lit.prompts import build_prompt
    from r1lit.rewards.accuracy import accuracy_reward as r1lit_accuracy
    from r1lit.rewards.format import format_reward as r1lit_format

    def accuracy(completions: list[str], **kw: object) -> list[float | None]:
        return r1lit_accuracy(completions, kind="math", **kw)

    def format_(completions: list[str], **kw: object) -> list[float | None]:
        return r1lit_format(completions, **kw)

    rows = [
        {"prompt": build_prompt("r1_zero", r["question"]), "answer": r["answer"]}
        for r in step_prompts(n_steps)
    ]
    tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype="float32")
    args = GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="bench_trl_"),
        per_device_train_batch_size=PROMPTS * SAMPLES,
        gradient_accumulation_steps=1,
        num_generations=SAMPLES,
        max_completion_length=NEW_TOKENS,
        temperature=TEMPERATURE,
        top_p=TOP_P,
        beta=BETA,
        loss_type="grpo",
        scale_rewards="group",
        learning_rate=LR,
        lr_scheduler_type="constant",
        max_grad_norm=1.0,
        max_steps=n_steps,
        gradient_checkpointing=False,
        bf16=False,
        use_cpu=True,
        report_to="none",
        logging_steps=1,
        save_strategy="no",
        seed=SEED,
        shuffle_dataset=False,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, *args: object, **kw: object) -> None:
            self.t0 = time.perf_counter()

        def on_step_end(self, *args: object, **kw: object) -> None:
            times.append(time.perf_counter() - self.t0)

    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[accuracy, format_],
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        callbacks=[StepTimer()],
    )
    trainer.train()
    return times


def child(side: str, model: str, n_steps: int, threads: int, out: str) -> None:
    import torch

    torch.set_num_threads(threads)
    from r1lit.models import resolve_model_path

    path = resolve_model_path(model)
    times = (run_ours if side == "ours" else run_trl)(path, n_steps)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out).write_text(json.dumps({"side": side, "times": times, "peak_rss_mb": peak_mb}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="r1lit-tiny")
    ap.add_argument("--rounds", type=int, default=3, help="processes per side, alternating")
    ap.add_argument("--steps", type=int, default=6, help="timed steps per process")
    ap.add_argument("--warmup", type=int, default=1, help="untimed first steps per process")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--side", choices=["ours", "trl"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        return child(args.side, args.model, args.warmup + args.steps, args.threads, args.out)
    from r1lit.models import resolve_model_path

    resolve_model_path(args.model)  # build the tiny model once, outside the timed processes
    results: dict[str, dict[str, list[float]]] = {
        "ours": {"times": [], "peak": []},
        "trl": {"times": [], "peak": []},
    }
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}
    for r in range(args.rounds):
        for side in ("ours", "trl"):
            with tempfile.NamedTemporaryFile(suffix=".json") as f:
                # left unformatted: each flag stays beside its value
                cmd = [sys.executable, __file__, "--side", side, "--model", args.model, "--out", f.name,
                       "--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads)]  # fmt: skip
                subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                res = json.loads(Path(f.name).read_text())
            timed = res["times"][args.warmup :]
            results[side]["times"] += timed
            results[side]["peak"].append(res["peak_rss_mb"])
            print(
                f"round {r} {side:4s}: median {statistics.median(timed):.3f} s/step over {len(timed)} steps, "
                f"peak RSS {res['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    ours, trl = (statistics.median(results[s]["times"]) for s in ("ours", "trl"))
    peak_ours, peak_trl = (max(results[s]["peak"]) for s in ("ours", "trl"))
    print(f"ours: {ours:.3f} s/step, peak RSS {peak_ours:.0f} MB")
    print(f"trl:  {trl:.3f} s/step, peak RSS {peak_trl:.0f} MB")
    print(
        f"RESULT speedup_vs_trl={trl / ours:.2f} step_s={ours:.3f} trl_step_s={trl:.3f} "
        f"peak_rss_mb={peak_ours:.0f} trl_peak_rss_mb={peak_trl:.0f}"
    )


if __name__ == "__main__":
    main()
