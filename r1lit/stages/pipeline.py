"""The multi-stage DeepSeek-R1 pipeline: run a list of r1lit-train stages, each from the one before.

The paper's R1 (§2.3) is cold-start SFT -> reasoning RL -> rejection sampling + SFT -> RL for all
scenarios, with the cold-start data sampled from R1-Zero (§2.3.1); its small models are SFT on R1
traces (§2.4). `experiment=r1_pipeline_tiny` and `experiment=distill_vs_rl_tiny` are such chains.
A config with a `pipeline` key is run here (r1lit-train dispatches); each stage runs through
`r1lit.stages.fit.run_one`, like a single r1lit-train stage. `pipeline.stages`
is an ordered mapping name -> stage:

    overrides:  Hydra overrides of `train.yaml` for this stage (after `pipeline.common`), e.g. [stage=sft, ...]
    model:      `base` (pipeline.base_model) or an earlier stage's name: the model the stage starts from
    traces:     an earlier rejection-sampling stage: its traces.jsonl becomes `data.train.path`
    teacher:    an earlier stage: its model becomes `stage.module.teacher_name_or_path` (token-level KD)
    checkpoint: an existing model (HF folder, training run folder or hub id): the stage is not run, this is its model
    evaluate:   score the stage's model on the held-out set afterwards (pipeline.eval)

Layout of a pipeline run dir (`paths.run_dir`, deterministic by default so rerunning resumes):

    config.yaml                       the pipeline config
    <stage>/                          one r1lit-train run dir per stage (checkpoints/, hf/final/, tb/, ...)
    <stage>/DONE.json                 the stage finished (r1lit.stages.done_marker); it is not run again
    eval/<base|stage>/                held-out results after each stage (r1lit-eval layout, paper_figs reads it)
    eval/<base|stage>/general*.json*  with `pipeline.eval.general`: held-out general prompts scored by the
                                      pipeline's reward model, after the last stage (r1lit.stages.general_eval)
    pipeline_summary.{json,md}        per-stage status, time and held-out pass@1 / cons@k

Resume: rerun the same command. Finished stages (DONE.json) are skipped, an interrupted Lightning
stage continues from its last.ckpt (`resume=auto`), an interrupted rejection-sampling stage from what
it already wrote, and finished evaluations (results.json) are not repeated. To redo a stage, delete
its folder and those of the stages after it: a finished stage older than one of its inputs stops the
pipeline with a message (nothing is deleted automatically), and a redone stage is evaluated again.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from r1lit.model_source import check_model_source
from r1lit.run_models import is_lightning_checkpoint, resolve_checkpoint
from r1lit.stages.done_marker import MARKER, mark_done, read_done
from r1lit.stages.fit import run_one
from r1lit.stages.group_options import check_group_overrides
from r1lit.stages.heldout_eval import RESULTS, evaluate_checkpoint, read_results
from r1lit.stages.pipeline_summary import write_summary
from r1lit.stages.validate import validate_config

log = logging.getLogger(__name__)
CONF_DIR = str(Path(__file__).resolve().parents[2] / "conf")
BASE = "base"
TRACES_FILE = "traces.jsonl"


@dataclass(frozen=True)
class StageSpec:
    """One entry of `pipeline.stages`."""

    name: str
    overrides: tuple[str, ...]
    model: str
    traces: str | None
    teacher: str | None
    checkpoint: str | None
    evaluate: bool


def parse_stages(stages: dict[str, dict[str, Any]]) -> list[StageSpec]:
    """Stage specs in order; every reference must name `base` or an earlier stage."""
    if not stages:
        raise ValueError("pipeline.stages is empty")
    specs: list[StageSpec] = []
    for name, node in stages.items():
        if name == BASE or "/" in name:
            raise ValueError(f"pipeline.stages.{name}: {name!r} cannot name a stage")
        unknown = set(node) - {"overrides", "model", "traces", "teacher", "checkpoint", "evaluate"}
        if unknown:
            raise ValueError(f"pipeline.stages.{name}: unknown keys {sorted(unknown)}")
        spec = StageSpec(
            name=name,
            overrides=tuple(node.get("overrides") or ()),
            model=node.get("model") or BASE,
            traces=node.get("traces"),
            teacher=node.get("teacher"),
            checkpoint=node.get("checkpoint"),
            evaluate=bool(node.get("evaluate", False)),
        )
        earlier = {s.name for s in specs}
        for key in ("model", "traces", "teacher"):
            ref = getattr(spec, key)
            if ref is not None and ref not in earlier | ({BASE} if key == "model" else set()):
                raise ValueError(
                    f"pipeline.stages.{name}.{key}={ref!r}: must name an earlier stage ({sorted(earlier)})"
                )
        if spec.checkpoint is None and not spec.overrides:
            raise ValueError(
                f"pipeline.stages.{name}: give `overrides` (at least stage=...) or a `checkpoint`"
            )
        specs.append(spec)
    return specs


def quote(value: Any) -> str:
    """A value as a quoted Hydra override string (paths may hold '=', ',' or spaces)."""
    return "'" + str(value).replace("'", "\\'") + "'"


def check_checkpoint(name: str, path: str) -> str:
    """A given checkpoint must be loadable (r1lit.model_source); a local one comes back with `~` expanded.

    A training run folder stands for its HF export (`r1lit.run_models.resolve_checkpoint`, as in
    r1lit-eval); a Lightning `.ckpt` is refused, since the stages after it load HF folders.
    """
    key = f"pipeline.stages.{name}.checkpoint"
    try:
        check_model_source(path, key, accept_runs=True)
    except ValueError as err:
        raise FileNotFoundError(
            f"{err}. Run the pipeline that produces it first, or point the key at another checkpoint."
        ) from err
    local = Path(path).expanduser()
    if is_lightning_checkpoint(str(local)):
        raise ValueError(f"{key}={path!r}: a Lightning .ckpt; give its run folder (its hf/ export) instead")
    return resolve_checkpoint(str(local)) if local.exists() else path


def compose_stage(overrides: list[str]) -> DictConfig:
    """`train.yaml` composed with `overrides` (inside r1lit-train's Hydra app, or standalone)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    check_group_overrides(overrides, Path(CONF_DIR))  # reward=[accuracy,nosuch] lists the options
    if GlobalHydra.instance().is_initialized():
        return compose(config_name="train", overrides=overrides)
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="train", overrides=overrides)


