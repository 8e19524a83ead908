"""The lm-eval bridge with a scripted generator: registration, request batching, stop strings, context
truncation, a local task."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from r1lit_eval.lm_eval_bridge import R1LitLM, cut_at_stops, sampling_from_gen_kwargs

from r1lit.rollout.fake import ScriptedGenerator

TASK_YAML = """\
task: r1lit_toy_qa
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "Q: {{{{question}}}}\\nA:"
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: ["\\n"]
  do_sample: false
  max_gen_toks: 16
repeats: {repeats}
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: true
    regexes_to_ignore: ["^\\\\s+"]  # completions start with the space after "A:"
metadata:
  version: 1.0
"""


def write_task(folder: Path, rows: list[dict], repeats: int = 1) -> Path:
    data = folder / "toy.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "r1lit_toy_qa.yaml").write_text(TASK_YAML.format(data=data, repeats=repeats))
    return folder


def req(context: str, continuation: str | None = None, **gen_kwargs) -> SimpleNamespace:
    """A generate_until request (context, gen kwargs), or a loglikelihood one (context, continuation)."""
    return SimpleNamespace(args=(context, gen_kwargs) if continuation is None else (context, continuation))


def test_registered_under_r1lit() -> None:
    from lm_eval.api.registry import get_model

    assert get_model("r1lit") is R1LitLM


def test_gen_kwargs_mapping() -> None:
    params, until = sampling_from_gen_kwargs({"until": "\n\n", "do_sample": False, "temperature": 0.7}, 64, 1)
    assert (
        params.temperature == 0.0
        and until == ["\n\n"]
        and params.stop == ("\n\n",)
        and params.max_new_tokens == 64
    )
    params, _ = sampling_from_gen_kwargs({"temperature": 0.6, "top_p": 0.95, "max_gen_toks": 8}, 64, 1)
    assert (params.temperature, params.top_p, params.max_new_tokens) == (0.6, 0.95, 8)
    assert cut_at_stops("abc\ndef</s>", ["</s>", "\n"]) == "abc"


def test_generate_until_batches_repeats_and_cuts_stops() -> None:
    gen = ScriptedGenerator(lambda prompt, j: f"{prompt[-1]}{j}\nextra")
    lm = R1LitLM(generator=gen, batch_size=4)
    requests = [
        req("a", until=["\n"]),
        req("b", until=["\n"]),
        req("a", until=["\n"]),
        req("c", until=["x"], max_gen_toks=5),
    ]
    out = lm.generate_until(requests, disable_tqdm=True)
    assert out[:3] == ["a0", "b0", "a1"]  # the two "a" requests are one prompt with n=2
    assert out[3] == "c0\ne"  # max_gen_toks=5 characters, no "x" to cut at
    assert [params.n for _, params in gen.calls] == [2, 1, 1]


class CharTokenizer:
    """One token per character (its code point); no BOS; EOS is 0."""

    bos_token, bos_token_id, eos_token_id, pad_token_id = None, None, 0, 0

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join(chr(i) for i in ids)


def test_registering_r1lit_keeps_lm_evals_own_models() -> None:
    # lm-eval loads its own backends only while its registry is empty: registering first used to hide "hf"
    code = (
        "import r1lit_eval.lm_eval_bridge\n"
        "from lm_eval.api.registry import model_registry\n"
        "print(sorted(k for k in ('hf', 'vllm', 'r1lit') if k in model_registry.keys()))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "['hf', 'r1lit', 'vllm']", proc.stderr[-2000:]


def test_long_contexts_keep_their_last_tokens_as_lm_evals_hf_does() -> None:
    gen = ScriptedGenerator(["ok"])
    lm = R1LitLM(generator=gen, tokenizer=CharTokenizer(), max_length=10)
    out = lm.generate_until(
        [req("abcdefghijkl", max_gen_toks=4), req("abc", max_gen_toks=4)], disable_tqdm=True
    )
    assert out == ["ok", "ok"]
    assert gen.calls[0][0] == ["ghijkl", "abc"]  # 10 - 4 = 6 tokens kept; a short context is untouched
    with pytest.raises(ValueError, match="max_gen_toks=10 leaves no room"):
        lm.fit_context("abc", 10)


def test_scoring_without_a_model_is_refused_clearly() -> None:
    lm = R1LitLM(generator=ScriptedGenerator(["x"]), tokenizer=CharTokenizer())
    with pytest.raises(NotImplementedError, match="need the HF model behind the generator"):
        lm.loglikelihood([req("a", "b")], disable_tqdm=True)
    with pytest.raises(NotImplementedError, match="ScriptedGenerator generator only samples"):
        lm.loglikelihood_rolling([SimpleNamespace(args=("abc",))])


def test_a_local_lm_eval_task_runs_through_our_generator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import lm_eval
    from lm_eval.tasks import TaskManager

    rows = [
        {"question": "2+2", "answer": "4"},
        {"question": "3+3", "answer": "6"},
        {"question": "1+1", "answer": "2"},
    ]
    write_task(tmp_path, rows, repeats=2)
    answers = {"2+2": " 4\nQ:", "3+3": " 6", "1+1": " 3"}
    gen = ScriptedGenerator(lambda prompt, j: answers[prompt.split("Q: ")[1].split("\n")[0]])
    out = lm_eval.simple_evaluate(
        model=R1LitLM(generator=gen),
        tasks=["r1lit_toy_qa"],
        task_manager=TaskManager(
            include_path=str(tmp_path), include_defaults=False
        ),  # skip indexing lm-eval's ~10k tasks
        bootstrap_iters=0,
    )
    assert out["results"]["r1lit_toy_qa"]["exact_match,none"] == pytest.approx(2 / 3)
    assert sum(len(prompts) for prompts, _ in gen.calls) == 3 and all(p.n == 2 for _, p in gen.calls)
    assert os.environ["HF_DATASETS_OFFLINE"] == "1"


def test_cuda_request_falls_back_to_cpu_without_cuda() -> None:
    import torch
    from r1lit_eval.lm_eval_bridge import available_device

    assert available_device(None) == "cpu" and available_device("cpu") == "cpu"
    assert available_device("cuda:0") == ("cuda:0" if torch.cuda.is_available() else "cpu")
