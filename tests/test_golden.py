"""`taskspec compile` output for every bundled task, compared with committed golden files.

Regenerate after a deliberate change of the generator with:

    python tests/test_golden.py --regenerate
"""

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


def test_generated_code_passes_ruff():
    # Line length is left out: a long spec expression becomes one long line of code.
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "E,F,W",
         "--ignore", "E501", str(GOLDEN)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compile_output_is_identical_across_hash_seeds():
    code = "import sys, taskspec; sys.stdout.write(taskspec.compile_source('ContextDecisionMaking'))"
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("0", "1", "77")}
    assert len(outputs) == 1


if __name__ == "__main__" and "--regenerate" in sys.argv:
    GOLDEN.mkdir(exist_ok=True)
    for name in taskspec.list_tasks():
        golden_path(name).write_text(taskspec.compile_source(name))
        print("wrote", golden_path(name))
