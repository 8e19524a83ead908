"""Load what a training run leaves (a run folder or a Lightning `.ckpt`) as an HF model and tokenizer.

Every command that takes a model goes through `load_model_and_tokenizer` (or `resolve_model_source`
where a backend loads the weights itself), so each accepts the same sources:
- anything `r1lit.models` loads: a hub id, a `save_pretrained` folder, `r1lit-tiny*`, twins;
- a training run folder (or its `hf/`): its `hf/final` export, else its highest `hf/step_<N>`;
- a Lightning `.ckpt` of a run: the base model named in its `hyper_parameters`, with its `policy.*` weights.
`r1lit.model_source.check_model_source(..., accept_runs=True)` accepts exactly these before anything loads;
a parameter annotated `ModelOrRun` (loaded through this module) gets that check in config validation.
No Lightning import (a `.ckpt` is read with `torch.load`): the evaluation harness uses this module too.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from r1lit.models import load_causal_lm, load_tokenizer, resolve_model_path

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)
_STEP = re.compile(r"step_(\d+)")


class _AcceptsRuns:
    """`Annotated` marker (not a check: not callable) of a `*name_or_path` loaded through this module."""

    def __repr__(self) -> str:
        return "ACCEPTS_RUNS"


ACCEPTS_RUNS = _AcceptsRuns()
# A model source that may also be a training run folder or `.ckpt`: `r1lit.stages.validate` checks a
# parameter with this annotation with `accept_runs=True`; plain `str` ones take HF models only.
ModelOrRun = Annotated[str, ACCEPTS_RUNS]


def resolve_checkpoint(name_or_path: str) -> str:
    """A training run dir (or its `hf/`) -> its `final` export, else the highest `step_<N>`; anything else unchanged.

    Raises:
        FileNotFoundError: a folder with neither config.json nor an export.
    """
    path = Path(name_or_path)
    if not path.is_dir() or (path / "config.json").exists():
        return name_or_path
    hf = path / "hf" if (path / "hf").is_dir() else path
    if (hf / "final" / "config.json").exists():
        return str(hf / "final")
    steps = [(int(m.group(1)), d) for d in hf.glob("step_*") if (m := _STEP.fullmatch(d.name))]
    steps = [(n, d) for n, d in steps if (d / "config.json").exists()]
    if not steps:
        raise FileNotFoundError(
            f"model.name_or_path={name_or_path}: a folder without config.json, hf/final or hf/step_<N>"
        )
    chosen = max(steps)[1]
    log.info("using the latest export of the run: %s", chosen)
    return str(chosen)


def resolve_model_source(name_or_path: str) -> str:
    """What to load for `name_or_path`: a built-in name's folder, a run's export, or the path unchanged."""
    return resolve_checkpoint(resolve_model_path(name_or_path))


def is_lightning_checkpoint(path: str) -> bool:
    return str(path).endswith(".ckpt")


def load_lightning_checkpoint(
    path: str, dtype: str = "float32", device: str = "cpu"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A `.ckpt` of a training run: base model from `hyper_parameters.model_name_or_path`, then `policy.*` weights.

    Raises:
        ValueError: the checkpoint names no base model, holds no `policy.*` weights, or its weights do
            not fit the base model.
    """
    import torch

    # our own Lightning checkpoint: its hparams are objects, so weights_only loading cannot read it
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    hp = ckpt.get("hyper_parameters") or {}
    base = hp.get("model_name_or_path")
    if not base:
        raise ValueError(f"{path}: hyper_parameters has no model_name_or_path, so the base model is unknown")
    state = {k.removeprefix("policy."): v for k, v in ckpt["state_dict"].items() if k.startswith("policy.")}
    if not state:
        raise ValueError(
            f"{path}: no `policy.*` keys in state_dict (keys look like {list(ckpt['state_dict'])[:3]})"
        )
    model = load_causal_lm(base, hp.get("revision"), dtype, "cpu")
    result = model.load_state_dict(state, strict=False)
    tied = {"lm_head.weight"} if getattr(model.config, "tie_word_embeddings", False) else set()
    missing = [k for k in result.missing_keys if k not in tied]
    if missing or result.unexpected_keys:
        raise ValueError(
            f"{path}: weights do not match {base}: missing {missing[:5]}, unexpected {result.unexpected_keys[:5]}"
        )
    log.info("loaded %d policy tensors from %s onto base %s", len(state), path, base)
    return model.to(device), load_tokenizer(base, hp.get("revision"))


def load_model_and_tokenizer(
    name_or_path: str, revision: str | None = None, dtype: str = "float32", device: str = "cpu"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """(model, tokenizer) of any source listed in the module docstring."""
    path = resolve_model_source(name_or_path)
    if is_lightning_checkpoint(path):
        return load_lightning_checkpoint(path, dtype, device)
    return load_causal_lm(path, revision, dtype, device), load_tokenizer(path, revision)
