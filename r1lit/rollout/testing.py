"""Test helpers: a character-level tokenizer with a chat template and a random-init tiny Qwen2.

They let generation tests (and any test that needs *a* policy, e.g. a GRPO step) run in seconds without
the built `r1lit-tiny` model. Not used by library code.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

SPECIAL_TOKENS = ("<pad>", "<eos>", "<|im_start|>", "<|im_end|>")
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def char_tokenizer(vocab_size: int | None = None) -> PreTrainedTokenizerFast:
    """One token per printable ASCII character, plus <pad> (0), <eos> (1), <|im_start|> (2), <|im_end|> (3).

    Left padding, a chat template in the Qwen style; `decode` concatenates characters. `vocab_size`
    pads the vocabulary with never-encoded filler tokens "<k>" (to mimic a real vocabulary's size).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set(string.printable) - set("\x0b\x0c\r"))
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    vocab.update({c: len(SPECIAL_TOKENS) + i for i, c in enumerate(chars)})
    vocab.update({f"<{k}>": k for k in range(len(vocab), vocab_size or 0)})
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(list(SPECIAL_TOKENS))
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", padding_side="left"
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def tiny_qwen2(
    vocab_size: int, seed: int = 0, hidden: int = 64, layers: int = 2, **overrides
) -> PreTrainedModel:
    """A random-init Qwen2ForCausalLM (GQA: 4 heads, 2 KV heads) whose generation config stops on ids 1 and 3."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    overrides.setdefault("intermediate_size", 2 * hidden)
    config = Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        pad_token_id=0,
        bos_token_id=None,
        eos_token_id=[1, 3],
        **overrides,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = [1, 3]
    return model.eval()
