"""`r1lit-train`: the only place that instantiates training objects from the config.

Order (as in lightning-hydra-template): datamodule -> module -> callbacks -> loggers -> trainer.
A config with a `pipeline` key (see experiment=r1_pipeline_tiny) runs its stages in order instead.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from r1lit.cli import sweep_dirname
from r1lit.cli.checkpoints import check_checkpoint_file, latest_intact_checkpoint
from r1lit.cli.done_marker import MARKER, mark_done, optimized_value, read_done, scalar_metrics
from r1lit.cli.group_options import GroupOptionError, check_group_overrides
from r1lit.cli.validate import ConfigError, validate_config

log = logging.getLogger(__name__)
CONF_DIR = str(Path(__file__).resolve().parents[2] / "conf")
sweep_dirname.register()


def _instantiate_dict(cfg: DictConfig | None) -> list[Any]:
    """Instantiate every `_target_` entry of a name -> config mapping (callbacks, loggers)."""
    if not cfg:
        return []
    return [hydra.utils.instantiate(node) for node in cfg.values() if node is not None and "_target_" in node]


def resolve_ckpt_path(cfg: DictConfig) -> str | None:
    """`resume: auto` continues from the newest intact checkpoint of this run (last.ckpt first), if any.

    A truncated or empty checkpoint (a kill while it was written) is skipped with a warning naming it;
    an explicit `resume: <path>` must be intact.
    """
    if cfg.resume in (None, False, "never"):
        return None
    if cfg.resume == "auto":
        found = latest_intact_checkpoint(cfg.paths.ckpt_dir)
        return str(found) if found is not None else None
    return check_checkpoint_file(cfg.resume)


def skip_if_done(cfg: DictConfig) -> tuple[bool, float | None]:
    """`(True, stored objective)` when `resume: auto` finds this run's DONE.json, else `(False, None)`."""
    if cfg.resume != "auto":
        return False, None
    done = read_done(cfg.paths.run_dir)
    if done is None:
        return False, None
    log.info(
        "skipping %s: finished at step %s (%s); delete it to train again",
        cfg.paths.run_dir, done.get("global_step"), MARKER,
    )  # fmt: skip
    return True, optimized_value(done.get("metrics", {}), cfg.optimized_metric)


def train(cfg: DictConfig) -> float | None:
    """Fit one stage; returns `cfg.optimized_metric` from the trainer's metrics (for Optuna sweeps).

    A finished run (its DONE.json exists) is not trained again under `resume: auto`: its stored
    objective is returned at once, which is what makes a rerun sweep skip its finished jobs.
    """
    done, value = skip_if_done(cfg)
    if done:
        return value
    ckpt_path = resolve_ckpt_path(cfg)  # before any model loads: no intact checkpoint fails in seconds

    import lightning as L
    from lightning.pytorch.trainer.states import TrainerStatus

    from r1lit.callbacks.progress import StepProgressBar
    from r1lit.cli.lightning_logs import tame_lightning_logs
    from r1lit.rewards.compose import build_reward_terms

    tame_lightning_logs()
    L.seed_everything(cfg.seed, workers=True)
    datamodule = hydra.utils.instantiate(cfg.stage.datamodule)
    extra: dict[str, Any] = {}
    if cfg.stage.get("uses_rewards"):
        extra["rewards"] = build_reward_terms(hydra.utils.instantiate(cfg.reward))
    module = hydra.utils.instantiate(cfg.stage.module, **extra, _convert_="all")
    callbacks = _instantiate_dict(cfg.get("callbacks"))
    if cfg.trainer.get("enable_progress_bar") is not False:  # None is Lightning's "on"
        callbacks.append(StepProgressBar())  # steps of max_steps with an ETA, not `Epoch 0/-2`
    loggers = _instantiate_dict(cfg.get("logger"))
    trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    Path(cfg.paths.run_dir).mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, Path(cfg.paths.run_dir) / "config.yaml", resolve=True)
    trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
    metrics = scalar_metrics(trainer.callback_metrics)
    # Only a fit that ran to its end counts as done (an exception or Ctrl-C never gets here with FINISHED).
    if trainer.state.status == TrainerStatus.FINISHED and trainer.is_global_zero:
        mark_done(cfg.paths.run_dir, metrics, trainer.global_step)
    if trainer.is_global_zero:
        log.info("run folder: %s (step %d)", Path(cfg.paths.run_dir).resolve(), trainer.global_step)
    return optimized_value(metrics, cfg.optimized_metric)


def run(cfg: DictConfig) -> float | None:
    """Validate, then run a single stage or a pipeline of stages."""
    validate_config(cfg)
    if cfg.get("pipeline"):
        from r1lit.stages.pipeline import run_pipeline

        return run_pipeline(cfg)
    if cfg.stage.get("runner"):  # non-Lightning stages (e.g. rejection sampling) name a plain function
        return hydra.utils.instantiate(cfg.stage.runner)
    return train(cfg)


@hydra.main(config_path=CONF_DIR, config_name="train", version_base="1.3")
def hydra_main(cfg: DictConfig) -> float | None:
    try:
        return run(cfg)
    except (
        ConfigError
    ) as err:  # the message names the key, the value and what is allowed; a traceback hides it
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
