"""`check_rollout` and `taskspec validate` warn, located, when the ground-truth policy misses a reward."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import taskspec
from taskspec.cli import main

# The motivating mistake: a one-step target at `ts` after set, with ts not a whole number of steps.
ONE_STEP_GO = """\
task: OneStepGo
dt: 100
params:
  ts: {default: 250}
observation: {fixation: 1, set: 1}
action: {fixation: 1, go: 1}
periods: {fixation: 200, set: 100, decision: 1000}
inputs:
  - {during: [fixation, set], where: fixation, value: 1}
  - {during: set, where: set, value: 1}
target:
  - {during: decision, value: "go if t - start('set') == ts else fixation"}
outcomes:
  - {during: decision, when: action == go and t - start('set') == ts, reward: 1, performance: 1, end_trial: true}
  - {during: decision, when: action == go, reward: 0, end_trial: true}
"""


def test_a_target_that_never_fires_is_reported_at_the_target_and_at_the_paying_rule() -> None:
    with pytest.warns(taskspec.SpecWarning) as caught:
        problems = taskspec.check_rollout(taskspec.load_text(ONE_STEP_GO, name="go"))
    assert [(p.path, p.line) for p in problems] == [("target[0].value", 12), ("outcomes[0].when", 14)]
    assert all(p.file == "<go>" for p in problems)
    assert "never 'go' during decision" in problems[0].message and "outcomes[0]" in problems[0].message
    assert "earned no positive reward in 40 trials (seed 0)" in problems[1].message
    assert [str(w.message) for w in caught] == [str(p) for p in problems]


def test_the_same_spec_on_whole_steps_is_quiet() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert taskspec.check_rollout(taskspec.load_text(ONE_STEP_GO.replace("250", "300"))) == []


def test_a_paying_rule_the_ground_truth_never_meets_is_reported() -> None:
    spec = """\
task: LateRule
dt: 100
observation: {fixation: 1}
action: {fixation: 1, choice: 2}
trial: {side: choice(2)}
periods: {fixation: 100, decision: 300}
target:
  - {during: decision, value: "choice[side]"}
outcomes:
  - {during: decision, when: action == target and t > 5000, reward: 1, end_trial: true}
"""
    problems = taskspec.check_rollout(taskspec.load_text(spec), trials=5, warn=False)
    assert [(p.path, p.line) for p in problems] == [("outcomes[0].when", 10)]
    assert "5 trials" in problems[0].message


def test_rules_that_cannot_pay_do_not_count() -> None:
    unpaid = ONE_STEP_GO.replace("reward: 1,", "reward: -0.5 * 2,")
    assert taskspec.check_rollout(taskspec.load_text(unpaid), warn=False) == []


@pytest.mark.parametrize("trials", [0, 2.5, True])
def test_trials_must_be_a_positive_whole_number(trials) -> None:
    with pytest.raises(ValueError, match="trials must be"):
        taskspec.check_rollout("GoNogo", trials=trials)


def test_no_bundled_task_warns() -> None:
    noisy = {name: taskspec.check_rollout(name, warn=False) for name in taskspec.list_tasks()}
    assert {name: problems for name, problems in noisy.items() if problems} == {}


def test_validate_prints_the_warnings_located_and_exits_0(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "go.yaml"
    spec.write_text(ONE_STEP_GO)
    assert main(["validate", str(spec)]) == 0
    out, err = capsys.readouterr()
    assert out == f"OK: {spec}\n"
    lines = err.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["warning"] * 2
    assert lines[0].startswith(f"warning: {spec}:12:") and lines[1].startswith(f"warning: {spec}:14:")
