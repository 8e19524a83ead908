"""Pure sampling math (temperature / top-k / top-p / greedy / seeded draws) and stop-string helpers."""

from __future__ import annotations

import math

import pytest
import torch

from r1lit.rollout.sampling import process_logits, sample_next, sampling_logprobs
from r1lit.rollout.stops import StopChecker, truncate_at_stop

PROBS = torch.tensor([0.5, 0.3, 0.15, 0.05])  # ranked: token 0 > 1 > 2 > 3
LOGITS = PROBS.log()[None]  # [1, 4]


def test_temperature_only_is_scaled_log_softmax():
    logits = torch.randn(3, 11)
    expected = torch.log_softmax(logits / 0.7, dim=-1)
    torch.testing.assert_close(sampling_logprobs(logits, 0.7), expected)


def test_top_k_keeps_k_largest_and_renormalises():
    lp = sampling_logprobs(LOGITS, 1.0, top_k=2)[0]
    assert torch.isinf(lp[2:]).all()
    torch.testing.assert_close(lp[:2].exp(), torch.tensor([0.5, 0.3]) / 0.8)


@pytest.mark.parametrize(
    ("top_p", "kept"),
    [(0.45, 1), (0.6, 2), (0.79, 2), (0.81, 3), (0.99, 4)],  # smallest prefix whose mass reaches top_p
)
def test_top_p_keeps_smallest_nucleus(top_p, kept):
    lp = sampling_logprobs(LOGITS, 1.0, top_p=top_p)[0]
    assert torch.isfinite(lp[:kept]).all() and torch.isinf(lp[kept:]).all()
    torch.testing.assert_close(lp.exp().sum(), torch.tensor(1.0))


def test_top_p_is_applied_after_temperature():
    # At T=0.5 token 0 alone holds 0.5^2 / sum(p^2) ~ 0.66 of the mass: top_p=0.6 keeps only it.
    lp = sampling_logprobs(LOGITS, 0.5, top_p=0.6)[0]
    assert torch.isfinite(lp[0]) and torch.isinf(lp[1:]).all()


def test_process_logits_rejects_zero_temperature():
    with pytest.raises(ValueError):
        process_logits(LOGITS, 0.0)


def test_greedy_picks_argmax_and_reports_model_logprob():
    logits = torch.randn(5, 13)
    tokens, lps = sample_next(logits, temperature=0.0)
    assert torch.equal(tokens, logits.argmax(-1))
    torch.testing.assert_close(lps, torch.log_softmax(logits, -1).gather(-1, tokens[:, None])[:, 0])


def test_seeded_draws_are_reproducible_and_ignore_global_rng():
    logits = torch.randn(16, 50)
    torch.manual_seed(1)
    a, _ = sample_next(logits, 1.0, generator=torch.Generator().manual_seed(7))
    torch.manual_seed(2)
    torch.rand(100)  # unrelated global RNG use
    b, _ = sample_next(logits, 1.0, generator=torch.Generator().manual_seed(7))
    c, _ = sample_next(logits, 1.0, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_draw_frequencies_match_the_processed_distribution():
    rows = 20000
    gen = torch.Generator().manual_seed(0)
    tokens, lps = sample_next(LOGITS.expand(rows, 4), 1.0, top_p=0.8, generator=gen)
    freq = torch.bincount(tokens, minlength=4).float() / rows
    torch.testing.assert_close(freq, torch.tensor([0.625, 0.375, 0.0, 0.0]), atol=0.015, rtol=0)
    torch.testing.assert_close(lps, sampling_logprobs(LOGITS, 1.0, top_p=0.8)[0, tokens])


def test_truncated_tokens_are_never_drawn():
    logits = torch.randn(4096, 30)
    tokens, lps = sample_next(logits, 1.3, top_k=3, generator=torch.Generator().manual_seed(0))
    top3 = logits.topk(3, dim=-1).indices
    assert (tokens[:, None] == top3).any(-1).all()
    assert torch.isfinite(lps).all() and (lps <= 0).all()


def test_truncate_at_stop_keeps_first_completed_stop():
    assert truncate_at_stop("a</b>c</d>e", ["</d>", "</b>"]) == ("a</b>", True)
    assert truncate_at_stop("abc", ["x"]) == ("abc", False)
    assert truncate_at_stop("abc", []) == ("abc", False)
    # "bc" completes (at index 3) before "abcd" does (at index 4), although "abcd" starts first
    assert truncate_at_stop("abcde", ["abcd", "bc"]) == ("abc", True)


class _CharTok:
    """decode() of a code-point tokenizer, enough for StopChecker."""

    def decode(self, ids, skip_special_tokens=True):
        return "".join(chr(i) for i in ids)


def test_stop_checker_sees_stop_completed_by_last_token_only_in_window():
    checker = StopChecker(_CharTok(), ["</answer>"])
    ids = [ord(c) for c in "x" * 100 + "</answer"]
    assert not checker.hit(ids)
    assert checker.hit(ids + [ord(">")])
    assert not StopChecker(_CharTok(), ())
    assert math.isclose(checker.window, len("</answer>") + 8)


def _reference_top_p(x: torch.Tensor, top_p: float) -> torch.Tensor:
    """HF's rule by a full ascending sort: drop the least likely tokens whose total mass is <= 1 - top_p."""
    sorted_x, order = torch.sort(x, dim=-1)
    drop = sorted_x.softmax(-1).cumsum(-1) <= 1 - top_p
    drop[..., -1] = False
    return x.masked_fill(drop.scatter(-1, order, drop), float("-inf"))


# (scale, largest nucleus): peaked, every nucleus within the first 16 candidates; medium, some need the
# 64; flat, some need the full sort.
@pytest.mark.parametrize(("scale", "largest"), [(8.0, (1, 16)), (5.0, (17, 64)), (0.05, (65, 1000))])
def test_top_p_matches_full_sort_reference_on_large_vocabularies(scale, largest):
    logits = torch.randn(32, 1000, generator=torch.Generator().manual_seed(0)) * scale
    ours = torch.isfinite(process_logits(logits, 1.0, top_p=0.95))
    ref = torch.isfinite(_reference_top_p(logits, 0.95))
    assert torch.equal(ours, ref)
    assert largest[0] <= int(ours.sum(-1).max()) <= largest[1], "each case exercises its own candidate count"


def test_inverse_cdf_draws_follow_a_peaked_large_vocabulary():
    logits = torch.randn(1, 300, generator=torch.Generator().manual_seed(1)) * 3
    rows = 40000
    tokens, _ = sample_next(
        logits.expand(rows, 300), 0.7, top_p=0.9, generator=torch.Generator().manual_seed(2)
    )
    freq = torch.bincount(tokens, minlength=300).float() / rows
    torch.testing.assert_close(freq, sampling_logprobs(logits, 0.7, top_p=0.9)[0].exp(), atol=0.01, rtol=0)
