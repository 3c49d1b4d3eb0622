"""`taskspec compile` output for every bundled task, compared with committed golden files.

Regenerate after a deliberate change of the generator with:

    python tests/test_golden.py --regenerate
"""

import ast
import difflib
import subprocess
import sys
from pathlib import Path

import taskspec

GOLDEN = Path(__file__).resolve().parent / "golden"


def golden_path(task: str) -> Path:
    return GOLDEN / f"{task.replace('.', '_')}.py"


def test_compile_output_matches_golden(task):
    expected = golden_path(task).read_text()
    got = taskspec.compile_source(task)
    if got != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True), "golden", "generated"))
        raise AssertionError(f"{diff}\nIf intended, run: python tests/test_golden.py --regenerate")


def test_generated_code_passes_ruff_with_the_full_rule_set():
    """Goldens are linted with the project's whole rule set and line length, and are formatted."""
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--line-length", "120", "--select",
         "E,F,W,I,B,UP,A,S", str(GOLDEN)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    layout = subprocess.run([sys.executable, "-m", "ruff", "format", "--no-cache", "--isolated", "--line-length", "120",
                             "--check", str(GOLDEN)], capture_output=True, text=True)
    assert layout.returncode == 0, layout.stdout + layout.stderr


def test_formatting_changes_layout_only():
    """The module exec'd at load time (unformatted) is the same program as the formatted one."""
    for task in ("PerceptualDecisionMaking", "DawTwoStep", "PulseDecisionMaking", "yang19.dms"):
        raw, formatted = taskspec.compile_source(task, formatted=False), taskspec.compile_source(task)
        assert raw != formatted
        raw_tree, formatted_tree = ast.parse(raw), ast.parse(formatted)
        # The same code; the location tables differ only in the generated line numbers they hold.
        assert ast.dump(ast.Module(raw_tree.body[:-1], [])) == ast.dump(ast.Module(formatted_tree.body[:-1], []))
        tables = [ast.literal_eval(tree.body[-1].value) for tree in (raw_tree, formatted_tree)]  # type: ignore[attr-defined]
        assert [row[1:] for row in tables[0]] == [row[1:] for row in tables[1]]


def test_generated_code_reads_like_written_code():
    """No leftovers of string patching: no `if True:`, `& True`, trailing `, }` or empty method bodies."""
    for path in GOLDEN.glob("*.py"):
        text = path.read_text()
        for leftover in ("if True:", "& True", ", }", "# @ ", "pass\n"):
            assert leftover not in text, (path.name, leftover)


def test_compile_output_is_identical_across_hash_seeds():
    code = "import sys, taskspec; sys.stdout.write(taskspec.compile_source('ContextDecisionMaking'))"
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("0", "1", "77")}
    assert len(outputs) == 1


if __name__ == "__main__" and "--regenerate" in sys.argv:
    from conftest import TASKS  # the tasks the golden test runs on (a sample of the Mod-Cog family)

    GOLDEN.mkdir(exist_ok=True)
    for name in TASKS:
        golden_path(name).write_text(taskspec.compile_source(name))
        print("wrote", golden_path(name))
