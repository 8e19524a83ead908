"""Weighted composition, the None rule, metrics, and the conf/reward Hydra group."""

from __future__ import annotations

import functools
import inspect
import math
from collections import Counter
from pathlib import Path

import hydra
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from r1lit.rewards.compose import (
    RewardBatch,
    RewardTerm,
    build_reward_terms,
    compute_rewards,
    reward_metrics,
    score_one,
)
from r1lit.rewards.format import format_reward
from r1lit.rewards.repetition import repetition_reward

CONF = Path(__file__).resolve().parents[2] / "conf"
REWARD_FILES = sorted(p.stem for p in (CONF / "reward").glob("*.yaml"))


def _fake(values, failures: int = 0):
    """A reward returning fixed values and reporting `failures` parse failures."""

    def fn(completions, *, answer=None, stats=None, **columns):
        if stats is not None and failures:
            stats["parse_failure"] += failures
        return list(values)

    return fn


def test_compute_rewards_weights_and_none_rule() -> None:
    terms = [
        RewardTerm("acc", _fake([1.0, 0.0, None, 1.0], failures=1), 1.0),
        RewardTerm("fmt", _fake([1.0, 1.0, 1.0, 0.0]), 0.5, outcome=False),  # shaping: cannot carry sample 2
        RewardTerm("diag", _fake([None, None, None, float("nan")]), 0.0),  # zero weight: never in the total
    ]
    batch = compute_rewards(terms, ["a", "b", "c", "d"], ["1"] * 4, prompts=["p"] * 4, step=3)
    assert batch.total == [1.5, 0.5, None, 1.0]
    assert batch.components["acc"] == [1.0, 0.0, None, 1.0]
    assert batch.components["diag"] == [None, None, None, None]
    assert batch.stats["acc"] == Counter({"parse_failure": 1, "none": 1})
    assert batch.stats["diag"]["non_finite"] == 1 and batch.stats["diag"]["none"] == 4
    assert batch.weights == {"acc": 1.0, "fmt": 0.5, "diag": 0.0}


def test_compute_rewards_checks_lengths_names_and_reserved_stats() -> None:
    with pytest.raises(ValueError, match="returned 1 values"):
        compute_rewards([RewardTerm("x", _fake([1.0]))], ["a", "b"], ["1", "1"])
    with pytest.raises(ValueError, match="unique"):
        compute_rewards([RewardTerm("x", _fake([1.0])), RewardTerm("x", _fake([1.0]))], ["a"], ["1"])
    with pytest.raises(ValueError, match="reserved"):
        compute_rewards([RewardTerm("x", _fake([1.0]))], ["a"], ["1"], stats=Counter())


def test_reward_metrics_hand_computed() -> None:
    batch = RewardBatch(
        total=[1.0, 3.0, None, 2.0],
        components={"acc": [1.0, 0.0, None, 1.0], "fmt": [0.0, 1.0, 1.0, 1.0]},
        weights={"acc": 1.0, "fmt": 1.0},
        stats={
            "acc": Counter({"parse_failure": 1, "none": 1, "bad_gold": 1}),
            "fmt": Counter({"parse_failure": 2}),
        },
    )
    m = reward_metrics(batch)
    assert m["reward/total/mean"] == pytest.approx(2.0)
    assert m["reward/total/std"] == pytest.approx(math.sqrt(2 / 3))  # population std of 1, 3, 2
    assert m["reward/total/none_rate"] == 0.25
    assert m["reward/acc/mean"] == pytest.approx(2 / 3)
    assert m["reward/acc/std"] == pytest.approx(math.sqrt(2 / 9))
    assert m["reward/fmt/mean"] == pytest.approx(0.75) and m["reward/fmt/std"] == pytest.approx(
        math.sqrt(3) / 4
    )
    assert m["reward/acc/none_rate"] == 0.25 and m["reward/fmt/none_rate"] == 0.0
    assert m["reward/acc/bad_gold_rate"] == 0.25 and m["reward/acc/parse_failure_rate"] == 0.25
    assert m["reward/parse_failure_rate"] == 0.5  # the worst term (fmt: 2 of 4)
    empty = reward_metrics(RewardBatch([None], {"acc": [None]}, {"acc": 1.0}, {}))
    assert math.isnan(empty["reward/total/mean"]) and math.isnan(empty["reward/acc/std"])


def test_score_one_for_filters() -> None:
    unigram = functools.partial(repetition_reward, ngram_size=1)  # options are bound, columns are per item
    assert score_one(unigram, "go go go go") == pytest.approx(-0.75)
    prefill = "Assistant: <think>"
    assert score_one(format_reward, "x </think> <answer> 1 </answer>", answer="1", prompts=prefill) == 1.0