def stage_overrides(
    spec: StageSpec, common: list[str], root: Path, seed: int, outputs: dict[str, str]
) -> list[str]:
    """`pipeline.common` + the stage's own overrides + what links it to earlier stages (these win)."""
    links = [
        f"paths.run_dir={quote(root / spec.name)}",
        f"run_name={spec.name}",
        f"seed={seed}",
        "resume=auto",
    ]
    links += [f"model.name_or_path={quote(outputs[spec.model])}"]
    if spec.model != BASE:
        links.append("model.revision=null")  # a local folder has no hub revision
    if spec.traces:
        links.append(f"data.train.path={quote(outputs[spec.traces])}")
    if spec.teacher:
        links += [
            f"stage.module.teacher_name_or_path={quote(outputs[spec.teacher])}",
            "stage.module.teacher_revision=null",
        ]
    return [*common, *spec.overrides, *links]


def stage_output(cfg: DictConfig) -> str:
    """What a finished stage hands on: traces.jsonl of a runner stage, else its final HF export."""
    run_dir = Path(cfg.paths.run_dir)
    if cfg.stage.get("runner"):
        return str(run_dir / TRACES_FILE)
    return str(Path(cfg.paths.hf_dir) / "final")


def run_stage(spec: StageSpec, cfg: DictConfig) -> tuple[str, float]:
    """Run one composed stage unless its DONE.json exists; returns (status, seconds spent now)."""
    run_dir = Path(cfg.paths.run_dir)
    done = read_done(run_dir)
    if done is not None:
        log.info("pipeline: stage %s already finished (%s), skipping", spec.name, run_dir / "DONE.json")
        return "skipped", 0.0
    resumed = (Path(cfg.paths.ckpt_dir) / "last.ckpt").is_file() or (run_dir / "progress.jsonl").is_file()
    log.info(
        "pipeline: %s stage %s (%s) in %s",
        "resuming" if resumed else "running",
        spec.name,
        cfg.stage.name,
        run_dir,
    )
    t0 = time.perf_counter()
    run_one(cfg)
    seconds = time.perf_counter() - t0
    output = Path(stage_output(cfg))
    if not output.exists():
        raise RuntimeError(f"pipeline: stage {spec.name} finished without writing {output}")
    done = read_done(run_dir)  # train() may have written one with the trainer's metrics
    metrics = dict(done["metrics"]) if done else {}
    metrics["pipeline/stage_seconds"] = seconds  # of the run that finished it (not of interrupted attempts)
    step = done["global_step"] if done else (0 if cfg.stage.get("runner") else int(cfg.trainer.max_steps))
    mark_done(run_dir, metrics, step)
    gc.collect()
    return ("resumed" if resumed else "ran"), seconds


