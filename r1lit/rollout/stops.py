"""Stop strings, shared by the backends: incremental detection while decoding, and final text truncation.

Convention (the same in every backend): generation ends at the first place any stop string completes;
the returned text keeps the stop string and drops whatever follows it. Token ids keep the whole token
that completed the stop string (a token can reach past it, e.g. "}\\n" for the stop "}").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Extra tokens decoded beyond the longest stop string: a token may decode to nothing on its own (a partial
# UTF-8 byte of a byte-level BPE), so a stop string of c characters can span more than c tokens.
_SLACK_TOKENS = 8


def truncate_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """Cut `text` right after the stop string that completes first; return (text, whether one was found)."""
    ends = [i + len(s) for s in stops if s and (i := text.find(s)) >= 0]
    if not ends:
        return text, False
    return text[: min(ends)], True


class StopChecker:
    """Tells, one new token at a time, whether a row's completion now contains a stop string.

    Only the last `len(longest stop) + slack` tokens are decoded per check, so a check costs O(1) in the
    completion length. Called after every sampled token, the first hit is the token that completed it.
    """

    def __init__(self, tokenizer: Any, stops: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.stops = tuple(s for s in stops if s)
        self.window = max((len(s) for s in self.stops), default=0) + _SLACK_TOKENS

    def __bool__(self) -> bool:
        return bool(self.stops)

    def hit(self, token_ids: Sequence[int]) -> bool:
        """Whether the decoded tail of `token_ids` (a row's completion so far) contains a stop string."""
        tail = self.tokenizer.decode(token_ids[-self.window :], skip_special_tokens=True)
        return any(s in tail for s in self.stops)
