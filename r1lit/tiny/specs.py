"""Registry of embedded tiny models: architecture + pretraining corpus + training schedule, one dataclass each.

A spec fully determines its model (the build is seeded), so its hash names the cache folder:
`<cache>/<name>-<spec_hash>`. Changing any field, or `BUILD_VERSION` when the corpus/training code
changes meaning, makes a new folder instead of silently reusing a stale one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

BUILD_VERSION = 1  # bump when corpus.py / pretrain.py change what a given spec produces


@dataclass(frozen=True)
class TinySpec:
    """Everything that defines one tiny model. Sizes are small on purpose: it trains in minutes on 2 CPU cores."""

    # architecture (Qwen2ForCausalLM, tied embeddings)
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int = 512
    vocab_size: int = 512  # BPE target size, also the embedding size
    max_position_embeddings: int = 512
    # pretraining corpus (train split only; see corpus.py)
    difficulty_weights: tuple[float, ...] = (1.0, 2.0, 2.0, 2.0)  # weight of difficulty 1, 2, 3, ...
    p_long: float = 0.3  # share of step-by-step responses; the rest answer directly
    p_reflect: float = 0.2  # share of step-by-step responses with one "Wait, let me check: ..." line
    p_chat: float = 0.4  # share rendered with chat_boxed; the rest use r1_zero
    p_countdown: float = 0.0  # share of countdown problems (the rest are arithmetic)
    # pretraining schedule
    steps: int = 1200
    batch_size: int = 32
    lr: float = 3e-3
    warmup_steps: int = 50
    weight_decay: float = 0.05
    seed: int = 0
    tokenizer_texts: int = 4000  # corpus documents used to train the BPE

    def hash(self) -> str:
        """Stable 10-hex-digit digest of every field plus BUILD_VERSION."""
        blob = json.dumps({"build_version": BUILD_VERSION, **dataclasses.asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:10]

    def replace(self, **changes: object) -> TinySpec:
        """A copy with some fields changed (e.g. a reduced model for tests)."""
        return dataclasses.replace(self, **changes)


SPECS: dict[str, TinySpec] = {
    # the default policy for every r1lit command
    "r1lit-tiny": TinySpec(),
    # the student of the distillation-vs-RL experiment: same corpus, half the width
    "r1lit-tiny-small": TinySpec(hidden_size=64, num_heads=2, num_kv_heads=1, intermediate_size=256),
    # the R1-Zero base model (experiment=r1_zero_tiny, sweep_tiny): r1_zero template only, difficulty
    # 1-2, half direct, half step-by-step answers. On unseen 2-operation problems (T=0.6) its direct
    # answers are right ~18% of the time, its step-by-step ones ~47%: the gap GRPO has to find.
    # (More direct-answer data, e.g. p_long=0.3 for 1400 steps, teaches direct answers to ~43%.)
    "r1lit-tiny-zero": TinySpec(difficulty_weights=(1.0, 2.0), p_long=0.5, p_chat=0.0, steps=1000),
    # a reduced, barely trained model that builds in seconds: smoke tests and config tests only
    "r1lit-tiny-test": TinySpec(
        hidden_size=32,
        num_layers=2,
        num_heads=2,
        num_kv_heads=1,
        intermediate_size=64,
        vocab_size=384,
        steps=20,
        batch_size=8,
        warmup_steps=5,
        tokenizer_texts=400,
    ),
}


def get_spec(name: str) -> TinySpec:
    """The registered spec for `name`.

    Raises:
        ValueError: for an unknown name (the message lists the registered ones).
    """
    if name not in SPECS:
        raise ValueError(f"unknown tiny model {name!r}; registered: {sorted(SPECS)}")
    return SPECS[name]
