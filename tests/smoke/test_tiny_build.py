"""The embedded tiny model: built from scratch into a temporary cache, then opened like any hub checkpoint.

No test here relies on a cache left on the machine: `tiny_model_dir` builds the reduced `r1lit-tiny-test`
spec (same code path as `r1lit-tiny`, fewer steps) into a fresh temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer

from r1lit.prompts import build_prompt
from r1lit.tiny.build import MARKER, ensure_tiny_model, is_built
from r1lit.tiny.specs import get_spec
from r1lit.tiny.tokenizer import QWEN2_PRETOKENIZE_REGEX, render_chat

# Text that a changed pre-tokenizer would split differently: digits, contractions, unicode, newlines,
# the R1 tags, LaTeX, CJK, emoji, runs of spaces.
VARIED_TEXTS = [
    "12345 + 678 = 7023",
    "<think>\n3 * (4 + 5) = 27. Wait, let me check: 27.\n</think> <answer>27</answer>",
    "It's what they'd've done; we'll see.  Spaces   here\n\n\ttab",
    r"Please reason step by step, and put your final answer within \boxed{}. \frac{1}{2}",
    "naïve café — 数学题 答案是 42 🙂",
    "",
]


def test_build_writes_a_complete_hf_folder(tiny_model_dir: Path) -> None:
    assert is_built(tiny_model_dir)
    for name in (
        "config.json",
        "model.safetensors",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ):
        assert (tiny_model_dir / name).is_file(), name
    meta = json.loads((tiny_model_dir / MARKER).read_text())
    assert meta["spec_hash"] == get_spec("r1lit-tiny-test").hash()
    assert json.loads((tiny_model_dir / "config.json").read_text())["model_type"] == "qwen2"


def test_auto_tokenizer_gives_the_ids_of_the_trained_tokenizer(tiny_model_dir: Path) -> None:
    """transformers rebuilds qwen2 tokenizers with Qwen2's own rules: the ids must not change."""
    from transformers import AutoTokenizer, Qwen2Tokenizer

    trained = Tokenizer.from_file(str(tiny_model_dir / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    for text in VARIED_TEXTS:
        assert (
            auto(text, add_special_tokens=False)["input_ids"]
            == trained.encode(text, add_special_tokens=False).ids
        ), text
        assert auto.decode(auto(text)["input_ids"]) == text
    assert (
        QWEN2_PRETOKENIZE_REGEX
        == __import__("transformers").models.qwen2.tokenization_qwen2.PRETOKENIZE_REGEX
    )
    assert isinstance(auto, Qwen2Tokenizer) or type(auto).__name__.startswith("Qwen2")


def test_digits_are_single_tokens_and_specials_have_fixed_ids(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    ids = tok("9081726354", add_special_tokens=False)["input_ids"]
    assert [tok.decode([i]) for i in ids] == list("9081726354")
    assert tok.convert_tokens_to_ids(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]) == [0, 1, 2]
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"


def test_chat_template_matches_the_corpus_renderer(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    messages = build_prompt("chat_boxed", "What is 2 + 3?")
    assert isinstance(messages, list)
    rendered = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert rendered == render_chat(messages)
    assert rendered.endswith("<|im_start|>assistant\n")


def test_loaded_by_name_like_a_hub_id(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`model.name_or_path=r1lit-tiny-test` resolves to the cached folder and loads with the Auto classes."""
    from r1lit.models import load_causal_lm, load_tokenizer, resolve_model_path

    monkeypatch.setenv("R1LIT_CACHE", str(tiny_model_dir.parent))
    assert Path(resolve_model_path("r1lit-tiny-test")) == tiny_model_dir
    model, tok = load_causal_lm("r1lit-tiny-test"), load_tokenizer("r1lit-tiny-test")
    assert tok.padding_side == "left"
    batch = tok(["1 + 1 =", "22 * 3 ="], return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(**batch).logits  # [2, L, V]
    assert logits.shape[:2] == batch["input_ids"].shape and torch.isfinite(logits).all()


def test_build_is_deterministic_and_reused(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Same spec, fresh cache -> identical weights and tokenizer; a second call reuses the folder."""
    from safetensors.torch import load_file

    again = ensure_tiny_model("r1lit-tiny-test", cache_dir=tmp_path)
    assert (again / "tokenizer.json").read_bytes() == (tiny_model_dir / "tokenizer.json").read_bytes()
    first, second = load_file(tiny_model_dir / "model.safetensors"), load_file(again / "model.safetensors")
    assert first.keys() == second.keys()
    for name in first:
        torch.testing.assert_close(first[name], second[name], rtol=0, atol=0, msg=name)
    stamp = (again / MARKER).stat().st_mtime_ns
    assert ensure_tiny_model("r1lit-tiny-test", cache_dir=tmp_path) == again
    assert (again / MARKER).stat().st_mtime_ns == stamp, "a built model must be reused, not rebuilt"


def test_unknown_tiny_name_lists_the_registered_ones() -> None:
    with pytest.raises(ValueError, match="r1lit-tiny-small"):
        get_spec("r1lit-tiny-huge")
