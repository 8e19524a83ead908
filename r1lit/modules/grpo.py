"""GRPO (DeepSeek-R1 §2.2.1) as a LightningModule: rollout -> rewards -> advantages -> loss -> optimizer step.

Implements the objective of DeepSeek-R1 eq. 1-3 (= DeepSeekMath eq. 3 with outcome supervision): for
each prompt q, sample G completions o_1..o_G from pi_theta_old, score them with the rule-based rewards
(§2.2.2), compute group-relative advantages A_i = (r_i - mean(r)) / std(r) (eq. 3,
`r1lit.algos.group_advantages`) and minimise the clipped surrogate with a k3 KL penalty to the frozen
initial policy (eq. 1-2, `r1lit.algos.grpo_loss`), taking `num_iterations` (the paper's mu) gradient
steps on every batch. All the math lives in `r1lit.algos`; this file only orchestrates it.

Where it differs from the paper, on purpose:
- beta = 0 loads no reference model (open-r1 / DAPO / Dr. GRPO practice); the paper uses beta > 0.
  With LoRA (`lora.r > 0`) the reference is the policy with its adapters disabled: no second copy.
- With mu = 1, pi_theta_old == pi_theta, so old log-probs are the detached current ones (no extra
  forward); with mu > 1 they come from one no-grad forward before the first update.
- Dropout is disabled in the policy and the reference (as TRL does): samples come from the eval-mode
  policy, so the training forward must compute the same distribution.
- Log-probs are taken at the sampling temperature (logits / T), as in TRL, so the ratio and KL refer to
  the distribution the samples came from.
- With `is_correction` (on by default with rollout=vllm) each token's surrogate is weighted by the
  truncated ratio of the trainer's to the generator's log-prob (`r1lit.algos.importance`): vLLM's
  kernels sample from a slightly different distribution than the trainer scores. `ratio_level=sequence`
  is GSPO's sequence-level ratio.
- `loss_agg`, `reward_scale`, clip-higher (`epsilon_high`), overlong masking (`mask_truncated`),
  dynamic sampling and an entropy bonus are options (DAPO, Dr. GRPO); the paper is
  `loss_agg=grpo reward_scale=group epsilon_high=null mask_truncated=false dynamic_sampling=false`.

Step accounting: one dataloader batch = one rollout = `num_iterations` optimizer steps. Lightning's
`global_step` (and `trainer.max_steps`) count optimizer steps, so a run consumes max_steps / mu batches;
batches are indexed by the datamodule's own step counter (`batch["step"]`), which is what seeds the
rollout. Use checkpoint / HF-export intervals that are multiples of mu. A batch's training metrics
are logged at the optimizer step its updates start from (= batch index x mu), held-out metrics at the
number of optimizer steps done (0 = the base model).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import random
import time
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import lightning as L
import torch

from r1lit.algos import build_loss_mask, grpo_loss, importance_weights, truncated_rows
from r1lit.algos.grpo_loss import LOSS_AGGREGATIONS
from r1lit.fsdp import gathered
from r1lit.lora import is_lora
from r1lit.memory import release_freed_memory
from r1lit.models import load_causal_lm, load_tokenizer
from r1lit.modules import grpo_args, heldout
from r1lit.modules.grpo_reference import FrozenScorer
from r1lit.modules.grpo_rollout import Rollout, RolloutSampler, collect_rollout
from r1lit.modules.grpo_stats import merge_rank_metrics, reflection_pattern, rollout_metrics
from r1lit.modules.optim import Schedule, adamw_with_schedule
from r1lit.modules.policy import frozen_model, trainable_policy
from r1lit.modules.rollout_batch import PackedRollout, completion_logprobs, micro_batches, pack_completions
from r1lit.rewards.compose import build_reward_terms, reward_config
from r1lit.rollout import SamplingParams, build_generator

log = logging.getLogger(__name__)


class GRPOModule(L.LightningModule):
    """Group Relative Policy Optimization of `model_name_or_path` against rule-based rewards.

    Args:
        model_name_or_path, revision, dtype: the policy (and reference) checkpoint, see r1lit.models.
        rewards: the `reward` config group, `{name: {weight, outcome, fn}}` (`stage.module.rewards: ${reward}`;
            r1lit.rewards.compose.build_reward_terms).
        rollout: the `rollout` config: `backend` plus that backend's options (r1lit.rollout.build_generator).
        sampling: rollout SamplingParams; `n` is the group size G, `seed` is set per step.
        eval_sampling: held-out SamplingParams; `n` is k for pass@1-over-k and cons@k.
        beta: KL coefficient (0: no reference model is loaded).
        kl_estimator, epsilon_low, epsilon_high, loss_agg, entropy_coef: see r1lit.algos.grpo_loss.
        ratio_level: "token" (the paper) or "sequence" (GSPO), see r1lit.algos.importance.
        is_correction: truncated importance sampling of trainer vs generator log-probs, a key of
            r1lit.algos.IS_CORRECTIONS, or "auto" (grpo_args.AUTO_IS_CORRECTION for the rollout backend,
            else none).
        is_cap: the importance weight's upper bound (truncate to it, or mask above it).
        reward_scale: advantage denominator, see r1lit.algos.group_advantages.
        num_iterations: mu, optimizer steps per rollout batch.
        mask_truncated: leave completions that hit max_new_tokens out of the loss (DAPO overlong filtering).
        dynamic_sampling: drop zero-variance groups and refill with fresh prompts (DAPO).
        max_refill_rounds: extra rollouts per step at most when refilling.
        learning_rate, weight_decay, betas, warmup_steps, lr_schedule: AdamW and its per-step schedule.
        max_grad_norm: gradient clipping (null: no clipping; the norm is logged either way).
        micro_batch_size: completions per forward/backward (rounded to whole groups; null: all at once).
        share_prompt_prefix: run each prompt once per group in the training forward (see rollout_batch.py).
        length_buckets: with share_prompt_prefix, score completions in this many batches of similar length.
        gradient_checkpointing: HF gradient checkpointing (needs share_prompt_prefix=false).
        reference_offload: load the reference for each rollout's scoring and free it after, instead of
            keeping a second copy of the weights (full fine-tuning with beta != 0; same numbers).
        lora: LoRA adapters (r1lit.lora.apply_lora keywords; r = 0: full fine-tuning).
        logprob_chunk_size: LM-head positions scored at once, never building [N, L, V] logits (null: full
            logits; see rollout_batch.py).
        log_entropy: compute per-token entropies for logging.
        accuracy_term: the reward term whose value > 0 means "correct" (for accuracy and length splits).
        reflection_phrases: phrases counted for the reflection rate (case-insensitive, whole words).
        eval_answer_kind: grader kind for held-out answers.
        eval_at_start: evaluate the base model on the held-out set before the first step.
        heldout_jsonl: where per-evaluation held-out results are appended (null: not written).
        seed: seeds rollouts (with the batch's step) and held-out sampling.
    """

    def __init__(
        self,
        model_name_or_path: str,
        revision: str | None,
        dtype: str,
        rewards: dict[str, Any],
        rollout: dict[str, Any],
        sampling: SamplingParams,
        eval_sampling: SamplingParams,
        beta: float,
        kl_estimator: grpo_args.KLEstimator,
        epsilon_low: float,
        epsilon_high: float | None,
        loss_agg: grpo_args.LossAgg,
        reward_scale: grpo_args.RewardScale,
        entropy_coef: float,
        ratio_level: grpo_args.RatioLevel,
        is_correction: str,
        is_cap: float,
        num_iterations: int,
        mask_truncated: bool,
        dynamic_sampling: bool,
        max_refill_rounds: int,
        learning_rate: float,
        weight_decay: float,
        betas: tuple[float, float] | list[float],
        warmup_steps: int,
        lr_schedule: Schedule,
        max_grad_norm: float | None,
        micro_batch_size: int | None,
        share_prompt_prefix: bool,
        length_buckets: int,
        gradient_checkpointing: bool,
        reference_offload: bool,
        lora: dict[str, Any],
        logprob_chunk_size: int | None,
        log_entropy: bool,
        accuracy_term: str | None,
        reflection_phrases: Sequence[str],
        eval_answer_kind: grpo_args.AnswerKind,
        eval_at_start: bool,
        heldout_jsonl: str | None,
        seed: int,
    ) -> None:
        super().__init__()
        self.rewards = build_reward_terms(rewards)
        grpo_args.check_args({**locals(), "rewards": self.rewards})
        self.save_hyperparameters(ignore=["rewards", "sampling", "eval_sampling"])
        # as plain data: loggers cannot serialise frozen dataclasses, checkpoints load no functions
        self.hparams.update(
            rewards=reward_config(rewards),
            sampling=dataclasses.asdict(sampling),
            eval_sampling=dataclasses.asdict(eval_sampling),
        )
        self.automatic_optimization = False
        self.sampling, self.eval_sampling = sampling, eval_sampling
        self.reflection = reflection_pattern(list(reflection_phrases))
        auto = grpo_args.AUTO_IS_CORRECTION.get(rollout["backend"], "none")
        self.is_correction = auto if is_correction == "auto" else is_correction
        self.policy: torch.nn.Module | None = None
        self.tokenizer = None
        self._generator = None
        self.last_rollout: Rollout | None = None  # read by callbacks (sample logging)
        self._heldout_results: list[dict[str, Any]] = []
        self.last_heldout: dict[str, Any] | None = None  # {step, metrics, results}: read by callbacks

    # ---- models ------------------------------------------------------------------------------------
    def configure_model(self) -> None:
        if self.policy is not None:
            return
        hp = self.hparams
        self.tokenizer = load_tokenizer(hp.model_name_or_path, hp.revision)
        # No dropout: the rollout samples from the eval-mode policy, so dropout would make the ratio and
        # KL compare against another policy (GPT-2's 0.1: KL 3.07 before any update). TRL does the same.
        policy = load_causal_lm(hp.model_name_or_path, hp.revision, hp.dtype)
        self.policy = trainable_policy(
            policy, dropout=False, lora=hp.lora, gradient_checkpointing=hp.gradient_checkpointing
        )
        reference = None
        if hp.beta != 0.0 and not is_lora(self.policy) and not hp.reference_offload:  # LoRA: adapters off
            reference = frozen_model(load_causal_lm(hp.model_name_or_path, hp.revision, hp.dtype))
        # Not a registered submodule: the frozen reference stays out of checkpoints, DDP and the optimizer.
        object.__setattr__(self, "reference", reference)

    @property
    def generator(self) -> Any:
        if self._generator is None:
            opts = {k: v for k, v in self.hparams.rollout.items() if k != "backend"}
            self._generator = build_generator(
                self.hparams.rollout["backend"], self.policy, self.tokenizer, **opts
            )
        return self._generator

    def configure_optimizers(self) -> dict:
        hp = self.hparams
        return adamw_with_schedule(
            list(self.policy.parameters()),
            hp.learning_rate,
            hp.weight_decay,
            hp.betas,
            hp.warmup_steps,
            self.trainer.max_steps,
            hp.lr_schedule,
        )

    def on_fit_start(self) -> None:
        if self.reference is not None:
            self.reference.to(self.device)
        if str(self.trainer.precision) == "16-mixed":
            raise ValueError("trainer.precision=16-mixed is not supported by GRPO; use bf16-mixed or 32-true")
        if self.trainer.max_steps % self.hparams.num_iterations:
            log.warning(
                "trainer.max_steps=%d is not a multiple of num_iterations=%d",
                self.trainer.max_steps,
                self.hparams.num_iterations,
            )

    # ---- training ----------------------------------------------------------------------------------
    def rollout_sampler(self) -> RolloutSampler:
        """What `collect_rollout` samples with and scores by (this rank's seeds)."""
        hp = self.hparams
        return RolloutSampler(
            self.generator,
            self.tokenizer,
            self.rewards,
            self.sampling,
            hp.seed,
            self.global_rank,
            hp.accuracy_term,
            hp.reward_scale,
            hp.dynamic_sampling,
            hp.max_refill_rounds,
        )

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        t0 = time.perf_counter()
        rank, world = self.global_rank, self.trainer.world_size
        refill = functools.partial(self.trainer.datamodule.refill_batch, rank=rank, world_size=world)
        any_rank = functools.partial(self.trainer.strategy.reduce_boolean_decision, all=False)
        with gathered(self):  # FSDP: whole weights for generation (no collective per decode step)
            rollout = collect_rollout(self.rollout_sampler(), batch, refill, any_rank)
        t_rollout = time.perf_counter() - t0
        packed = pack_completions(rollout.groups, self.tokenizer.pad_token_id)
        t1 = time.perf_counter()
        metrics = self._optimize(rollout, packed)
        t_train = time.perf_counter() - t1
        self.last_rollout = rollout
        metrics.update(rollout_metrics(rollout, self.reflection))
        metrics.update(
            {
                "time/rollout_s": t_rollout,
                "time/train_s": t_train,
                "time/step_s": time.perf_counter() - t0,
                "throughput/rollout_tokens_per_s": rollout.completion_tokens / max(t_rollout, 1e-9),
                "throughput/train_tokens_per_s": packed.n_tokens
                * self.hparams.num_iterations
                / max(t_train, 1e-9),
            }
        )
        self._log_metrics(metrics)

    def _optimize(self, rollout: Rollout, packed: PackedRollout) -> dict[str, float]:
        """mu optimizer steps on one rollout, micro-batched; returns averaged loss metrics."""
        hp, g = self.hparams, packed.group_size
        per_mb = None if hp.micro_batch_size is None else max(1, hp.micro_batch_size // g)
        ranges = list(micro_batches(packed.n_groups, per_mb))
        chunks = [packed.groups(a, b).to(self.device) for a, b in ranges]
        truncated = truncated_rows(rollout.finish_reasons, device=self.device)  # [N]
        valid = ~torch.isnan(rollout.reward_tensor).to(self.device)  # [N]
        masks = [
            build_loss_mask(
                c.completion_mask,
                truncated=truncated[a * g : b * g] if hp.mask_truncated else None,
                reward_valid=valid[a * g : b * g],
            )
            for c, (a, b) in zip(chunks, ranges, strict=True)
        ]
        advantages = rollout.advantages.to(self.device)  # [N]
        num_tokens = sum(m.sum() for m in masks)
        scorer = FrozenScorer(
            self.sampling.temperature, hp.share_prompt_prefix, hp.length_buckets, hp.logprob_chunk_size
        )
        ref = (
            scorer.reference(self.policy, self.reference, self._reference_copy, chunks)
            if hp.beta != 0.0
            else None
        )
        old = [scorer.logprobs(self.policy, c) for c in chunks] if hp.num_iterations > 1 else None
        optimizer, scheduler = self.optimizers(), self.lr_schedulers()
        aggregation = LOSS_AGGREGATIONS[hp.loss_agg]  # says how micro-batch losses combine
        sums: dict[str, float] = {}
        for _ in range(hp.num_iterations):
            optimizer.zero_grad(set_to_none=True)
            for i, (chunk, (a, b)) in enumerate(zip(chunks, ranges, strict=True)):
                weight = aggregation.micro_batch_weight(b - a, packed.n_groups)
                with self._grad_sync(last=i == len(chunks) - 1):
                    loss, m = self._chunk_loss(
                        chunk,
                        masks[i],
                        advantages[a * g : b * g],
                        num_tokens,
                        old=None if old is None else old[i],
                        ref=None if ref is None else ref[i],
                    )
                    self.manual_backward(loss * weight)
                for key, value in m.items():
                    sums[f"train/{key}"] = (
                        sums.get(f"train/{key}", 0.0) + float(value) * (b - a) / packed.n_groups
                    )
            sums["train/grad_norm"] = sums.get("train/grad_norm", 0.0) + float(self._clip_gradients())
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)  # no stale gradients through the next rollout
            scheduler.step()
        release_freed_memory()  # the next rollout starts from live bytes, not glibc's cached heap
        return {k: v / hp.num_iterations for k, v in sums.items()}

    def _chunk_loss(
        self,
        chunk: PackedRollout,
        mask: torch.Tensor,
        advantages: torch.Tensor,
        num_tokens: torch.Tensor,
        old: torch.Tensor | None,
        ref: torch.Tensor | None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """One micro-batch's GRPO loss (with grad) and its metrics.  # [n, Lc] mask, [n] advantages"""
        hp = self.hparams
        logps, entropy = completion_logprobs(
            self.policy,
            chunk,
            self.sampling.temperature,
            hp.share_prompt_prefix,
            with_entropy=hp.log_entropy,
            entropy_grad=hp.entropy_coef != 0,
            n_buckets=hp.length_buckets,
            chunk_size=hp.logprob_chunk_size,
        )
        trainer_old = logps.detach() if old is None else old  # pi_theta_old on the trainer's side
        is_w, metrics = importance_weights(
            trainer_old, chunk.sampling_logps, mask, self.is_correction, hp.is_cap
        )
        loss, m = grpo_loss(
            logps,
            advantages,
            mask,
            epsilon_low=hp.epsilon_low,
            beta=hp.beta,
            loss_agg=hp.loss_agg,
            epsilon_high=hp.epsilon_high,
            old_logps=old,
            ref_logps=ref,
            kl_estimator=hp.kl_estimator,
            entropies=entropy,
            entropy_coef=hp.entropy_coef,
            max_completion_length=self.sampling.max_new_tokens,
            num_tokens=num_tokens,
            ratio_level=hp.ratio_level,
            is_weights=is_w,
        )
        metrics.update(m, loss=loss.detach())
        return loss, metrics

    def _reference_copy(self) -> torch.nn.Module | None:
        """With `reference_offload` (full fine-tuning): a fresh frozen reference for one rollout's scoring."""
        hp = self.hparams
        if not hp.reference_offload or is_lora(self.policy):
            return None
        return frozen_model(load_causal_lm(hp.model_name_or_path, hp.revision, hp.dtype)).to(self.device)

    def _grad_sync(self, last: bool) -> Any:
        """Under DDP, all-reduce gradients only on the last micro-batch's backward."""
        ddp = self.trainer.strategy.model
        return nullcontext() if last or not hasattr(ddp, "no_sync") else ddp.no_sync()

    def _clip_gradients(self) -> torch.Tensor:
        """Clip to max_grad_norm (if set) and return the total norm before clipping."""
        max_norm = self.hparams.max_grad_norm or float("inf")
        wrapped = self.trainer.strategy.model
        if hasattr(wrapped, "clip_grad_norm_"):  # FSDP: the norm over all shards
            return wrapped.clip_grad_norm_(max_norm)
        return torch.nn.utils.clip_grad_norm_(self.policy.parameters(), max_norm)

    def _log_metrics(self, metrics: dict[str, float]) -> None:
        """Send this step's metrics straight to the loggers, at step = optimizer steps before this batch.

        Not `self.log`: within an epoch Lightning re-logs a key's last value on steps that do not log
        it (e.g. `length/correct/*` when nothing was correct), and its per-key `sync_dist` needs the
        same keys on every rank. Here, under DDP, one `all_gather_object` merges the ranks' dicts:
        `*/min` and `*/max` reduce with min / max, the rest by mean, each over the ranks that have it.
        """
        if self.trainer.world_size > 1:
            gathered: list[dict[str, float]] = [{} for _ in range(self.trainer.world_size)]
            torch.distributed.all_gather_object(gathered, metrics)
            metrics = merge_rank_metrics(gathered)
        step = self.global_step - self.hparams.num_iterations  # this batch's first optimizer step
        for logger in self.loggers:
            logger.log_metrics(metrics, step=step)

    # ---- held-out evaluation -------------------------------------------------------------------------
    def on_train_start(self) -> None:
        if self.hparams.heldout_jsonl and self.global_rank == 0 and self.global_step > 0:  # resumed
            heldout.truncate_jsonl(self.hparams.heldout_jsonl, self.global_step)
        if self.hparams.eval_at_start and self.global_step == 0:
            loader = self.trainer.datamodule.val_dataloader()
            batches = [b for i, b in enumerate(loader) if i % self.trainer.world_size == self.global_rank]
            with gathered(self):
                self._heldout_results = [r for i, b in enumerate(batches) for r in self._heldout_batch(b, i)]
            self._publish_heldout(in_validation=False)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        with gathered(self):
            self._heldout_results.extend(self._heldout_batch(batch, batch_idx))

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self._publish_heldout(in_validation=True)
        self._heldout_results = []

    def _heldout_batch(self, batch: dict[str, Any], batch_idx: int) -> list[dict[str, Any]]:
        params = dataclasses.replace(self.eval_sampling, seed=self.hparams.seed * 7_919 + batch_idx)
        groups = self.generator.generate(batch["prompt"], params)
        return heldout.score_groups(groups, batch, self.hparams.eval_answer_kind)

    def _publish_heldout(self, in_validation: bool) -> None:
        """Aggregate over ranks, log at step = optimizer steps done (0 = base model), append the JSONL."""
        results = heldout.gather_results(self._heldout_results)
        self._heldout_results = []
        if not results:
            return
        metrics = heldout.summarize(results, k=self.eval_sampling.n)
        step = self.global_step
        self.last_heldout = {"step": step, "metrics": metrics, "results": results}  # sample tables
        for logger in self.loggers:  # explicit step: the JSONL, TensorBoard and CSV agree
            logger.log_metrics(metrics, step=step)
        if in_validation:  # also into trainer.callback_metrics (optimized_metric, early stopping)
            self.log_dict(metrics, logger=False, on_step=False, on_epoch=True, sync_dist=False)
        if self.hparams.heldout_jsonl and self.global_rank == 0:
            heldout.append_jsonl(self.hparams.heldout_jsonl, step, metrics, results)
        log.info("held-out @ step %d: %s", step, {k: round(v, 4) for k, v in metrics.items()})

    # ---- checkpointed RNG state (rollouts are seeded per step; this covers anything else) ---------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["rng"] = {"torch": torch.get_rng_state(), "python": random.getstate()}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "rng" in checkpoint:
            torch.set_rng_state(checkpoint["rng"]["torch"])
            random.setstate(checkpoint["rng"]["python"])
