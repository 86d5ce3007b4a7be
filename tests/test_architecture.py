"""The package's shape: imports run one way (no cycles, lazy imports inside functions included), no
module reaches into another's private names, and no module outside the task registry branches on a
task's name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "kerasdl"
TASK_NAMES = ("binary", "multiclass", "regression", "reconstruction", "tagging", "generation")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" or (
        isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path) -> set[str]:
    """Every kerasdl module `name` imports at run time: at the top, inside functions, relative ones;
    `from pkg import sub` counts as an import of pkg.sub when that is a module, and of pkg (its
    __init__) when it takes a name pkg defines. Imports only made
    for type checkers (`if TYPE_CHECKING:`) do not run and do not count."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            modules = {f"{base}.{alias.name}" for alias in node.names} & set(MODULES)
            found.update(modules)
            if len(modules) < len(node.names):  # a name defined by the package itself, not a submodule
                found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_kerasdl_has_no_import_cycles():
    assert len(GRAPH) > 40  # the walk saw the package
    assert _cycles(GRAPH) == []


def test_harness_imports_run_one_way():
    assert "kerasdl.harness.spec" in GRAPH["kerasdl.harness.fold"]
    assert "kerasdl.harness.fold" in GRAPH["kerasdl.harness.run"]
    assert not GRAPH["kerasdl.harness.spec"] & {"kerasdl.harness.fold", "kerasdl.harness.run"}
    assert "kerasdl.harness.run" not in GRAPH["kerasdl.harness.fold"]


def _private_uses(name: str, path: Path) -> list[str]:
    """`from kerasdl.other import _private` and `other_module._private` across packages."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.rpartition(".")[0] if path.name != "__init__.py" else name
    aliases: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kerasdl") and not node.level:
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if target in MODULES:
                    aliases[alias.asname or alias.name] = target
                elif alias.name.startswith("_") and not node.module.startswith(package):
                    found.append(f"{name}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("kerasdl") and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name) and node.value.id in aliases
                and not aliases[node.value.id].startswith(package)):
            found.append(f"{name}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_packages_private_names():
    found = [use for name, path in MODULES.items() for use in _private_uses(name, path)]
    assert found == []


_TASK_BRANCH = re.compile(r"""(==|!=|\bin\b|\bnot in\b)\s*[(\[{]?\s*["'](%s)["']|["'](%s)["']\s*(==|!=)"""
                          % ("|".join(TASK_NAMES), "|".join(TASK_NAMES)))


_SCANNED = sorted(p for folder in ("kerasdl", "experiments", "tuning", "benchmarks")
                  for p in (ROOT.parent / folder).rglob("*") if p.suffix in (".py", ".j2"))


@pytest.mark.parametrize("path", _SCANNED, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_no_task_name_branches_outside_the_task_registry(path):
    if path.is_relative_to(ROOT / "tasks"):
        return
    branches = [f"{path.name}:{number}: {line.strip()}"
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                if _TASK_BRANCH.search(line)]
    assert branches == []


def test_the_task_branch_pattern_sees_the_usual_spellings():
    for line in ('if task == "binary":', "{% if task in ('binary', 'multiclass') %}", 'if "regression" != task:',
                 'ok = dataset.task not in ("tagging",)'):
        assert _TASK_BRANCH.search(line), line
    assert not _TASK_BRANCH.search('tasks.get("binary").headline')
