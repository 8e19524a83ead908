"""`r1lit-train`: the Hydra entry point; runs one stage (r1lit.stages.fit) or a pipeline of stages.

A config with a `pipeline` key (see experiment=r1_pipeline_tiny) runs its stages in order
(r1lit.stages.pipeline); any other config is one stage. Config problems exit with their message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from r1lit.cli import sweep_dirname
from r1lit.stages.fit import run_one
from r1lit.stages.group_options import GroupOptionError, check_group_overrides
from r1lit.stages.pipeline import run_pipeline
from r1lit.stages.validate import ConfigError, check_run_folder, validate_config

CONF_DIR = str(Path(__file__).resolve().parents[2] / "conf")
sweep_dirname.register()


def run(cfg: DictConfig) -> float | None:
    """Validate, then run a single stage or a pipeline of stages."""
    check_run_folder(cfg, HydraConfig.get().overrides.hydra if HydraConfig.initialized() else [])
    if cfg.get("pipeline"):
        validate_config(cfg)
        return run_pipeline(cfg)
    return run_one(cfg)


@hydra.main(config_path=CONF_DIR, config_name="train", version_base="1.3")
def hydra_main(cfg: DictConfig) -> float | None:
    try:
        return run(cfg)
    # the message names the key, the value and what is allowed; a traceback would hide it
    except ConfigError as err:
        sys.exit(f"r1lit-train: {err}")


def main() -> None:
    """`r1lit-train`: group choices are checked first (Hydra's message for a bad list item lists no options)."""
    try:
        check_group_overrides([a for a in sys.argv[1:] if "=" in a and not a.startswith("-")], Path(CONF_DIR))
    except GroupOptionError as err:
        sys.exit(f"r1lit-train: {err}")
    hydra_main()


if __name__ == "__main__":
    main()
