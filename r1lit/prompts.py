"""Prompt templates: turn a question into a `Prompt` (raw text or chat messages) for any generator.

- `r1_zero`: the DeepSeek-R1 paper's Table 1 template, raw text ending in "Assistant:"; the model
  is expected to continue with `<think> ... </think> <answer> ... </answer>`.
- `chat_boxed`: one user chat message with the instruction the paper uses for its evaluations
  ("Please reason step by step, and put your final answer within \\boxed{}."); a backend renders it
  with the tokenizer's chat template.

Pure (no Lightning, no torch), outside `r1lit/data/` (the DataModules): the evaluation harness, the
tiny-model corpus builder, the stages and the DataModules all build their prompts here.
"""

from __future__ import annotations

from collections.abc import Callable

from r1lit.rollout.base import Prompt

R1_ZERO = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user "
    "with the answer. The reasoning process and answer are enclosed within <think> </think> and "
    "<answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> "
    "<answer> answer here </answer>. User: {question}. Assistant:"
)
BOXED_INSTRUCTION = "\nPlease reason step by step, and put your final answer within \\boxed{}."


def r1_zero(question: str) -> Prompt:
    """Paper Table 1, raw text."""
    return R1_ZERO.format(question=question)


def chat_boxed(question: str) -> Prompt:
    """A single user message: the question followed by the step-by-step / \\boxed{} instruction."""
    return [{"role": "user", "content": question + BOXED_INSTRUCTION}]


TEMPLATES: dict[str, Callable[[str], Prompt]] = {"r1_zero": r1_zero, "chat_boxed": chat_boxed}


def build_prompt(template: str, question: str) -> Prompt:
    """Render `question` with the template named `template`.

    Raises:
        ValueError: for an unknown template name (the message lists the allowed ones).
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown prompt template {template!r}; expected one of {sorted(TEMPLATES)}")
    return TEMPLATES[template](question)
