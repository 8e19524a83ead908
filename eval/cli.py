"""`r1lit-eval`: the Hydra entry point of the harness (config: conf/eval.yaml). The only code touching DictConfig.

Modes: `run` (generate, grade, write samples / results / tables / report.html), `merge` (combine
data-parallel shards), `rescore` (regrade saved generations with the current grader; no model), `compare`
(two eval folders side by side in compare.html).
The config is validated before anything heavy is imported; torch, transformers and the datasets are
imported only once a run actually needs them, so `r1lit-eval --help` and config errors are instant.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf
from r1lit_eval.process import (
    cache_transformers_imports,
    end_start_up,
    exit_without_teardown,
    start_up_without_gc,
)

from r1lit.models import DTYPES  # no torch at import: config errors stay instant

log = logging.getLogger("r1lit_eval")
CONF_DIR = str(Path(__file__).resolve().parents[1] / "conf")
MODES = ("run", "merge", "rescore", "compare")
BACKENDS = ("hf", "vllm", "scripted")


def group_options(group: str) -> str:
    """The options of config group `group` ("a, b, c"): `--help` lists the groups eval reads, no others."""
    return ", ".join(sorted(p.stem for p in (Path(CONF_DIR) / group).glob("*.yaml")))


# conf/eval.yaml's help template names eval's groups through this resolver (conf/ also holds training's)
OmegaConf.register_new_resolver("r1lit_eval_options", group_options, replace=True)


class EvalConfigError(ValueError):
    """A bad config value, reported with its key and the allowed values."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise EvalConfigError(message)


def validate(cfg: dict[str, Any]) -> None:
    """Check every value a run depends on; raise `EvalConfigError` naming the key on the first problem."""
    from r1lit_eval.benchmarks import registry

    _require(cfg["mode"] in MODES, f"mode={cfg['mode']!r}: expected one of {list(MODES)}")
    if cfg["mode"] == "compare":  # two finished eval folders, no model and no benchmark data
        for key in ("a", "b"):
            folder = cfg.get(key)
            _require(
                folder is not None and (Path(folder) / "samples").is_dir(),
                f"{key}={folder!r}: mode=compare needs a=DIR b=DIR, two r1lit-eval output folders (with samples/)",
            )
        return
    _require(cfg["backend"] in BACKENDS, f"backend={cfg['backend']!r}: expected one of {list(BACKENDS)}")
    _require(
        cfg["model"].get("dtype") in DTYPES,
        f"model.dtype={cfg['model'].get('dtype')!r}: expected one of {list(DTYPES)}",
    )
    names = cfg["benchmarks"]
    _require(
        isinstance(names, list) and len(names) > 0,
        f"benchmarks={names!r}: give a non-empty list, e.g. benchmarks=[synthetic]",
    )
    for name in names:
        if name not in registry.BENCHMARKS:
            raise EvalConfigError(
                f"benchmarks: unknown benchmark {name!r}; registered: {', '.join(registry.available())}"
            )
        _require(name in cfg["benchmark"], f"benchmarks: {name!r} has no config (conf/benchmark/{name}.yaml)")
        try:
            registry.check_loader(name, cfg["benchmark"][name]["loader"])
        except ValueError as err:
            raise EvalConfigError(str(err)) from err
    for name in names:  # every typed rule (SamplingParams, RunOptions) under its config key
        check_options(cfg, name)
    if cfg["mode"] == "run" and cfg["backend"] != "scripted":
        from r1lit.model_source import check_model_source

        try:
            check_model_source(cfg["model"]["name_or_path"], "model.name_or_path")
        except ValueError as err:
            raise EvalConfigError(str(err)) from err
        from r1lit.chat_template import check_eval_config

        check_eval_config(cfg, error=EvalConfigError)  # chat prompts need a model with a chat template
    from r1lit_eval.report import load_golden

    tables = load_golden()["tables"]
    for name in cfg["report"]["reference_tables"]:
        _require(
            name in tables,
            f"report.reference_tables: unknown table {name!r}; expected some of {sorted(tables)}",
        )


def config_key(cfg: dict[str, Any], name: str, owner: str, field: str) -> str:
    """The config key a `SamplingParams` / `RunOptions` field of benchmark `name` was filled from."""
    over = cfg["sampling"]
    if owner == "SamplingParams" and field in ("temperature", "top_p", "max_new_tokens"):
        return f"sampling.{field}" if over.get(field) is not None else f"benchmark.{name}.sampling.{field}"
    if field == "k":
        return "sampling.k" if over.get("k") is not None else f"benchmark.{name}.k"
    keys = {
        "shard_index": "shard.index",
        "shard_count": "shard.count",
        "response_prefix": "force_think",
        "top_k": "sampling.top_k",
        "prompt_overflow": "sampling.prompt_overflow",
    }
    return keys.get(field, field)


