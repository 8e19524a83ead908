"""Record sources: hub datasets through `datasets.load_dataset` (run on local files of the same schema)."""

from __future__ import annotations

from pathlib import Path

import pytest

import r1lit.io
from r1lit.data import sources


def write_jsonl(path: Path, rows: list[dict]) -> str:
    return str(r1lit.io.write_jsonl(path, rows))  # datasets' data_files takes a string


def test_numina_tir_schema_maps_to_prompt_and_chat_records(tmp_path: Path) -> None:
    row = {
        "problem": "What is $1+1$?",
        "solution": "We add: ```python\nprint(1+1)\n```\n```output\n2\n```\nSo the answer is $\\boxed{2}$.",
        "messages": [{"role": "user", "content": "What is $1+1$?"}, {"role": "assistant", "content": "..."}],
    }
    data = write_jsonl(tmp_path / "numina.jsonl", [row])
    recs = sources.hub("json", revision=None, split="train", adapter="numina_tir", data_files=data)
    assert recs[0]["question"] == "What is $1+1$?"
    assert recs[0]["answer"] == "2"
    assert recs[0]["messages"][1]["content"] == row["solution"]


def test_bespoke_stratos_schema_maps_to_chat_messages(tmp_path: Path) -> None:
    row = {
        "system": "Your role as an assistant involves thoroughly exploring questions...",
        "conversations": [
            {"from": "user", "value": "Return 3."},
            {"from": "assistant", "value": "<|begin_of_thought|>ok<|end_of_thought|> 3"},
        ],
    }
    data = write_jsonl(tmp_path / "stratos.jsonl", [row])
    recs = sources.hub("json", revision=None, split="train", adapter="bespoke_stratos", data_files=data)
    assert [m["role"] for m in recs[0]["messages"]] == ["system", "user", "assistant"]
    assert recs[0]["question"] == "Return 3."


def test_unknown_adapter_names_the_allowed_ones(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "x.jsonl", [{"a": 1}])
    with pytest.raises(ValueError, match="numina_tir"):
        sources.local_file(data, adapter="nope")


def test_field_mapping_renames_columns(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "x.jsonl", [{"q": "1+1", "a": "2", "uid": "p7"}])
    recs = sources.local_file(data, fields={"question": "q", "answer": "a", "id": "uid"})
    assert (recs[0]["question"], recs[0]["answer"], recs[0]["id"]) == ("1+1", "2", "p7")


def test_math500_loads_from_the_shared_file(shared_data: Path) -> None:
    recs = sources.local_file(str(shared_data / "math500.jsonl"), adapter="math_problem")
    assert len(recs) == 500 and recs[0]["id"].startswith("test/")
    assert all(r["answer"] for r in recs)


def test_a_field_mapping_that_finds_nothing_names_file_row_and_field(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "x.jsonl", [{"q": "1+1", "a": "2"}, {"q": "2+2", "ans": "4"}])
    with pytest.raises(ValueError, match=r"x\.jsonl: row 1 has no field 'a' \(data fields: answer <- a\)"):
        sources.local_file(data, fields={"question": "q", "answer": "a"})
    with pytest.raises(
        ValueError, match=r"x\.jsonl: row 0 has no field 'problem', which adapter 'math_problem'"
    ):
        sources.local_file(data, adapter="math_problem")


def test_a_missing_gold_stays_none_and_an_all_empty_field_fails(tmp_path: Path) -> None:
    rows = [{"problem": "1+1", "answer": "2"}, {"problem": "2+2", "answer": None}]
    recs = sources.local_file(write_jsonl(tmp_path / "some.jsonl", rows), adapter="math_problem")
    assert [r["answer"] for r in recs] == ["2", None]  # graded bad_gold later, never the string "None"
    empty = write_jsonl(
        tmp_path / "empty.jsonl", [{"problem": "1+1", "answer": ""}, {"problem": "2", "answer": None}]
    )
    with pytest.raises(ValueError, match=r"empty\.jsonl: field 'answer' is empty in all 2 rows"):
        sources.local_file(empty, adapter="math_problem")
