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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc_trim")
def test_release_freed_memory_returns_heap_pages() -> None:
    if memory._libc() is None:
        pytest.skip("not glibc")
    memory.release_freed_memory()
    # Many 1 MiB blocks: below glibc's grown mmap threshold they come from the heap, and free() keeps them.
    # freeing a 16 MiB mmapped block raises glibc's dynamic mmap threshold past 1 MiB
    torch.empty(16 * 2**20 // 4).fill_(1.0)
    blocks = [torch.ones(2**18) for _ in range(256)]  # 256 x 1 MiB on the heap
    held = memory.rss_bytes()
    del blocks[::2]  # every other block: holes no top-of-heap trim can return
    assert memory.rss_bytes() > held - 64 * 2**20  # glibc kept most of the freed 128 MiB
    assert memory.release_freed_memory() is True
    assert memory.rss_bytes() < held - 96 * 2**20  # malloc_trim handed the holes back
    del blocks


FRAGMENT = """
import sys, torch
from r1lit import memory
if sys.argv[1] == "set":
    assert memory.set_mmap_threshold(512 * 2**10)
torch.empty(16 * 2**20 // 4).fill_(1.0)  # freed: glibc's own threshold would rise past 1 MiB
blocks = [torch.ones(2**18) for _ in range(256)]  # 256 x 1 MiB
held = memory.rss_bytes()
del blocks[::2]  # holes in the middle: no top-of-heap trim, no malloc_trim here
print((held - memory.rss_bytes()) // 2**20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_mmap_threshold_returns_each_large_block_when_freed() -> None:
    if memory._libc() is None:
        pytest.skip("not glibc")

    def returned_mib(mode: str) -> int:  # a process of its own: the setting is process-wide
        out = subprocess.run(
            [sys.executable, "-c", FRAGMENT, mode], capture_output=True, text=True, check=True
        )
        return int(out.stdout.split()[-1])

    assert returned_mib("default") < 32  # glibc keeps the freed 128 MiB resident
    assert returned_mib("set") > 112  # each freed 1 MiB block was unmapped at once
    assert memory.set_mmap_threshold(None) is False  # None: glibc's default, nothing set
