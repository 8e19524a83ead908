"""The generation cache: finished samples are never generated twice, even after a crash.

Layout: `<cache_root>/<model slug>-<model hash>/gen-<writer>.jsonl`, one JSON line per sample:
`{"key", "idx", "text", "finish_reason", "n_tokens", "n_prompt_tokens"}`.

- The directory is keyed by the model: name/path, revision and, for local folders or `.ckpt` files,
  a fingerprint of the weight files (names, sizes, mtimes), so retraining into the same folder
  never serves stale generations.
- `key` hashes everything else that determines a sample's distribution: the rendered prompt (text or
  chat messages), the forced response prefix, and the sampling parameters (temperature, top-p,
  top-k, max new tokens, stop strings, seed). `idx` is the sample index within the problem's k.
- Files are append-only and flushed + fsynced after every batch; each data-parallel shard (writer)
  appends to its own file, and reading merges all files.
- A line cut short by a kill is skipped with a warning naming the file and line. The writer that owns
  the file (the next run with the same `writer`) repairs it: the file is rewritten without the bad
  lines, atomically, so the warning is given once. Another writer's file is only read, never rewritten,
  since its owner may be appending to it at this moment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from r1lit.rollout.base import Prompt, SamplingParams

log = logging.getLogger(__name__)
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".ckpt", ".json", ".model", ".txt")


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def model_fingerprint(path_or_id: str) -> str | None:
    """Sizes and mtimes of a local model folder's / checkpoint file's files; None for a hub id."""
    path = Path(path_or_id)
    if path.is_file():
        st = path.stat()
        return _sha([path.name, st.st_size, st.st_mtime_ns])[:16]
    if path.is_dir():
        entries = []
        for f in sorted(path.rglob("*")):
            if f.is_file() and f.suffix in _WEIGHT_SUFFIXES:
                st = f.stat()
                entries.append([str(f.relative_to(path)), st.st_size, st.st_mtime_ns])
        return _sha(entries)[:16]
    return None


def model_cache_dir(
    root: str | Path, name_or_path: str, revision: str | None, fingerprint: str | None
) -> Path:
    """The cache folder of one model: readable slug + hash of (name, revision, fingerprint)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name_or_path).rstrip("/"))[-48:].strip("_") or "model"
    digest = _sha([str(name_or_path), revision, fingerprint])[:12]
    return Path(root) / f"{slug}-{digest}"


def prompt_key(prompt: Prompt, params: SamplingParams, prefix: str = "", context: int | None = None) -> str:
    """Hash of the rendered prompt, response prefix, sampling parameters (not `n`: see `idx`) and the
    context the generator caps budgets at (it decides where long samples stop)."""
    return _sha(
        {
            "prompt": prompt,
            "prefix": prefix,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "max_new_tokens": params.max_new_tokens,
            "stop": list(params.stop),
            "seed": params.seed,
            "prompt_overflow": params.prompt_overflow,
            "context": context,
        }
    )[:32]


def _ends_mid_line(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) != b"\n"


class GenerationCache:
    """Append-only JSONL store of generated samples, keyed by (prompt key, sample index)."""

    def __init__(self, directory: str | Path, writer: str = "0") -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"gen-{writer}.jsonl"
        self._entries: dict[tuple[str, int], dict[str, Any]] = {}
        for file in sorted(self.directory.glob("gen-*.jsonl")):
            self._read(file)

    def _read(self, file: Path) -> None:
        good, bad = [], []
        with open(file, encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    self._entries[(rec["key"], int(rec["idx"]))] = rec
                    good.append(line if line.endswith("\n") else line + "\n")
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    bad.append(lineno)
        if not bad:
            return
        if file == self.path:
            tmp = file.with_name(f".{file.name}.repair-{os.getpid()}")
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.writelines(good)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(file)
            log.warning(
                "cache %s: dropped unreadable lines %s (an interrupted write); file repaired", file, bad
            )
        else:
            log.warning(
                "cache %s: skipping unreadable lines %s (an interrupted write; its writer repairs it)",
                file,
                bad,
            )

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, idx: int) -> dict[str, Any] | None:
        """The cached sample `idx` of prompt `key`, or None."""
        return self._entries.get((key, idx))

    def missing(self, key: str, k: int) -> list[int]:
        """Sample indices in `range(k)` not yet cached for `key`."""
        return [i for i in range(k) if (key, i) not in self._entries]

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        """Append records (each with `key` and `idx`) and make them durable before returning."""
        records = list(records)
        if not records:
            return
        with open(self.path, "a", encoding="utf-8") as fh:
            if _ends_mid_line(self.path):
                fh.write("\n")  # a kill cut the last line short: never glue a new record onto it
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        for rec in records:
            self._entries[(rec["key"], int(rec["idx"]))] = rec
