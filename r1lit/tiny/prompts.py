"""The prompt text the tiny model is pretrained on: a question through one of the prompt templates.

Its own module because both corpora use it: `corpus` (which hands a `corpus="reflect"` spec to
`corpus_reflect`) and `corpus_reflect` (which would otherwise import `corpus` back).
"""

from __future__ import annotations

from r1lit.prompts import build_prompt
from r1lit.tiny.tokenizer import render_chat


def render_prompt(template: str, question: str) -> str:
    """The prompt as the model sees it: raw r1_zero text, or chat_boxed through the ChatML template."""
    prompt = build_prompt(template, question)
    return prompt if isinstance(prompt, str) else render_chat(prompt, add_generation_prompt=True)
