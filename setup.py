"""Package discovery only (metadata lives in pyproject.toml).

The evaluation harness lives in the top-level `eval/` folder but installs as `r1lit_eval`, so that no
top-level module called `eval` shadows the builtin; subpackages are found in both trees.
"""

from setuptools import find_packages, setup

eval_packages = ["r1lit_eval"] + [f"r1lit_eval.{p}" for p in find_packages("eval")]
setup(
    packages=find_packages(include=["r1lit", "r1lit.*"]) + eval_packages,
    package_dir={"r1lit_eval": "eval"},
)
