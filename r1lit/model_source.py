"""Check a `name_or_path` before anything loads it, so a bad model source fails with the key and the value.

`transformers` reports a missing local folder as "Repo id must be in the form ..." and a folder that
is not a model as a tokenizer or sentencepiece error, long after the run has started. `check_model_source`
looks only at the file system and the shape of the string (no torch, no transformers, no network), so the
training and evaluation CLIs call it while validating their configs.

Accepted:
- `r1lit-tiny*` names registered in `r1lit.tiny.specs.SPECS`, and `r1lit-twin/*` / `r1lit-shape/*`
  names registered in `r1lit.tiny.twins` (both built on first use by `r1lit.models`);
- a local folder holding `config.json` and tokenizer files (a `save_pretrained` folder);
- a hub id `org/name` (whether it exists is only known online; it is not looked up here);
- with `accept_runs=True` (the evaluation CLI's default): a Lightning `.ckpt` file, or a training run
  folder whose `hf/final` or `hf/step_<N>` export is a model folder (`r1lit.run_models` loads both).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# The hub's rule for repo ids: `org/name`, letters, digits, `-`, `_`, `.`, no `--` or `..`, <= 96 chars.
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HUB_ID_MAX = 96
# Any one of these is enough for AutoTokenizer (fast tokenizer, sentencepiece model, or BPE vocab).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model")
_EXPORT = re.compile(r"(final|step_\d+)")


def _is_hub_id(text: str) -> bool:
    return bool(_HUB_ID.match(text)) and len(text) <= _HUB_ID_MAX and "--" not in text and ".." not in text


def _check_builtin(name: str, key: str) -> None:
    """A name `r1lit.models` builds itself must be registered (else it fails deep inside the build)."""
    from r1lit.models import is_tiny

    if is_tiny(name):
        from r1lit.tiny.specs import SPECS

        registered = sorted(SPECS)
    else:
        from r1lit.tiny.twins import registered_names

        registered = registered_names()
    if name not in registered:
        raise ValueError(f"{key}={name!r}: not a registered built-in model; registered: {registered}")


def folder_problem(folder: Path) -> str | None:
    """Why `folder` is not a `save_pretrained` model folder, or None when it looks like one."""
    config = folder / "config.json"
    if not config.is_file():
        return "it has no config.json"
    try:
        parsed = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"its config.json does not parse ({err})"
    if not isinstance(parsed, dict) or "model_type" not in parsed:
        return "its config.json has no model_type"
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        return f"it has no tokenizer files (one of {list(TOKENIZER_FILES)})"
    return None


def _is_run_folder(folder: Path) -> bool:
    """A training run folder (or its `hf/`) holding at least one complete HF export."""
    hf = folder / "hf" if (folder / "hf").is_dir() else folder
    exports = [d for d in hf.iterdir() if d.is_dir() and _EXPORT.fullmatch(d.name)]
    return any(folder_problem(d) is None for d in exports)


def _check_local(path: Path, text: str, key: str, accept_runs: bool) -> None:
    runs = " a training run folder with hf/final or hf/step_<N>, or a .ckpt file," if accept_runs else ""
    allowed = (
        f"allowed: a model folder (config.json + tokenizer files),{runs} a hub id org/name, or r1lit-tiny*"
    )
    if path.is_file():
        if accept_runs and path.suffix == ".ckpt":
            return
        raise ValueError(f"{key}={text!r}: a file, not a model folder; {allowed}")
    problem = folder_problem(path)
    if problem is None or (accept_runs and _is_run_folder(path)):
        return
    raise ValueError(f"{key}={text!r}: not a model folder: {problem}; {allowed}")


def check_model_source(
    name_or_path: str, key: str = "model.name_or_path", *, accept_runs: bool = True
) -> None:
    """Raise ValueError naming `key`, the value and what is allowed, unless `name_or_path` can be loaded.

    Args:
        name_or_path: what the config gives to `r1lit.models.load_causal_lm` / `load_tokenizer`.
        key: the config key to name in the message.
        accept_runs: also accept a Lightning `.ckpt` file and a training run folder (what
            `r1lit.run_models` resolves); training loads plain model folders only and passes False.

    Raises:
        ValueError: a path that does not exist, a folder that is not a model, an unregistered
            `r1lit-tiny*` name, or a string that is neither a path nor a hub id `org/name`.
    """
    from r1lit.models import is_tiny, is_twin

    text = str(name_or_path)
    if is_tiny(text) or is_twin(text):
        _check_builtin(text, key)
        return
    path = Path(text).expanduser()
    if path.exists():
        _check_local(path, text, key, accept_runs)
        return
    if text.startswith(("/", ".", "~")) or not _is_hub_id(text):
        raise ValueError(
            f"{key}={text!r}: no such file or folder, and not a hub id of the form org/name "
            "(a registered r1lit-tiny* name, an existing model folder or a hub id is allowed)"
        )
