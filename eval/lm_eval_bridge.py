"""Our generation engine as an lm-evaluation-harness model backend: `--model r1lit`.

Importing this module registers `R1LitLM` under the name "r1lit" (beside lm-eval's own backends,
which stay available), so lm-eval tasks run through `r1lit.rollout` (HF backend with shared prefill,
or vLLM). lm-eval 0.4 finds models only in its registry (no entry points), so the module must be
imported before lm-eval resolves `--model`: its `main` is lm-eval's own command line with the model
registered.

    python -m r1lit_eval.lm_eval_bridge --model r1lit --model_args pretrained=r1lit-tiny,max_gen_toks=64 \
        --tasks <task> --include_path <dir with task YAMLs>

    import r1lit_eval.lm_eval_bridge, lm_eval
    lm_eval.simple_evaluate(model="r1lit", model_args="pretrained=r1lit-tiny", tasks=[...])

Request types:
- `generate_until`: requests sharing generation kwargs are batched; identical contexts (a task's
  `repeats`) become one prompt with `n` samples. lm-eval's `until` strings become our stop strings and
  are cut from the returned text. A context longer than `max_length - max_gen_toks` tokens keeps only
  its last tokens, as lm-eval's `hf` backend does.
- `loglikelihood` (multiple-choice tasks) and `loglikelihood_rolling` (perplexity tasks): scored with
  the HF model behind the generator, with lm-eval's tokenisation rules (`TemplateLM`) and rolling
  windows, inputs left-truncated to `max_length` tokens. They match lm-eval's `hf` backend
  (tests/smoke/test_lm_eval_parity.py); the vLLM backend cannot score and says so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import lm_eval.models  # noqa: F401 - lm-eval's own backends; its registry loads them only while it is empty
from lm_eval.api.model import TemplateLM
from lm_eval.api.registry import register_model
from lm_eval.utils import get_rolling_token_windows, make_disjoint_window

from r1lit.rollout.base import Generator, SamplingParams

log = logging.getLogger(__name__)
# lm-eval's `hf` backend falls back to this context when neither the config nor the tokenizer names one.
FALLBACK_MAX_LENGTH = 2048
_NO_SCORING = (
    "loglikelihood requests need the HF model behind the generator (backend=hf, or a generator with a "
    "`model` attribute holding a transformers causal LM); the {what} generator only samples text"
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


def score_continuations(
    model: Any, pairs: Sequence[tuple[list[int], list[int]]], max_length: int, pad_id: int, batch_size: int
) -> list[tuple[float, bool]]:
    """(log p(continuation | context), whether greedy decoding gives the continuation) for each pair.

    The model reads `(context + continuation)[-(max_length + 1):][:-1]`: the last `max_length` tokens
    that predict the continuation, so a long context loses its oldest tokens (lm-eval's rule). Pairs
    are right-padded, longest first, `batch_size` at a time; log-softmax is taken over the
    continuation's positions only (one `[C, V]` slice per row, not a second `[B, L, V]` tensor).
    """
    import torch

    from r1lit.rollout.hf import eval_mode

    for context, continuation in pairs:
        if not context or not continuation or len(continuation) > max_length:
            raise ValueError(
                f"cannot score a continuation of {len(continuation)} tokens after {len(context)} "
                f"context tokens within max_length={max_length}"
            )
    device = next(model.parameters()).device
    order = sorted(range(len(pairs)), key=lambda i: -(len(pairs[i][0]) + len(pairs[i][1])))
    results: list[tuple[float, bool]] = [(0.0, False)] * len(pairs)
    with torch.inference_mode(), eval_mode(model):
        for lo in range(0, len(order), batch_size):
            chunk = order[lo : lo + batch_size]
            inputs = [(pairs[i][0] + pairs[i][1])[-(max_length + 1) :][:-1] for i in chunk]
            width = max(len(seq) for seq in inputs)
            ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)  # [B, W]
            mask = torch.zeros((len(chunk), width), dtype=torch.long)  # [B, W]
            for b, seq in enumerate(inputs):
                ids[b, : len(seq)], mask[b, : len(seq)] = torch.tensor(seq, dtype=torch.long), 1
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits  # [B, W, V]
            for b, i in enumerate(chunk):
                target = torch.tensor(pairs[i][1], dtype=torch.long, device=device)  # [C]
                end = len(inputs[b])
                logps = torch.log_softmax(logits[b, end - len(target) : end].float(), dim=-1)  # [C, V]
                picked = logps.gather(-1, target[:, None])[:, 0]  # [C]
                results[i] = (float(picked.sum()), bool((logps.argmax(-1) == target).all()))
    return results


@register_model("r1lit")
class R1LitLM(TemplateLM):
    """lm-eval `LM` whose generate_until runs through an r1lit `Generator` and whose loglikelihood
    requests are scored by the HF model behind it.

    Args:
        pretrained: model name or path (hub id, local folder, `r1lit-tiny`), loaded with `r1lit.models`.
        backend: "hf" or "vllm" (vLLM generates only).
        batch_size: sequences per generate call / per scoring forward (lm-eval's `--batch_size`; "auto" means 64).
        max_gen_toks: default max new tokens when a task does not set `max_gen_toks`.
        max_length: context in tokens; None = the model's (`r1lit.rollout.context.context_length`).
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
        max_length: int | None = None,
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
        self._max_length = int(max_length) if max_length else None
        self.tokenizer = tokenizer
        if generator is None:
            generator = self._build(
                revision, dtype, device or "cpu", backend, max_batch_size or self.batch_size
            )
        self.generator = generator
        model = getattr(generator, "model", None)
        self.model = model if hasattr(model, "parameters") else None  # vLLM holds a path, the fake nothing
        self._warned_truncation = False

    def _build(
        self, revision: str | None, dtype: str, device: str, backend: str, max_batch_size: int
    ) -> Generator:
        from r1lit.models import load_causal_lm, load_tokenizer, resolve_model_path
        from r1lit.rollout import build_generator

        self.tokenizer = load_tokenizer(self.pretrained, revision)
        if backend == "vllm":
            return build_generator(
                "vllm", resolve_model_path(self.pretrained), None, max_batch_size=max_batch_size
            )
        model = load_causal_lm(self.pretrained, revision, dtype, available_device(device))
        return build_generator(backend, model, self.tokenizer, max_batch_size=max_batch_size)

    @property
    def tokenizer_name(self) -> str:
        return self.pretrained.replace("/", "__")

    @property
    def max_length(self) -> int:
        """Tokens the model reads at once: `max_length`, else the generator's / model's context, else 2048."""
        from r1lit.rollout.context import context_length

        found = self._max_length or getattr(self.generator, "max_context", None)
        if not found and self.model is not None:
            found = context_length(self.model.config, self.tokenizer)
        return found or FALLBACK_MAX_LENGTH

    @property
    def eot_token_id(self) -> int:
        return self._tok("eot_token_id").eos_token_id

    @property
    def prefix_token_id(self) -> int:
        """What an empty context or a rolling window starts from: BOS when the tokenizer has one, else EOS."""
        tok = self._tok("prefix_token_id")
        return tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id

    def _tok(self, what: str) -> Any:
        if self.tokenizer is None:
            raise ValueError(f"{what} needs a tokenizer: pass tokenizer=... with the generator")
        return self.tokenizer

    def tok_encode(self, string: str, add_special_tokens: bool | None = None, **kwargs: Any) -> list[int]:
        """Token ids; by default with the tokenizer's special tokens, unless `string` already starts with BOS."""
        tok = self._tok("tok_encode")
        if add_special_tokens is None:
            add_special_tokens = not (tok.bos_token and string.startswith(tok.bos_token))
        return list(tok.encode(string, add_special_tokens=add_special_tokens))

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        """Render a chat for `--apply_chat_template` tasks with the model's own template."""
        return self._tok("apply_chat_template").apply_chat_template(
            chat_history, tokenize=False, add_generation_prompt=add_generation_prompt
        )

    def _loglikelihood_tokens(
        self, requests: list[tuple[Any, list[int], list[int]]], disable_tqdm: bool = False, **kwargs: Any
    ) -> list[tuple[float, bool]]:
        """Score `(cache key, context ids, continuation ids)` requests (TemplateLM tokenised them)."""
        if self.model is None:
            raise NotImplementedError(_NO_SCORING.format(what=type(self.generator).__name__))
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eot_token_id
        pairs = [(context, continuation) for _, context, continuation in requests]
        answers = score_continuations(self.model, pairs, self.max_length, pad, self.batch_size)
        for (key, _, _), answer in zip(requests, answers, strict=True):
            if key is not None:  # rolling windows are cached per document, below
                self.cache_hook.add_partial("loglikelihood", key, answer)
        return answers

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        """Total log-likelihood of each document, scored in disjoint windows of `max_length` tokens."""
        windows, owners = [], []
        for r, req in enumerate(requests):
            (text,) = req.args
            spans = get_rolling_token_windows(
                token_list=self.tok_encode(text),
                prefix_token=self.prefix_token_id,
                max_seq_len=self.max_length,
                context_len=1,
            )
            for context, continuation in map(make_disjoint_window, spans):
                windows.append((None, context, continuation))
                owners.append(r)
        totals = [0.0] * len(requests)
        for r, (logp, _) in zip(owners, self._loglikelihood_tokens(windows), strict=True):
            totals[r] += logp
        for req, total in zip(requests, totals, strict=True):
            self.cache_hook.add_partial("loglikelihood_rolling", req.args, total)
        return totals

    def fit_context(self, context: str, max_gen_toks: int) -> str:
        """`context`, or its last `max_length - max_gen_toks` tokens (as text) when it is longer.

        lm-eval's `hf` backend keeps the same tail. Our generators take text, so the kept ids are decoded;
        should the text re-encode longer (a merge across the cut), one more token is dropped.
        """
        if self.tokenizer is None or not isinstance(context, str):
            return context
        room = self.max_length - max_gen_toks
        if room < 1:
            raise ValueError(
                f"max_gen_toks={max_gen_toks} leaves no room for a context in max_length={self.max_length}"
            )
        ids = self.tok_encode(context)
        if len(ids) <= room:
            return context
        if not self._warned_truncation:
            self._warned_truncation = True
            log.warning(
                "a context of %d tokens keeps its last %d (max_length %d - max_gen_toks %d); warned once",
                len(ids),
                room,
                self.max_length,
                max_gen_toks,
            )
        keep = room
        text = self.tokenizer.decode(ids[-keep:])
        while keep > 1 and len(self.tok_encode(text)) > room:
            keep -= 1
            text = self.tokenizer.decode(ids[-keep:])
        return text

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
                        prompts = [self.fit_context(c, params.max_new_tokens) for c in chunk]
                        outs = self.generator.generate(prompts, replace(params, n=n))
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
