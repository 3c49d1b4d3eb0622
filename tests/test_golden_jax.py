"""The JAX backend's generated source for every bundled task it runs, compared with committed goldens.

Regenerate after a deliberate change of the JAX generator (taskspec/compiler/codegen_jax.py) with:

    python tests/test_golden_jax.py --regenerate
"""

from __future__ import annotations

import ast
import difflib
import functools
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TASKS

import taskspec
from taskspec import SpecError
from taskspec.library import jax_source

GOLDEN = Path(__file__).resolve().parent / "golden_jax"


def golden_path(task: str) -> Path:
    return GOLDEN / f"{task.replace('.', '_')}.py"


@functools.cache
def jax_module(task: str, formatted: bool = True) -> str | None:
    """The JAX functions' source of a task, or None when the JAX backend refuses the task."""
    try:
        return jax_source(taskspec.load(task), formatted=formatted)[1]
    except SpecError:
        return None


RUN_ON_JAX = [task for task in TASKS if golden_path(task).exists()]
# Formatting runs ruff twice per module (before and after the location table): the text of every
# golden is compared on a sample, and every golden is checked to hold the program generated now.
EXACT = ("PerceptualDecisionMaking", "DawTwoStep", "ReadySetGo", "GoNogo", "perceptualdecisionmaking.correction",
         "yang19.dms", "modcog.dlydm1intr", "HierarchicalReasoning", "Reaching1D", "DualDelayMatchSample")  # fmt: skip


def test_every_task_the_jax_backend_runs_has_a_golden_and_no_other() -> None:
    runs = {task for task in TASKS if jax_module(task, formatted=False) is not None}
    assert runs == set(RUN_ON_JAX), "run: python tests/test_golden_jax.py --regenerate"
    assert len(RUN_ON_JAX) > 30
    names = {golden_path(task).name for task in RUN_ON_JAX}
    assert {p.name for p in GOLDEN.glob("*.py")} == names, "stale goldens: regenerate them"


@pytest.mark.parametrize("task", EXACT)
def test_jax_source_matches_golden(task: str) -> None:
    expected, got = golden_path(task).read_text(), jax_module(task)
    if got != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), (got or "").splitlines(True), "golden", "new"))
        raise AssertionError(f"{diff}\nIf intended, run: python tests/test_golden_jax.py --regenerate")


def test_jax_goldens_pass_ruff_and_are_formatted() -> None:
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--line-length", "120", "--select",
         "E,F,W,I,B,UP,A,S", str(GOLDEN)], capture_output=True, text=True)  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr
    layout = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--isolated", "--line-length", "120", "--check",
         str(GOLDEN)], capture_output=True, text=True)  # fmt: skip
    assert layout.returncode == 0, layout.stdout + layout.stderr


def _statements(function: ast.FunctionDef) -> list[ast.stmt]:
    """The statements that do work: not binding a name from a dict, not returning an argument unchanged."""
    arguments = {a.arg for a in function.args.args}
    work = []
    for node in function.body:
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and node.value.id in arguments:
            continue
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Subscript, ast.Constant, ast.Dict)):
            continue
        work.append(node)
    return work


@pytest.mark.parametrize("task", RUN_ON_JAX)
def test_no_empty_functions_and_a_true_location_table(task: str) -> None:
    """Every function does something of the spec's; each table row's line starts a statement that
    carries its mark, and rows are in line order (errors are found by bisecting them)."""
    source = golden_path(task).read_text()
    tree = ast.parse(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert functions and all(_statements(f) for f in functions), [f.name for f in functions if not _statements(f)]
    table = ast.literal_eval(tree.body[-1].value)  # type: ignore[attr-defined]
    assert table and [row[0] for row in table] == sorted(row[0] for row in table)
    starts = {n.lineno: n for n in ast.walk(tree) if isinstance(n, ast.stmt) and not isinstance(n, ast.FunctionDef)}
    lines = source.splitlines()
    for i, (line, path, file, spec_line, col) in enumerate(table):
        statement = starts[line]
        text = "\n".join(lines[statement.lineno - 1 : statement.end_lineno])
        assert text.endswith(f"# see _SPEC_LOCATIONS[{i}]"), (task, i, text)
        assert file.startswith("tasks/") and spec_line > 0 and col > 0 and path


def _program(source: str) -> tuple[str, list[tuple[object, ...]]]:
    """A module's code without layout, and its location table without the generated line numbers."""
    tree = ast.parse(source)
    table = ast.literal_eval(tree.body[-1].value)  # type: ignore[attr-defined]
    return ast.dump(ast.Module(tree.body[:-1], [])), [row[1:] for row in table]


@pytest.mark.parametrize("task", RUN_ON_JAX)
def test_every_golden_holds_the_program_generated_now(task: str) -> None:
    """The module exec'd at load time (unformatted) is the golden's program, laid out differently."""
    raw = jax_module(task, formatted=False)
    assert raw is not None
    assert _program(raw) == _program(golden_path(task).read_text()), "run: python tests/test_golden_jax.py --regenerate"


def test_formatting_changes_layout_only() -> None:
    for task in EXACT[:3]:
        raw, formatted = jax_module(task, formatted=False), jax_module(task)
        assert raw is not None and formatted is not None and raw != formatted
        assert _program(raw) == _program(formatted)


if __name__ == "__main__" and "--regenerate" in sys.argv:
    GOLDEN.mkdir(exist_ok=True)
    for old in GOLDEN.glob("*.py"):
        old.unlink()
    for name in TASKS:
        module = jax_module(name)
        if module is not None:
            golden_path(name).write_text(module)
            print("wrote", golden_path(name))
