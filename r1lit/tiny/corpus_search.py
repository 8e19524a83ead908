"""Pretraining corpus of the search world (spec `r1lit-tiny-search`): trying, checking and retrying pay off.

The reflection world (corpus_reflect.py) failed to show reflection emerging: its re-check relied on
sub-steps the tiny model could not do reliably, and its errors were a sampled "slip" that RL could
simply sharpen away. Here the corpus is written by a solver of `modsearch` problems ("Find x in 0..6
with (4*x+2) mod 7 = 3", r1_zero template) that cannot compute x, only guess it and verify the guess
(`r1lit.tasks.modsearch`). Three styles:

    direct:      " <think> The answer is 2. </think> <answer> 2 </answer><|im_end|>"
    check-once:  " <think> Try x=5: 4*5=20, 20+2=22, 22 mod 7=1. 1 is not 3. </think> <answer> 5 </answer><|im_end|>"
    reflective:  " <think> Try x=5: 4*5=20, 20+2=22, 22 mod 7=1. 1 is not 3. Wait, let me try x=6:
                  4*6=24, 24+2=26, 26 mod 7=5. 5 is not 3. Wait, let me try x=0: ... 3 is 3. </think> ..."

- *direct* (share 1 - `p_long`): a random guess answered at once: right 1 time in p.
- *check-once* (share `p_long` * (1 - `p_reflect`)): a random guess, verified, the verdict
  written ("1 is not 3."), and answered whatever it said (lazy): right 1 time in p.
- *reflective* (share `p_long` * `p_reflect`): a random guess, verified; while the verdict says
  the check failed, "Wait, let me try" the next x (x+1 mod p): always right, and longer.

Every check ends with an explicit verdict, in the lazy style too: the comparison with the target
is then trained on every check, and whether to go on is a decision on the verdict just written
(an earlier version without it let the model stop or go on regardless of what the check found).

Guesses are uniform, so there is nothing in the guess for RL to sharpen; the checks are exact
(three facts from small tables: a*x with a, x < 10, a sum below 64, a residue), so a retry that
the model writes turns into a right answer. RL (accuracy + format rewards only) has to find that
the rare retry after a failed check is what makes answers right.

Measured (`python -m r1lit.tiny.style_stats --name r1lit-tiny-search --task modsearch --n 50 --k 8
--difficulty 2 --max-new-tokens 320`, T=1, 400 samples; share of samples / accuracy), for the spec as
registered (1000 steps, p_long 0.5, p_reflect 0.4; 613 s to build on the shared 2-core machine):
direct 65.5% / 11.8%, check-once 30.0% / 16.7%, reflective 1.75% / 86% (7 samples), other 2.75% / 0%.
Only 50.5% of the 192 sampled attempts are right in all three facts and the verdict: the sum
("12+1=14") and the residue are the weak facts. The shares and accuracies are the intended ones,
but the checks are not yet exact, and on held-out problems at T=0.6 after RL the retries are right
no more often than guesses (conf/experiment/r1_zero_search.yaml has the 3-seed numbers).
Earlier builds (no verdict sentence; the stop decision then ignored what the check found):
p_long 0.7, p_reflect 0.1: reflective 0.25%, checks 97.5% right; p_long 0.5, p_reflect 0.3:
reflective 2.0% / 37.5% right, checks 86%; p_reflect 0.6: reflective 3.5% / 14% right, checks 96%.
The model under-samples the rare retry (corpus share 20% of the checked answers, sampled ~6%), and
RL from the p_reflect 0.3 build left the training reflection rate flat (0.03 -> 0.02 in 80 steps).
The next levers: exact checks (more pretraining of the sum and residue facts), then a larger base
share of retries.
"""

from __future__ import annotations

import random

from r1lit.tasks.modsearch import RETRY, attempt_text, parse_question
from r1lit.tiny.prompts import render_prompt, train_records
from r1lit.tiny.specs import TinySpec
from r1lit.tiny.tokenizer import EOS_TOKEN

TASK = "modsearch"
TEMPLATE = "r1_zero"
STYLES = ("direct", "check-once", "reflective")
MEGABATCH = 16  # batches whose documents are sorted by length together (see `group_by_length`)


def think_text(question: str, style: str, guess: int) -> tuple[str, int]:
    """The think text of one style starting from `guess`, and the x it answers.

    Args:
        question: a modsearch question.
        style: one of STYLES.
        guess: the first x tried (or answered, for `direct`).
    """
    params = parse_question(question)
    if params is None:
        raise ValueError(f"not a modsearch question: {question!r}")
    a, b, c, p = params
    if style == "direct":
        return f"The answer is {guess}.", guess
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    parts, x = [], guess
    for i in range(p):  # x+1 mod p visits every x: the search ends within p tries
        text, residue = attempt_text(a, b, c, p, x, first=i == 0)
        parts.append(text)
        if residue == c or style == "check-once":
            break
        x = (x + 1) % p
    return " ".join(parts), x


def sample_response(record: dict, spec: TinySpec, rng: random.Random) -> tuple[str, dict]:
    """One response to `record` in a style drawn from the spec, and `{"style", "guess", "answer"}`."""
    p = parse_question(record["question"])[3]
    if rng.random() >= spec.p_long:
        style = "direct"
    else:
        style = "reflective" if rng.random() < spec.p_reflect else "check-once"
    guess = rng.randrange(p)
    think, answer = think_text(record["question"], style, guess)
    response = f" <think> {think} </think> <answer> {answer} </answer>{EOS_TOKEN}"
    return response, {"style": style, "guess": guess, "answer": answer}


def build_corpus(spec: TinySpec, n: int, seed: int) -> list[tuple[str, str]]:
    """`n` (prompt, response) documents of train-split modsearch problems; deterministic in (spec, n, seed)."""
    rng = random.Random(f"r1lit-corpus-search:{seed}")
    records = train_records(spec, n, seed, TASK, rng)
    docs = [(render_prompt(TEMPLATE, r["question"]), sample_response(r, spec, rng)[0]) for r in records]
    return group_by_length(docs, spec.batch_size, rng)


def group_by_length(
    docs: list[tuple[str, str]], batch_size: int, rng: random.Random
) -> list[tuple[str, str]]:
    """The documents reordered so that retries (the long responses) share batches, batches in random order.

    Pretraining takes the corpus `batch_size` documents at a time and pads each batch to its longest
    one; a retrying response is ~5x longer than the others, so one in a batch would make it mostly
    padding (3x the compute). Within megabatches of `MEGABATCH` batches the retrying documents are
    moved together (order otherwise kept), the megabatch is cut into batches and the batches are
    shuffled. Only retries are grouped: batches of a single style (all direct, all checked) would
    alternate what the model is pushed towards and slow learning the checks down.
    """
    size = batch_size * MEGABATCH
    batches = []
    for lo in range(0, len(docs), size):
        mega = sorted(docs[lo : lo + size], key=lambda d: RETRY in d[1])  # stable: random order kept
        batches += [mega[i : i + batch_size] for i in range(0, len(mega), batch_size)]
    rng.shuffle(batches)
    return [doc for batch in batches for doc in batch]
