"""r1lit.modules.policy: the trainable policy keeps or disables dropout as asked; frozen copies are fixed."""

from __future__ import annotations

import torch

from r1lit.modules.policy import frozen_model, trainable_policy


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5)).eval()


def test_trainable_policy_keeps_dropout_in_train_mode():
    model = _net()
    out = trainable_policy(model, dropout=True)
    assert out is model  # no LoRA, no checkpointing: the model itself
    assert model.training and model[1].p == 0.5
    assert all(p.requires_grad for p in model.parameters())


def test_trainable_policy_without_dropout_is_deterministic_in_train_mode():
    model = trainable_policy(_net(), dropout=False)
    assert model.training and model[1].p == 0.0
    x = torch.ones(2, 4)
    assert torch.equal(model(x), model(x))


def test_frozen_model_stays_fixed_when_switched_to_train():
    model = frozen_model(_net())
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    model.train()  # what Lightning may do to the whole LightningModule
    x = torch.ones(2, 4)
    assert torch.equal(model(x), model(x))
