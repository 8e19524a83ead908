"""Memory and speed at full model size: r1lit's GRPO step vs TRL's GRPOTrainer, and generation vs `generate`.

    python bench/scale.py                                  # everything, issue-16 settings (hours on 2 CPU cores)
    python bench/scale.py --parts grpo --new-tokens 64     # one part, shorter completions
    python bench/scale.py --device cuda --dtype bfloat16   # on a GPU (bench/gpu_check.sh runs this)

Model: `r1lit-shape/qwen2.5-0.5b` (Qwen2.5-0.5B's exact shape and 152k vocabulary, random weights, built
into the r1lit cache on first use; `--big-model` for the 1.5B shape). Parts, each case in its own process
(peak memory is the process's: max RSS on CPU, `torch.cuda.max_memory_allocated` on a GPU):

- `grpo`: one GRPO step of `--prompts` 4 x G=`--samples` 4 x `--new-tokens` 256, beta 0.04 (k3 KL to a
  frozen reference), loss "grpo", lr 1e-6, T=1: ours full fine-tune (`r1lit-train` config, Lightning),
  ours with LoRA r=16 (reference = adapters disabled), TRL GRPOTrainer full and with its peft LoRA
  (same r, alpha, targets), `gradient_checkpointing=False` on both sides unless `--gradient-checkpointing`
  (TRL's default is on), our
  completion log-probs chunked (`logprob_chunk_size`, the config default). A random-weight model almost
  never samples EOS, so every completion runs to `--new-tokens`. s/step is the median after `--warmup`.
- `lengths`: our full fine-tune's peak memory at 256 / 512 / 1024 new tokens (one step each).
- `generate`: 16 rows x 128 new tokens (4 prompts x 4 samples, T=1): our `HFGenerator` vs HF
  `model.generate(do_sample=True)`, tokens/s; with the machine's memory bandwidth (best of 5 copies of
  a 1 GiB tensor, read + write) and the decode bound rows x bandwidth / weight bytes (each decode step
  reads every weight once), the fraction of that bound each reaches.
- `big`: one LoRA GRPO step at the 1.5B shape (does it fit, and its peak).

Memory options (off by default, the issue's settings): `--micro-batch 4` scores 4 completions per
forward/backward on both sides (ours `micro_batch_size`, TRL `per_device_train_batch_size` with gradient
accumulation: the same 16 per optimizer step); `--reference-offload` loads our reference per rollout
instead of keeping a second copy; `--ours-mmap-threshold 1048576` sets our `malloc_mmap_threshold`
(r1lit-train's option); `--malloc-mmap-threshold 131072` sets glibc's MALLOC_MMAP_THRESHOLD_ for every
case, TRL's included, so freed activations go back to the OS and RSS follows live bytes.

The README's numbers: `--gradient-checkpointing --reference-offload --ours-mmap-threshold 1048576`.

Last line: `RESULT` with every measured number and ratio; targets (issue 16): full fine-tune peak
<= 0.7x TRL's and <= 11 GB, LoRA <= 4 GB, step time >= 1.5x TRL's, generation >= 1.5x `generate`.
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

REPO = Path(__file__).resolve().parents[1]
SEED, BETA, LR, LORA_R, LORA_ALPHA = 0, 0.04, 1e-6, 16, 32
GEN_PROMPTS, GEN_SAMPLES, GEN_TOKENS = 4, 4, 128
GRPO_CASES = ("ours_full", "trl_full", "ours_lora", "trl_lora")


def prompts(n: int) -> list[dict]:
    """`n` synthetic arithmetic problems as R1-Zero prompts (the same on both sides)."""
    from r1lit.data.sources import synthetic
    from r1lit.prompts import build_prompt

    return [
        {"prompt": build_prompt("r1_zero", r["question"]), "answer": r["answer"]}
        for r in synthetic("train", n=n, seed=SEED, difficulty=3)
    ]


def peak_memory_mb(device: str) -> float:
    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(a: argparse.Namespace, lora: bool, new_tokens: int) -> list[float]:
    import hydra
    import lightning as L
    from hydra import compose, initialize_config_dir

    gpu = a.device == "cuda"
    overrides = [
        f"model.name_or_path={a.model}",
        f"model.dtype={a.dtype}",
        f"seed={SEED}",
        "data.heldout=null",
        "callbacks=none",
        "logger=csv",
        f"paths.run_dir={tempfile.mkdtemp(prefix='bench_scale_')}",
        f"trainer={'gpu' if gpu else 'cpu'}",
        f"trainer.max_steps={a.warmup + a.steps}",
        "trainer.enable_progress_bar=false",
        "+trainer.enable_model_summary=false",
        f"stage.datamodule.batch_size={a.prompts}",
        f"stage.module.sampling.n={a.samples}",
        f"stage.module.sampling.max_new_tokens={new_tokens}",
        f"stage.module.beta={BETA}",
        "stage.module.loss_agg=grpo",
        f"stage.module.learning_rate={LR}",
        "stage.module.eval_at_start=false",
        "stage.module.heldout_jsonl=null",
        "reward=[accuracy,format]",
        f"stage.module.lora.r={LORA_R if lora else 0}",
        f"stage.module.lora.alpha={LORA_ALPHA}",
        f"stage.module.micro_batch_size={a.micro_batch or 'null'}",
    ]
    if a.reference_offload:  # only when asked: the key is newer than some trees this bench runs on
        overrides.append("stage.module.reference_offload=true")
    if a.ours_mmap_threshold:
        overrides.append(f"malloc_mmap_threshold={a.ours_mmap_threshold}")
    if a.gradient_checkpointing:  # recomputation has no KV cache to share a prompt's prefix with
        overrides += ["stage.module.gradient_checkpointing=true", "stage.module.share_prompt_prefix=false"]
    if gpu and a.dtype == "bfloat16":
        overrides.append("trainer.precision=bf16-true")
    with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    times: list[float] = []

    class StepTimer(L.Callback):
        def on_train_batch_start(self, *args: object) -> None:
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, *args: object) -> None:
            times.append(time.perf_counter() - self.t0)

    if "malloc_mmap_threshold" in cfg:  # as r1lit-train does (r1lit.stages.fit); older trees lack the key
        from r1lit.memory import set_mmap_threshold

        set_mmap_threshold(cfg.malloc_mmap_threshold)
    L.seed_everything(SEED)
    datamodule = hydra.utils.instantiate(cfg.stage.datamodule)
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")  # rewards: stage.module.rewards
    trainer = hydra.utils.instantiate(cfg.trainer, callbacks=[StepTimer()], logger=False)
    trainer.fit(module, datamodule=datamodule)
    return times


def run_trl(a: argparse.Namespace, lora: bool, new_tokens: int) -> list[float]:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from r1lit.models import resolve_model_path
    from r1lit.rewards.accuracy import accuracy_reward
    from r1lit.rewards.format import format_reward

    def accuracy(completions: list[str], **kw: object) -> list[float | None]:
        return accuracy_reward(completions, kind="math", **kw)

    def format_(completions: list[str], **kw: object) -> list[float | None]:
        return format_reward(completions, **kw)

    path = resolve_model_path(a.model)
    n_steps = a.warmup + a.steps
    tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, a.dtype))
    peft_config = None
    if lora:
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=LORA_R, lora_alpha=LORA_ALPHA, target_modules="all-linear", task_type="CAUSAL_LM"
        )
    args = GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="bench_scale_trl_"),
        # --micro-batch: the same 16 completions per optimizer step, fewer per forward/backward
        per_device_train_batch_size=a.micro_batch or a.prompts * a.samples,
        gradient_accumulation_steps=a.prompts * a.samples // (a.micro_batch or a.prompts * a.samples),
        num_generations=a.samples,
        max_completion_length=new_tokens,
        temperature=1.0,
        beta=BETA,
        loss_type="grpo",
        scale_rewards="group",
        learning_rate=LR,
        lr_scheduler_type="constant",
        max_grad_norm=1.0,
        max_steps=n_steps,
        gradient_checkpointing=a.gradient_checkpointing,
        bf16=a.dtype == "bfloat16" and a.device == "cuda",
        use_cpu=a.device == "cpu",
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
        processing_class=tokenizer,
        train_dataset=Dataset.from_list(prompts(a.prompts * n_steps)),
        peft_config=peft_config,
        callbacks=[StepTimer()],
    )
    trainer.train()
    return times


def memory_bandwidth_gbs(device: str) -> float:
    """Best of 5 copies of a 1 GiB float32 tensor, counting bytes read + written."""
    import torch

    src = torch.ones(2**28, device=device)
    dst = torch.empty_like(src)
    best = float("inf")
    for _ in range(5):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        dst.copy_(src)
        if device == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return 2 * src.numel() * src.element_size() / best / 1e9


def run_generate(a: argparse.Namespace) -> dict[str, float]:
    """tokens/s of our HFGenerator and of `model.generate`, and the decode bandwidth bound."""
    import torch

    from r1lit.models import load_causal_lm, load_tokenizer
    from r1lit.rollout import SamplingParams
    from r1lit.rollout.hf import HFGenerator

    model = load_causal_lm(a.model, dtype=a.dtype, device=a.device).eval()
    tok = load_tokenizer(a.model)
    texts = [p["prompt"] for p in prompts(GEN_PROMPTS)]
    params = SamplingParams(n=GEN_SAMPLES, temperature=1.0, max_new_tokens=GEN_TOKENS, seed=SEED)
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    out: dict[str, float] = {}
    for rnd in range(2):  # round 0 warms up (allocator, kernels); round 1 is timed
        t0 = time.perf_counter()
        groups = HFGenerator(model, tok).generate(texts, params)
        sync()
        ours_s = time.perf_counter() - t0
        ours_tokens = sum(len(c.token_ids) for g in groups for c in g)
        enc = tok([t for t in texts for _ in range(GEN_SAMPLES)], return_tensors="pt", padding=True).to(
            a.device
        )
        t0 = time.perf_counter()
        with torch.no_grad():
            ids = model.generate(
                **enc,
                do_sample=True,
                temperature=1.0,
                top_k=0,
                max_new_tokens=GEN_TOKENS,
                min_new_tokens=GEN_TOKENS,
                pad_token_id=tok.pad_token_id,
            )
        sync()
        hf_s = time.perf_counter() - t0
        hf_tokens = (ids.shape[1] - enc["input_ids"].shape[1]) * ids.shape[0]
        if rnd == 1:
            out = {"ours_tok_s": ours_tokens / ours_s, "generate_tok_s": hf_tokens / hf_s}
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    bw = memory_bandwidth_gbs(a.device)
    bound = GEN_PROMPTS * GEN_SAMPLES * bw * 1e9 / weight_bytes  # tokens/s if each step only reads weights
    out.update(
        bandwidth_gbs=bw,
        bound_tok_s=bound,
        ours_frac_bound=out["ours_tok_s"] / bound,
        generate_frac_bound=out["generate_tok_s"] / bound,
    )
    return out


def child(a: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(a.threads)
    from r1lit.models import resolve_model_path

    resolve_model_path(a.model)
    if a.case == "generate":
        res: dict = run_generate(a)
    else:
        side, kind = a.case.split("_")  # ours_full, ours_lora, trl_full, trl_lora
        runner = run_ours if side == "ours" else run_trl
        res = {"times": runner(a, kind == "lora", a.new_tokens)}
    res["peak_mb"] = peak_memory_mb(a.device)
    Path(a.out).write_text(json.dumps(res))


def spawn(a: argparse.Namespace, case: str, **changes: object) -> dict | None:
    """Run one case in a fresh process; None if it failed (e.g. out of memory), with its log tail shown."""
    args = {**vars(a), **changes, "case": case}
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [sys.executable, __file__, "--case", case, "--out", f.name]
        for key in (
            "model",
            "dtype",
            "device",
            "prompts",
            "samples",
            "new_tokens",
            "steps",
            "warmup",
            "threads",
            "micro_batch",
        ):
            cmd += [f"--{key.replace('_', '-')}", str(args[key])]
        cmd += ["--reference-offload"] if args["reference_offload"] else []
        cmd += ["--gradient-checkpointing"] if args["gradient_checkpointing"] else []
        cmd += ["--ours-mmap-threshold", str(args["ours_mmap_threshold"])]
        env = {**os.environ, "OMP_NUM_THREADS": str(a.threads), "TOKENIZERS_PARALLELISM": "false"}
        if a.malloc_mmap_threshold:  # both sides: glibc then returns every larger block on free
            env["MALLOC_MMAP_THRESHOLD_"] = str(a.malloc_mmap_threshold)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{case} {changes} failed (exit {proc.returncode}):\n{proc.stderr[-1500:]}", flush=True)
            return None
        res = json.loads(Path(f.name).read_text())
    if "times" in res:
        timed = res["times"][a.warmup :] or res["times"]
        res["step_s"] = statistics.median(timed)
    print(f"{case} {changes or ''}: {json.dumps({k: v for k, v in res.items() if k != 'times'})}", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="r1lit-shape/qwen2.5-0.5b")
    ap.add_argument("--big-model", default="r1lit-shape/qwen2.5-1.5b")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--parts", default="grpo,lengths,generate,big")
    ap.add_argument("--cases", default="ours_full,trl_full,ours_lora,trl_lora", help="the grpo part's runs")
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--new-tokens", type=int, default=256)
    ap.add_argument("--lengths", default="256,512,1024")
    ap.add_argument("--steps", type=int, default=1, help="timed steps per process")
    ap.add_argument("--warmup", type=int, default=1, help="untimed first steps per process")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--micro-batch",
        type=int,
        default=0,
        help="completions per forward/backward on both sides (whole groups; 0 = all at once)",
    )
    ap.add_argument(
        "--reference-offload",
        action="store_true",
        help="ours: stage.module.reference_offload=true (the reference is loaded per rollout)",
    )
    ap.add_argument(
        "--malloc-mmap-threshold",
        type=int,
        default=0,
        help="bytes; glibc's MALLOC_MMAP_THRESHOLD_ for every case (RSS follows live bytes; 0 = glibc default)",
    )
    ap.add_argument(
        "--gradient-checkpointing",
        action="store_true",
        help="both sides recompute each layer in backward (TRL's default; ours needs share_prompt_prefix=false)",
    )
    ap.add_argument(
        "--ours-mmap-threshold",
        type=int,
        default=0,
        help="bytes; ours: r1lit-train's malloc_mmap_threshold (freed large blocks go back to the OS; 0 = unset)",
    )
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.case:
        return child(a)
    parts, gb = a.parts.split(","), 1 / 1024
    from r1lit.models import resolve_model_path

    for name in (a.model, a.big_model) if "big" in parts else (a.model,):
        resolve_model_path(name)  # build once, outside the measured processes
    result: dict[str, float] = {}
    if "grpo" in parts:
        runs = {case: spawn(a, case) if case in a.cases.split(",") else None for case in GRPO_CASES}
        for case, res in runs.items():
            if res:
                result[f"{case}_peak_gb"], result[f"{case}_step_s"] = res["peak_mb"] * gb, res["step_s"]
        for kind in ("full", "lora"):
            ours, trl = runs[f"ours_{kind}"], runs[f"trl_{kind}"]
            if ours and trl:
                result[f"{kind}_peak_vs_trl"] = ours["peak_mb"] / trl["peak_mb"]
                result[f"{kind}_speedup_vs_trl"] = trl["step_s"] / ours["step_s"]
    if "lengths" in parts:
        for n in map(int, a.lengths.split(",")):
            res = spawn(a, "ours_full", new_tokens=n, steps=1, warmup=0)
            if res:
                result[f"ours_full_peak_gb_at_{n}"] = res["peak_mb"] * gb
    if "generate" in parts and (res := spawn(a, "generate")):
        result.update({k: v for k, v in res.items() if k != "peak_mb"})
        result["generate_speedup"] = res["ours_tok_s"] / res["generate_tok_s"]
    if "big" in parts and (res := spawn(a, "ours_lora", model=a.big_model, steps=1, warmup=0)):
        result["big_lora_peak_gb"], result["big_lora_step_s"] = res["peak_mb"] * gb, res["step_s"]
    print("RESULT " + " ".join(f"{k}={v:.3g}" for k, v in result.items()))


if __name__ == "__main__":
    main()
