"""r1lit.memory: freed heap memory goes back to the OS; the RSS reader reads this process."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from r1lit import memory


def test_rss_bytes_sees_a_touched_allocation() -> None:
    before = memory.rss_bytes()
    block = torch.ones(64 * 2**20 // 4)  # 64 MiB, every page written
    assert memory.rss_bytes() - before > 48 * 2**20
    del block


# A process of its own for each case: the mmap threshold is process-wide, and r1lit-train sets it
# (tests that train in-process leave it set in the pytest process).
FRAGMENT = """
import sys, torch
from r1lit import memory
if sys.argv[1] == "threshold":
    assert memory.set_mmap_threshold(512 * 2**10)
torch.empty(16 * 2**20 // 4).fill_(1.0)  # freed: glibc's own threshold rises past 1 MiB
blocks = [torch.ones(2**18) for _ in range(256)]  # 256 x 1 MiB
held = memory.rss_bytes()
del blocks[::2]  # every other block: holes no top-of-heap trim can return
freed = held - memory.rss_bytes()
if sys.argv[1] == "trim":
    assert memory.release_freed_memory() is True
    freed = held - memory.rss_bytes()
print(freed // 2**20)
"""


def returned_mib(mode: str) -> int:
    """MiB of RSS given back after freeing 128 of 256 1-MiB blocks, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", FRAGMENT, mode], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc_trim / mallopt")
def test_freed_heap_blocks_go_back_with_malloc_trim_or_the_mmap_threshold() -> None:
    if memory._libc() is None:
        pytest.skip("not glibc")
    assert returned_mib("default") < 32  # glibc keeps the freed 128 MiB resident
    assert returned_mib("trim") > 96  # release_freed_memory: malloc_trim handed the holes back
    assert returned_mib("threshold") > 112  # set_mmap_threshold: each freed block was unmapped at once
    assert memory.set_mmap_threshold(None) is False  # None: glibc's default, nothing set
