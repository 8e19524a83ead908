"""A record source that mixes other sources: reasoning and general prompts in one RL stage (§2.3.4).

`data.train` of a mixed stage is a `_partial_` of `mix_sources` whose `sources` are themselves
`_partial_` sources (r1lit.data.sources.synthetic, r1lit.tasks.general.make_general_prompts, ...).
The records are concatenated and shuffled with a fixed seed; every record gets every field any
source has (None where its own source has none), because the prompt datamodule makes one column per
field of a batch's first record. Each record keeps its `task`, which is what routes it to the rewards
that apply to it (compose.py None rule).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from r1lit.data.sources import Record


def mix_sources(sources: Sequence[Callable[[], list[Record]]], seed: int) -> list[Record]:
    """All records of every source, shuffled deterministically, with one shared set of fields.

    Args:
        sources: zero-argument record loaders.
        seed: shuffle seed.

    Returns:
        The records, each with the union of all sources' fields.
    """
    if not sources:
        raise ValueError("mix_sources needs at least one source")
    records = [record for source in sources for record in source()]
    fields = list(dict.fromkeys(key for record in records for key in record))  # first-seen order
    mixed = [{key: record.get(key) for key in fields} for record in records]
    random.Random(f"r1lit-mix:{seed}").shuffle(mixed)
    return mixed


def traces_with(path: str, extra: Sequence[Callable[[], list[Record]]], seed: int) -> list[Record]:
    """A traces file (`data.train.path`, as a pipeline links it) mixed with other SFT sources.

    The paper's stage 3 SFT is rejection-sampled reasoning traces plus non-reasoning data (§2.3.3);
    `conf/data/traces_general.yaml` mixes a pipeline's traces with general demonstrations this way.
    """
    from functools import partial

    from r1lit.data.sources import local_file

    return mix_sources([partial(local_file, path), *extra], seed)
