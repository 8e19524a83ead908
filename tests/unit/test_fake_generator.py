"""ScriptedGenerator: scripted texts, cycling, stop strings, max_new_tokens, token ids, factory."""

from __future__ import annotations

import pytest

from r1lit.rollout import Generator, SamplingParams, build_generator
from r1lit.rollout.fake import ScriptedGenerator
from r1lit.rollout.testing import char_tokenizer

CHAT = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "1+1?"}]


def test_list_script_cycles_over_all_completions_of_a_call():
    gen = build_generator("scripted", None, None, script=["a", "b", "c"])
    assert isinstance(gen, Generator)
    out = gen.generate(["p", "q"], SamplingParams(n=2))
    assert [[c.text for c in x] for x in out] == [["a", "b"], ["c", "a"]]
    assert gen.generate(["p", "q"], SamplingParams(n=2)) == out  # deterministic: same call, same answer
    assert gen.calls[0][0] == ["p", "q"]


def test_dict_script_by_prompt_and_default():
    gen = ScriptedGenerator({"1+1?": ["2", "3"], "x": ["y"]}, default=["?"])
    out = gen.generate([CHAT, "x", "unknown"], SamplingParams(n=3))
    assert [[c.text for c in x] for x in out] == [["2", "3", "2"], ["y"] * 3, ["?"] * 3]
    with pytest.raises(KeyError):
        ScriptedGenerator({"x": ["y"]}).generate(["z"], SamplingParams())


def test_callable_script_and_finish_reasons_without_tokenizer():
    gen = ScriptedGenerator(lambda prompt, j: f"{prompt}-{j}</answer> tail")
    params = SamplingParams(n=2, stop=("</answer>",), max_new_tokens=100)
    c = gen.generate(["q"], params)[0][1]
    assert (c.text, c.finish_reason) == ("q-1</answer>", "stop")
    assert c.token_ids == [ord(ch) for ch in c.text] and len(c.logprobs) == len(c.token_ids)
    short = gen.generate(["q"], SamplingParams(max_new_tokens=3))[0][0]
    assert (short.text, short.finish_reason) == ("q-0", "length")
    full = gen.generate(["q"], SamplingParams(max_new_tokens=100))[0][0]
    assert full.finish_reason == "stop" and full.text.endswith("tail")


def test_tokenizer_gives_real_ids_with_eos_and_chat_prompt_ids():
    tok = char_tokenizer()
    gen = ScriptedGenerator(["42"], tokenizer=tok)
    c = gen.generate([CHAT], SamplingParams())[0][0]
    assert c.token_ids == tok("42", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    assert c.finish_reason == "stop" and c.text == "42"
    rendered = tok.apply_chat_template(CHAT, tokenize=False, add_generation_prompt=True)
    assert c.prompt_token_ids == tok(rendered, add_special_tokens=False)["input_ids"]
    cut = gen.generate(["p"], SamplingParams(max_new_tokens=2))[0][0]  # "42" fits, its EOS does not
    assert (cut.text, cut.finish_reason, len(cut.token_ids)) == ("42", "length", 2)


def test_rejects_empty_script_and_unknown_backend():
    with pytest.raises(ValueError):
        ScriptedGenerator([])
    with pytest.raises(ValueError):
        build_generator("nope", None, None)


@pytest.mark.parametrize(
    "kwargs,field,allowed",
    [
        ({"temperature": "abc"}, "temperature", "a number"),
        ({"max_new_tokens": "many"}, "max_new_tokens", "an int"),
        ({"n": True}, "n", "an int"),  # a bool is not a count
        ({"top_p": 1.5}, "top_p", "a number in (0, 1]"),
        ({"seed": 1.5}, "seed", "an int or null"),
    ],
)
def test_sampling_params_name_the_field_the_value_and_what_is_allowed(kwargs, field, allowed):
    from r1lit.rollout.fields import FieldError

    with pytest.raises(FieldError) as err:
        SamplingParams(**kwargs)
    assert (err.value.field, err.value.value, err.value.allowed) == (field, kwargs[field], allowed)
    assert SamplingParams(temperature=0, stop=["</answer>"]).stop == (
        "</answer>",
    )  # ints and lists still fine
