"""Assistant-only loss masks with EOS kept in the labels, on a Qwen-style chat template."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from r1lit.data.sft_datamodule import pad_batch
from r1lit.data.tokenize import IGNORE_INDEX, tokenize_chat, tokenize_text

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    words = ["user", "assistant", "system", "\n", "hi", "2+2?", "4", "thanks", "ok", "Q", "A"]
    specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<unk>"]
    vocab = {w: i for i, w in enumerate(specials + words)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(pattern="\n", behavior="isolated")
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit()])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<unk>",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def test_only_assistant_turns_and_their_eos_are_labelled(tokenizer: PreTrainedTokenizerFast) -> None:
    messages = [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "thanks"},
        {"role": "assistant", "content": "ok"},
    ]
    out = tokenize_chat(tokenizer, messages)
    labelled = [
        tokenizer.convert_ids_to_tokens(i)
        for i, lab in zip(out["input_ids"], out["labels"], strict=True)
        if lab != IGNORE_INDEX
    ]
    # Each assistant turn contributes its content and its <|im_end|> (the EOS), nothing from user turns.
    assert [t for t in labelled if t.strip()] == ["4", "<|im_end|>", "ok", "<|im_end|>"]
    assert out["labels"][-len(labelled) :] != [IGNORE_INDEX] * len(labelled)


def test_raw_text_prompt_masks_prompt_and_keeps_eos(tokenizer: PreTrainedTokenizerFast) -> None:
    out = tokenize_text(tokenizer, "Q", "A")
    assert out["labels"][0] == IGNORE_INDEX
    assert out["labels"][-1] == tokenizer.eos_token_id == out["input_ids"][-1]


def test_padding_is_never_labelled() -> None:
    batch = pad_batch(
        [{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [5], "labels": [5]}], pad_id=0
    )
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [5, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