def evaluate(
    name: str, model: str, eval_cfg: DictConfig, root: Path, made_after: Path | None = None
) -> dict[str, Any]:
    """Held-out pass@1 / cons@k of `model` into `<root>/eval/<name>/`.

    Finished results are reused unless they are older than `made_after` (the stage's DONE.json): a
    rerun stage is evaluated again.
    """
    out_dir = root / "eval" / name
    found = read_results(out_dir)
    fresh = made_after is None or not made_after.is_file()
    if found is not None and (fresh or (out_dir / RESULTS).stat().st_mtime >= made_after.stat().st_mtime):
        return next(iter(found["benchmarks"].values()))
    summary = evaluate_checkpoint(
        model,
        hydra.utils.instantiate(eval_cfg.heldout),
        eval_cfg.template,
        hydra.utils.instantiate(eval_cfg.sampling),
        eval_cfg.answer_kind,
        out_dir,
        label=name,
        benchmark=eval_cfg.benchmark,
        limit=eval_cfg.limit,
        batch_size=eval_cfg.batch_size,
        device=eval_cfg.device,
        dtype=eval_cfg.dtype,
    )
    gc.collect()
    return summary


def check_not_stale(plan: list[tuple[StageSpec, DictConfig | None]]) -> None:
    """Stop when a finished stage is older than a stage it reads from (its inputs changed since).

    Deleting a stage's folder reruns it, but the stages after it would otherwise be skipped with results
    made from the old inputs. Nothing is deleted automatically: the message says what to remove.
    """
    done = {spec.name: read_done(cfg.paths.run_dir) for spec, cfg in plan if cfg is not None}
    run_dirs = {spec.name: cfg.paths.run_dir for spec, cfg in plan if cfg is not None}
    for spec, _ in plan:
        mine = done.get(spec.name)
        if mine is None:
            continue
        for ref in sorted({spec.model, spec.traces, spec.teacher} & set(done)):
            theirs = done[ref]
            if theirs is None or theirs["finished_at"] > mine["finished_at"]:
                raise RuntimeError(
                    f"pipeline: stage {spec.name} finished before its input stage {ref} "
                    f"({'which is not finished' if theirs is None else 'which was rerun since'}), so it was made "
                    f"from other inputs. Delete {run_dirs[spec.name]} (and the stages after it) to rerun it."
                )


def plan_stages(cfg: DictConfig, root: Path) -> list[tuple[StageSpec, DictConfig | None]]:
    """Every stage's composed and validated config (None for a given checkpoint), before anything runs.

    Outputs are deterministic paths, so a typo in the last stage's overrides fails in seconds, not
    after the first hours of training.
    """
    specs = parse_stages(OmegaConf.to_container(cfg.pipeline.stages, resolve=True))
    check_model_source(str(cfg.pipeline.base_model), "pipeline.base_model", accept_runs=False)
    common = list(cfg.pipeline.common or [])
    outputs: dict[str, str] = {BASE: str(cfg.pipeline.base_model)}
    plan: list[tuple[StageSpec, DictConfig | None]] = []
    for spec in specs:
        if spec.checkpoint is not None:
            outputs[spec.name] = check_checkpoint(spec.name, spec.checkpoint)
            plan.append((spec, None))
            continue
        stage_cfg = compose_stage(stage_overrides(spec, common, root, cfg.seed, outputs))
        if "pipeline" in stage_cfg:
            raise ValueError(
                f"pipeline.stages.{spec.name}: a stage cannot be a pipeline (experiment= in its overrides?)"
            )
        validate_config(stage_cfg, check_sources=False)  # earlier stages make the models (checked by run_one)
        if spec.evaluate and stage_cfg.stage.get("runner"):
            raise ValueError(
                f"pipeline.stages.{spec.name}.evaluate: a {stage_cfg.stage.name} stage makes no model to evaluate"
            )
        outputs[spec.name] = stage_output(stage_cfg)
        plan.append((spec, stage_cfg))
    return plan


