"""Chat templates of real reasoning models: think prefills, and a clear error when there is no template.

Reasoning models' chat templates often open the think block themselves: DeepSeek-R1-Distill ends its
generation prompt with `<｜Assistant｜><think>\\n`, so the completion starts *inside* the block and never
holds the opening tag. Everything that forces, stores or trains on a response has to know that:
- eval `force_think` adds `<think>\\n` only when the rendered prompt does not already end with it
  (`add_response_prefix`), so the model never sees `<think>\\n<think>\\n`;
- rejection sampling stores the turn as produced, with the template's prefill put back (`prefilled`);
- SFT drops an opening tag from the target when the generation prompt already holds it (`strip_prefill`),
  so the student sees exactly one `<think>`.

A model without a chat template cannot render chat messages; `check_chat_template` (config files, no
transformers; `check_train_config` / `check_eval_config` apply it to the CLIs' configs) and `require_chat_template` (a
loaded tokenizer) fail early, naming the config key, instead of transformers' error at generation time.
No torch or transformers import here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

THINK_OPEN = "<think>"
# Files that carry a chat template besides tokenizer_config.json's `chat_template` (transformers >= 4.43
# writes chat_template.jinja; processors write chat_template.json).
TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")


def prefilled(rendered_prompt: str) -> str:
    """The opened think block a rendered prompt ends with (`<think>` + trailing whitespace), else ""."""
    body = rendered_prompt.rstrip()
    if not body.endswith(THINK_OPEN):
        return ""
    return rendered_prompt[len(body) - len(THINK_OPEN) :]


def add_response_prefix(rendered_prompt: str, prefix: str) -> str:
    """`rendered_prompt + prefix`, unless the prompt already ends with the prefix (trailing whitespace
    ignored): a template that opens `<think>` itself must not get a second one."""
    tag = prefix.strip()
    if tag and rendered_prompt.rstrip().endswith(tag):
        return rendered_prompt
    return rendered_prompt + prefix


def strip_prefill(response: str, prefill: str) -> str:
    """`response` without the opening tag that `prefill` (the end of its prompt) already holds.

    The whitespace after a stripped tag goes too when the prefill brings its own (`<think>\\n`).
    """
    tag = prefill.strip()
    body = response.lstrip()
    if not tag or not body.startswith(tag):
        return response
    rest = body[len(tag) :]
    return rest.lstrip() if prefill != prefill.rstrip() else rest


def has_chat_template(tokenizer: Any) -> bool:
    """Whether a loaded tokenizer can render chat messages."""
    return bool(getattr(tokenizer, "chat_template", None))


def uses_chat(template: str | None) -> bool:
    """Whether a prompt template yields chat messages: eval's `chat`, or a chat template of
    `r1lit.prompts` (`chat_boxed`); `raw`, `r1_zero` and unknown names (reported elsewhere) do not."""
    if template in (None, "raw"):
        return False
    if template == "chat":
        return True
    from r1lit.prompts import TEMPLATES

    return template in TEMPLATES and isinstance(TEMPLATES[template]("?"), list)


def folder_has_chat_template(folder: Path) -> bool | None:
    """From a tokenizer folder's files: True / False, or None when it holds no tokenizer_config.json."""
    if any((folder / name).is_file() for name in TEMPLATE_FILES):
        return True
    config = folder / "tokenizer_config.json"
    if not config.is_file():
        return None
    try:
        return bool(json.loads(config.read_text(encoding="utf-8")).get("chat_template"))
    except (OSError, ValueError, AttributeError):
        return None  # unreadable: the tokenizer load reports it


def _cached_hub_folder(repo_id: str, revision: str | None) -> Path | None:
    """The local snapshot folder of a hub model whose tokenizer_config.json is cached (no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, "tokenizer_config.json", revision=revision)
    return Path(found).parent if isinstance(found, str) else None


def _run_export_has_chat_template(folder: Path) -> bool | None:
    """A training run folder: its HF export's answer (r1lit.run_models picks the export); else None."""
    from r1lit.run_models import resolve_checkpoint

    try:
        export = Path(resolve_checkpoint(str(folder)))
    except FileNotFoundError:
        return None
    return folder_has_chat_template(export) if export != folder else None


