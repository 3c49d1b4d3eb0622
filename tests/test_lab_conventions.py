"""Lab conventions: a fixation break that ends the trial, `taskspec new -o` naming its own file
and schema, and `taskspec run` saying what its columns mean."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import taskspec
from taskspec.cli import RUN_COLUMNS, main
from taskspec.rl.vector import make_vector

SPEC = """
task: t
dt: 100
rewards: {abort: -0.1, correct: 1.0, fail: -1.0}
observation: {fixation: 1, stimulus: 2}
action: {fixation: 1, choice: 2}
trial: {ground_truth: choice(2)}
periods: {fixation: 300, decision: 200}
inputs: [{during: fixation, where: fixation, value: 1}]
target: [{during: decision, value: "choice[ground_truth]"}]
"""
ROOT = Path(__file__).resolve().parent.parent


def _break_at_second_step(env) -> list[tuple[str, float, bool]]:
    env.reset(seed=0)
    return [(info["period"], reward, info["new_trial"]) for _, reward, _, _, info in (env.step(a) for a in (0, 1, 0))]


def test_a_fixation_break_ends_the_trial_when_asked():
    ending = taskspec.make(spec_text=SPEC + "response: {during: decision, hold: fixation, abort_ends_trial: true}\n")
    going_on = taskspec.make(spec_text=SPEC + "response: {during: decision, hold: fixation}\n")
    ended = _break_at_second_step(ending)
    assert ended[:2] == [("fixation", 0.0, False), ("fixation", -0.1, True)]
    assert ended[2][0] == "fixation" and ending.t_ind == 1  # the next trial began at the break
    assert _break_at_second_step(going_on) == [
        ("fixation", 0.0, False),
        ("fixation", -0.1, False),
        ("fixation", 0.0, False),
    ]


def test_the_vector_env_ends_it_too(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(SPEC + "response: {during: decision, hold: fixation, abort_ends_trial: true}\n")
    vec = make_vector(path, num_envs=2)
    vec.reset(seed=0)
    vec.step(np.array([0, 0]))
    _, reward, _, _, info = vec.step(np.array([1, 0]))
    assert info["new_trial"].tolist() == [True, False] and reward.tolist() == [-0.1, 0.0]
    assert info["performance"][0] == 0


def _schema_line(path: Path) -> str:
    return path.read_text().splitlines()[0]


def test_new_names_the_output_file_and_its_schema(tmp_path, capsys):
    outside = tmp_path / "lab" / "mine.yaml"
    outside.parent.mkdir()
    assert main(["new", "Mine", "-o", str(outside)]) == 0
    text = outside.read_text()
    assert f"taskspec run {outside}" in text and "Mine.yaml" not in text
    installed = (ROOT / "schemas" / "taskspec.schema.json").resolve().as_uri()
    assert _schema_line(outside) == f"# yaml-language-server: $schema={installed}"
    checkout = tmp_path / "clone"  # a taskspec checkout: pyproject.toml and schemas/ at its root
    (checkout / "schemas").mkdir(parents=True)
    (checkout / "schemas" / "taskspec.schema.json").write_text("{}")
    (checkout / "pyproject.toml").write_text("")
    inside = checkout / "tasks" / "lab" / "mine.yaml"
    inside.parent.mkdir(parents=True)
    assert main(["new", "Mine", "--from", "GoNogo", "-o", str(inside)]) == 0
    assert _schema_line(inside) == "# yaml-language-server: $schema=../../schemas/taskspec.schema.json"
    assert taskspec.load(inside).task_name == "Mine"


def test_run_explains_its_columns(capsys):
    assert main(["run", "GoNogo", "--trials", "10"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(RUN_COLUMNS.strip())
    table = out.split("policy")[1].splitlines()
    assert table[1].split()[0] == "ground_truth" and float(table[1].split()[-1]) == 1.0  # the ground truth scores 1
    for column in ("steps/trial", "reward/trial", "performance:"):
        assert column in RUN_COLUMNS
