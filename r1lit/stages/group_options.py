"""Check command-line config-group choices (`reward=[accuracy,nosuch]`, `model=...`) before Hydra composes.

Hydra lists the options of an unknown single choice (`model=gpt5`), but an unknown name inside a list
(`reward=[accuracy,nosuch]`) only says "Could not load 'reward/nosuch'". Every choice of a group that
lives in `conf/` (or in a `file://` folder of a `hydra.searchpath=[...]` override, as the experiments'
sweeps add) is looked up here first, so the message names the key, the value and every option.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, Override


class GroupOptionError(ValueError):
    """A config-group choice on the command line that names no file of the group."""


def _chosen_names(override: Override) -> Iterable[str]:
    """The option names an override selects: one, a list, or the choices of a simple sweep."""
    value = override.value()
    if isinstance(value, ChoiceSweep):
        values = value.list
    elif override.is_sweep_override():  # glob(), range(), ...: Hydra expands and checks these itself
        values = []
    else:
        values = value if isinstance(value, list) else [value]
    for item in values:
        for name in item if isinstance(item, list) else [item]:
            if isinstance(name, str):
                yield name


def options(conf_dirs: Sequence[Path], group: str) -> list[str]:
    """The option names of a config group (its YAML files) across the config folders."""
    return sorted({p.stem for conf_dir in conf_dirs for p in (conf_dir / group).glob("*.yaml")})


def search_path_dirs(parsed: Sequence[Override]) -> list[Path]:
    """The local folders a `hydra.searchpath=[file://...]` override adds (pkg:// entries are Hydra's)."""
    dirs = []
    for override in parsed:
        if override.key_or_group == "hydra.searchpath":
            value = override.value()
            for entry in value if isinstance(value, list) else [value]:
                if isinstance(entry, str) and entry.startswith("file://"):
                    dirs.append(Path(entry.removeprefix("file://")))
    return dirs


def check_group_overrides(overrides: Sequence[str], conf_dir: Path) -> None:
    """Raise GroupOptionError for the first choice of a `conf_dir` group that has no YAML file.

    Overrides of plain keys (`trainer.max_steps=3`), deletions, and groups outside `conf_dir`
    (`hydra/...`) are left to Hydra; so is a line that does not parse.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception:  # Hydra reports its own parse errors with the position of the problem
        return
    conf_dirs = [conf_dir, *search_path_dirs(parsed)]
    for override in parsed:
        group = override.key_or_group
        if override.is_delete() or not any((d / group).is_dir() for d in conf_dirs):
            continue
        allowed = options(conf_dirs, group)
        for name in _chosen_names(override):
            if name not in allowed and name != "null":
                raise GroupOptionError(
                    f"{group}={name!r}: no such option in conf/{group}/; options: {allowed}"
                )
