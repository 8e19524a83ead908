"""How the `r1lit-eval` process starts and ends: the cyclic GC paused through start-up, transformers' import
table read from a cache, no module teardown.

All three save CPU a user waits for and change no result (bench/eval.py measures them): start-up allocates
millions of long-lived objects and next to no garbage cycles, and the interpreter's module-by-module
teardown after the results are on disk is pure overhead.
"""

from __future__ import annotations

import gc
import os
import sys

_START_UP: dict[str, bool] = {"gc_paused": False}


def start_up_without_gc() -> None:
    """Pause the cyclic garbage collector while the CLI composes its config and imports torch/transformers.

    Imports allocate millions of long-lived objects and next to no garbage cycles, yet each allocation
    burst triggers full collections that walk every object (six of them, 1.2 s of a loaded run's 8 s
    start-up, bench/eval.py). `end_start_up` collects once and resumes.
    """
    gc.disable()
    _START_UP["gc_paused"] = True


def cache_transformers_imports() -> None:
    """Read transformers' table of lazy imports from disk instead of rebuilding it from ~3,400 source
    files (0.5 s of CPU per run, bench/eval.py); see `r1lit.transformers_index`."""
    from r1lit.transformers_index import install

    install()


def end_start_up() -> None:
    """After the model is loaded: freeze everything start-up allocated, then let the GC run again.

    Frozen objects are never scanned again, so the collections during generation and grading only walk
    what they allocate. No collection first: it would walk ~630k objects (0.2-0.35 s of CPU, r1lit-tiny)
    to free ~10k start-up cycles (well under 1 MB), which now simply stay. A no-op unless the CLI paused the GC.
    """
    if _START_UP["gc_paused"]:
        _START_UP["gc_paused"] = False
        gc.freeze()
        gc.enable()


def exit_without_teardown(code: int = 0) -> None:
    """End the process once its work is on disk, skipping the interpreter's module teardown.

    Every `atexit` handler still runs (grading workers stop, logging flushes); only the unloading of
    torch and transformers module by module is skipped: 0.8 s of CPU after a tiny model's run
    (bench/eval.py), none of it evaluation work.
    """
    import atexit

    atexit._run_exitfuncs()  # the handlers a normal exit runs, in the same order
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
