"""Worker for tests/smoke/test_fsdp_gather.py, started by torchrun on 2 CPU processes (gloo).

Builds a LoRA policy with non-zero adapters, keeps an unsharded copy, shards the policy with r1lit's
FSDP2 layout (r1lit.fsdp.shard_module), gathers it and lets rank 0 export it the way HFExport does; rank 0
also exports the unsharded copy. Usage: fsdp_gather_worker.py MODEL_DIR OUT_DIR
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor

from r1lit.fsdp import full_state_dict, is_sharded, shard_module, tie_shared
from r1lit.lora import apply_lora, save_pretrained_merged
from r1lit.models import load_causal_lm


def main(model_dir: str, out: Path) -> None:
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)  # the same adapters on both ranks, as a module's configure_model would build
    policy = apply_lora(load_causal_lm(model_dir), r=4, alpha=8.0, dropout=0.0, target_modules="all-linear")
    with torch.no_grad():  # peft starts B at zero: adapters that change the weights
        for name, p in policy.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.2)
    unsharded = copy.deepcopy(policy)
    holder = torch.nn.Module()  # stands in for the LightningModule: the policy under `policy.`
    holder.policy = policy
    shard_module(holder, init_device_mesh("cpu", (dist.get_world_size(),)), wrap_blocks=True)
    assert is_sharded(holder)
    local = sum(p.to_local().numel() for p in policy.parameters() if isinstance(p, DTensor))
    (out / f"local{rank}.txt").write_text(f"{local} {sum(p.numel() for p in policy.parameters())}")

    state = full_state_dict(holder, prefix="policy.")  # every rank joins; rank 0 receives
    if rank == 0:
        save_pretrained_merged(policy, out / "fsdp", state_dict=tie_shared(state, policy))
        save_pretrained_merged(unsharded, out / "single")
    else:
        assert state == {}
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
