"""Issue 16, chat templates of real reasoning models: the real DeepSeek-R1-Distill and Qwen3 templates
(tests/fixtures/chat_templates) on a character-level tokenizer, so every mask is checked token by token.

- eval force_think adds `<think>\\n` only when the template has not opened the block already;
- SFT tokenizes assistant turns under templates that drop reasoning from history, with one `<think>`;
- rejection-sampling traces hold the `<think>` the sampling template prefilled;
- a model without a chat template fails before generation, naming what asked for chat formatting.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from r1lit_eval.benchmarks.base import Problem, SampleGrade
from r1lit_eval.cache import GenerationCache
from r1lit_eval.runner import RunOptions, run_benchmark, with_prefix

from r1lit.data.tokenize import IGNORE_INDEX, tokenize_chat, tokenize_text
from r1lit.grading import grade
from r1lit.io import read_jsonl
from r1lit.rollout.base import SamplingParams
from r1lit.rollout.fake import ScriptedGenerator
from r1lit.rollout.testing import char_tokenizer
from r1lit.stages.filters import TraceFilters

TEMPLATES = Path(__file__).resolve().parents[1] / "fixtures" / "chat_templates"
BOS, USER, ASSISTANT, EOS = (
    "<｜begin▁of▁sentence｜>",
    "<｜User｜>",
    "<｜Assistant｜>",
    "<｜end▁of▁sentence｜>",
)
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
QUESTION = [{"role": "user", "content": "Q"}]
FILTERS = TraceFilters(  # correct answers after a think block (a prefilled <think> counts)
    require_correct=True, answer_kind="int", format="think", min_language_consistency=None,
    language_target="en", max_repetition=None, repetition_ngram=3, max_tokens=None, min_tokens=None,
    drop_code_blocks=False, max_paragraph_chars=None, dedup=False, max_per_prompt=None,
)  # fmt: skip


def reasoning_tokenizer(template: str):  # noqa: ANN201 (PreTrainedTokenizerFast)
    """The test char tokenizer with the real model's special tokens and <think>/</think> as single tokens
    (as in both real vocabularies), and the real chat template `template` (a fixture file name)."""
    tok = char_tokenizer()
    tok.add_tokens(["<think>", "</think>"])
    tok.add_tokens([BOS, USER, ASSISTANT, EOS], special_tokens=True)
    if template.startswith("deepseek"):
        tok.bos_token, tok.eos_token = BOS, EOS
    else:
        tok.eos_token = IM_END
    tok.chat_template = (TEMPLATES / f"{template}.jinja").read_text(encoding="utf-8")
    return tok


@pytest.fixture(scope="module")
def deepseek():  # noqa: ANN201
    return reasoning_tokenizer("deepseek_r1_distill_qwen")


@pytest.fixture(scope="module")
def qwen3():  # noqa: ANN201
    return reasoning_tokenizer("qwen3")


def tokens(tok, ids: list[int]) -> list[str]:  # noqa: ANN001
    return tok.convert_ids_to_tokens(ids)


def split(tok, out: dict[str, list[int]]) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """(context tokens, labelled tokens): the labels must be IGNORE_INDEX on the context and equal the
    ids on everything after it (one labelled tail, the assistant turn)."""
    ids, labels = out["input_ids"], out["labels"]
    first = next(i for i, lab in enumerate(labels) if lab != IGNORE_INDEX)
    assert labels[first:] == ids[first:]
    return tokens(tok, ids[:first]), tokens(tok, ids[first:])


def test_the_fixtures_are_the_templates_the_issue_describes(deepseek, qwen3) -> None:  # noqa: ANN001
    assert deepseek.apply_chat_template(QUESTION, tokenize=False, add_generation_prompt=True) == (
        f"{BOS}{USER}Q{ASSISTANT}<think>\n"
    )
    history = [*QUESTION, {"role": "assistant", "content": "<think>\nR</think>A"}]
    assert deepseek.apply_chat_template(history, tokenize=False) == f"{BOS}{USER}Q{ASSISTANT}A{EOS}"
    assert qwen3.apply_chat_template(QUESTION, tokenize=False, add_generation_prompt=True) == (
        f"{IM_START}user\nQ{IM_END}\n{IM_START}assistant\n"
    )


# ---------------------------------------------------------------- 1. eval force_think


def test_force_think_adds_no_second_think_to_a_template_that_opens_it(deepseek) -> None:  # noqa: ANN001
    # before: "<｜User｜>Q<｜Assistant｜><think>\n<think>\n"
    assert with_prefix(QUESTION, "<think>\n", deepseek) == f"{USER}Q{ASSISTANT}<think>\n"
    assert with_prefix("raw <think>\n", "<think>\n", None) == "raw <think>\n"


def test_force_think_still_opens_the_block_for_a_template_that_does_not(qwen3) -> None:  # noqa: ANN001
    assert (
        with_prefix(QUESTION, "<think>\n", qwen3)
        == f"{IM_START}user\nQ{IM_END}\n{IM_START}assistant\n<think>\n"
    )


class OneProblem:
    name = "one"

    def load(self) -> list[Problem]:
        return [Problem(id="p0", prompt=QUESTION, gold="7", kind="int")]

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        v = grade(completion, problem.gold, kind="int")
        return SampleGrade(v.correct, v.pred, v.status)


def test_eval_rows_hold_one_think_for_grading_and_the_report(deepseek, tmp_path: Path) -> None:  # noqa: ANN001
    seen: list[str] = []

    def model(prompt: str, j: int) -> str:
        seen.append(prompt)
        return "R</think> \\boxed{7}"

    params = SamplingParams(temperature=0.0, max_new_tokens=64, seed=0)
    opts = RunOptions(k=1, params=params, response_prefix="<think>\n", progress=False, bootstrap_samples=0)
    summary = run_benchmark(
        "one",
        OneProblem(),
        ScriptedGenerator(model),
        GenerationCache(tmp_path / "c"),
        opts,
        tmp_path,
        deepseek,
    )
    (row,) = read_jsonl(tmp_path / "samples" / "one.jsonl")
    assert seen == [f"{USER}Q{ASSISTANT}<think>\n"] and row["prompt"] == seen[0]
    # what grading and report.html read: the response prefix + completion = the turn as produced
    assert row["response_prefix"] + row["completion"] == "<think>\nR</think> \\boxed{7}"
    assert (row["prompt"] + row["completion"]).count("<think>") == 1 and summary["pass@1"] == 1.0


def one_row_without_force_think(tokenizer, tmp_path: Path) -> tuple[dict, list[str]]:  # noqa: ANN001
    """Run OneProblem with force_think=false; (its row, the texts grading saw)."""
    graded: list[str] = []

    class Spy(OneProblem):
        def grade(self, problem: Problem, completion: str) -> SampleGrade:
            graded.append(completion)
            return super().grade(problem, completion)

    params = SamplingParams(temperature=0.0, max_new_tokens=64, seed=0)
    opts = RunOptions(k=1, params=params, progress=False, bootstrap_samples=0)  # response_prefix ""
    generator = ScriptedGenerator(["R</think> \\boxed{7}"])
    run_benchmark("one", Spy(), generator, GenerationCache(tmp_path / "c"), opts, tmp_path, tokenizer)
    (row,) = read_jsonl(tmp_path / "samples" / "one.jsonl")
    return row, graded


def test_rows_without_force_think_hold_the_think_the_template_prefilled(deepseek, tmp_path: Path) -> None:  # noqa: ANN001
    row, graded = one_row_without_force_think(deepseek, tmp_path)
    assert row["prompt"] == QUESTION and row["completion"] == "R</think> \\boxed{7}"
    # before: response_prefix "" and report.html showed the turn without its opening tag
    assert row["response_prefix"] == "<think>\n" and row["correct"]
    assert graded == [row["response_prefix"] + row["completion"]]  # rescoring grades the same text


def test_rows_without_force_think_or_a_prefilling_template_have_no_prefix(qwen3, tmp_path: Path) -> None:  # noqa: ANN001
    row, graded = one_row_without_force_think(qwen3, tmp_path)
    assert row["response_prefix"] == "" and graded == ["R</think> \\boxed{7}"]


def test_row_prefix_is_the_run_prefix_else_the_rendered_prompts_prefill(deepseek) -> None:  # noqa: ANN001
    from r1lit_eval.runner import row_prefix

    assert row_prefix(QUESTION, "<think>\n", deepseek) == "<think>\n"  # force_think
    assert row_prefix("User: Q. Assistant: <think>", "", None) == "<think>"  # a raw prompt, as rendered
    assert row_prefix("User: Q. Assistant:", "", None) == ""
    assert row_prefix(QUESTION, "", None) == ""  # chat messages without a tokenizer: nothing to render


# ---------------------------------------------------------------- 2. SFT / distillation masks


def test_deepseek_assistant_turn_is_tokenized_as_generated(deepseek) -> None:  # noqa: ANN001
    # before: "chat template is not prefix-consistent" (the template drops text before </think>)
    for response in ("<think>\nR</think>A", "R</think>A"):  # with or without the opening tag: one <think>
        out = tokenize_chat(deepseek, [*QUESTION, {"role": "assistant", "content": response}])
        context, target = split(deepseek, out)
        assert context == [BOS, USER, "Q", ASSISTANT, "<think>", "\n"]
        assert target == ["R", "</think>", "A", EOS]


def test_deepseek_prompt_response_record_and_a_raw_prefilled_prompt_give_one_think(deepseek) -> None:  # noqa: ANN001
    out = tokenize_chat(deepseek, [*QUESTION, {"role": "assistant", "content": "<think> R </think> A"}])
    assert split(deepseek, out)[1] == [*list("R "), "</think>", *list(" A"), EOS]
    raw = tokenize_text(deepseek, f"{USER}Q{ASSISTANT}<think>\n", "<think>\nR</think>A")
    context, target = split(deepseek, raw)
    assert context == [USER, "Q", ASSISTANT, "<think>", "\n"] and target == ["R", "</think>", "A", EOS]


def test_deepseek_multi_turn_trains_the_last_turn_with_history_as_rendered(deepseek) -> None:  # noqa: ANN001
    messages = [
        *QUESTION,
        {"role": "assistant", "content": "<think>\nR1</think>A"},
        {"role": "user", "content": "P"},
        {"role": "assistant", "content": "<think>\nR2</think>B"},
    ]
    context, target = split(deepseek, tokenize_chat(deepseek, messages))
    # history without its reasoning (as at inference), then the generation prompt
    assert context == [BOS, USER, "Q", ASSISTANT, "A", EOS, USER, "P", ASSISTANT, "<think>", "\n"]
    assert target == ["R", "2", "</think>", "B", EOS]


def test_a_template_that_drops_reasoning_silently_is_caught(deepseek) -> None:  # noqa: ANN001
    # The first DeepSeek-R1-Distill revision had a bare "<｜Assistant｜>" generation prompt: the whole
    # conversation renders prefix-consistently, but without the reasoning (before: target "A" + EOS only).
    old = reasoning_tokenizer("deepseek_r1_distill_qwen")
    old.chat_template = deepseek.chat_template.replace("<｜Assistant｜><think>\\n'", "<｜Assistant｜>'")
    out = tokenize_chat(old, [*QUESTION, {"role": "assistant", "content": "<think>\nR</think>A"}])
    assert split(old, out) == ([BOS, USER, "Q", ASSISTANT], ["<think>", "\n", "R", "</think>", "A", EOS])


def test_qwen3_single_turn_keeps_the_templates_own_rendering(qwen3) -> None:  # noqa: ANN001
    out = tokenize_chat(qwen3, [*QUESTION, {"role": "assistant", "content": "<think>\nR\n</think>\n\nA"}])
    context, target = split(qwen3, out)
    assert context == [IM_START, *list("user\nQ"), IM_END, "\n", IM_START, *list("assistant\n")]
    assert target == ["<think>", "\n", "R", "\n", "</think>", "\n", "\n", "A", IM_END, "\n"]


def test_qwen3_multi_turn_drops_history_reasoning_and_trains_the_last_turn(qwen3) -> None:  # noqa: ANN001
    # before: "not prefix-consistent" (turn 1 keeps its reasoning alone, loses it once a user follows)
    messages = [
        *QUESTION,
        {"role": "assistant", "content": "<think>\nR1\n</think>\n\nA"},
        {"role": "user", "content": "P"},
        {"role": "assistant", "content": "<think>\nR2\n</think>\n\nB"},
    ]
    context, target = split(qwen3, tokenize_chat(qwen3, messages))
    assert "".join(context) == (
        f"{IM_START}user\nQ{IM_END}\n{IM_START}assistant\nA{IM_END}\n{IM_START}user\nP{IM_END}\n{IM_START}assistant\n"
    )
    assert target == ["<think>", "\n", "R", "2", "\n", "</think>", "\n", "\n", "B", IM_END, "\n"]


# ---------------------------------------------------------------- 3. rejection-sampling traces


def sample_traces(tokenizer, template: str, text: str) -> list[dict]:  # noqa: ANN001
    from r1lit.stages.rejection_sampling import sample_chunk

    records = [{"id": "p0", "question": "3+4", "answer": "7"}]
    traces, _ = sample_chunk(
        ScriptedGenerator([text]), tokenizer, records, 0, template, SamplingParams(n=1, max_new_tokens=64),
        FILTERS, seed=0,
    )  # fmt: skip
    return traces


def test_traces_hold_the_think_the_sampling_template_prefilled(deepseek, qwen3) -> None:  # noqa: ANN001
    (trace,) = sample_traces(deepseek, "chat_boxed", "R</think> \\boxed{7}")
    assert trace["response"] == "<think>\nR</think> \\boxed{7}"  # before: "R</think> \\boxed{7}"
    # the student sees exactly one <think>, whether its template opens the block (DeepSeek) or not (Qwen3)
    for student in (deepseek, qwen3):
        out = tokenize_chat(student, [*trace["prompt"], {"role": "assistant", "content": trace["response"]}])
        assert tokens(student, out["input_ids"]).count("<think>") == 1
        assert tokens(student, [lab for lab in out["labels"] if lab != IGNORE_INDEX]).count("</think>") == 1


def test_traces_of_raw_prompts_and_unprefilled_templates_are_the_completion(qwen3) -> None:  # noqa: ANN001
    (chat,) = sample_traces(qwen3, "chat_boxed", "<think>\nR</think> \\boxed{7}")
    assert chat["response"] == "<think>\nR</think> \\boxed{7}"
    (raw,) = sample_traces(None, "r1_zero", " <think> R </think> <answer> 7 </answer>")
    assert raw["response"] == " <think> R </think> <answer> 7 </answer>"


# ---------------------------------------------------------------- 4. no chat template


def test_eval_chat_prompts_without_a_chat_template_fail_before_generation() -> None:
    tok = char_tokenizer()
    tok.chat_template = None
    # before: no error here (without force_think), then transformers' error inside generation
    with pytest.raises(
        ValueError, match=r"loader.template=chat asks for chat formatting .* no chat template"
    ):
        with_prefix(QUESTION, "", tok)
    assert with_prefix("raw", "", tok) == "raw"


def test_rejection_sampling_fails_on_a_model_without_chat_template_before_loading_weights(
    tmp_path: Path,
) -> None:
    from r1lit.stages import rejection_sampling

    tok = char_tokenizer()
    tok.chat_template = None
    tok.save_pretrained(str(tmp_path / "model"))  # tokenizer files only: loading weights would fail otherwise
    records = [{"id": "p0", "question": "3+4", "answer": "7"}]
    # before: transformers' error about the missing model files (the hf backend loads weights next)
    with pytest.raises(
        ValueError, match=r"data.template=chat_boxed asks for chat formatting .*data.template=r1_zero"
    ):
        rejection_sampling.run(
            str(tmp_path / "model"), None, "float32", "cpu", lambda: records, "chat_boxed", None, {"backend": "hf"},
            SamplingParams(n=1, max_new_tokens=8), FILTERS, 1, str(tmp_path / "out"), 0,
        )  # fmt: skip


def test_sft_chat_records_without_a_chat_template_name_the_data() -> None:
    from r1lit.data.sft_datamodule import SFTDataModule

    tok = char_tokenizer()
    tok.chat_template = None
    dm = SFTDataModule(lambda: [], None, "some/model", 64, 1, False, 1, 0)
    with pytest.raises(
        ValueError, match=r"data.train \(chat records\) asks for chat formatting but some/model"
    ):
        dm.encode(tok, {"messages": [*QUESTION, {"role": "assistant", "content": "A"}]})
    assert dm.encode(tok, {"prompt": "Q", "response": "A"})["labels"][-1] == tok.eos_token_id


def model_without_chat_template(folder: Path) -> str:
    """A folder that passes the model-source check (config.json + tokenizer files), no chat template."""
    tok = char_tokenizer()
    tok.chat_template = None
    tok.save_pretrained(str(folder))
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    return str(folder)


def test_eval_config_validation_names_the_benchmark_template(tmp_path: Path) -> None:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf
    from r1lit_eval.cli import CONF_DIR, EvalConfigError, validate

    model = model_without_chat_template(tmp_path / "base")

    def config(*overrides: str) -> dict:
        with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
            cfg = compose("eval", overrides=[f"output_dir={tmp_path / 'out'}", f"model.name_or_path={model}",
                                             "benchmarks=[math500]", *overrides])  # fmt: skip
        return OmegaConf.to_container(cfg, resolve=True)

    with pytest.raises(
        EvalConfigError, match=r"^benchmark.math500.loader.template=chat asks for chat formatting"
    ):
        validate(config())
    validate(config("benchmark.math500.loader.template=raw"))


@pytest.mark.parametrize("stage", ["grpo", "rejection_sampling"])
def test_train_config_validation_names_data_template(stage: str, tmp_path: Path) -> None:
    from hydra import compose, initialize_config_dir

    from r1lit.stages.validate import ConfigError, validate_config

    model = model_without_chat_template(tmp_path / "base")
    conf = str(Path(__file__).resolve().parents[2] / "conf")

    def config(template: str):  # noqa: ANN202
        with initialize_config_dir(config_dir=conf, version_base="1.3"):
            return compose("train", overrides=[f"paths.run_dir={tmp_path / 'run'}", f"stage={stage}",
                                               f"model.name_or_path={model}", f"data.template={template}"])  # fmt: skip

    with pytest.raises(
        ConfigError, match=r"^data.template=chat_boxed asks for chat formatting .*data.template=r1_zero"
    ):
        validate_config(config("chat_boxed"))
    validate_config(config("r1_zero"))
