"""The generation contract shared by every backend (HF, vLLM, scripted fake).

GRPO rollouts, rejection sampling and the eval harness call `Generator.generate` and nothing else;
no caller asks which backend is running.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

# A prompt is raw text (used verbatim) or chat messages ([{"role": ..., "content": ...}, ...]),
# which a backend renders with the tokenizer's chat template (add_generation_prompt=True).
Prompt = str | list[dict[str, str]]
FinishReason = Literal["stop", "length"]


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

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"SamplingParams.n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"SamplingParams.temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"SamplingParams.top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ValueError(f"SamplingParams.max_new_tokens must be >= 1, got {self.max_new_tokens}")
        object.__setattr__(self, "stop", tuple(self.stop))


@dataclass
class Completion:
    """One sampled continuation of one prompt."""

    text: str  # decoded completion, special tokens skipped
    token_ids: list[int]  # sampled tokens, including the EOS token when one ended the sequence
    logprobs: list[float]  # per sampled token, under the sampling distribution (after T / top-p / top-k)
    finish_reason: FinishReason  # "stop": EOS or a stop string; "length": hit max_new_tokens
    prompt_token_ids: list[int] = field(default_factory=list)  # the rendered prompt's ids (no padding)


@runtime_checkable
class Generator(Protocol):
    """Anything that turns prompts into `n` completions each."""

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        """Return, for each prompt in order, a list of `params.n` completions."""
        ...
