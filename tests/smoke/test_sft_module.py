"""SFT on the reduced tiny model: the tuned model stops (EOS kept in the labels), packing equals padding,
and the `stage=sft` config trains, exports and resumes through r1lit-train."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lightning as L
import pytest
import torch
from hydra import compose, initialize_config_dir

from r1lit.data.packing import pack_examples
from r1lit.data.sft_datamodule import SFTDataModule, pad_batch
from r1lit.models import load_causal_lm, load_tokenizer
from r1lit.modules.sft import SFTModule
from r1lit.rollout import SamplingParams, build_generator
from r1lit.stages.fit import train

CONF = Path(__file__).resolve().parents[2] / "conf"
QUESTIONS = [f"Compute {a}+{b}" for a, b in [(2, 3), (4, 4), (7, 1), (5, 6), (9, 2), (3, 8)]]


def chat_records() -> list[dict]:
    """A reply style the tiny model never saw in pretraining ("Result: N"), so stopping must be learnt."""
    return [
        {"id": f"r{i}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": f"Result: {eval(q[8:])}"}]}
        for i, q in enumerate(QUESTIONS)
    ]  # fmt: skip


def sft_module(model_dir: Path, lr: float = 3e-3) -> SFTModule:
    return SFTModule(
        model_name_or_path=str(model_dir), revision=None, dtype="float32", learning_rate=lr, weight_decay=0.0,
        betas=[0.9, 0.95], warmup_steps=0, lr_schedule="constant", gradient_checkpointing=False,
    )  # fmt: skip


def fit(model_dir: Path, datamodule: SFTDataModule, steps: int) -> SFTModule:
    torch.manual_seed(0)
    module = sft_module(model_dir)
    trainer = L.Trainer(
        accelerator="cpu", max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0,
    )  # fmt: skip
    trainer.fit(module, datamodule=datamodule)
    return module


def greedy_replies(module: SFTModule) -> list:
    gen = build_generator("hf", module.policy, module.tokenizer)
    prompts = [[{"role": "user", "content": q}] for q in QUESTIONS]
    return [g[0] for g in gen.generate(prompts, SamplingParams(n=1, temperature=0.0, max_new_tokens=24))]


class EOSMaskedDataModule(SFTDataModule):
    """The classic bug, on purpose: EOS labelled as padding (-100)."""

    def setup(self, stage: str | None = None) -> None:
        super().setup(stage)
        eos = load_tokenizer(self.tokenizer_name_or_path).eos_token_id
        for ex in self.train_examples:
            ex["labels"] = [-100 if t == eos else t for t in ex["labels"]]


def test_tuned_model_learns_the_reply_format_and_stops(tiny_model_dir: Path) -> None:
    def datamodule(cls: type[SFTDataModule]) -> SFTDataModule:
        return cls(
            chat_records,
            None,
            str(tiny_model_dir),
            max_length=64,
            batch_size=6,
            pack=False,
            bucket_batches=1,
            seed=0,
        )

    replies = greedy_replies(fit(tiny_model_dir, datamodule(SFTDataModule), steps=40))
    # the reduced model is too small to learn the sums in 40 steps; the new reply format and stopping it learns
    assert all(re.fullmatch(r"Result: \d+", c.text.strip()) for c in replies), [c.text for c in replies]
    assert all(c.finish_reason == "stop" for c in replies), [c.text for c in replies]
    # control: the same run with EOS masked out of the labels does not learn to stop
    buggy = greedy_replies(fit(tiny_model_dir, datamodule(EOSMaskedDataModule), steps=40))
    assert sum(c.finish_reason == "length" for c in buggy) >= len(buggy) // 2, [c.text for c in buggy]


def test_packed_batch_gives_the_padded_loss(tiny_model_dir: Path) -> None:
    """Block-diagonal attention: packing several examples in a row changes nothing (no leakage)."""
    dm = SFTDataModule(chat_records, None, str(tiny_model_dir), 64, 6, pack=True, bucket_batches=1, seed=0)
    dm.setup()
    module = sft_module(tiny_model_dir)
    module.configure_model()
    examples = dm.train_examples
    padded = pad_batch(examples, dm.pad_id)
    packed = pack_examples(examples, max_length=128, pad_id=dm.pad_id)
    assert packed["input_ids"].shape[0] < len(examples), "the examples should share rows"
    # packing masks each example's first label; so does the shift in the padded batch (nothing predicts it)
    assert int((packed["labels"] != -100).sum()) == int((padded["labels"][:, 1:] != -100).sum())
    with torch.no_grad():
        torch.testing.assert_close(module(packed), module(padded), rtol=1e-4, atol=1e-5)


def compose_sft(tmp_path: Path, model_dir: Path, data: Path, steps: int) -> object:
    overrides = [
        f"paths.run_dir={tmp_path / 'run'}", "stage=sft", "data=traces_jsonl", f"data.train.path={data}",
        f"model.name_or_path={model_dir}", f"trainer.max_steps={steps}", "trainer.val_check_interval=null",
        "logger=csv", "callbacks.model_checkpoint.every_n_train_steps=2", "stage.datamodule.batch_size=4",
        "stage.datamodule.pack=true", "stage.module.warmup_steps=1",
    ]  # fmt: skip
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=overrides)


def test_stage_sft_on_trace_records_exports_and_resumes(tiny_model_dir: Path, tmp_path: Path) -> None:
    """`r1lit-train stage=sft data=traces_jsonl` on rejection-sampling-style {prompt, response} records."""
    from r1lit.prompts import build_prompt

    data = tmp_path / "traces.jsonl"
    rows = [{"id": f"t{i}", "prompt": build_prompt("r1_zero", q), "response": f" <think> {q[8:]} </think> <answer> {eval(q[8:])} </answer>"}
            for i, q in enumerate(QUESTIONS)]  # fmt: skip
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    train(compose_sft(tmp_path, tiny_model_dir, data, steps=2))
    run = tmp_path / "run"
    assert (run / "hf" / "final" / "config.json").is_file() and (run / "checkpoints" / "last.ckpt").is_file()
    load_causal_lm(str(run / "hf" / "final"))  # a plain HF folder: the next stage loads it by path
    assert json.loads((run / "DONE.json").read_text())["global_step"] == 2
    (run / "DONE.json").unlink()  # as if the run had been killed after its step-2 checkpoint
    train(compose_sft(tmp_path, tiny_model_dir, data, steps=4))  # resume=auto continues at step 2
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == 4
    steps = [row.split(",")[0] for row in (run / "csv" / "metrics.csv").read_text().splitlines()]
    assert "train/loss" in (run / "csv" / "metrics.csv").read_text() and len(steps) > 1


@pytest.mark.parametrize("bad", ["stage.module.learning_rate=0.0"])
def test_bad_sft_settings_fail_before_training(tiny_model_dir: Path, tmp_path: Path, bad: str) -> None:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(
            "train", overrides=[f"paths.run_dir={tmp_path}", "stage=sft", "data=synthetic_traces", bad]
        )
    import hydra
    from hydra.errors import InstantiationException

    with pytest.raises(
        InstantiationException, match="learning_rate must be > 0"
    ):  # hydra wraps the ValueError
        hydra.utils.instantiate(cfg.stage.module)
