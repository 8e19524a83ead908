"""Distillation divergences: closed forms on a 2-token vocabulary, and TRL's GKD generalized JSD.

TRL's `GKDTrainer.generalized_jsd_loss` (trl/experimental/gkd/gkd_trainer.py:238) is a static method,
so it is called directly on the same tensors.
"""

from __future__ import annotations

import math

import pytest
import torch

from r1lit.algos.kd import KD_DIVERGENCES, forward_kl, kd_divergence, kd_loss, reverse_kl

LN = math.log
ATOL = 1e-6

# Student p_S = (1/2, 1/2) from logits [0, 0]; teacher p_T = (3/4, 1/4) from logits [ln 3, 0].
# forward KL(T||S) = 3/4 ln(3/2) + 1/4 ln(1/2)                     = 0.1308120
# reverse KL(S||T) = 1/2 ln(2/3) + 1/2 ln 2                        = 0.1438410
# JSD(1/2): M = (5/8, 3/8); KL(T||M) = 3/4 ln(6/5) + 1/4 ln(2/3)    = 0.0353749
#                           KL(S||M) = 1/2 ln(4/5) + 1/2 ln(4/3)    = 0.0322693
#           JSD = (0.0353749 + 0.0322693) / 2                       = 0.0338221
FWD = 0.75 * LN(1.5) + 0.25 * LN(0.5)
REV = 0.5 * LN(2 / 3) + 0.5 * LN(2)
JSD = 0.5 * (0.75 * LN(6 / 5) + 0.25 * LN(2 / 3)) + 0.5 * (0.5 * LN(4 / 5) + 0.5 * LN(4 / 3))
STUDENT = torch.tensor([[[0.0, 0.0], [5.0, -5.0]]])  # [B=1, L=2, V=2]; the second position is masked out
TEACHER = torch.tensor([[[LN(3), 0.0], [-5.0, 5.0]]])
MASK = torch.tensor([[1, 0]])


@pytest.mark.parametrize(
    ("divergence", "beta", "expected"),
    [
        ("forward_kl", 0.5, FWD),
        ("reverse_kl", 0.5, REV),
        ("jsd", 0.5, JSD),
        ("jsd", 0.0, FWD),
        ("jsd", 1.0, REV),
    ],
)
def test_closed_form_two_token_vocab(divergence: str, beta: float, expected: float) -> None:
    got = kd_divergence(STUDENT, TEACHER, MASK, divergence=divergence, beta=beta)
    assert got.item() == pytest.approx(expected, abs=ATOL)


def test_jsd_with_beta_quarter() -> None:
    # M = 1/4 p_T + 3/4 p_S = (9/16, 7/16)
    # JSD = 1/4 [3/4 ln(4/3) + 1/4 ln(4/7)] + 3/4 [1/2 ln(8/9) + 1/2 ln(8/7)]
    expected = 0.25 * (0.75 * LN(4 / 3) + 0.25 * LN(4 / 7)) + 0.75 * (0.5 * LN(8 / 9) + 0.5 * LN(8 / 7))
    got = kd_divergence(STUDENT, TEACHER, MASK, divergence="jsd", beta=0.25)
    assert got.item() == pytest.approx(expected, abs=ATOL)


def test_temperature_scaling() -> None:
    # teacher logits [2 ln 3, 0] at T = 2 are [ln 3, 0] at T = 1: the same p_T, so the same KL
    teacher = torch.tensor([[[2 * LN(3), 0.0]]])
    student = torch.zeros(1, 1, 2)
    mask = torch.ones(1, 1)
    got = kd_divergence(student, teacher, mask, divergence="forward_kl", temperature=2.0)
    assert got.item() == pytest.approx(FWD, abs=ATOL)
    scaled, _ = kd_loss(student, teacher, mask, divergence="forward_kl", temperature=2.0, scale_by_t2=True)
    assert scaled.item() == pytest.approx(4 * FWD, abs=ATOL)


def test_mix_with_cross_entropy() -> None:
    # CE of the student on label 0 at the one unmasked position: -ln(1/2) = ln 2 (labels off-mask may be -100)
    labels = torch.tensor([[0, -100]])
    loss, m = kd_loss(STUDENT, TEACHER, MASK, divergence="forward_kl", alpha=0.3, labels=labels)
    assert m["ce"].item() == pytest.approx(LN(2), abs=ATOL)
    assert loss.item() == pytest.approx(0.3 * FWD + 0.7 * LN(2), abs=ATOL)
    pure, m1 = kd_loss(STUDENT, TEACHER, MASK, divergence="forward_kl")
    assert pure.item() == pytest.approx(FWD, abs=ATOL) and "ce" not in m1
    with pytest.raises(ValueError, match="labels"):
        kd_loss(STUDENT, TEACHER, MASK, divergence="forward_kl", alpha=0.5)


