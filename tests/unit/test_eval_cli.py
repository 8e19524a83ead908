"""r1lit-eval's config: early validation with clear messages, and full runs with the scripted backend."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from r1lit_eval.cli import CONF_DIR, EvalConfigError, dispatch, validate


def config(tmp_path: Path, *overrides: str) -> dict:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("eval", overrides=[f"output_dir={tmp_path / 'out'}", f"cache_dir={tmp_path / 'cache'}",
                                         "progress=false", "bootstrap_samples=50", *overrides])  # fmt: skip
    return OmegaConf.to_container(cfg, resolve=True)


def test_defaults_run_the_synthetic_set_on_the_tiny_model(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    validate(cfg)
    assert cfg["benchmarks"] == ["synthetic"] and cfg["model"]["name_or_path"] == "r1lit-tiny"
    assert cfg["backend"] == "hf" and cfg["model"]["device"] == "cpu"
    assert (
        cfg["benchmark"]["aime24"]["k"] == 64
        and cfg["benchmark"]["aime24"]["sampling"]["max_new_tokens"] == 32768
    )


@pytest.mark.parametrize(
    "override,message",
    [
        ("benchmarks=[aime2024]", r"unknown benchmark 'aime2024'; registered: aime24, aime25, amc23"),
        ("backend=tgi", r"backend='tgi': expected one of \['hf', 'vllm', 'scripted'\]"),
        ("mode=eval", r"mode='eval': expected one of"),
        ("sampling.top_p=1.5", r"sampling.top_p=1.5"),
        ("sampling.k=0", r"sampling.k=0"),
        ("grade_workers=0", r"grade_workers=0: expected an int >= 1 or null"),
        ("shard.index=3", r"shard.index=3: expected null or 0 <= index < shard.count=1"),
        ("report.reference_tables=[table7]", r"unknown table 'table7'"),
        ("+benchmark.aime24.loader.splt=test", r"benchmark.aime24.loader has unknown keys \['splt'\]"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, override: str, message: str) -> None:
    cfg = config(tmp_path, override, "benchmarks=[aime24]" if "benchmarks" not in override else "limit=1")
    with pytest.raises(EvalConfigError, match=message):
        validate(cfg)


def test_cli_rejects_a_bad_benchmark_fast_without_loading_a_model(tmp_path: Path) -> None:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "r1lit_eval.cli", "benchmarks=[nope]", f"output_dir={tmp_path}"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2
    assert "unknown benchmark 'nope'" in proc.stderr + proc.stdout
    assert time.perf_counter() - start < 60


def test_help_lists_only_what_eval_reads() -> None:
    proc = subprocess.run([sys.executable, "-m", "r1lit_eval.cli", "--help"], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    choices = {line.split()[0]: line for line in lines if line.startswith(("model=", "benchmarks="))}
    assert "tiny_small" in choices["model=<option>"] and "aime24, aime25" in choices["benchmarks=[<names>]"]
    for key in ("sampling:", "prompt_overflow:", "force_think:", "report:"):
        assert any(line.lstrip().startswith(key) for line in lines), key
    training = ("stage:", "trainer:", "experiment:", "data:", "reward:", "callbacks:", "logger:", "rollout:",
                "hparams_search:", "paths:")  # fmt: skip
    assert not [line for line in lines if line.startswith(training)]


def test_cli_import_is_light() -> None:
    code = "import sys, r1lit_eval.cli; print(sorted(m for m in ('torch', 'transformers', 'datasets', 'lm_eval') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout
    assert out.strip() == "[]"


def test_scripted_run_writes_samples_results_tables_then_rescore(tmp_path: Path) -> None:
    cfg = config(tmp_path, "backend=scripted", "sampling.k=2", "benchmark.synthetic.loader.n=4",
                 "+generator.scripted.script=['<answer>1</answer>','no answer']")  # fmt: skip
    validate(cfg)
    results = dispatch(cfg, [])
    out = Path(cfg["output_dir"])
    s = results["benchmarks"]["synthetic"]
    assert s["n_problems"] == 4 and s["k"] == 2 and s["unparseable_rate"] == 0.5
    assert json.loads((out / "results.json").read_text())["benchmarks"]["synthetic"]["n_samples"] == 8
    assert (out / "tables" / "paper.md").is_file() and (out / "samples" / "synthetic.jsonl").is_file()
    rescored = dispatch(cfg | {"mode": "rescore"}, [])
    assert rescored["benchmarks"]["synthetic"]["rescore"]["changed_verdicts"] == 0
    assert (out / "rescored" / "tables" / "metrics.md").is_file()
    again = dispatch(cfg, [])  # a second run is served from the cache
    assert (
        again["benchmarks"]["synthetic"]["n_generated"] == 0
        and again["benchmarks"]["synthetic"]["n_cached"] == 8
    )


def test_every_run_writes_report_html_and_compare_puts_two_runs_side_by_side(tmp_path: Path) -> None:
    runs = {}
    for label, script in (("a", "['<answer>1</answer>']"), ("b", "['no answer']")):
        cfg = config(tmp_path / label, "backend=scripted", "sampling.k=1", "benchmark.synthetic.loader.n=3",
                     f"+generator.scripted.script={script}", f"model.label={label}")  # fmt: skip
        dispatch(cfg, [])
        runs[label] = Path(cfg["output_dir"])
        page = (runs[label] / "report.html").read_text()
        assert page.startswith("<!DOCTYPE html>") and "synthetic" in page
    with pytest.raises(EvalConfigError, match=r"b=None: mode=compare needs a=DIR b=DIR"):
        validate(config(tmp_path, "mode=compare", f"a={runs['a']}"))
    cfg = config(tmp_path, "mode=compare", f"a={runs['a']}", f"b={runs['b']}")
    validate(cfg)
    dispatch(cfg, [])
    assert "synthetic" in (Path(cfg["output_dir"]) / "compare.html").read_text()


def test_cli_resumes_gc_after_start_up_and_exits_without_module_teardown(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["r1lit-eval", "backend=scripted", "sampling.k=1", "benchmark.synthetic.loader.n=2", "progress=false",
            f"output_dir={out}", f"cache_dir={tmp_path / 'cache'}", "bootstrap_samples=10"]  # fmt: skip
    code = (
        "import atexit, sys\n"
        "import gc\n"
        "atexit.register(lambda: print('atexit handler ran', gc.isenabled(), gc.get_freeze_count() > 0, flush=True))\n"
        f"sys.argv = {argv!r}\n"
        "from r1lit_eval.cli import main\n"
        "main()\n"
        "print('returned to the caller')\n"  # skipped: the process ends inside main()
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the collector paused for start-up runs again, the start-up objects frozen out of its way
    assert "atexit handler ran True True" in proc.stdout and "returned to the caller" not in proc.stdout
    assert json.loads((out / "results.json").read_text())["benchmarks"]["synthetic"]["n_samples"] == 2


def test_sharded_runs_then_merge(tmp_path: Path) -> None:
    base = ["backend=scripted", "sampling.k=2", "benchmark.synthetic.loader.n=5", "shard.count=2"]
    for i in range(2):
        dispatch(config(tmp_path, *base, f"shard.index={i}"), [])
    merged = dispatch(config(tmp_path, *base, "mode=merge"), [])
    assert merged["benchmarks"]["synthetic"]["n_problems"] == 5 and merged["merged_from"] == 2
    assert (Path(config(tmp_path)["output_dir"]) / "tables" / "paper.csv").is_file()


def test_shard_count_alone_launches_the_shard_processes_and_merges(tmp_path: Path) -> None:
    overrides = ["backend=scripted", "sampling.k=2", "benchmark.synthetic.loader.n=5", "shard.count=2",
                 f"cache_dir={tmp_path / 'cache'}", "progress=false", "bootstrap_samples=20"]  # fmt: skip
    merged = dispatch(config(tmp_path, *overrides), overrides)
    out = tmp_path / "out"
    assert merged["merged_from"] == 2 and merged["benchmarks"]["synthetic"]["n_samples"] == 10
    assert sorted(p.name for p in out.glob("results.shard-*.json")) == [
        "results.shard-0-of-2.json",
        "results.shard-1-of-2.json",
    ]
    caches = sorted(p.name for p in (tmp_path / "cache").rglob("gen-*.jsonl"))
    assert caches == ["gen-s0of2.jsonl", "gen-s1of2.jsonl"]  # each process wrote its own cache file


def test_no_harness_module_imports_lightning_or_training_code() -> None:
    code = (
        "import importlib, pkgutil, sys, r1lit_eval\n"
        "names = [m.name for m in pkgutil.walk_packages(r1lit_eval.__path__, 'r1lit_eval.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lightning', 'pytorch_lightning')"
        " or m.startswith(('r1lit.modules', 'r1lit.callbacks', 'r1lit.cli.train', 'r1lit.data'))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    count, forbidden = proc.stdout.strip().splitlines()[-2:]
    assert int(count) >= 15 and forbidden == "[]"  # every module (cli, runner, lm_eval_bridge, ...) imported
