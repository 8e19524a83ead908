"""The reflection world's corpus: slipped products are carried to a wrong answer unless re-checked, and
a digit-by-digit re-check always goes on with the right value; styles come in the spec's shares; old
specs' corpora and cache folders are untouched."""

from __future__ import annotations

import random
import re

from r1lit.tasks.bigarith import find_corrections
from r1lit.tasks.synthetic import make_problems
from r1lit.tiny.corpus import build_corpus
from r1lit.tiny.corpus_reflect import render_think, sample_response
from r1lit.tiny.specs import SPECS, get_spec
from r1lit.tiny.style_stats import classify_style, style_table

SPEC = get_spec("r1lit-tiny-reflect")


def test_render_think_slip_carried_or_corrected() -> None:
    question = "Compute 23*4+17-35*2"
    clean, value = render_think(question, {}, set())
    assert value == 39
    assert clean == "23*4=92, so 92+17-35*2. 35*2=70, so 92+17-70. 92+17=109, so 109-70. 109-70=39."
    slipped, value = render_think(question, {0: -10}, set())
    assert value == 29 and slipped.startswith("23*4=82, so 82+17-35*2.")
    fixed, value = render_think(question, {0: -10}, {0})
    assert value == 39
    assert fixed.startswith(
        "23*4=82. Wait, let me check: 20*4=80, 3*4=12, 80+12=92. So 23*4=92, so 92+17-35*2."
    )
    assert find_corrections(fixed)[0]["corrected"]


def test_sampled_responses_are_consistent_with_their_slips_and_checks() -> None:
    rng = random.Random(0)
    spec = SPEC.replace(p_slip=0.5, p_reflect=0.5)
    seen = set()
    for rec in make_problems("train", 200, 0, 3, task="bigarith"):
        response, meta = sample_response(rec, spec, rng)
        seen.add(meta["style"])
        answer = int(re.search(r"<answer> (-?\d+) </answer>", response).group(1))
        assert answer == meta["answer"] and response.endswith("<|im_end|>")
        uncorrected = set(meta["slips"]) - meta["checks"]
        assert (answer == int(rec["answer"])) == (not uncorrected)  # each slip left unchecked is carried
        style = classify_style(response)
        assert style == {"direct": "direct", "long": "long", "reflective": "reflective"}[meta["style"]]
    assert seen == {"direct", "long", "reflective"}


def test_corpus_style_shares_follow_the_spec() -> None:
    docs = build_corpus(SPEC, 3000, seed=0)
    styles = [classify_style(r) for _, r in docs]
    shares = {s: styles.count(s) / len(styles) for s in set(styles)}
    assert abs(shares["direct"] - (1 - SPEC.p_long)) < 0.04
    assert 0.01 < shares["reflective"] < 0.1  # rare: RL has to discover it
    assert "other" not in shares
    assert all(p.endswith("Assistant:") and "Compute " in p for p, _ in docs[:50])


def test_old_specs_keep_their_hash_and_corpus() -> None:
    # hashes of the registered specs before the reflection world existed (cache folders stay valid)
    assert SPECS["r1lit-tiny"].hash() == "5a84da6200"
    assert SPECS["r1lit-tiny-zero"].hash() == "b62dc5618d"
    assert SPECS["r1lit-tiny-test"].hash() == "0aa585945e"
    docs = build_corpus(SPECS["r1lit-tiny-zero"], 50, seed=0)
    assert all("bigarith" not in p and "Wait, let me check: 20" not in r for p, r in docs)


def test_classify_style_needs_a_real_recheck() -> None:
    assert classify_style(" <think> The answer is 39. </think> <answer> 39 </answer>") == "direct"
    assert classify_style(" <think> 23*4=92, so 92+17. 92+17=109. </think> <answer> 109 </answer>") == "long"
    gamed = (
        " <think> 23*4=82. Wait, let me check: 23*4=82, so 82+17. 82+17=99. </think> <answer> 99 </answer>"
    )
    assert classify_style(gamed) == "other"
    assert classify_style("no think block") == "other"
    table = style_table([("direct", False), ("long", True), ("long", False), ("reflective", True)])
    assert table["long"] == {"n": 2, "share": 0.5, "accuracy": 0.5}
    assert table["reflective"]["accuracy"] == 1.0 and table["all"]["accuracy"] == 0.5
