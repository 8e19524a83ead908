"""r1lit.chat_template: think prefills, and the config-time check for a model without a chat template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1lit.chat_template import (
    add_response_prefix,
    check_chat_template,
    check_eval_config,
    check_train_config,
    prefilled,
    source_has_chat_template,
    strip_prefill,
    uses_chat,
)


def test_prefilled_is_the_opened_think_block_at_the_end() -> None:
    assert prefilled("<｜Assistant｜><think>\n") == "<think>\n"
    assert prefilled("assistant\n<think>") == "<think>"
    assert prefilled("assistant\n") == "" and prefilled("<think>\n\n</think>\n\n") == ""


def test_add_response_prefix_once() -> None:
    assert add_response_prefix("Assistant:", "<think>\n") == "Assistant:<think>\n"
    assert add_response_prefix("A<think>\n", "<think>\n") == "A<think>\n"
    assert add_response_prefix("A<think>", "<think>\n") == "A<think>"  # the template's own layout wins
    assert add_response_prefix("A", "") == "A"


def test_strip_prefill_takes_off_only_an_opening_tag_the_prompt_holds() -> None:
    assert strip_prefill("<think>\nR</think>A", "<think>\n") == "R</think>A"
    assert strip_prefill(" <think> R </think>", "<think>\n") == "R </think>"
    assert strip_prefill("<think> R", "<think>") == " R"  # no whitespace in the prefill: keep the text's
    assert strip_prefill("R</think>A", "<think>\n") == "R</think>A"
    assert strip_prefill("<think>\nR", "") == "<think>\nR"


def test_uses_chat() -> None:
    assert uses_chat("chat") and uses_chat("chat_boxed")
    assert not any(uses_chat(t) for t in ("raw", "r1_zero", None, "no_such_template"))


def tokenizer_folder(folder: Path, config: dict, jinja: str | None = None) -> str:
    folder.mkdir()
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    if jinja is not None:
        (folder / "chat_template.jinja").write_text(jinja)
    return str(folder)


def test_source_has_chat_template_from_files(tmp_path: Path) -> None:
    assert source_has_chat_template(tokenizer_folder(tmp_path / "a", {}, jinja="{{ x }}")) is True
    assert source_has_chat_template(tokenizer_folder(tmp_path / "b", {"chat_template": "{{ x }}"})) is True
    assert source_has_chat_template(tokenizer_folder(tmp_path / "c", {"eos_token": "</s>"})) is False
    (tmp_path / "d").mkdir()
    assert source_has_chat_template(str(tmp_path / "d")) is None  # no tokenizer config: the load decides
    assert (
        source_has_chat_template("r1lit-tiny") is True
        and source_has_chat_template("r1lit-twin/qwen3") is True
    )
    assert source_has_chat_template("no-such-org/not-cached-anywhere") is None


def test_check_chat_template_names_the_key_and_both_ways_out(tmp_path: Path) -> None:
    base = tokenizer_folder(tmp_path / "base", {"eos_token": "</s>"})
    with pytest.raises(ValueError) as err:
        check_chat_template(base, "chat", "benchmark.math500.loader.template", "raw")
    assert str(err.value) == (
        f"benchmark.math500.loader.template=chat asks for chat formatting but {base} has no chat template; "
        "set benchmark.math500.loader.template=raw (a plain-text template) or use a model whose tokenizer "
        "has a chat template"
    )
    check_chat_template(base, "r1_zero", "data.template", "r1_zero")  # plain text needs no template
    check_chat_template(
        "no-such-org/not-cached-anywhere", "chat_boxed", "data.template", "r1_zero"
    )  # unknown


def test_a_training_run_folder_is_judged_by_its_export(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "hf").mkdir(parents=True)
    tokenizer_folder(run / "hf" / "final", {"eos_token": "</s>"})
    (run / "hf" / "final" / "config.json").write_text("{}")
    assert source_has_chat_template(str(run)) is False


def test_check_train_config_names_data_template_for_the_stage_that_renders_prompts(tmp_path: Path) -> None:
    base = tokenizer_folder(tmp_path / "base", {"eos_token": "</s>"})
    config = {
        "model": {"name_or_path": base, "revision": None},
        "data": {"template": "chat_boxed"},
        "stage": {"runner": {"model_name_or_path": base, "template": "chat_boxed"}},
    }
    with pytest.raises(
        KeyError, match=r"data.template=chat_boxed asks for chat formatting .*data.template=r1_zero"
    ):
        check_train_config(config, error=KeyError)
    check_train_config({**config, "stage": {"datamodule": {"template": "r1_zero"}}})  # plain text
    check_train_config({**config, "stage": {"module": {"model_name_or_path": base}}})  # renders no prompts


def test_check_eval_config_names_the_benchmarks_loader_template(tmp_path: Path) -> None:
    base = tokenizer_folder(tmp_path / "base", {"eos_token": "</s>"})
    config = {
        "model": {"name_or_path": base},
        "benchmarks": ["synthetic", "math500"],
        "benchmark": {
            "synthetic": {"loader": {"template": "r1_zero"}},
            "math500": {"loader": {"template": "chat"}},
        },
    }
    with pytest.raises(
        ValueError, match=r"^benchmark.math500.loader.template=chat asks .*loader.template=raw"
    ):
        check_eval_config(config)
    check_eval_config({**config, "benchmarks": ["synthetic"]})
