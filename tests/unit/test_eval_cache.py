"""The generation cache: keys, durability, and survival of a write cut short by a kill."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from r1lit_eval.cache import GenerationCache, model_cache_dir, model_fingerprint, prompt_key

from r1lit.rollout.base import SamplingParams

P = SamplingParams(temperature=0.6, top_p=0.95, max_new_tokens=16, seed=0)


def rec(key: str, idx: int, text: str = "x") -> dict:
    return {
        "key": key,
        "idx": idx,
        "text": text,
        "finish_reason": "stop",
        "n_tokens": 1,
        "n_prompt_tokens": 1,
    }


def test_key_depends_on_prompt_prefix_and_sampling_but_not_n() -> None:
    base = prompt_key("Q", P)
    assert (
        prompt_key("Q", SamplingParams(temperature=0.6, top_p=0.95, max_new_tokens=16, seed=0, n=8)) == base
    )
    assert prompt_key("Q2", P) != base
    assert prompt_key("Q", P, prefix="<think>\n") != base
    assert prompt_key([{"role": "user", "content": "Q"}], P) != base
    for change in (
        {"temperature": 0.7},
        {"top_p": 0.9},
        {"max_new_tokens": 17},
        {"seed": 1},
        {"stop": ("\n",)},
        {"top_k": 5},
    ):
        params = SamplingParams(
            **{"temperature": 0.6, "top_p": 0.95, "max_new_tokens": 16, "seed": 0, **change}
        )
        assert prompt_key("Q", params) != base, change


def test_add_get_missing_and_reload(tmp_path: Path) -> None:
    cache = GenerationCache(tmp_path)
    cache.add([rec("k", 0, "a"), rec("k", 2, "c")])
    assert cache.missing("k", 4) == [1, 3]
    again = GenerationCache(tmp_path)
    assert len(again) == 2 and again.get("k", 2)["text"] == "c" and again.get("k", 1) is None


def test_every_writer_file_is_read(tmp_path: Path) -> None:
    GenerationCache(tmp_path, writer="s0of2").add([rec("k", 0)])
    GenerationCache(tmp_path, writer="s1of2").add([rec("k", 1)])
    assert GenerationCache(tmp_path).missing("k", 2) == []


def test_line_cut_short_by_a_kill_is_skipped_and_not_glued_to_the_next(tmp_path: Path) -> None:
    cache = GenerationCache(tmp_path)
    cache.add([rec("k", 0)])
    with open(cache.path, "a") as fh:
        fh.write(json.dumps(rec("k", 1))[:20])  # the process died mid-line
    resumed = GenerationCache(tmp_path)
    assert resumed.missing("k", 3) == [1, 2]
    resumed.add([rec("k", 1), rec("k", 2)])
    assert GenerationCache(tmp_path).missing("k", 3) == []


def test_a_torn_line_is_repaired_once_by_its_writer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = GenerationCache(tmp_path)
    cache.add([rec("k", 0)])
    with open(cache.path, "a") as fh:
        fh.write(json.dumps(rec("k", 1))[:20])  # the process died mid-line
    cache.add([rec("k", 2)])  # a resumed run appended after it
    with caplog.at_level(logging.WARNING, logger="r1lit_eval.cache"):
        first = GenerationCache(tmp_path)
        again = GenerationCache(tmp_path)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and f"{cache.path}: dropped unreadable lines [2]" in warnings[0]
    assert first.missing("k", 3) == again.missing("k", 3) == [1]
    assert [json.loads(line)["idx"] for line in cache.path.read_text().splitlines()] == [0, 2]


def test_another_writers_torn_file_is_read_but_never_rewritten(tmp_path: Path) -> None:
    other = GenerationCache(tmp_path, writer="s1of2")
    other.add([rec("k", 0)])
    with open(other.path, "a") as fh:
        fh.write('{"key": "k", "id')  # maybe still being written by its own process
    before = other.path.read_bytes()
    assert GenerationCache(tmp_path, writer="s0of2").missing("k", 2) == [1]
    assert other.path.read_bytes() == before


def test_model_dir_changes_when_weights_change(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"1234")
    first = model_cache_dir(tmp_path / "cache", str(folder), None, model_fingerprint(str(folder)))
    (folder / "model.safetensors").write_bytes(b"123456")
    second = model_cache_dir(tmp_path / "cache", str(folder), None, model_fingerprint(str(folder)))
    assert first != second and first.parent == second.parent
    assert model_fingerprint("org/hub-model") is None
    assert model_cache_dir(tmp_path, "org/m", "abc", None) != model_cache_dir(tmp_path, "org/m", "def", None)