def check_options(cfg: dict[str, Any], name: str) -> None:
    """Build benchmark `name`'s RunOptions (no model, no data); a bad value fails naming its config key."""
    from r1lit.rollout.fields import FieldError

    try:
        benchmark_options(cfg, name, cfg["shard"]["index"] or 0)
    except FieldError as err:
        key = config_key(cfg, name, err.owner, err.field)
        raise EvalConfigError(f"{key}={err.value!r}: expected {err.allowed}") from err


# ---------------------------------------------------------------- models and generators


def load_model(model_cfg: dict[str, Any], backend: str) -> tuple[Any, Any, dict[str, Any]]:
    """(model, tokenizer, identity) for the backend; identity keys the generation cache and the results."""
    from r1lit_eval.cache import model_fingerprint

    from r1lit.models import load_tokenizer
    from r1lit.run_models import is_lightning_checkpoint, load_model_and_tokenizer, resolve_model_source

    name, revision = str(model_cfg["name_or_path"]), model_cfg.get("revision")
    identity = {
        "name_or_path": name,
        "revision": revision,
        "dtype": model_cfg["dtype"],
        "device": model_cfg["device"],
        "label": model_cfg.get("label") or Path(name.rstrip("/")).name,
        "backend": backend,
    }
    if backend == "scripted":
        return None, None, identity | {"resolved": None, "fingerprint": "scripted"}
    path = resolve_model_source(name)  # a run folder or .ckpt resolves as in every other command
    identity |= {"resolved": path, "fingerprint": model_fingerprint(path)}
    if backend == "vllm":  # vLLM loads the weights itself; the tokenizer renders forced-prefix prompts
        if is_lightning_checkpoint(path):
            raise EvalConfigError(
                f"backend=vllm needs an HF model folder, not {path}; use backend=hf for .ckpt"
            )
        return path, load_tokenizer(path, revision), identity
    model, tokenizer = load_model_and_tokenizer(path, revision, model_cfg["dtype"], model_cfg["device"])
    return model, tokenizer, identity


def benchmark_options(cfg: dict[str, Any], name: str, shard_index: int) -> Any:
    """RunOptions for one benchmark: its YAML protocol, with the non-null `sampling.*` overrides applied."""
    from r1lit_eval.runner import RunOptions

    from r1lit.rollout.base import SamplingParams

    bench, over = cfg["benchmark"][name], cfg["sampling"]

    def pick(key: str) -> Any:
        return over[key] if over.get(key) is not None else bench["sampling"][key]

    params = SamplingParams(
        temperature=pick("temperature"),
        top_p=pick("top_p"),
        top_k=over["top_k"],
        max_new_tokens=pick("max_new_tokens"),
        seed=cfg["seed"],
        prompt_overflow=over["prompt_overflow"],
    )
    return RunOptions(
        k=over["k"] if over["k"] is not None else bench["k"],
        params=params,
        batch_size=cfg["batch_size"],
        response_prefix="<think>\n" if cfg["force_think"] else "",
        limit=cfg["limit"],
        shard_index=shard_index,
        shard_count=cfg["shard"]["count"],
        progress=cfg["progress"],
        bootstrap_samples=cfg["bootstrap_samples"],
        seed=cfg["seed"],
        grade_workers=(os.cpu_count() or 1) if cfg["grade_workers"] is None else cfg["grade_workers"],
    )


# ---------------------------------------------------------------- modes


def load_benchmarks(cfg: dict[str, Any]) -> dict[str, tuple[Any, list[Any]]]:
    """Build every selected benchmark and load its problems: {name: (benchmark, problems)}."""
    from r1lit_eval.benchmarks.registry import build_benchmark

    benches = {}
    for name in cfg["benchmarks"]:
        bcfg = cfg["benchmark"][name]
        bench = build_benchmark(name, bcfg["loader"], bcfg.get("local_file"), cfg["data_dir"])
        benches[name] = (bench, bench.load())
    return benches


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    """Evaluate every selected benchmark; returns the results dict (also written to output_dir)."""
    from r1lit_eval.cache import GenerationCache, model_cache_dir
    from r1lit_eval.runner import run_benchmark, shard_suffix

    from r1lit.evaluation.results import save_results
    from r1lit.rollout import build_generator

    start = time.perf_counter()
    out = Path(cfg["output_dir"])
    index = cfg["shard"]["index"] or 0
    suffix = shard_suffix(index, cfg["shard"]["count"])
    benches = load_benchmarks(cfg)  # bad data fails here, before the model loads
    model, tokenizer, identity = load_model(cfg["model"], cfg["backend"])
    end_start_up()
    generator = build_generator(
        cfg["backend"], model, tokenizer, **(cfg["generator"].get(cfg["backend"]) or {})
    )
    cache_dir = model_cache_dir(
        cfg["cache_dir"], identity["name_or_path"], identity["revision"], identity["fingerprint"]
    )
    cache = GenerationCache(cache_dir, writer=f"s{index}of{cfg['shard']['count']}")
    log.info(
        "model %s loaded in %.1fs; generation cache %s (%d samples)",
        identity["name_or_path"],
        time.perf_counter() - start,
        cache_dir,
        len(cache),
    )
    identity["max_context"] = getattr(generator, "max_context", None)  # caps every sample's budget
    results: dict[str, Any] = {
        "model": identity,
        "shard": [index, cfg["shard"]["count"]],
        "cache_dir": str(cache_dir),
        "config": {k: v for k, v in cfg.items() if k != "benchmark"},
        "benchmarks": {},
    }
    for name, (bench, problems) in benches.items():
        opts = benchmark_options(cfg, name, index)
        summary = run_benchmark(name, bench, generator, cache, opts, out, tokenizer, problems)
        results["benchmarks"][name] = summary | {"config": cfg["benchmark"][name]}
        save_results(results, out, suffix)
    results["wall_seconds"] = round(time.perf_counter() - start, 3)
    save_results(results, out, suffix)
    return results