def _compose(overrides: list[str], tmp_path: Path):
    """Compose a temporary primary config whose defaults pick `reward: [accuracy, format]`."""
    primary = {
        "defaults": [{"reward": ["accuracy", "format"]}, "_self_"],
        "hydra": {"searchpath": [f"file://{CONF}"]},
    }
    (tmp_path / "primary.yaml").write_text(OmegaConf.to_yaml(primary))
    with initialize_config_dir(config_dir=str(tmp_path), version_base="1.3"):
        return compose(config_name="primary", overrides=overrides)


def test_hydra_group_selects_several_rewards(tmp_path: Path) -> None:
    cfg = _compose([], tmp_path)
    assert list(cfg.reward) == ["accuracy", "format"]
    cfg = _compose(["reward=[format,repetition,tag_count]", "reward.repetition.weight=0.5"], tmp_path)
    assert list(cfg.reward) == ["format", "repetition", "tag_count"]
    terms = build_reward_terms(hydra.utils.instantiate(cfg.reward))
    assert [(t.name, t.weight) for t in terms] == [("format", 1.0), ("repetition", 0.5), ("tag_count", 1.0)]
    batch = compute_rewards(terms, ["<think> a </think> <answer> 5 </answer>"], ["5"], prompts=["Assistant:"])
    assert batch.components == {"format": [1.0], "repetition": [0.0], "tag_count": [1.0]}
    assert batch.total == [2.0]


def test_accuracy_format_cosine_end_to_end(tmp_path: Path) -> None:
    cfg = _compose(
        ["reward=[accuracy,format,cosine]", "reward.cosine.weight=0.5", "reward.cosine.fn.max_len=10"],
        tmp_path,
    )
    terms = build_reward_terms(hydra.utils.instantiate(cfg.reward))
    prefill = "<|im_start|>assistant\n<think>\n"
    completions = [
        " 2+3=5 </think> <answer> \\boxed{5} </answer>",
        " hmm </think> <answer> 6 </answer>",
        "\\boxed{5}",
    ]
    ids = [[0] * 5, [0] * 10, [0] * 1]
    batch = compute_rewards(terms, completions, ["5", "5", ""], prompts=[prefill] * 3, completion_ids=ids)
    assert batch.components["accuracy"] == [1.0, 0.0, None]
    assert batch.components["format"] == [1.0, 1.0, 0.0]  # the prefilled <think> counts
    assert batch.components["cosine"] == pytest.approx([0.75, -0.5, None])  # 5 of 10 tokens; 10 of 10
    assert batch.total == pytest.approx([1.0 + 1.0 + 0.5 * 0.75, 0.0 + 1.0 + 0.5 * -0.5, None])
    m = reward_metrics(batch)
    assert m["reward/accuracy/bad_gold_rate"] == pytest.approx(1 / 3)
    assert m["reward/parse_failure_rate"] == 0.0  # every completion had an extractable answer


@pytest.mark.parametrize("name", REWARD_FILES)
def test_every_reward_file_matches_its_function(name: str, tmp_path: Path) -> None:
    """Each file holds one reward; its options exist in the function signature with the same defaults."""
    cfg = _compose([f"reward=[{name}]"], tmp_path)
    assert list(cfg.reward) == [name] and {"weight", "fn"} <= set(cfg.reward[name]) <= {
        "weight",
        "outcome",
        "fn",
    }
    fn_cfg = OmegaConf.to_container(cfg.reward[name].fn)
    assert fn_cfg.pop("_partial_") is True
    target = fn_cfg.pop("_target_")
    module, _, attr = target.rpartition(".")
    params = inspect.signature(getattr(__import__(module, fromlist=[attr]), attr)).parameters
    # A function's first file holds its defaults; later files of the same function (rm_helpful,
    # rm_harmless of reward_model) are presets that set some options differently on purpose.
    first_file = next(f for f in REWARD_FILES if target in (CONF / "reward" / f"{f}.yaml").read_text())
    for key, value in fn_cfg.items():
        assert key in params and params[key].kind is inspect.Parameter.KEYWORD_ONLY, key
        if params[key].default is not inspect.Parameter.empty and name == first_file:
            assert params[key].default == value, f"{name}.{key}: code default differs from the YAML"


def test_build_reward_terms_errors() -> None:
    assert build_reward_terms({"fmt": None}) == []
    with pytest.raises(ValueError, match="weight"):
        build_reward_terms({"fmt": {"fn": format_reward}})
    with pytest.raises(TypeError, match="_partial_"):
        build_reward_terms({"fmt": {"fn": [1.0], "weight": 1.0}})
