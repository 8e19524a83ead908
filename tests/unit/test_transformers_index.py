"""The disk cache of transformers' lazy-import table: same table, computed once, never stale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from r1lit.transformers_index import cached, decode, encode


def test_encode_round_trips_frozenset_keys_sets_and_tuples() -> None:
    table = {
        frozenset({"torch", "tokenizers"}): {"albert.modeling_albert": {"AlbertModel", "AlbertForMaskedLM"}},
        frozenset(): {"albert.configuration_albert": {"AlbertConfig"}},
        "nested": {"x": ("a", 1, None, 2.5, True), "y": ["b"]},
    }
    assert decode(json.loads(json.dumps(encode(table)))) == table


def fake_transformers(root: Path) -> tuple[dict[str, Any], list[Path]]:
    """A module namespace whose function recurses through its global name, as transformers' does."""
    calls: list[Path] = []
    namespace: dict[str, Any] = {}

    def original(path: Any) -> dict[Any, Any]:
        calls.append(Path(path))
        subs = sorted(p for p in Path(path).iterdir() if p.is_dir())
        return {
            frozenset({"torch"}): {Path(path).name: {"Model"}},
            "subs": {p.name: namespace["f"](p) for p in subs},
        }

    namespace["original"] = original
    return namespace, calls


def test_the_outer_table_is_cached_once_and_read_back_without_recomputing(tmp_path: Path) -> None:
    models = tmp_path / "models"
    (models / "qwen2").mkdir(parents=True)
    (models / "llama").mkdir()
    first, calls = fake_transformers(models)
    first["f"] = cached(first["original"], tmp_path / "cache", "5.0")
    table = first["f"](models)
    assert calls == [models, models / "llama", models / "qwen2"]  # the sub-folders through the wrapper
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1  # only the table transformers asked for

    second, calls = fake_transformers(models)  # a new process
    second["f"] = cached(second["original"], tmp_path / "cache", "5.0")
    assert second["f"](models) == table
    assert calls == []


def test_a_new_model_folder_a_new_version_or_a_corrupt_file_recomputes(tmp_path: Path) -> None:
    models = tmp_path / "models"
    (models / "qwen2").mkdir(parents=True)
    ns, calls = fake_transformers(models)
    ns["f"] = cached(ns["original"], tmp_path / "cache", "5.0")
    ns["f"](models)

    (models / "qwen3").mkdir()  # an upgrade adds a model
    ns2, calls = fake_transformers(models)
    ns2["f"] = cached(ns2["original"], tmp_path / "cache", "5.0")
    assert "qwen3" in ns2["f"](models)["subs"] and calls

    ns3, calls = fake_transformers(models)
    ns3["f"] = cached(ns3["original"], tmp_path / "cache", "5.1")
    ns3["f"](models)
    assert calls  # another transformers version

    for file in (tmp_path / "cache").glob("*.json"):
        file.write_text('{"d": [[')  # torn write
    ns4, calls = fake_transformers(models)
    ns4["f"] = cached(ns4["original"], tmp_path / "cache", "5.1")
    assert "qwen3" in ns4["f"](models)["subs"] and calls


NAMES = """
import hashlib, sys
if len(sys.argv) > 1:
    from r1lit.transformers_index import install
    assert install(sys.argv[1])
import transformers, transformers.models
names = sorted(dir(transformers)) + sorted(dir(transformers.models))
print(len(names), hashlib.sha256("\\n".join(names).encode()).hexdigest())
"""


def test_transformers_sees_the_same_names_with_a_cold_and_a_warm_cache(tmp_path: Path) -> None:
    def names(*args: str) -> str:
        run = subprocess.run([sys.executable, "-c", NAMES, *args], capture_output=True, text=True, check=True)
        return run.stdout.strip()

    plain = names()
    assert int(plain.split()[0]) > 1000  # the real package, every model's names
    assert names(str(tmp_path)) == plain  # computed and written
    assert list(tmp_path.glob("transformers-imports-*.json"))
    assert names(str(tmp_path)) == plain  # read back
