"""Folder names of sweep jobs: Hydra's `key=value,...` override list, shortened only when it must be.

`hydra.sweep.subdir` is the job's override list, which is what a researcher wants to read in `ls`. An
ablation with many or long overrides (paths, lists) makes it longer than the 255 bytes Linux allows
for one path component, and the job dies with "File name too long" before training starts. Such names
keep a readable head and end in a hash of the whole list, so they stay unique and deterministic (a
rerun finds its finished jobs). Figure scripts read `.hydra/overrides.yaml`, never the folder name.
"""

from __future__ import annotations

import hashlib

from omegaconf import OmegaConf

RESOLVER = "r1lit_job_dirname"
MAX_BYTES = 200  # below the 255-byte limit, leaving room for suffixes some tools add
_DIGEST_CHARS = 12


def job_dirname(overrides: str, max_bytes: int = MAX_BYTES) -> str:
    """`overrides` itself when it fits in `max_bytes` (UTF-8), else its head + "-" + a hash of all of it."""
    raw = overrides.encode()
    if len(raw) <= max_bytes:
        return overrides
    digest = hashlib.sha256(raw).hexdigest()[:_DIGEST_CHARS]
    head = raw[: max_bytes - _DIGEST_CHARS - 1].decode(errors="ignore")  # never split a character
    return f"{head}-{digest}"


def register() -> None:
    """Make `${r1lit_job_dirname:...}` available to configs (before Hydra composes them)."""
    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, job_dirname)
