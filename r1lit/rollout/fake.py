"""`ScriptedGenerator`: a deterministic stand-in backend for tests of GRPO, rejection sampling and eval.

It returns scripted texts instead of sampling, behind the same `Generator` interface and with the same
conventions as the real backends (stop strings, `max_new_tokens`, finish reasons, token ids with a
trailing EOS when a tokenizer with one is given, and the context cap of `r1lit.rollout.context` when
`max_context` is given).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from r1lit.rollout.base import Completion, Prompt, SamplingParams
from r1lit.rollout.context import Budget, fit_to_context
from r1lit.rollout.stops import truncate_at_stop

Script = Sequence[str] | Mapping[str, Sequence[str]] | Callable[[Prompt, int], str]


def prompt_key(prompt: Prompt) -> str:
    """What a dict script is keyed by: the raw text, or the content of the last chat message."""
    return prompt if isinstance(prompt, str) else prompt[-1]["content"]


class ScriptedGenerator:
    """Answers prompts from a script; identical calls give identical answers.

    Args:
        script: one of
            - a list of texts: the k-th completion of a call (prompt i, sample j: k = i * n + j) gets
              `texts[k % len(texts)]`;
            - a dict `{prompt_key: texts}`: sample j of that prompt gets `texts[j % len(texts)]`
              (see `prompt_key`); prompts missing from it get `default`;
            - a callable `(prompt, j) -> text`.
        tokenizer: if given, token ids come from it (prompt ids through the chat template for messages)
            and `max_new_tokens` counts its tokens; otherwise one "token" per character (its code point),
            and the prompt ids are the code points of `prompt_key(prompt)`.
        default: texts for prompts a dict script does not mention (KeyError when None).
        logprob: the logprob reported for every token.
        max_context: a model context to emulate (prompt + completion tokens); None = unlimited.
    """

    def __init__(
        self,
        script: Script,
        tokenizer: Any | None = None,
        default: Sequence[str] | None = None,
        logprob: float = -1.0,
        max_context: int | None = None,
    ) -> None:
        if isinstance(script, str) or (isinstance(script, Sequence) and not script):
            raise ValueError("script must be a non-empty list of texts, a dict of them, or a callable")
        self.script, self.tokenizer, self.default, self.logprob = script, tokenizer, default, logprob
        self.max_context = max_context
        self.calls: list[tuple[list[Prompt], SamplingParams]] = []  # every generate call, for assertions

    def _text(self, prompt: Prompt, i: int, j: int, n: int) -> str:
        if callable(self.script):
            return self.script(prompt, j)
        if isinstance(self.script, Mapping):
            texts = self.script.get(prompt_key(prompt), self.default)
            if not texts:
                raise KeyError(f"ScriptedGenerator has no script for prompt {prompt_key(prompt)!r}")
            return texts[j % len(texts)]
        return self.script[(i * n + j) % len(self.script)]

    def _encode(self, text: str) -> list[int]:
        if self.tokenizer is None:
            return [ord(c) for c in text]
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _decode(self, ids: list[int]) -> str:
        if self.tokenizer is None:
            return "".join(chr(i) for i in ids)
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def _prompt_ids(self, prompt: Prompt) -> list[int]:
        if self.tokenizer is None:
            return [ord(c) for c in prompt_key(prompt)]
        from r1lit.rollout.hf import encode_prompt

        return encode_prompt(self.tokenizer, prompt)

    def _complete(self, text: str, params: SamplingParams, budget: Budget) -> Completion:
        text, hit_stop = truncate_at_stop(text, params.stop)
        ids = self._encode(text)
        eos = getattr(self.tokenizer, "eos_token_id", None)
        if not hit_stop and eos is not None:
            ids.append(eos)  # the scripted answer ends like a model that emitted EOS
        reason = "stop"
        if len(ids) > budget.max_new_tokens:
            ids, reason = ids[: budget.max_new_tokens], "length"
            text = self._decode(ids)
        return Completion(
            text,
            ids,
            [self.logprob] * len(ids),
            reason,
            budget.prompt_ids,
            budget.max_new_tokens,
            budget.prompt_truncated,
        )

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        """For each prompt, `params.n` scripted completions (see the class docstring)."""
        self.calls.append((list(prompts), params))
        out = []
        for i, prompt in enumerate(prompts):
            budget = fit_to_context(
                self._prompt_ids(prompt), params.max_new_tokens, self.max_context, params.prompt_overflow
            )
            out.append(
                [self._complete(self._text(prompt, i, j, params.n), params, budget) for j in range(params.n)]
            )
        return out
