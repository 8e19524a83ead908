"""GRPOModule's argument types and the checks that fail on bad values before any model is loaded.

The `Literal` types are what `r1lit.stages.validate` checks a config against (with the allowed values in
its message); `check_args` catches what a type cannot say (ranges, options that exclude each other, an
`accuracy_term` that names no reward term) and reports every problem at once.
"""

from __future__ import annotations

from typing import Any, Literal

from r1lit.algos import IS_CORRECTIONS

LossAgg = Literal["grpo", "bnpo", "dapo", "token", "dr_grpo"]
RewardScale = Literal["group", "batch", "none"]
KLEstimator = Literal["k1", "k2", "k3"]
RatioLevel = Literal["token", "sequence"]
AnswerKind = Literal["math", "int", "choice"]
# `is_correction=auto`: the correction each rollout backend needs (vLLM samples with other kernels).
AUTO_IS_CORRECTION = {"vllm": "token_truncate"}


def check_args(args: dict[str, Any]) -> None:
    """Raise one ValueError naming every bad value of GRPOModule's arguments (`rewards` as RewardTerms)."""
    problems = []
    if not args["rewards"]:
        problems.append("rewards: at least one reward term is needed (reward=[accuracy,format])")
    if args["sampling"].n < 2:
        problems.append(f"sampling.n={args['sampling'].n}: GRPO needs a group of at least 2 samples")
    if args["sampling"].temperature <= 0:
        problems.append("sampling.temperature must be > 0 (log-probs are taken at the sampling temperature)")
    if args["beta"] < 0 or args["epsilon_low"] <= 0 or args["learning_rate"] <= 0:
        problems.append("beta must be >= 0, epsilon_low and learning_rate > 0")
    if args["num_iterations"] < 1 or args["max_refill_rounds"] < 0:
        problems.append("num_iterations must be >= 1 and max_refill_rounds >= 0")
    if args["micro_batch_size"] is not None and args["micro_batch_size"] < 1:
        problems.append("micro_batch_size must be >= 1 or null")
    if args["logprob_chunk_size"] is not None and args["logprob_chunk_size"] < 1:
        problems.append("logprob_chunk_size must be >= 1 or null")
    if args["is_correction"] not in (*IS_CORRECTIONS, "auto") or args["is_cap"] <= 0:
        problems.append(f"is_correction must be auto or one of {sorted(IS_CORRECTIONS)}, is_cap > 0")
    if args["length_buckets"] < 1:
        problems.append(f"length_buckets must be >= 1, got {args['length_buckets']}")
    if args["gradient_checkpointing"] and args["share_prompt_prefix"]:
        problems.append("gradient_checkpointing disables the KV cache: set share_prompt_prefix=false")
    names = [t.name for t in args["rewards"]]
    if args["accuracy_term"] is not None and args["accuracy_term"] not in names:
        problems.append(f"accuracy_term={args['accuracy_term']!r} is not a reward term (terms: {names})")
    if problems:
        raise ValueError("stage.module: " + "; ".join(problems))
