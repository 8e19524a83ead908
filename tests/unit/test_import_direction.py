"""Dependencies run one way: checked by parsing every import of `r1lit/` and `eval/` (`r1lit_eval`) with `ast`.

Function-level imports count as much as module-level ones (a lazy import hides a cycle, it does not
remove it), and so does an `__init__.py` re-export. Only imports under `if TYPE_CHECKING:` are left
out: they never run. Checked (docs/DESIGN.md, "Layout and dependency direction"):
- `r1lit` never imports `r1lit_eval`;
- grading/rollout/algos/rewards/tasks never import Lightning, directly or through other r1lit modules;
- r1lit's own modules form no import cycle (each strongly connected component is named with its members).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"r1lit": ROOT / "r1lit", "r1lit_eval": ROOT / "eval"}  # import name -> folder (setup.py)
PURE = ("r1lit.grading", "r1lit.rollout", "r1lit.algos", "r1lit.rewards", "r1lit.tasks")
LIGHTNING = ("lightning", "pytorch_lightning")
# Cycles whose fix belongs to a file another engineer is changing now (issue 15, section 1): each entry
# its sorted members, with the owner in a comment. A listed cycle must be exactly what the graph holds,
# so a fixed one fails until its entry is removed. Empty: the four cycles found (cli.train <-> pipeline,
# models <-> tiny.build/twins, tasks synthetic/bigarith/checks, tiny corpus <-> corpus_reflect) are cut.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def module_name(path: Path) -> str:
    for package, folder in PACKAGES.items():
        if path.is_relative_to(folder):
            parts = (package, *path.relative_to(folder).with_suffix("").parts)
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    raise ValueError(path)


@cache
def modules() -> dict[str, Path]:
    """Every module of both packages: dotted name -> file."""
    files = (p for folder in PACKAGES.values() for p in folder.rglob("*.py"))
    return {module_name(p): p for p in files if "__pycache__" not in p.parts}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(nodes: Iterator[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth, except under `if TYPE_CHECKING:` (its `else:` counts)."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node):
            yield from _import_nodes(iter(node.orelse))
        else:
            yield from _import_nodes(ast.iter_child_nodes(node))


def imported_names(name: str) -> set[str]:
    """The dotted names module `name` imports; `from pkg import sub` names `pkg.sub` when that is a module."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(iter([ast.parse(path.read_text(encoding="utf-8"), str(path))])):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:  # relative: `from . import x`, `from ..y import z`
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            found.add(sub if sub in modules() else base)
    return found


def own(name: str) -> str | None:
    """The module of ours that importing `name` runs last (`r1lit.x.y` -> itself, or its package), or None."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@cache
def graph() -> dict[str, frozenset[str]]:
    """module -> the modules of ours it imports."""
    return {m: frozenset(filter(None, map(own, imported_names(m)))) - {m} for m in modules()}


def reachable(edges: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """`start` and every module it imports, directly or through others."""
    seen, todo = {start}, [start]
    while todo:
        for child in edges[todo.pop()]:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def cycles(edges: Mapping[str, Iterable[str]]) -> set[tuple[str, ...]]:
    """Strongly connected components with more than one module (each reaches every other), sorted."""
    reach = {m: reachable(edges, m) for m in edges}
    components = {tuple(sorted(n for n in reach[m] if m in reach[n])) for m in edges}
    return {c for c in components if len(c) > 1}


def path_to(start: str, wanted: str) -> list[str] | None:
    """A shortest import chain from module `start` to a module that imports `wanted` itself, or None."""
    seen, queue = {start: [start]}, [start]
    for node in queue:
        if any(n == wanted or n.startswith(wanted + ".") for n in imported_names(node)):
            return [*seen[node], wanted]
        for child in sorted(graph()[node] - seen.keys()):
            seen[child] = [*seen[node], child]
            queue.append(child)
    return None


def test_the_scan_sees_lazy_imports_and_both_packages() -> None:
    # guards against a scan that finds nothing: these edges exist today, one of them inside a function
    assert "r1lit.tiny.build" in graph()["r1lit.models"]  # resolve_model_path imports it lazily
    assert "r1lit.models" in graph()["r1lit_eval.cli"]
    assert "lightning" in imported_names("r1lit.modules.sft")


def test_cycles_are_found_with_all_their_members() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a"}, "f": {"g"}, "g": {"f"}}
    assert cycles(edges) == {("a", "b", "c"), ("f", "g")}


def test_r1lit_never_imports_the_harness() -> None:
    bad = {m: sorted(n for n in imported_names(m) if n.split(".")[0] == "r1lit_eval") for m in modules()}
    assert {m: n for m, n in bad.items() if n and m.startswith("r1lit.")} == {}


def test_only_the_entry_points_import_the_cli() -> None:
    # r1lit/cli sits on top: stages, modules and the harness are what it calls, never what calls it
    users = {
        m
        for m, deps in graph().items()
        if not in_package(m, "r1lit.cli") and any(in_package(d, "r1lit.cli") for d in deps)
    }
    assert users == set()


def test_pure_packages_never_reach_lightning() -> None:
    pure = [m for m in modules() if any(in_package(m, p) for p in PURE)]
    assert pure
    chains = {m: chain for m in pure for lib in LIGHTNING if (chain := path_to(m, lib))}
    assert chains == {}, "\n".join(" -> ".join(c) for c in chains.values())


def test_no_import_cycles() -> None:
    found = cycles(graph())
    assert found - KNOWN_CYCLES == set(), "\n".join(" <-> ".join(c) for c in sorted(found - KNOWN_CYCLES))
    assert KNOWN_CYCLES - found == set(), "fixed: remove these from KNOWN_CYCLES"
