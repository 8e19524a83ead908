"""Build an embedded tiny model on first use, offline and deterministically, then reuse it.

`ensure_tiny_model("r1lit-tiny")` returns a `save_pretrained` folder (safetensors weights, config,
generation config, tokenizer files) that `r1lit.models.load_causal_lm` / `load_tokenizer` open
exactly like a hub checkpoint. The folder is `<cache>/<name>-<spec hash>`: it is built in a temporary
sibling folder and renamed into place, under a file lock, so concurrent processes build it once and
nobody ever sees a half-written model.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from r1lit.cache import cache_dir as default_cache_dir
from r1lit.tiny.specs import TinySpec, get_spec

log = logging.getLogger(__name__)
MARKER = "r1lit_tiny.json"  # written last: its presence means the folder is complete
BUILD_THREADS = 2


def model_dir(name: str, spec: TinySpec, cache_dir: Path | None = None) -> Path:
    """Where `name` built from `spec` lives (whether or not it is built yet)."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return root / f"{name}-{spec.hash()}"


def is_built(folder: Path) -> bool:
    return (Path(folder) / MARKER).is_file()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_tiny_model(name: str, cache_dir: Path | None = None, spec: TinySpec | None = None) -> Path:
    """The folder of tiny model `name`, building it first if needed.

    Args:
        name: a registered name (`r1lit-tiny`, `r1lit-tiny-small`), or any name when `spec` is given.
        cache_dir: root of the cache; default `r1lit.cache.cache_dir()` ($R1LIT_CACHE or ~/.cache/r1lit).
        spec: override the registered spec (tests build reduced models this way).

    Returns:
        The save_pretrained folder `<cache_dir>/<name>-<spec hash>`.
    """
    spec = spec if spec is not None else get_spec(name)
    return build_once(model_dir(name, spec, cache_dir), lambda tmp: build_tiny_model(tmp, name, spec))


def build_once(target: Path, build: Callable[[Path], object]) -> Path:
    """`target`, after running `build(tmp_folder)` unless a complete build (with `MARKER`) is there.

    `build` must write `MARKER` last. It runs in a temporary sibling folder renamed into place, under
    a file lock, so concurrent processes build once and nobody sees a half-written model.
    """
    if is_built(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / f".{target.name}.lock"):
        if is_built(target):  # another process finished while we waited for the lock
            return target
        if target.exists():  # a leftover without its marker: not ours to trust
            shutil.rmtree(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            build(tmp)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def train_tiny_tokenizer(spec: TinySpec) -> tuple[Any, list[tuple[str, str]]]:
    """(BPE `tokenizers.Tokenizer`, corpus documents) of `spec`, exactly as its model build makes them."""
    from r1lit.tiny.corpus import build_corpus
    from r1lit.tiny.tokenizer import train_tokenizer

    docs = build_corpus(spec, spec.steps * spec.batch_size, spec.seed)
    return train_tokenizer((p + r for p, r in docs[: spec.tokenizer_texts]), spec.vocab_size), docs


def build_tiny_model(out_dir: Path, name: str, spec: TinySpec) -> dict:
    """Generate the corpus, train the tokenizer, pretrain the model and save everything into `out_dir`.

    Seeded and offline; uses at most 2 threads (fewer if the caller's setting is lower) while it runs,
    restoring the caller's setting afterwards, and leaves the caller's torch RNG state untouched.
    Returns the metadata also written to `MARKER`.
    """
    import torch
    from transformers import GenerationConfig, Qwen2ForCausalLM

    from r1lit.tiny.pretrain import encode_corpus, make_config, pretrain
    from r1lit.tiny.tokenizer import EOS_TOKEN, PAD_TOKEN, save_tokenizer

    start, threads = time.perf_counter(), torch.get_num_threads()
    # never more threads than the caller allows (OMP_NUM_THREADS=1 is far faster on a busy machine)
    torch.set_num_threads(min(BUILD_THREADS, threads))
    log.info("building tiny model %s (spec %s) into %s", name, spec.hash(), out_dir)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(spec.seed)
            tok, docs = train_tiny_tokenizer(spec)
            model = Qwen2ForCausalLM(make_config(spec, tok))
            stats = pretrain(model, encode_corpus(tok, docs), spec, pad_id=tok.token_to_id(PAD_TOKEN))
    finally:
        torch.set_num_threads(threads)
    eos, pad = tok.token_to_id(EOS_TOKEN), tok.token_to_id(PAD_TOKEN)
    # Stop on <|im_end|> (what the corpus ends every response with) and on <|endoftext|>, like Qwen2.5.
    model.generation_config = GenerationConfig(bos_token_id=None, eos_token_id=[eos, pad], pad_token_id=pad)
    model.save_pretrained(str(out_dir))
    save_tokenizer(tok, Path(out_dir), model_max_length=spec.max_position_embeddings)
    meta = {
        "name": name,
        "spec_hash": spec.hash(),
        "spec": asdict(spec),
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": tok.get_vocab_size(),
        "build_seconds": round(time.perf_counter() - start, 1),
        **{k: round(v, 4) for k, v in stats.items()},
    }
    (Path(out_dir) / MARKER).write_text(json.dumps(meta, indent=2) + "\n")
    log.info("built %s: %d parameters in %.0fs", name, meta["num_parameters"], meta["build_seconds"])
    return meta
