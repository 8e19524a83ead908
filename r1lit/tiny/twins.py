"""Random-weight stand-ins for real architectures, built offline: twins (2 layers) and full-size shapes.

`r1lit-twin/<name>` (e.g. `r1lit-twin/qwen2.5`) is a checkpoint's architecture from
`architectures.yaml` reduced to 2 layers and a small width with every feature flag kept, random
weights (norm weights and biases randomised too), the tiny tokenizer, saved with `save_pretrained`.
`r1lit-shape/<name>` (e.g. `r1lit-shape/qwen2.5-0.5b`) is the full-size architecture with
transformers' random initialisation. Both resolve through `r1lit.models.resolve_model_path` and load
through the same `AutoModelForCausalLM` path as any hub checkpoint; they are built on first use into
`<cache>/r1lit-twin-<name>-<hash>` (the hash covers the resolved config, the init and
`BUILD_VERSION`). The `org/name` form passes `r1lit.model_source`'s config validation as a hub id
would; `resolve_model_path` intercepts it before transformers, so the hub is never asked.

Twins exist so that every code path that reimplements part of a model (the fused rollout decoder,
shared-prefix scoring) is checked against each architecture's own `forward` (tests/twins/).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import yaml

from r1lit.cache import cache_dir as default_cache_dir
from r1lit.tiny.build import MARKER, build_once
from r1lit.tiny.specs import BUILD_VERSION, get_spec

log = logging.getLogger(__name__)
TWIN_PREFIX = "r1lit-twin/"
SHAPE_PREFIX = "r1lit-shape/"
ARCHITECTURES = Path(__file__).with_name("architectures.yaml")
TOKENIZER_SPEC = "r1lit-tiny"  # twins and shapes use this tiny model's tokenizer


@functools.cache
def architectures() -> dict[str, Any]:
    """The parsed `architectures.yaml` (checkpoints, twins, shapes, init)."""
    return yaml.safe_load(ARCHITECTURES.read_text(encoding="utf-8"))


def is_builtin_architecture(name_or_path: str) -> bool:
    """Whether the name is a twin or shape name (registered or not)."""
    return str(name_or_path).startswith((TWIN_PREFIX, SHAPE_PREFIX))


def registered_names() -> list[str]:
    """Every twin and shape name that `ensure_twin_model` can build."""
    arch = architectures()
    return [TWIN_PREFIX + t for t in arch["twins"]] + [SHAPE_PREFIX + s for s in arch["shapes"]]


def _entry(name: str) -> tuple[str, dict[str, Any]]:
    """("twin" | "shape", the registry entry) for a twin or shape name.

    Raises:
        ValueError: for an unregistered name (the message lists the registered ones).
    """
    arch = architectures()
    for kind, prefix in (("twins", TWIN_PREFIX), ("shapes", SHAPE_PREFIX)):
        if name.startswith(prefix) and name.removeprefix(prefix) in arch[kind]:
            return kind[:-1], arch[kind][name.removeprefix(prefix)]
    raise ValueError(f"unknown architecture twin/shape {name!r}; registered: {registered_names()}")


@functools.cache
def _tokenizer() -> Any:
    from r1lit.tiny.build import train_tiny_tokenizer

    return train_tiny_tokenizer(get_spec(TOKENIZER_SPEC))[0]


def config_dict(name: str, vocab_size: int, eos_id: int, pad_id: int) -> dict[str, Any]:
    """The config.json fields of `name`: the checkpoint's, the twin overrides, the tokenizer's ids.

    Twins take the tokenizer's vocabulary size; shapes keep the real (padded) one, as the real
    checkpoints do (Qwen's embedding has 151936 rows for ~151.6k tokens).
    """
    kind, entry = _entry(name)
    fields = dict(architectures()["checkpoints"][entry["checkpoint"]]["config"])
    if kind == "twin":
        fields.update(entry["overrides"], vocab_size=vocab_size)
    fields.update(bos_token_id=None, eos_token_id=eos_id, pad_token_id=pad_id)
    return fields


def model_dir(name: str, cache_dir: Path | None = None) -> Path:
    """Where `name` lives in the cache (built or not)."""
    kind, entry = _entry(name)
    blob = {"build_version": BUILD_VERSION, "entry": entry, "init": architectures()["init"], "kind": kind}
    blob["checkpoint"] = architectures()["checkpoints"][entry["checkpoint"]]
    digest = hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:10]
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return root / f"{name.replace('/', '-')}-{digest}"  # one folder, not one per namespace


def ensure_twin_model(name: str, cache_dir: Path | None = None) -> Path:
    """The save_pretrained folder of twin or shape `name`, building it on first use (see module docstring)."""
    return build_once(model_dir(name, cache_dir), lambda tmp: build_twin_model(tmp, name))


def randomize_(model: Any, seed: int, matrix_std: float, vector_std: float) -> None:
    """Re-draw every >= 2-d parameter from N(0, matrix_std^2); add N(0, vector_std^2) to every 1-d one.

    The 1-d noise moves norm weights off 1 (or Gemma's 0) and biases off 0: a decoder that skips a
    norm weight or a bias then computes visibly different numbers.
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):  # sorted: independent of module order
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32).to(p.dtype)
            if p.dim() >= 2:
                p.copy_(noise * matrix_std)
            else:
                p.add_(noise * vector_std)


def build_twin_model(out_dir: Path, name: str) -> dict[str, Any]:
    """Build `name` into `out_dir`: config, random weights, generation config, tokenizer, then `MARKER`."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    from r1lit.tiny.tokenizer import EOS_TOKEN, PAD_TOKEN, save_tokenizer

    tok = _tokenizer()
    eos, pad = tok.token_to_id(EOS_TOKEN), tok.token_to_id(PAD_TOKEN)
    fields = config_dict(name, tok.get_vocab_size(), eos, pad)
    config = AutoConfig.for_model(**fields)
    kind, entry = _entry(name)
    init = architectures()["init"]
    with torch.random.fork_rng():
        torch.manual_seed(init["seed"])
        dtype = getattr(torch, entry.get("dtype", "float32"))
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
        if kind == "twin":
            randomize_(model, init["seed"], init["matrix_std"], init["vector_std"])
    model.generation_config = GenerationConfig(bos_token_id=None, eos_token_id=[eos, pad], pad_token_id=pad)
    model.save_pretrained(str(out_dir))
    positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", 1024)
    save_tokenizer(tok, Path(out_dir), model_max_length=positions)
    meta = {
        "name": name,
        "kind": kind,
        "checkpoint": entry["checkpoint"],
        "config": fields,
        "num_parameters": sum(p.numel() for p in model.parameters()),
    }
    (Path(out_dir) / MARKER).write_text(json.dumps(meta, indent=2) + "\n")
    log.info("built %s (%s, %d parameters) into %s", name, kind, meta["num_parameters"], out_dir)
    return meta
