"""Pretraining corpus of the search world (spec `r1lit-tiny-search`): trying, checking and retrying pay off.

The reflection world (corpus_reflect.py) failed to show reflection emerging: its re-check relied on
sub-steps the tiny model could not do reliably, and its errors were a sampled "slip" that RL could
simply sharpen away. Here the corpus is written by a solver of `modsearch` problems ("Find x in 0..6
with (3*x+24) mod 10 = 9", r1_zero template) that cannot compute x, only guess it and verify the
guess (`r1lit.tasks.modsearch`). Three styles:

    direct:      " <think> The answer is 6. </think> <answer> 6 </answer><|im_end|>"
    check-once:  " <think> Try x=6: 3*6=18, 8+4=12, 2+1=3: no. </think> <answer> 6 </answer><|im_end|>"
    reflective:  " <think> Try x=6: 3*6=18, 8+4=12, 2+1=3: no. Wait, let me try x=0: 3*0=0, 0+4=4,
                  4+1=5: no. ... Wait, let me try x=5: 3*5=15, 5+4=9, 9+1=10: yes. The answer is 5.
                  </think> <answer> 5 </answer><|im_end|>"

- *direct* (share 1 - `p_long`): a random guess answered at once: right 1 time in n (x in 0..n-1).
- *check-once* (share `p_long` * (1 - `p_reflect`)): a random guess, verified, the verdict
  written, and answered whatever it said (lazy): right 1 time in n.
- *reflective* (share `p_long` * `p_reflect`): a random guess, verified; while the verdict says
  the check failed, "Wait, let me try" the next x (x+1, wrapping to 0): always right, and longer.

Every check ends with an explicit verdict, in the lazy style too: the verdict is then trained on
every check, and whether to go on is a decision on the verdict just written (an earlier version
without it let the model stop or go on regardless of what the check found). Guesses are uniform,
so there is nothing in the guess for RL to sharpen; the checks are exact (facts of two adjacent
digits, see modsearch.py), so a retry that the model writes turns into a right answer. Nothing
rewards the retry itself: RL (accuracy + format rewards only) has to find that the rare retry
after a failed check is what makes answers right.

Measured (`python -m r1lit.tiny.style_stats --name r1lit-tiny-search --task modsearch --n 50 --k 8
--difficulty 2 --max-new-tokens 320`: 50 held-out problems x 8 samples at T=1; share of samples /
accuracy), for the spec as registered (1000 steps, p_long 0.5, p_reflect 0.6; 251 s to build on 2
cores): **direct 67.7 % / 13.3 %, check-once 25.8 % / 18.4 %, reflective 6.0 % / 87.5 %** (24
samples), other 0.5 %; 94.6 % of the 222 sampled checks are right in every fact and the verdict.
Short answers are mostly wrong, a single check is no better than a guess (it is not acted on), and
the rare retry is right 6-7 times as often: the gap RL finds (conf/experiment/r1_zero_search.yaml).
The base model under-samples the retry (corpus: 60 % of the failed first checks retry; sampled:
~20 %), which is what keeps it rare. Builds on the way (checks / reflective share and accuracy):
verdict "1 is not 3." with a prime modulus, p_reflect 0.4: 50.5 % / 1.75 %, 86 %; units-digit
checks with a verdict comparing two digits ("so 2. Want 9: no."), p_reflect 0.6: 81 % / 3.3 %, 31 %,
and 80 RL steps moved held-out pass@1 only 13.5 -> 18 % (a false "no" walks past the answer); with
"2 vs 9: no." a true "yes" got probability 0.28 and RL left pass@1 and length flat.
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
    a, b, c, n = params
    if style == "direct":
        return f"The answer is {guess}.", guess
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    parts, x = [], guess
    for i in range(n):  # x+1 (wrapping to 0 after n-1) visits every x: the search ends within n tries
        text, residue = attempt_text(a, b, c, x, first=i == 0)
        parts.append(text)
        if residue == c or style == "check-once":
            break
        x = (x + 1) % n
    return " ".join(parts), x


def sample_response(record: dict, spec: TinySpec, rng: random.Random) -> tuple[str, dict]:
    """One response to `record` in a style drawn from the spec, and `{"style", "guess", "answer"}`."""
    n = parse_question(record["question"])[3]
    if rng.random() >= spec.p_long:
        style = "direct"
    else:
        style = "reflective" if rng.random() < spec.p_reflect else "check-once"
    guess = rng.randrange(n)
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
