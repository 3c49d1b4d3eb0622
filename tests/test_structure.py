"""The package's shape: compile time and run time apart, one door between them, no cycles.

Every import in the package (at module level or inside a function; not those only for type
checkers) is read from the source with `ast`, and checked against the layers:

    errors  <  runtime  <  compiler  <  library (the door)  <  everything above  <  cli

An import may only point at the same layer or a lower one; the runtime package imports nothing
of the compiler or the library; and the graph of modules has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "taskspec"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def layer(module: str) -> int:
    if module == "taskspec.errors":
        return 0
    if module.startswith("taskspec.runtime"):
        return 1
    if module.startswith("taskspec.compiler"):
        return 2
    if module == "taskspec.library":
        return 3
    if module in ("taskspec.cli", "taskspec.cli_figures", "taskspec.__main__"):
        return 5
    return 4


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports_of(module: str) -> set[str]:
    """The package's modules that `module` imports."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import functions` imports a module
                if f"{target}.{alias.name}" in MODULES:
                    found.add(f"{target}.{alias.name}")
                elif target in MODULES:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    found.discard(module)
    found.discard("taskspec")  # the public facade, which imports everything; its version string is read lazily
    return found


GRAPH = {module: imports_of(module) for module in MODULES if module != "taskspec"}


def test_the_runtime_imports_nothing_of_the_compiler_or_the_library() -> None:
    offending = {m: sorted(i for i in imports if layer(i) > 1)
                 for m, imports in GRAPH.items() if m.startswith("taskspec.runtime")}
    assert not any(offending.values()), offending


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_upward_import(module: str) -> None:
    upward = sorted(i for i in GRAPH[module] if layer(i) > layer(module))
    assert not upward, f"{module} (layer {layer(module)}) imports {upward}"


def test_the_library_is_the_only_door_between_compiler_and_everything_above() -> None:
    """Above the library, nothing reaches into the compiler except the CLI's schema and --set parsing
    and the generated reference; everything else goes through the library."""
    allowed = {"taskspec.cli", "taskspec.library"}
    reaching = sorted(m for m, imports in GRAPH.items() if layer(m) >= 3 and m not in allowed
                      and any(i.startswith("taskspec.compiler") for i in imports))
    assert not reaching, reaching


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                walk(target, [*path, target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            walk(module, [module])


def test_the_checks_see_real_imports() -> None:
    """Guards the checks above against passing vacuously."""
    assert "taskspec.runtime.env" in GRAPH["taskspec.library"] or "taskspec.runtime" in GRAPH["taskspec.library"]
    assert "taskspec.compiler.codegen" in GRAPH["taskspec.library"]
    assert "taskspec.runtime.functions" in GRAPH["taskspec.runtime.env"]
    assert layer("taskspec.compiler.lower") == 2 and len(GRAPH) > 30


def test_the_package_is_formatted_with_the_project_formatter() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", "--no-cache", str(PACKAGE)],
                            capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr + "\nformat with: ruff format taskspec"