def run_pipeline(cfg: DictConfig) -> float | None:
    """Run every stage of `cfg.pipeline` in order; returns the last evaluated held-out pass@1."""
    pipe = cfg.pipeline
    root = Path(cfg.paths.run_dir)
    plan = plan_stages(cfg, root)
    check_not_stale(plan)
    if pipe.eval.enabled and pipe.eval.get("general"):
        general_rm_stage(pipe.eval.general, plan)
    root.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, root / "config.yaml", resolve=True)
    rows: list[dict[str, Any]] = []
    last: float | None = None
    if pipe.eval.enabled and pipe.eval.base:
        summary = evaluate(BASE, str(pipe.base_model), pipe.eval, root)
        rows.append(
            {
                "stage": BASE,
                "kind": "base",
                "status": "-",
                "model": str(pipe.base_model),
                "seconds": None,
                "eval": summary,
            }
        )
        last = summary["pass@1"]
    for spec, stage_cfg in plan:
        row: dict[str, Any] = {"stage": spec.name, "from": spec.model}
        if stage_cfg is None:
            row.update(
                kind="checkpoint",
                status="given",
                seconds=None,
                model=check_checkpoint(spec.name, spec.checkpoint),
            )
        else:
            status, seconds = run_stage(spec, stage_cfg)
            done = read_done(stage_cfg.paths.run_dir) or {"metrics": {}}
            seconds = done["metrics"].get("pipeline/stage_seconds", seconds)
            row.update(
                kind=stage_cfg.stage.name, status=status, seconds=seconds, model=stage_output(stage_cfg)
            )
        if spec.evaluate and pipe.eval.enabled:
            made = None if stage_cfg is None else Path(stage_cfg.paths.run_dir) / MARKER
            row["eval"] = evaluate(spec.name, row["model"], pipe.eval, root, made_after=made)
            last = row["eval"]["pass@1"]
        rows.append(row)
        write_summary(root, rows, pipe.eval.sampling.n)
    if pipe.eval.enabled and pipe.eval.get("general"):
        add_general_scores(rows, plan, pipe.eval, root)
        write_summary(root, rows, pipe.eval.sampling.n)
    return last


def general_rm_stage(general_cfg: DictConfig, plan: list[tuple[StageSpec, DictConfig | None]]) -> DictConfig:
    """The config of the stage `pipeline.eval.general.rm_stage` names: it must train a reward model."""
    configs = {spec.name: stage_cfg for spec, stage_cfg in plan}
    name = general_cfg.get("rm_stage")
    stage_cfg = configs.get(name)
    if stage_cfg is None or stage_cfg.stage.name != "reward_model":
        trains_rm = sorted(n for n, c in configs.items() if c is not None and c.stage.name == "reward_model")
        raise ValueError(
            f"pipeline.eval.general.rm_stage={name!r}: must name a stage=reward_model stage of this pipeline "
            f"(here: {trains_rm})"
        )
    return stage_cfg


def add_general_scores(
    rows: list[dict[str, Any]],
    plan: list[tuple[StageSpec, DictConfig | None]],
    eval_cfg: DictConfig,
    root: Path,
) -> None:
    """Score every evaluated row on held-out general prompts with the reward model of stage
    `eval_cfg.general.rm_stage` (r1lit.stages.general_eval), once that stage has finished."""
    from r1lit.stages.general_eval import evaluate_general

    configs = {spec.name: stage_cfg for spec, stage_cfg in plan}
    rm_cfg = general_rm_stage(eval_cfg.general, plan)
    rm_marker = Path(rm_cfg.paths.run_dir) / MARKER
    for row in rows:
        if "eval" not in row:
            continue
        markers = [rm_marker]
        if configs.get(row["stage"]) is not None:
            markers.append(Path(configs[row["stage"]].paths.run_dir) / MARKER)
        newest = max(markers, key=lambda m: m.stat().st_mtime)
        row["general"] = evaluate_general(
            row["model"],
            stage_output(rm_cfg),
            eval_cfg.general,
            eval_cfg,
            root / "eval" / row["stage"],
            newest,
        )
