"""The tiny model's byte-level BPE tokenizer, trained with the `tokenizers` library.

Why exactly Qwen2's pre-tokenization: the tiny model is a `qwen2` model, and transformers 5.x
`AutoTokenizer` loads every `qwen2` folder through `Qwen2Tokenizer`, whose `__init__` keeps only the
vocab/merges of `tokenizer.json` and rebuilds the normalizer (NFC), pre-tokenizer (the regex below +
ByteLevel without its own regex) and decoder (ByteLevel) from scratch; `qwen2` is also listed in
`MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS`, so even `tokenizer_class: TokenizersBackend` in
`tokenizer_config.json` is overridden. A tokenizer trained with any other pipeline would silently get
different ids after `AutoTokenizer.from_pretrained`. Training with exactly that pipeline makes the
rebuild a no-op (tests/smoke/test_tiny_build.py checks ids on varied text). The regex also splits
every digit into its own token, which is what arithmetic needs.

Special tokens: `<|endoftext|>` (id 0, pad), `<|im_start|>` (1), `<|im_end|>` (2, EOS: every
response in the corpus ends with it, under both prompt templates).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

from r1lit.prompts import BOXED_INSTRUCTION, R1_ZERO

# Identical to transformers.models.qwen2.tokenization_qwen2.PRETOKENIZE_REGEX (a unit test checks it).
QWEN2_PRETOKENIZE_REGEX = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
EOS_TOKEN = IM_END
SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END)
# The fixed parts of the two prompt templates, each one (non-special) added token: the r1_zero prompt
# shrinks from ~100 tokens to ~15, which makes pretraining, GRPO rollouts and policy updates ~3x
# cheaper. Any other text (a different template, a paraphrase) still tokenizes word by word.
PHRASE_TOKENS = (*R1_ZERO.split("{question}"), BOXED_INSTRUCTION)

# Qwen-style ChatML without a default system message. `render_chat` below is the same logic in Python
# (the corpus builder renders prompts before the tokenizer exists); a test checks they agree.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def render_chat(messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
    """What `tokenizer.apply_chat_template(messages, tokenize=False, ...)` returns for CHAT_TEMPLATE."""
    text = "".join(f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n" for m in messages)
    return text + (f"{IM_START}assistant\n" if add_generation_prompt else "")


def _empty_qwen2_style_tokenizer(model: models.Model) -> Tokenizer:
    tok = Tokenizer(model)
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """Train a byte-level BPE with Qwen2's normalizer/pre-tokenizer/decoder on `texts`.

    Deterministic for the same texts and vocab size. The three special tokens get ids 0, 1, 2; the
    template phrases (PHRASE_TOKENS) are added after training, at the end of the vocabulary.
    """
    tok = _empty_qwen2_style_tokenizer(models.BPE(byte_fallback=False, fuse_unk=False))
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_tokens([AddedToken(phrase, normalized=False, special=False) for phrase in PHRASE_TOKENS])
    return tok


def save_tokenizer(tok: Tokenizer, folder: Path, model_max_length: int) -> None:
    """Write tokenizer.json + tokenizer_config.json (Qwen2Tokenizer, ChatML template) into `folder`."""
    from transformers import PreTrainedTokenizerFast

    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        unk_token=None,
        bos_token=None,
        additional_special_tokens=[IM_START, IM_END],
        model_max_length=model_max_length,
        padding_side="left",
        clean_up_tokenization_spaces=False,
    )
    hf_tok.chat_template = CHAT_TEMPLATE
    hf_tok.save_pretrained(str(folder))
    # Name the class AutoTokenizer will use anyway for a qwen2 model (see module docstring).
    cfg_path = Path(folder) / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["tokenizer_class"] = "Qwen2Tokenizer"
    cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n")
