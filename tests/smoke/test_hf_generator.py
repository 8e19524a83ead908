"""HFGenerator on a random-init tiny Qwen2 + a char tokenizer: shapes, logprobs vs a full forward pass,
left padding, n-sample prefill sharing, stop strings, EOS, seeding, micro-batching, train-mode restore."""

from __future__ import annotations

import pytest
import torch

from r1lit.rollout import Generator, SamplingParams, build_generator
from r1lit.rollout import decoders as decoders_module
from r1lit.rollout import hf as hf_module
from r1lit.rollout.decoders import HFCacheDecoder, LlamaDecoder, make_decoder
from r1lit.rollout.hf import HFGenerator
from r1lit.rollout.sampling import sampling_logprobs
from r1lit.rollout.testing import char_tokenizer, tiny_qwen2

DECODERS = ["llama", "hf"]
PROMPTS = ["2+3=", [{"role": "user", "content": "What is 7*6?"}], "A longer prompt, padded less: x="]


@pytest.fixture(scope="module")
def tok():
    return char_tokenizer()


@pytest.fixture(scope="module")
def model(tok):
    return tiny_qwen2(len(tok))


def forward_logprobs(model, completion, temperature=1.0, top_k=0, top_p=1.0) -> torch.Tensor:
    """[C] logprobs of the completion's tokens from ONE full forward pass over prompt + completion."""
    ids = torch.tensor([completion.prompt_token_ids + completion.token_ids])
    with torch.no_grad():
        logits = model(ids).logits[0, len(completion.prompt_token_ids) - 1 : -1]  # [C, V]
    lp = sampling_logprobs(logits, temperature, top_k, top_p)
    return lp.gather(-1, torch.tensor(completion.token_ids)[:, None])[:, 0]


def test_shapes_finish_reasons_and_chat_template(model, tok):
    gen = build_generator("hf", model, tok, max_batch_size=8)
    assert isinstance(gen, Generator)
    out = gen.generate(PROMPTS, SamplingParams(n=3, max_new_tokens=12, seed=0))
    assert [len(c) for c in out] == [3, 3, 3]
    chat_text = tok.apply_chat_template(PROMPTS[1], tokenize=False, add_generation_prompt=True)
    assert out[1][0].prompt_token_ids == tok(chat_text, add_special_tokens=False)["input_ids"]
    assert out[0][0].prompt_token_ids == tok(PROMPTS[0])["input_ids"]
    for c in (c for comps in out for c in comps):
        assert len(c.token_ids) == len(c.logprobs) <= 12
        assert c.finish_reason == (
            "length" if len(c.token_ids) == 12 and c.token_ids[-1] not in (1, 3) else "stop"
        )
        assert c.text == tok.decode(c.token_ids, skip_special_tokens=True)


@pytest.mark.parametrize("decoder", DECODERS)
def test_logprobs_match_full_forward_pass(model, tok, decoder):
    gen = HFGenerator(model, tok, decoder=decoder)
    plain = SamplingParams(n=2, max_new_tokens=20, seed=1)
    processed = SamplingParams(n=2, max_new_tokens=20, seed=1, temperature=0.7, top_k=20, top_p=0.9)
    for params in (plain, processed):
        for comps in gen.generate(PROMPTS, params):
            for c in comps:
                ref = forward_logprobs(model, c, params.temperature, params.top_k, params.top_p)
                assert torch.isfinite(ref).all()
                torch.testing.assert_close(torch.tensor(c.logprobs), ref, atol=1e-4, rtol=0)


def test_unfused_llama_decoder_matches_full_forward_pass(model, tok, monkeypatch):
    """Above a size limit the decoder calls q/k/v and the MLP as separate modules: same numbers."""
    monkeypatch.setattr(decoders_module, "FUSE_MAX_BYTES", 0)
    assert LlamaDecoder(model).fused is None
    test_logprobs_match_full_forward_pass(model, tok, "llama")


@pytest.mark.parametrize("decoder", DECODERS)
def test_left_padding_does_not_change_greedy_output(model, tok, decoder):
    gen = HFGenerator(model, tok, decoder=decoder)
    greedy = SamplingParams(temperature=0.0, max_new_tokens=16)
    alone = gen.generate(["abc"], greedy)[0][0]
    batched = gen.generate(["a considerably longer prompt than the other one", "abc"], greedy)[1][0]
    assert batched.token_ids == alone.token_ids
    torch.testing.assert_close(batched.logprobs, alone.logprobs, atol=1e-5, rtol=0)
    # and the same as plain HF greedy generate
    ids = torch.tensor([alone.prompt_token_ids])
    ref = model.generate(ids, max_new_tokens=16, do_sample=False, pad_token_id=0)[0, ids.shape[1] :].tolist()
    assert alone.token_ids == ref[: len(alone.token_ids)]


class _Spy:
    """Wraps make_decoder to record the batch size of every prefill and step."""

    def __init__(self):
        self.prefill_rows: list[int] = []
        self.step_rows: list[int] = []

    def __call__(self, model, kind="auto"):
        decoder, spy = make_decoder(model, kind), self
        prefill, step = decoder.prefill, decoder.step

        def spy_prefill(ids, mask, max_new):
            spy.prefill_rows.append(ids.shape[0])
            return prefill(ids, mask, max_new)

        def spy_step(tokens):
            spy.step_rows.append(tokens.shape[0])
            return step(tokens)

        decoder.prefill, decoder.step = spy_prefill, spy_step
        return decoder