def launch_shards(cfg: dict[str, Any], overrides: list[str]) -> None:
    """Run `shard.count` copies of this command (shard.index=0..n-1) in parallel, then merge them."""
    count = cfg["shard"]["count"]
    out = Path(cfg["output_dir"])
    device = str(cfg["model"]["device"])
    n_gpus = 0
    if device == "cuda":
        import torch

        n_gpus = torch.cuda.device_count()
    procs = []
    for i in range(count):
        extra = [f"shard.index={i}", f"output_dir={out}"] + (
            [f"model.device=cuda:{i % n_gpus}"] if n_gpus else []
        )
        env = os.environ | {"OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // count))}
        kept = [o for o in overrides if o.split("=")[0].lstrip("+") not in ("shard.index", "output_dir")]
        procs.append(subprocess.Popen([sys.executable, "-m", "r1lit_eval.cli", *kept, *extra], env=env))
    codes = [p.wait() for p in procs]
    if any(codes):
        raise RuntimeError(
            f"shard processes exited with {codes}; rerun to resume (finished samples are cached)"
        )


def report(results: dict[str, Any], cfg: dict[str, Any], out: Path) -> None:
    from r1lit_eval.html_report import write_eval_report
    from r1lit_eval.report import write_reports

    tables = write_reports(results, out, cfg["report"]["reference_tables"])
    page = write_eval_report(out, reference_tables=cfg["report"]["reference_tables"])
    log.info("results in %s\n%s\n%s\nreport: %s", out, tables["paper"], tables["metrics"], page)


def dispatch(cfg: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Run the configured mode on a validated plain-dict config."""
    if cfg["mode"] != "run":
        end_start_up()  # no model to load: collect as usual from here on
    out = Path(cfg["output_dir"])
    if cfg["mode"] == "compare":
        from r1lit_eval.html_report import write_compare_report

        log.info("comparison: %s", write_compare_report(cfg["a"], cfg["b"], out / "compare.html"))
        return {}
    if cfg["mode"] == "rescore":
        from r1lit_eval.rescore import rescore_run

        workers = cfg["grade_workers"] or os.cpu_count() or 1
        results = rescore_run(out, n_boot=cfg["bootstrap_samples"], seed=cfg["seed"], workers=workers)
        report(results, cfg, out / "rescored")
        return results
    if cfg["mode"] == "run":
        if cfg["shard"]["count"] > 1 and cfg["shard"]["index"] is None:
            launch_shards(cfg, overrides)
        else:
            results = run(cfg)
            if cfg["shard"]["count"] == 1:
                report(results, cfg, out)
            return results
    from r1lit_eval.runner import merge_shards

    results = merge_shards(out, n_boot=cfg["bootstrap_samples"], seed=cfg["seed"])
    report(results, cfg, out)
    return results


@hydra.main(config_path=CONF_DIR, config_name="eval", version_base="1.3")
def hydra_main(cfg: DictConfig) -> None:
    """The Hydra app: validate the config, then run its mode."""
    from hydra.core.hydra_config import HydraConfig

    plain = OmegaConf.to_container(cfg, resolve=True)
    try:
        validate(plain)
    except EvalConfigError as err:
        log.error("invalid config: %s", err)
        sys.exit(2)
    from r1lit.rollout.context import PromptTooLongError

    try:
        dispatch(plain, list(HydraConfig.get().overrides.task))
    except PromptTooLongError as err:  # an input problem, not a crash: say what to change, no traceback
        log.error("%s", err)
        sys.exit(2)


def main() -> None:
    """Entry point of the `r1lit-eval` console script: the Hydra app, then a fast exit."""
    start_up_without_gc()
    cache_transformers_imports()
    hydra_main()
    exit_without_teardown()


if __name__ == "__main__":
    main()
