"""Where r1lit keeps what it builds on first use (the tiny models, architecture twins, lookup tables).

A leaf module (standard library only) so that `r1lit.models` and the builders in `r1lit.tiny` can both
name the cache without importing each other.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where built artefacts (the tiny model) live: $R1LIT_CACHE, else ~/.cache/r1lit."""
    return Path(os.environ.get("R1LIT_CACHE", Path.home() / ".cache" / "r1lit")).expanduser()
