"""Run one stage from its composed config: the only place that instantiates training objects.

Order (as in lightning-hydra-template): datamodule -> module -> callbacks -> loggers -> trainer.
`r1lit-train` (r1lit.cli.train) calls `run_one` for a single stage; the pipeline
(r1lit.stages.pipeline) calls it for each of its stages.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from r1lit.stages.checkpoints import resolve_ckpt_path
from r1lit.stages.done_marker import MARKER, mark_done, optimized_value, read_done, scalar_metrics
from r1lit.stages.validate import validate_config

log = logging.getLogger(__name__)


def _instantiate_dict(cfg: DictConfig | None) -> list[Any]:
    """Instantiate every `_target_` entry of a name -> config mapping (callbacks, loggers)."""
    if not cfg:
        return []
    return [hydra.utils.instantiate(node) for node in cfg.values() if node is not None and "_target_" in node]


def skip_if_done(cfg: DictConfig) -> tuple[bool, float | None]:
    """`(True, stored objective)` when `resume: auto` finds this run's DONE.json, else `(False, None)`."""
    if cfg.resume != "auto":
        return False, None
    done = read_done(cfg.paths.run_dir)
    if done is None:
        return False, None
    log.info(
        "skipping %s: finished at step %s (%s); delete it to train again",
        cfg.paths.run_dir,
        done.get("global_step"),
        MARKER,
    )
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
    from r1lit.memory import set_mmap_threshold
    from r1lit.stages.lightning_logs import tame_lightning_logs

    tame_lightning_logs()
    set_mmap_threshold(cfg.get("malloc_mmap_threshold"))
    L.seed_everything(cfg.seed, workers=True)
    datamodule = hydra.utils.instantiate(cfg.stage.datamodule)
    module = hydra.utils.instantiate(cfg.stage.module, _convert_="all")
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


def run_one(cfg: DictConfig) -> float | None:
    """Validate one stage's config, then run it: a Lightning fit, or the plain function a runner stage names."""
    validate_config(cfg)
    if cfg.stage.get("runner"):  # non-Lightning stages (e.g. rejection sampling) name a plain function
        return hydra.utils.instantiate(cfg.stage.runner)
    return train(cfg)
