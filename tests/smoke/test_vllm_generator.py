"""VLLMGenerator behind the same interface (skipped unless vllm is installed and a GPU is present)."""

from __future__ import annotations

import pytest
import torch

vllm = pytest.importorskip("vllm", reason="vllm is not installed (pip install r1lit[vllm])")
pytestmark = [
    pytest.mark.vllm,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="vLLM needs a GPU"),
]

from r1lit.rollout import SamplingParams, build_generator  # noqa: E402
from r1lit.rollout.sampling import sampling_logprobs  # noqa: E402
from r1lit.rollout.testing import char_tokenizer, tiny_qwen2  # noqa: E402

PROMPTS = ["2+3=", [{"role": "user", "content": "What is 7*6?"}]]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tok = char_tokenizer()
    model = tiny_qwen2(len(tok), hidden=128, layers=2)
    path = tmp_path_factory.mktemp("tiny_qwen2")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    gen = build_generator(
        "vllm",
        str(path),
        tok,
        gpu_memory_utilization=0.2,
        max_model_len=256,
        enforce_eager=True,
        dtype="float32",
    )
    return model, tok, gen


def test_interface_seeding_and_stop(setup):
    _, _, gen = setup
    params = SamplingParams(n=3, max_new_tokens=16, seed=5, top_p=0.9)
    a, b = gen.generate(PROMPTS, params), gen.generate(PROMPTS, params)
    assert [len(c) for c in a] == [3, 3]
    assert [[c.token_ids for c in x] for x in a] == [[c.token_ids for c in x] for x in b]
    for c in (c for comps in a for c in comps):
        assert len(c.token_ids) == len(c.logprobs) <= 16 and c.finish_reason in ("stop", "length")
    free = gen.generate(["abc"], SamplingParams(temperature=0, max_new_tokens=20))[0][0]
    stop = free.text[4:6]
    stopped = gen.generate(["abc"], SamplingParams(temperature=0, max_new_tokens=20, stop=(stop,)))[0][0]
    assert stopped.finish_reason == "stop" and stopped.text == free.text[: free.text.find(stop) + 2]


def test_logprobs_match_hf_forward(setup):
    model, _, gen = setup
    model = model.cuda()
    params = SamplingParams(n=2, max_new_tokens=12, seed=0, temperature=0.8, top_k=30)
    for comps in gen.generate(PROMPTS, params):
        for c in comps:
            ids = torch.tensor([c.prompt_token_ids + c.token_ids], device="cuda")
            with torch.no_grad():
                logits = model(ids).logits[0, len(c.prompt_token_ids) - 1 : -1]
            ref = sampling_logprobs(logits, 0.8, 30).gather(
                -1, torch.tensor(c.token_ids, device="cuda")[:, None]
            )
            torch.testing.assert_close(torch.tensor(c.logprobs), ref[:, 0].cpu(), atol=2e-3, rtol=0)
