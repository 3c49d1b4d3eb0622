"""The README's commands and examples stay true."""

import re
from pathlib import Path

import taskspec

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"^python3 -m venv .*$", README, flags=re.M)
    assert len(commands) == 2
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_annotated_spec_matches_the_bundled_task():
    spec = (ROOT / "tasks" / "PerceptualDecisionMaking.yaml").read_text()
    for key_line in re.findall(r"^(?:  - |)(\{during.*\})$", README, flags=re.M):
        assert key_line in spec


def test_readme_tag_example():
    assert taskspec.list_tasks(tag="blocks") == ["HierarchicalReasoning", "perceptualdecisionmaking.ibl20"]
