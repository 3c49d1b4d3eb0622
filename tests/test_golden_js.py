"""The browser backend's output for a few tasks, pinned: a change to codegen_js.py or its template shows
here as a diff. Regenerate (after checking the diff) with:

    python tests/test_golden_js.py --regenerate
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import pytest

from taskspec.web import task_script

GOLDEN = Path(__file__).parent / "golden_js"
TASKS = ["PerceptualDecisionMaking", "perceptualdecisionmaking.fixationhold", "perceptualdecisionmaking.staircase"]


def golden_path(task: str) -> Path:
    return GOLDEN / f"{task}.js"


@pytest.mark.parametrize("task", TASKS)
def test_generated_javascript_matches_its_golden(task: str) -> None:
    made, pinned = task_script(task), golden_path(task).read_text(encoding="utf-8")
    if made != pinned:
        diff = "".join(difflib.unified_diff(pinned.splitlines(True), made.splitlines(True), "golden", "generated"))
        raise AssertionError(f"{diff}\nIf intended, run: python tests/test_golden_js.py --regenerate")


def test_no_stale_goldens() -> None:
    assert {p.name for p in GOLDEN.glob("*.js")} == {golden_path(t).name for t in TASKS}, "stale goldens"


if __name__ == "__main__" and sys.argv[1:] == ["--regenerate"]:
    for name in TASKS:
        golden_path(name).write_text(task_script(name), encoding="utf-8")
