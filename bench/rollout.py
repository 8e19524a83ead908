"""Rollout speed: r1lit's HFGenerator against plain `model.generate`, and the machine's FLOP-bound rate.

    python bench/rollout.py                    # r1lit-tiny (built on first use), 2 threads
    python bench/rollout.py --model random     # random-init Qwen2 with r1lit-tiny's shape, char tokenizer

Shapes: 8 prompts x 8 samples and 64 prompts x 1 sample, 64 new tokens, T=0.6, top-p 0.95 (the paper's
sampling), max batch 64 sequences. Every number is tokens/s = generated tokens / wall time of one call,
prompt tokenization and output decoding included on both sides; best of `--repeats` calls, the two
contenders alternating (the machine is shared: the best call is the least disturbed one).

Fair token counts: EOS is switched off on both sides so every sequence generates exactly
`--new-tokens` tokens (`eos_token_ids=[]` for HFGenerator; `min_new_tokens=max_new_tokens` for
`generate`, which masks EOS until then). Tokens are counted from what each call returned and checked
equal. With EOS on, HFGenerator would gain more: `generate` keeps computing finished rows.

FLOP bound: measured fp32 [1024 x 1024] matmul rate / (2 * parameters) FLOPs per token, the tokens/s
the machine could reach if decoding were pure matmul at that rate (attention and overheads ignored).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import torch

from r1lit.rollout import SamplingParams
from r1lit.rollout.hf import HFGenerator

SHAPES = ((8, 8), (64, 1))  # (prompts, samples per prompt)


def load(name: str) -> tuple[torch.nn.Module, object]:
    """(model, tokenizer): `random` builds r1lit-tiny's architecture with random weights."""
    if name != "random":
        from r1lit.models import load_causal_lm, load_tokenizer

        return load_causal_lm(name).eval(), load_tokenizer(name)
    from r1lit.rollout.testing import char_tokenizer, tiny_qwen2

    try:
        from r1lit.tiny.specs import get_spec

        spec = get_spec("r1lit-tiny")
        shape = dict(
            hidden=spec.hidden_size, layers=spec.num_layers, vocab=spec.vocab_size, mlp=spec.intermediate_size
        )
    except ImportError:
        shape = dict(hidden=128, layers=4, vocab=512, mlp=512)
    tok = char_tokenizer(shape["vocab"])
    model = tiny_qwen2(
        len(tok), hidden=shape["hidden"], layers=shape["layers"], intermediate_size=shape["mlp"]
    )
    return model, tok


def make_prompts(k: int) -> list[str]:
    """Deterministic arithmetic prompts of varied length (so left padding is exercised)."""
    rng = random.Random(0)
    out = []
    for _ in range(k):
        terms = " + ".join(str(rng.randint(1, 999)) for _ in range(rng.randint(2, 6)))
        out.append(f"A conversation. User: What is {terms}? Assistant: <think>")
    return out


def run_ours(gen: HFGenerator, prompts: list[str], params: SamplingParams) -> int:
    out = gen.generate(prompts, params)
    return sum(len(c.token_ids) for comps in out for c in comps)


def run_generate(model, tok, prompts: list[str], params: SamplingParams) -> int:
    enc = tok(prompts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = model.generate(
            **enc,
            do_sample=True,
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=0,
            num_return_sequences=params.n,
            max_new_tokens=params.max_new_tokens,
            min_new_tokens=params.max_new_tokens,
            pad_token_id=tok.pad_token_id,
        )
    new = out[:, enc["input_ids"].shape[1] :]  # [P*n, T]
    tok.batch_decode(new, skip_special_tokens=True)
    return new.numel()


def best_rate(fns: dict[str, Callable[[], int]], repeats: int) -> dict[str, float]:
    """tokens/s of each contender: best of `repeats` alternating calls, after one warm-up call each."""
    counts = {k: fn() for k, fn in fns.items()}
    best = dict.fromkeys(fns, 0.0)
    for _ in range(repeats):
        for k, fn in fns.items():
            start = time.perf_counter()
            counts[k] = fn()
            best[k] = max(best[k], counts[k] / (time.perf_counter() - start))
    assert len(set(counts.values())) == 1, f"token counts differ: {counts}"
    return best


def matmul_gflops(size: int = 1024, reps: int = 10) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * reps / best / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="r1lit-tiny", help="r1lit-tiny, any HF name/path, or 'random'")
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    try:
        model, tok = load(args.model)
    except ImportError as e:  # r1lit.tiny not there yet
        print(f"# cannot load {args.model!r} ({e}); falling back to --model random")
        args.model = "random"
        model, tok = load("random")
    n_params = sum(p.numel() for p in model.parameters())
    gflops = matmul_gflops()
    bound = gflops * 1e9 / (2 * n_params)
    print(
        f"# model={args.model} params={n_params / 1e6:.2f}M threads={args.threads} new_tokens={args.new_tokens}"
    )
    ours = HFGenerator(model, tok, max_batch_size=64, eos_token_ids=[])
    ours_hf = HFGenerator(model, tok, max_batch_size=64, eos_token_ids=[], decoder="hf")
    rows, speedups = [], []
    for n_prompts, n in SHAPES:
        prompts = make_prompts(n_prompts)
        params = SamplingParams(n=n, temperature=0.6, top_p=0.95, max_new_tokens=args.new_tokens, seed=0)
        rates = best_rate(
            {
                "ours": lambda p=prompts, s=params: run_ours(ours, p, s),
                "ours_hf_forward": lambda p=prompts, s=params: run_ours(ours_hf, p, s),
                "generate": lambda p=prompts, s=params: run_generate(model, tok, p, s),
            },
            args.repeats,
        )
        speedups.append(rates["ours"] / rates["generate"])
        rows.append((f"{n_prompts}x{n}", rates, speedups[-1]))
    print(
        f"{'shape':>6} | {'ours':>9} | {'ours, model.forward':>19} | {'generate':>9} | {'speedup':>7} | {'of FLOP bound':>13}"
    )
    for shape, r, s in rows:
        print(
            f"{shape:>6} | {r['ours']:9.0f} | {r['ours_hf_forward']:19.0f} | {r['generate']:9.0f} | "
            f"{s:6.2f}x | {100 * r['ours'] / bound:12.1f}%"
        )
    print(
        f"# FLOP bound: {gflops:.1f} GFLOP/s fp32 matmul / {2 * n_params / 1e6:.2f} MFLOP per token = {bound:.0f} tok/s"
    )
    summary = " ".join(f"ours_{s}={r['ours']:.0f} generate_{s}={r['generate']:.0f}" for s, r, _ in rows)
    print(f"RESULT speedup_vs_hf_generate={min(speedups):.2f} {summary} flop_bound_tok_s={bound:.0f}")


if __name__ == "__main__":
    main()
