"""The lm-eval bridge on the reduced tiny model: a local lm-eval task runs through our HF generator.

lm-eval loads the task from a YAML folder (`include_path`) and a local JSONL, builds the requests,
and our `R1LitLM` (`--model r1lit`) answers them with `r1lit.rollout.hf.HFGenerator`. The responses
must be exactly what our generator gives for the same prompts (greedy, cut at the task's `until`),
and lm-eval's score must be the exact-match rate of those responses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TASK_YAML = """\
task: r1lit_tiny_sums
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "User: What is {{{{question}}}}? Answer with a number.\\nAssistant:"
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: ["\\n"]
  do_sample: false
  max_gen_toks: 12
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    regexes_to_ignore: ["\\\\s"]
metadata:
  version: 1.0
"""
ROWS = [{"question": f"{a} + {b}", "answer": str(a + b)} for a, b in [(2, 3), (10, 7), (41, 1), (6, 6)]]


def test_local_lm_eval_task_through_our_hf_generator(tiny_model_dir: Path, tmp_path: Path) -> None:
    import lm_eval
    from lm_eval.tasks import TaskManager
    from r1lit_eval.lm_eval_bridge import R1LitLM

    from r1lit.models import load_causal_lm, load_tokenizer
    from r1lit.rollout import SamplingParams, build_generator

    data = tmp_path / "sums.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (tmp_path / "r1lit_tiny_sums.yaml").write_text(TASK_YAML.format(data=data))
    out = lm_eval.simple_evaluate(
        model="r1lit",  # registered by importing r1lit_eval.lm_eval_bridge
        model_args=f"pretrained={tiny_model_dir},max_gen_toks=12,batch_size=8",
        tasks=["r1lit_tiny_sums"],
        task_manager=TaskManager(include_path=str(tmp_path), include_defaults=False),
        bootstrap_iters=0,
        log_samples=True,
    )
    samples = sorted(out["samples"]["r1lit_tiny_sums"], key=lambda s: s["doc_id"])
    assert isinstance(R1LitLM, type) and [s["target"] for s in samples] == [r["answer"] for r in ROWS]

    contexts = [s["arguments"][0][0] for s in samples]
    assert contexts[0] == "User: What is 2 + 3? Answer with a number.\nAssistant:"
    generator = build_generator(
        "hf", load_causal_lm(str(tiny_model_dir)), load_tokenizer(str(tiny_model_dir))
    )
    ours = generator.generate(
        contexts, SamplingParams(temperature=0.0, max_new_tokens=12, stop=("\n",), seed=0)
    )
    expected = [c[0].text.split("\n")[0] for c in ours]
    assert [s["resps"][0][0] for s in samples] == expected

    hits = [e.replace(" ", "") == r["answer"] for e, r in zip(expected, ROWS, strict=True)]
    assert out["results"]["r1lit_tiny_sums"]["exact_match,none"] == pytest.approx(sum(hits) / len(hits))