@pytest.mark.parametrize("divergence", sorted(KD_DIVERGENCES))
def test_identical_zero_empty_mask_zero(divergence: str) -> None:
    logits = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))
    assert kd_divergence(logits, logits, torch.ones(2, 3), divergence=divergence).abs().item() < ATOL
    student = logits.clone().requires_grad_(True)
    empty = kd_divergence(student, logits.flip(-1), torch.zeros(2, 3), divergence=divergence)
    empty.backward()
    assert empty.item() == 0.0 and torch.equal(student.grad, torch.zeros_like(logits))


def test_zero_probability_teacher_tokens_are_not_nan() -> None:
    # teacher [0, -inf] -> p_T = (1, 0); forward KL = 1 * ln(1 / (1/2)) = ln 2; 0 * log 0 counts as 0
    student = torch.zeros(1, 1, 2, requires_grad=True)
    teacher = torch.tensor([[[0.0, -float("inf")]]])
    loss = kd_divergence(student, teacher, torch.ones(1, 1), divergence="forward_kl")
    loss.backward()
    assert loss.item() == pytest.approx(LN(2), abs=ATOL)
    torch.testing.assert_close(student.grad, torch.tensor([[[-0.5, 0.5]]]))  # d/dz KL = p_S - p_T
    assert torch.isfinite(kd_divergence(student, teacher, torch.ones(1, 1), divergence="jsd", beta=0.3))


def test_per_token_functions_and_bad_names() -> None:
    s, t = STUDENT.log_softmax(-1), TEACHER.log_softmax(-1)
    assert forward_kl(s, t)[0, 0].item() == pytest.approx(FWD, abs=ATOL)
    assert reverse_kl(s, t)[0, 0].item() == pytest.approx(REV, abs=ATOL)
    with pytest.raises(ValueError, match="unknown divergence"):
        kd_divergence(STUDENT, TEACHER, MASK, divergence="tvd")
    with pytest.raises(ValueError, match="beta"):
        kd_divergence(STUDENT, TEACHER, MASK, divergence="jsd", beta=1.5)


@pytest.mark.parametrize("beta", [0.0, 0.1, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_matches_trl_generalized_jsd_loss(beta: float, temperature: float) -> None:
    gkd = pytest.importorskip("trl.experimental.gkd")
    g = torch.Generator().manual_seed(int(beta * 10) + int(temperature))
    student = torch.randn(2, 5, 11, generator=g) * 2  # [B, L, V]
    teacher = torch.randn(2, 5, 11, generator=g) * 2
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    labels = torch.where(mask.bool(), torch.randint(0, 11, (2, 5), generator=g), -100)
    s_trl, s_ours = student.clone().requires_grad_(True), student.clone().requires_grad_(True)
    trl = gkd.GKDTrainer.generalized_jsd_loss(
        s_trl, teacher, labels=labels, beta=beta, temperature=temperature
    )
    ours = kd_divergence(s_ours, teacher, mask, divergence="jsd", beta=beta, temperature=temperature)
    torch.testing.assert_close(ours, trl, atol=ATOL, rtol=0)
    trl.backward()
    ours.backward()
    torch.testing.assert_close(s_ours.grad, s_trl.grad, atol=ATOL, rtol=0)  # gradients agree too
    named = {0.0: "forward_kl", 1.0: "reverse_kl"}.get(beta)
    if named:  # TRL's beta = 0 / 1 are our forward / reverse KL
        same = kd_divergence(student, teacher, mask, divergence=named, temperature=temperature)
        torch.testing.assert_close(same, trl, atol=ATOL, rtol=0)


def word_tokenizer(words: list[str]):  # noqa: ANN201
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(["<unk>", *words])}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>")


def test_teacher_and_student_must_share_a_tokenizer() -> None:
    from r1lit.modules.distill import check_same_tokenizer

    check_same_tokenizer(word_tokenizer(["a", "b"]), word_tokenizer(["a", "b"]), "student", "teacher")
    with pytest.raises(ValueError, match="do not share a tokenizer") as err:
        check_same_tokenizer(word_tokenizer(["a", "b"]), word_tokenizer(["a", "c"]), "student", "teacher")
    assert "'b'" in str(err.value) and "'c'" in str(err.value) and "stage=sft" in str(err.value)
