"""On a GPU only (skipped elsewhere; run by bench/gpu_check.sh): twins sample and score alike on CUDA.

For every architecture twin on CUDA: the log-prob the generator reports for each sampled token equals
the training forward's (`completion_logprobs`, shared prefix, chunked LM head) within 2e-3 in float32;
in bfloat16 (sampler and trainer in different kernels) the mean gap stays under 0.05 nats, which is
what the importance-sampling correction then absorbs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from r1lit.models import load_causal_lm, load_tokenizer
from r1lit.modules.rollout_batch import completion_logprobs, pack_completions
from r1lit.rollout import SamplingParams
from r1lit.rollout.hf import HFGenerator
from r1lit.tiny.twins import TWIN_PREFIX, architectures, ensure_twin_model

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
PROMPTS = ["What is 12 + 7? Let me think.", "3*4="]
PARAMS = SamplingParams(n=2, max_new_tokens=12, temperature=1.0, seed=3)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("r1lit-cuda-twins")


@pytest.mark.parametrize(("dtype", "tolerance"), [("float32", 2e-3), ("bfloat16", 5e-2)])
@pytest.mark.parametrize("family", sorted(architectures()["twins"]))
def test_sampler_and_trainer_agree_on_cuda(cache: Path, family: str, dtype: str, tolerance: float) -> None:
    folder = str(ensure_twin_model(TWIN_PREFIX + family, cache_dir=cache))
    model, tok = load_causal_lm(folder, dtype=dtype, device="cuda").eval(), load_tokenizer(folder)
    groups = HFGenerator(model, tok).generate(PROMPTS, PARAMS)
    packed = pack_completions(groups, tok.pad_token_id).to("cuda")
    with torch.no_grad():
        logps, _ = completion_logprobs(model, packed, PARAMS.temperature, share_prefix=True, chunk_size=4)
    mask = packed.completion_mask.bool()
    gap = (logps[mask] - packed.sampling_logps[mask]).abs()
    if dtype == "float32":
        assert gap.max().item() < tolerance, f"{family}: max gap {gap.max().item():.2e}"
    else:
        assert gap.mean().item() < tolerance, f"{family}: mean gap {gap.mean().item():.3f}"
