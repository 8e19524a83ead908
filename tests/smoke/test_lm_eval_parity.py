"""`--model r1lit` scores loglikelihood and loglikelihood_rolling requests as lm-eval's own `hf` backend does.

Both backends load the reduced tiny model (512 positions) and answer the same requests: multiple-choice
style pairs (a shared context with several continuations, a context ending in a space, an empty
context, a context longer than the model's window) and documents for perplexity, one shorter and one
longer than the window (several rolling windows). Log-likelihoods must agree within 1e-4 and the
greedy flags exactly. The batch sizes differ on purpose: batching must not change a score.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

SUMS = " ".join(f"{a} + {b} = {a + b}." for a in range(40) for b in range(3))  # ~1,000+ tokens


def requests(*args: tuple[str, ...]) -> list[SimpleNamespace]:
    return [SimpleNamespace(args=a, task_name="parity") for a in args]


def test_scores_match_lm_evals_hf_backend(tiny_model_dir: Path) -> None:
    from lm_eval.models.huggingface import HFLM
    from r1lit_eval.lm_eval_bridge import R1LitLM

    theirs = HFLM(pretrained=str(tiny_model_dir), dtype="float32", device="cpu", batch_size=4)
    ours = R1LitLM(pretrained=str(tiny_model_dir), batch_size=3)
    assert ours.max_length == theirs.max_length == 512
    context = "User: What is 2 + 3? Answer with a number.\nAssistant:"
    pairs = requests(
        (context, " 5"), (context, " 6"), (context, " 5 + 0 = 5."), ("Answer: ", "12"), ("", "1 + 1 = 2."),
        (SUMS, " 40 + 0 = 40."),  # longer than the window: both keep its last 512 tokens
    )  # fmt: skip
    assert len(ours.tok_encode(SUMS)) > 2 * ours.max_length
    mine, ref = ours.loglikelihood(pairs, disable_tqdm=True), theirs.loglikelihood(pairs, disable_tqdm=True)
    for (ll, greedy), (ll_ref, greedy_ref) in zip(mine, ref, strict=True):
        assert ll == pytest.approx(ll_ref, abs=1e-4) and greedy == greedy_ref
    assert mine[0][0] != pytest.approx(mine[1][0], abs=1e-3)  # the continuations are told apart

    docs = requests(("3 + 4 = 7. 10 + 2 = 12.",), (SUMS,))
    mine, ref = ours.loglikelihood_rolling(docs), theirs.loglikelihood_rolling(docs, disable_tqdm=True)
    assert mine == pytest.approx(ref, abs=1e-4)
    assert all(x < 0 for x in mine)
