"""One generation interface for GRPO rollouts, rejection sampling and the evaluation harness."""

from r1lit.rollout.base import Completion, Generator, Prompt, SamplingParams

__all__ = ["Completion", "Generator", "Prompt", "SamplingParams"]
