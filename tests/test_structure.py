"""The package's shape: compile time and run time apart, one door between them, no cycles.

Every import in the package (at module level or inside a function; not those only for type
checkers) is read from the source with `ast`, and checked against the layers:

    errors  <  runtime  <  compiler  <  library (the door)  <  jax, wrappers, data, tools  <  rl  <  package, cli

An import may only point at the same layer or a lower one; the runtime package imports nothing
of the compiler or the library; and the graph of modules has no cycle, not even through imports
made only for type checkers, inside a package or across packages. No module reads another
module's private names (`obj._name` where `_name` is not defined in the reading module, or
`from m import _name`): modules talk through declared interfaces (e.g. `runtime.source`).
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
    if module.startswith("taskspec.rl"):  # vector envs and RL bridges: they may build on the data tools
        return 5
    if module == "taskspec" or module.startswith(("taskspec.cli", "taskspec.__main__")):
        return 6
    return 4  # the JAX backend, wrappers, data (taskspec.data) and tools (taskspec.tools)


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports_of(module: str, typed: bool = False) -> set[str]:
    """The package's modules that `module` imports (`typed`: those only for type checkers too)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node) and not typed:
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
TYPED_GRAPH = {module: imports_of(module, typed=True) for module in MODULES if module != "taskspec"}


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


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of `graph` (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := walk(target, [*path, target])):
                return cycle
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := walk(module, [module])):
            return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, f"import cycle: {' -> '.join(cycle or [])}"


def test_no_import_cycles_even_through_type_checking_imports() -> None:
    """A module that imports another only to name its types still depends on it: e.g. runtime/trials.py
    types the env it builds from with `runtime.source.TrialMaker`, not with env.py's TrialEnv."""
    cycle = find_cycle(TYPED_GRAPH)
    assert cycle is None, f"import cycle (counting imports for type checkers): {' -> '.join(cycle or [])}"


def test_the_cycle_finder_finds_cycles_inside_a_package() -> None:
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "q": {"p.a"}}
    assert find_cycle(graph) == ["p.a", "p.b", "p.c", "p.a"]
    assert find_cycle({"p.a": {"p.b"}, "p.b": set()}) is None


# Private names of the standard library's and dependencies' own objects, read where they are meant to be.
FOREIGN_PRIVATE = {"_attributes", "_fields", "_asdict", "_replace", "_make"}


def private_names_read(source: str) -> set[str]:
    """Private names a module reads from objects that are not its own (`self`/`cls`) and does not define."""
    tree = ast.parse(source)
    defined: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
        elif isinstance(node, ast.Attribute):
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if own and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif not own and node.attr.startswith("_") and not node.attr.startswith("__"):
                read.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            read.update(a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__"))
    return read - defined - FOREIGN_PRIVATE


PRIVATE_READS = {module: private_names_read(path.read_text()) for module, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(PRIVATE_READS))
def test_no_module_reads_another_modules_private_names(module: str) -> None:
    crossing = sorted(PRIVATE_READS[module])
    assert not crossing, f"{module} reads private names of other modules: {crossing}; give them a public interface"


def test_the_private_name_check_sees_crossings() -> None:
    """Guards the check above against passing vacuously."""
    assert private_names_read("def f(env):\n    return env._judge(1)\n") == {"_judge"}
    assert private_names_read("from .dataset import _private\n") == {"_private"}
    assert private_names_read("class A:\n    def f(self, o):\n        self._x = 1\n        return o._x\n") == set()


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


def test_the_folders_show_the_architecture() -> None:
    """Only the door, the errors and the command line sit flat in the package; the rest lives in a folder
    named for its purpose (runtime, compiler, jax, wrappers, data, rl, tools, web)."""
    flat = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__", "__main__", "cli", "cli_figures", "cli_output", "errors", "library"]
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert folders == ["compiler", "data", "jax", "rl", "runtime", "tools", "web", "wrappers"]