def source_has_chat_template(name_or_path: str, revision: str | None = None) -> bool | None:
    """Whether the model's tokenizer defines a chat template, from files only; None when that cannot be
    told offline (a hub id not in the cache, a checkpoint file)."""
    from r1lit.models import is_tiny, is_twin

    if is_tiny(name_or_path) or is_twin(name_or_path):
        return True  # built with the tiny tokenizer, whose ChatML template r1lit.tiny.tokenizer sets
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        found = folder_has_chat_template(path)
        return found if found is not None else _run_export_has_chat_template(path)
    folder = None if path.exists() else _cached_hub_folder(str(name_or_path), revision)
    return None if folder is None else folder_has_chat_template(folder)


def _message(model: str, needed_by: str, fix: str) -> str:
    return f"{needed_by} asks for chat formatting but {model} has no chat template; {fix}"


def check_chat_template(
    name_or_path: str,
    template: str | None,
    key: str,
    plain: str,
    revision: str | None = None,
    error: type[Exception] = ValueError,
) -> None:
    """Config validation: fail when prompt template `template` (set at `key`) renders chat messages and
    the model's tokenizer files show no chat template. Passes when the files cannot tell (the load does).

    Args:
        name_or_path: the model whose tokenizer renders the prompts.
        template: the prompt template name (`chat`, `raw`, `chat_boxed`, `r1_zero`, ...).
        key: the config key of `template`, named in the error.
        plain: a plain-text template to suggest instead (`raw` for eval, `r1_zero` for training).
        revision: the model revision (hub ids).
        error: the exception class to raise (the caller's config error).

    Raises:
        `error`: naming `key`, the model and both ways out.
    """
    if uses_chat(template) and source_has_chat_template(name_or_path, revision) is False:
        fix = f"set {key}={plain} (a plain-text template) or use a model whose tokenizer has a chat template"
        raise error(_message(name_or_path, f"{key}={template}", fix))


def check_train_config(config: dict[str, Any], error: type[Exception] = ValueError) -> None:
    """`check_chat_template` for a resolved r1lit-train config: each stage part that renders prompts with
    a template (`stage.datamodule.template`, `stage.runner.template`) against the model it renders for.

    The key named is `data.template` when the stage copies it from there (what the user sets).
    """
    stage, data, model = (config.get(k) or {} for k in ("stage", "data", "model"))
    for part in ("datamodule", "runner"):
        node = stage.get(part) or {}
        source = (
            node.get("model_name_or_path") or node.get("tokenizer_name_or_path") or model.get("name_or_path")
        )
        if node.get("template") is None or not isinstance(source, str):
            continue
        key = "data.template" if data.get("template") == node["template"] else f"stage.{part}.template"
        check_chat_template(source, node["template"], key, "r1_zero", model.get("revision"), error)


def require_chat_template(tokenizer: Any, model: str, needed_by: str, fix: str) -> None:
    """Fail with a named cause when a loaded tokenizer has no chat template but chat prompts need one.

    Args:
        tokenizer: the loaded tokenizer.
        model: its name or path (for the message).
        needed_by: what asks for chat formatting, e.g. `data.template=chat_boxed`.
        fix: what to change, e.g. `set data.template=r1_zero (a plain-text template)`.
    """
    if not has_chat_template(tokenizer):
        raise ValueError(_message(model, needed_by, fix))


def check_eval_config(config: dict[str, Any], error: type[Exception] = ValueError) -> None:
    """`check_chat_template` for an r1lit-eval config: each benchmark's `loader.template` against the model."""
    model = config.get("model") or {}
    for name in config.get("benchmarks") or []:
        loader = (config.get("benchmark") or {}).get(name, {}).get("loader") or {}
        key = f"benchmark.{name}.loader.template"
        check_chat_template(
            model["name_or_path"], loader.get("template"), key, "raw", model.get("revision"), error
        )