def test_n_samples_share_one_prefill_and_finished_rows_leave(model, tok, monkeypatch):
    spy = _Spy()
    monkeypatch.setattr(hf_module, "make_decoder", spy)
    out = HFGenerator(model, tok).generate(["hi", "yo"], SamplingParams(n=8, max_new_tokens=40, seed=0))
    assert spy.prefill_rows == [2]  # two prompts prefilled once, not 16 rows
    assert spy.step_rows[0] <= 16 and spy.step_rows == sorted(spy.step_rows, reverse=True)
    lengths = [len(c.token_ids) for comps in out for c in comps]
    assert min(lengths) < 40  # some rows ended early (EOS) ...
    # ... and no step ran a finished row: row r is in the batch for exactly len(r) - 1 steps
    assert sum(spy.step_rows) == sum(n - 1 for n in lengths)
    greedy = HFGenerator(model, tok).generate(["hi"], SamplingParams(n=3, temperature=0, max_new_tokens=10))[
        0
    ]
    assert greedy[0].token_ids == greedy[1].token_ids == greedy[2].token_ids


def test_eos_from_generation_config_ends_sequences(model, tok):
    gen = HFGenerator(model, tok)
    assert gen.eos_ids == [1, 3]  # tokenizer <eos> and <|im_end|> from generation_config
    out = gen.generate(["hi"], SamplingParams(n=16, max_new_tokens=40, seed=2))[0]
    reasons = {c.finish_reason for c in out}
    assert reasons == {"stop", "length"}
    for c in out:
        assert all(t not in (1, 3) for t in c.token_ids[:-1])  # nothing generated after an EOS
        assert (c.token_ids[-1] in (1, 3)) == (c.finish_reason == "stop")
        assert "<eos>" not in c.text and "<|im_end|>" not in c.text


@pytest.mark.parametrize("decoder", DECODERS)
def test_stop_string_truncates_text_and_ends_generation(model, tok, decoder):
    gen = HFGenerator(model, tok, decoder=decoder, eos_token_ids=[])
    free = gen.generate(["abc"], SamplingParams(temperature=0, max_new_tokens=30))[0][0]
    assert len(free.text) >= 8
    stop = free.text[5:7]
    first_end = free.text.find(stop) + len(stop)
    stopped = gen.generate(
        ["abc"], SamplingParams(temperature=0, max_new_tokens=30, stop=(stop, "\x00\x00"))
    )[0][0]
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text[:first_end]
    assert stopped.token_ids == free.token_ids[: len(stopped.token_ids)]
    # sampled rows: every "stop" row ends with its first stop-string occurrence
    for c in gen.generate(["abc"], SamplingParams(n=8, max_new_tokens=30, seed=0, stop=("e", "x")))[0]:
        if c.finish_reason == "stop":
            assert c.text[-1] in "ex" and not set(c.text[:-1]) & set("ex")


def test_seeded_runs_reproduce_regardless_of_global_rng(model, tok):
    gen = HFGenerator(model, tok)
    params = SamplingParams(n=4, max_new_tokens=15, seed=11, top_p=0.95)
    torch.manual_seed(0)
    a = gen.generate(PROMPTS, params)
    torch.manual_seed(123)
    torch.rand(1000)
    b = gen.generate(PROMPTS, params)
    c = gen.generate(PROMPTS, SamplingParams(n=4, max_new_tokens=15, seed=12, top_p=0.95))
    ids = lambda out: [[x.token_ids for x in comps] for comps in out]  # noqa: E731
    assert ids(a) == ids(b) and ids(a) != ids(c)


def test_micro_batching_keeps_order_and_greedy_results(model, tok):
    prompts = ["a", "bbbbbbbbbbbb", "cc", "ddddddd", [{"role": "user", "content": "e"}]]
    greedy = SamplingParams(temperature=0, max_new_tokens=8, n=2)
    big = HFGenerator(model, tok, max_batch_size=64).generate(prompts, greedy)
    small = HFGenerator(model, tok, max_batch_size=2).generate(prompts, greedy)
    assert [[c.token_ids for c in x] for x in big] == [[c.token_ids for c in x] for x in small]
    assert [x[0].prompt_token_ids[-1] for x in big][:4] == [tok(p)["input_ids"][-1] for p in prompts[:4]]


def test_train_mode_restored_per_module_and_weights_untouched(model, tok):
    model.train()
    model.model.layers[0].eval()  # a deliberately frozen submodule stays in eval mode
    before = {k: v.clone() for k, v in model.state_dict().items()}
    HFGenerator(model, tok).generate(["hi"], SamplingParams(max_new_tokens=5, seed=0))
    assert model.training and model.model.layers[1].training and not model.model.layers[0].training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    model.eval()


def test_decoder_selection_and_fallback_model(tok):
    from transformers import GPT2Config, GPT2LMHeadModel

    assert isinstance(make_decoder(tiny_qwen2(len(tok))), LlamaDecoder)
    torch.manual_seed(0)
    gpt2 = GPT2LMHeadModel(
        GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, eos_token_id=1)
    ).eval()
    assert isinstance(make_decoder(gpt2), HFCacheDecoder)
    with pytest.raises(ValueError):
        make_decoder(gpt2, "llama")
    for comps in HFGenerator(gpt2, tok).generate(PROMPTS, SamplingParams(n=2, max_new_tokens=10, seed=0)):
        for c in comps:
            torch.testing.assert_close(torch.tensor(c.logprobs), forward_logprobs(gpt2, c), atol=1e-4, rtol=0)
