"""Our generation engine as an lm-evaluation-harness model backend: `--model r1lit`.

Importing this module registers `R1LitLM` under the name "r1lit", so any lm-eval `generate_until`
task runs through `r1lit.rollout` (HF backend with shared prefill, or vLLM):

    python -m r1lit_eval.lm_eval_bridge --model r1lit --model_args pretrained=r1lit-tiny,max_gen_toks=64 \
        --tasks <task> --include_path <dir with task YAMLs>

    import r1lit_eval.lm_eval_bridge, lm_eval
    lm_eval.simple_evaluate(model="r1lit", model_args="pretrained=r1lit-tiny", tasks=[...])

Requests sharing generation kwargs are batched; identical contexts (a task's `repeats`) become one
prompt with `n` samples. lm-eval's `until` strings become our stop strings and are cut from the
returned text, as lm-eval expects. Only generation is implemented: loglikelihood requests raise
NotImplementedError (use lm-eval's own `hf` model for multiple-choice-by-likelihood tasks).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from r1lit.rollout.base import Generator, SamplingParams

log = logging.getLogger(__name__)
_NO_LOGLIKELIHOOD = (
    "the r1lit lm-eval backend implements generate_until only (our Generator samples text, it does not "
    "score continuations); run loglikelihood / multiple-choice tasks with lm-eval's `hf` model instead"
)


def cut_at_stops(text: str, stops: Sequence[str]) -> str:
    """`text` up to (excluding) the earliest occurrence of any stop string."""
    cut = min((i for s in stops if s and (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]


def sampling_from_gen_kwargs(
    gen_kwargs: dict[str, Any], max_gen_toks: int, seed: int
) -> tuple[SamplingParams, list[str]]:
    """Map lm-eval generation kwargs to our SamplingParams (+ the `until` list).

    `do_sample=False` (lm-eval's default) or `temperature=0` means greedy; otherwise temperature / top_p /
    top_k are used as given. Unknown keys are ignored with a warning.
    """
    kw = dict(gen_kwargs)
    until = kw.pop("until", None) or []
    until = [until] if isinstance(until, str) else list(until)
    max_new = int(kw.pop("max_gen_toks", max_gen_toks))
    do_sample = kw.pop("do_sample", None)
    temperature = float(kw.pop("temperature", 1.0 if do_sample else 0.0))
    if do_sample is False:
        temperature = 0.0
    top_p = float(kw.pop("top_p", 1.0) or 1.0)
    top_k = int(kw.pop("top_k", 0) or 0)
    if kw:
        log.warning("r1lit lm-eval backend ignores generation kwargs %s", sorted(kw))
    params = SamplingParams(
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        max_new_tokens=max_new,
        stop=tuple(until),
        seed=seed,
    )
    return params, until


def available_device(device: str | None) -> str:
    """`device`, or "cpu" when it names CUDA on a machine without it (lm-eval's CLI passes "cuda" by default)."""
    if not device:
        return "cpu"
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            log.warning("device=%s requested but CUDA is not available: running on the CPU", device)
            return "cpu"
    return device


@register_model("r1lit")
class R1LitLM(LM):
    """lm-eval `LM` whose generate_until runs through an r1lit `Generator`.

    Args:
        pretrained: model name or path (hub id, local folder, `r1lit-tiny`), loaded with `r1lit.models`.
        backend: "hf" or "vllm".
        batch_size: sequences per generate call (lm-eval's `--batch_size`; "auto" means 64).
        max_gen_toks: default max new tokens when a task does not set `max_gen_toks`.
        generator / tokenizer: use an existing Generator (e.g. the policy being trained, or a test fake).
    """

    def __init__(
        self,
        pretrained: str = "r1lit-tiny",
        revision: str | None = None,
        dtype: str = "float32",
        device: str = "cpu",
        backend: str = "hf",
        batch_size: int | str = 64,
        max_batch_size: int | None = None,
        max_gen_toks: int = 256,
        seed: int = 0,
        generator: Generator | None = None,
        tokenizer: Any | None = None,
        **unused: Any,
    ) -> None:
        super().__init__()
        if unused:
            log.warning("r1lit lm-eval backend ignores model args %s", sorted(unused))
        self.pretrained, self.max_gen_toks, self.seed = str(pretrained), int(max_gen_toks), int(seed)
        self.batch_size = 64 if str(batch_size).startswith("auto") else int(batch_size)
        self.tokenizer = tokenizer
        if generator is None:
            generator = self._build(
                revision, dtype, device or "cpu", backend, max_batch_size or self.batch_size
            )
        self.generator = generator

    def _build(
        self, revision: str | None, dtype: str, device: str, backend: str, max_batch_size: int
    ) -> Generator:
        from r1lit.models import load_causal_lm, load_tokenizer, resolve_model_path
        from r1lit.rollout import build_generator

        if backend == "vllm":
            return build_generator(
                "vllm", resolve_model_path(self.pretrained), None, max_batch_size=max_batch_size
            )
        model = load_causal_lm(self.pretrained, revision, dtype, available_device(device))
        self.tokenizer = load_tokenizer(self.pretrained, revision)
        return build_generator(backend, model, self.tokenizer, max_batch_size=max_batch_size)

    @property
    def tokenizer_name(self) -> str:
        return self.pretrained.replace("/", "__")

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        """Render a chat for `--apply_chat_template` tasks with the model's own template."""
        if self.tokenizer is None:
            raise ValueError("apply_chat_template needs a tokenizer")
        return self.tokenizer.apply_chat_template(
            chat_history, tokenize=False, add_generation_prompt=add_generation_prompt
        )

    def loglikelihood(self, requests: list[Any]) -> list[tuple[float, bool]]:
        raise NotImplementedError(_NO_LOGLIKELIHOOD)

    def loglikelihood_rolling(self, requests: list[Any]) -> list[float]:
        raise NotImplementedError(_NO_LOGLIKELIHOOD)

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        """Answer every request; same-kwargs requests are batched, repeated contexts sampled together."""
        from tqdm.auto import tqdm

        results: list[str | None] = [None] * len(requests)
        groups: dict[str, dict[str, list[int]]] = {}  # gen kwargs -> context -> request indices
        for i, req in enumerate(requests):
            context, gen_kwargs = req.args
            key = json.dumps(gen_kwargs, sort_keys=True, default=str)
            groups.setdefault(key, {}).setdefault(context, []).append(i)
        with tqdm(total=len(requests), desc="r1lit generate_until", disable=disable_tqdm) as bar:
            for key, contexts in groups.items():
                gen_kwargs = json.loads(key)
                params, until = sampling_from_gen_kwargs(gen_kwargs, self.max_gen_toks, self.seed)
                by_n: dict[int, list[str]] = {}
                for context, idxs in contexts.items():
                    by_n.setdefault(len(idxs), []).append(context)
                for n, ctxs in by_n.items():
                    per_call = max(1, self.batch_size // n)
                    for lo in range(0, len(ctxs), per_call):
                        chunk = ctxs[lo : lo + per_call]
                        outs = self.generator.generate(chunk, replace(params, n=n))
                        for context, comps in zip(chunk, outs, strict=True):
                            for i, comp in zip(contexts[context], comps, strict=True):
                                results[i] = cut_at_stops(comp.text, until)
                                self.cache_hook.add_partial(
                                    "generate_until", (context, requests[i].args[1]), results[i]
                                )
                        bar.update(sum(len(contexts[c]) for c in chunk))
        return [r if r is not None else "" for r in results]


def main() -> None:
    """lm-eval's command line with the "r1lit" model registered (`python -m r1lit_eval.lm_eval_bridge ...`)."""
    from lm_eval.__main__ import cli_evaluate

    cli_evaluate()


if __name__ == "__main__":
    main()
