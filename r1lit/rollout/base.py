"""The generation contract shared by every backend (HF, vLLM, scripted fake).

GRPO rollouts, rejection sampling and the eval harness call `Generator.generate` and nothing else;
no caller asks which backend is running.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from r1lit.rollout.fields import check_types, require

# A prompt is raw text (used verbatim) or chat messages ([{"role": ..., "content": ...}, ...]),
# which a backend renders with the tokenizer's chat template (add_generation_prompt=True).
Prompt = str | list[dict[str, str]]
FinishReason = Literal["stop", "length"]
PromptOverflow = Literal["fail", "left_truncate"]  # see r1lit.rollout.context


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. Defaults are neutral; the paper's protocol (T=0.6, top-p 0.95) lives in YAML."""

    n: int = 1  # completions per prompt
    temperature: float = 1.0  # 0 means greedy
    top_p: float = 1.0
    top_k: int = 0  # 0 disables top-k
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()  # generation ends after the first occurrence; the stop string is kept in text
    seed: int | None = None  # same seed + same prompts -> same completions
    prompt_overflow: PromptOverflow = "fail"  # a prompt with no room left in the model's context

    def __post_init__(self) -> None:
        if not isinstance(self.stop, tuple | str):  # a list (or Hydra's ListConfig) from a config
            object.__setattr__(self, "stop", tuple(self.stop))
        check_types(self)
        require(self, "n", self.n >= 1, "an int >= 1")
        require(self, "temperature", self.temperature >= 0, "a number >= 0 (0 = greedy)")
        require(self, "top_p", 0 < self.top_p <= 1, "a number in (0, 1]")
        require(self, "top_k", self.top_k >= 0, "an int >= 0 (0 = off)")
        require(self, "max_new_tokens", self.max_new_tokens >= 1, "an int >= 1")


@dataclass
class Completion:
    """One sampled continuation of one prompt."""

    text: str  # decoded completion, special tokens skipped
    token_ids: list[int]  # sampled tokens, including the EOS token when one ended the sequence
    logprobs: list[float]  # per sampled token, under the sampling distribution (after T / top-p / top-k)
    finish_reason: FinishReason  # "stop": EOS or a stop string; "length": hit its budget (below)
    prompt_token_ids: list[int] = field(default_factory=list)  # the ids the model saw (no padding)
    max_new_tokens: int | None = None  # this sample's budget: max_new_tokens capped by the model's context
    prompt_truncated: int = 0  # prompt tokens dropped from the left to fit the context (prompt_overflow)


@runtime_checkable
class Generator(Protocol):
    """Anything that turns prompts into `n` completions each."""

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        """Return, for each prompt in order, a list of `params.n` completions."""
        ...
