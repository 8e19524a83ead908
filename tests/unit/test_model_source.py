"""`check_model_source`: a bad model source fails at once with the key, the value and what is allowed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from r1lit.model_source import check_model_source


def make_model_folder(folder: Path, tokenizer: bool = True) -> Path:
    """A folder shaped like `save_pretrained` output (no weights needed: nothing is loaded)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    if tokenizer:
        (folder / "tokenizer.json").write_text("{}")
    return folder


@pytest.mark.parametrize(
    "name", ["r1lit-tiny", "r1lit-tiny-small", "r1lit-twin/qwen2.5", "Qwen/Qwen2.5-0.5B-Instruct"]
)
def test_registered_tiny_names_and_hub_ids_pass(name: str) -> None:
    check_model_source(name)


def test_model_folder_passes(tmp_path: Path) -> None:
    check_model_source(str(make_model_folder(tmp_path / "m")), accept_runs=False)


def test_missing_path_names_key_and_value(tmp_path: Path) -> None:
    missing = str(tmp_path / "no" / "such" / "model")
    with pytest.raises(
        ValueError, match=r"model\.name_or_path=.*no/such/model.*no such file or folder"
    ) as err:
        check_model_source(missing)
    assert "Repo id" not in str(err.value)


@pytest.mark.parametrize("text", ["outputs/grpo/run/hf/final", "./model", "not a model!"])
def test_strings_neither_path_nor_hub_id_fail(text: str) -> None:
    with pytest.raises(ValueError, match="not a hub id of the form org/name"):
        check_model_source(text, key="stage.module.teacher_name_or_path")


def test_unregistered_builtin_names_list_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"r1lit-tiny-nosuch.*registered: \[.*'r1lit-tiny'"):
        check_model_source("r1lit-tiny-nosuch")
    with pytest.raises(ValueError, match=r"r1lit-twin/nosuch.*registered: \[.*'r1lit-twin/qwen2.5'"):
        check_model_source("r1lit-twin/nosuch")  # would pass as a hub id org/name, then fail in the build


def test_folder_without_config_or_tokenizer_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty.*not a model folder: it has no config.json"):
        check_model_source(str(tmp_path / "empty"))
    no_tok = make_model_folder(tmp_path / "no_tok", tokenizer=False)
    with pytest.raises(ValueError, match="no tokenizer files"):
        check_model_source(str(no_tok))


def test_checkpoint_and_run_folder_only_where_accepted(tmp_path: Path) -> None:
    ckpt = tmp_path / "last.ckpt"
    ckpt.write_bytes(b"x")
    run = tmp_path / "run"
    make_model_folder(run / "hf" / "step_4")
    check_model_source(str(ckpt))
    check_model_source(str(run))
    with pytest.raises(ValueError, match="a file, not a model folder"):
        check_model_source(str(ckpt), accept_runs=False)
    with pytest.raises(ValueError, match="it has no config.json"):
        check_model_source(str(run), accept_runs=False)


def test_module_imports_neither_torch_nor_lightning() -> None:
    code = "import sys, r1lit.model_source; print(sorted({'torch', 'lightning', 'transformers'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
