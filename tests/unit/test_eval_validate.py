"""Issue 12 §4 (eval): bad input fails before any model loads, naming the key, the value and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from r1lit_eval import cli
from r1lit_eval.benchmarks.gpqa import GPQA
from r1lit_eval.cli import CONF_DIR, EvalConfigError, validate


def config(tmp_path: Path, *overrides: str) -> dict:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("eval", overrides=[f"output_dir={tmp_path / 'out'}", f"cache_dir={tmp_path / 'cache'}",
                                         "progress=false", "bootstrap_samples=20", *overrides])  # fmt: skip
    return OmegaConf.to_container(cfg, resolve=True)


@pytest.mark.parametrize(
    "override,message",
    [
        ("sampling.temperature=abc", r"sampling.temperature='abc': expected a number$"),
        ("sampling.top_p=abc", r"sampling.top_p='abc': expected a number$"),
        ("sampling.max_new_tokens=many", r"sampling.max_new_tokens='many': expected an int$"),
        ("sampling.max_new_tokens=0", r"sampling.max_new_tokens=0: expected an int >= 1"),
        ("sampling.prompt_overflow=drop", r"sampling.prompt_overflow='drop': expected one of \['fail', 'left_truncate'\]"),
        ("limit=abc", r"limit='abc': expected an int or null"),
        ("batch_size=0", r"batch_size=0: expected an int >= 1"),
        # a benchmark's own protocol is checked under its own key
        ("benchmark.aime24.sampling.temperature=-1", r"benchmark.aime24.sampling.temperature=-1: expected a number >= 0"),
    ],
)  # fmt: skip
def test_a_bad_value_names_its_key_instead_of_a_type_error(
    tmp_path: Path, override: str, message: str
) -> None:
    with pytest.raises(EvalConfigError, match=message):
        validate(config(tmp_path, "benchmarks=[aime24]", override))


def test_a_missing_model_path_is_named_before_anything_loads(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(EvalConfigError, match=rf"model.name_or_path='{missing}': no such file or folder"):
        validate(config(tmp_path, f"model.name_or_path={missing}"))
    validate(config(tmp_path, f"model.name_or_path={missing}", "backend=scripted"))  # no model to load


def _fail_if_a_model_loads(*args: object) -> None:
    raise AssertionError("the model was loaded before the benchmark data was checked")


def test_a_benchmark_row_missing_a_field_fails_before_the_model_loads(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"id": 1, "problem": "1+1?", "answer": "2"}, {"id": 2, "question": "2+2?", "answer": "4"}]
    (data / "aime24.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(cli, "load_model", _fail_if_a_model_loads)
    cfg = config(tmp_path, "benchmarks=[aime24]", f"data_dir={data}")
    with pytest.raises(ValueError, match=r"aime24.jsonl record 2 has no field 'problem' \(benchmark.aime24.loader.fields.question\)"):  # fmt: skip
        cli.run(cfg)


def test_a_torn_benchmark_file_names_file_and_line(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "math500.jsonl").write_text(
        '{"unique_id": "a", "problem": "1+1?", "answer": "2"}\n{"unique_id": "b", "pro\n'
    )
    monkeypatch.setattr(cli, "load_model", _fail_if_a_model_loads)
    with pytest.raises(ValueError, match=r"math500.jsonl:2: not a JSON record"):
        cli.run(config(tmp_path, "benchmarks=[math500]", f"data_dir={data}"))


def test_gpqa_row_missing_a_column_names_file_record_and_column(tmp_path: Path) -> None:
    path = tmp_path / "gpqa.jsonl"
    row = {"Question": "Q?", "Correct Answer": "a", "Incorrect Answer 1": "b", "Incorrect Answer 2": "c"}
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match=rf"{path} record 1 has no field 'Incorrect Answer 3'"):
        GPQA("gpqa", seed=0, local_path=str(path)).load()
