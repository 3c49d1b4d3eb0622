"""Variants: a spec extends another and overrides parts; errors point at the file that has them."""

import textwrap

import numpy as np
import pytest

import taskspec

PARENT = textwrap.dedent("""
    task: Parent
    dt: 100
    params: {sigma: 1.0, level: 2}
    rewards: {correct: 1.0}
    observation: {fixation: 1, stimulus: 1}
    action: {fixation: 1, go: 1}
    trial:
      signal: uniform(0, level)
    periods: {fixation: 200, stimulus: 300, decision: 100}
    inputs:
      - {during: [fixation, stimulus], where: fixation, value: 1}
      - {during: stimulus, where: stimulus, value: signal, noise: sigma / sqrt(dt)}
    target:
      - {during: decision, value: go}
    outcomes:
      - {during: decision, when: action == go, reward: correct, performance: 1, end_trial: true}
""")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_child_overrides_entries_and_replaces_lists(tmp_path):
    write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", """
        task: Child
        extends: parent.yaml
        params: {sigma: 0.0}
        periods: {stimulus: 500, response: 200}
        target:
          - {during: [decision, response], value: go}
    """)
    env = taskspec.make(child)
    assert env.task_name == "Child" and env.params == {"sigma": 0.0, "level": 2}
    assert list(env.timing) == ["fixation", "stimulus", "decision", "response"]
    env.reset(seed=0)
    assert env.end_ind["stimulus"] - env.start_ind["stimulus"] == 5
    assert np.all(env.gt[env.start_ind["decision"]:] == 1)
    stim = env.ob[env.start_ind["stimulus"]:env.end_ind["stimulus"], 1]
    assert np.all(stim == stim[0])  # sigma overridden to 0: no noise


def test_null_entry_removes_the_parents_entry(tmp_path):
    write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", """
        task: Child
        extends: parent.yaml
        params: {level: ~}
        trial: {signal: "uniform(0, 1)"}
        periods: {decision: ~, response: 100}
        target:
          - {during: response, value: go}
        outcomes: []
    """)
    env = taskspec.make(child)
    assert env.params == {"sigma": 1.0} and list(env.timing) == ["fixation", "stimulus", "response"]
    bad = write(tmp_path, "bad.yaml", """
        task: Bad
        extends: parent.yaml
        periods: {decision: ~}
    """)
    with pytest.raises(taskspec.SpecError, match=r"parent.yaml:\d+:\d+: target\[0\].during: unknown period 'decision'"):
        taskspec.make(bad)


def test_errors_point_at_the_file_that_has_them(tmp_path):
    write(tmp_path, "parent.yaml", PARENT.replace("value: signal,", "value: signa,"))
    child = write(tmp_path, "child.yaml", """
        task: Child
        extends: parent.yaml
        outcomes:
          - {during: decison, when: action == go, reward: correct, end_trial: true}
    """)
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.load(child)
    lines = str(err.value).splitlines()
    assert any(line.startswith(str(tmp_path / "parent.yaml") + ":13:") and "unknown name 'signa'" in line
               for line in lines), lines
    assert any(line.startswith(str(child) + ":5:") and "unknown period 'decison'" in line for line in lines), lines


def test_bad_extends_references(tmp_path):
    cyclic = write(tmp_path, "a.yaml", "task: A\nextends: b.yaml\n")
    write(tmp_path, "b.yaml", "task: B\nextends: a.yaml\n")
    with pytest.raises(taskspec.SpecError, match="cycle"):
        taskspec.load(cyclic)
    missing = write(tmp_path, "c.yaml", "task: C\nextends: PerceptualDecisonMaking\n")
    with pytest.raises(taskspec.SpecError, match=r"c.yaml:2:\d+: extends: cannot extend .*did you mean"):
        taskspec.load(missing)


def test_bundled_reaction_time_variant():
    env = taskspec.make("PerceptualDecisionMakingRT")
    env.reset(seed=0)
    start = env.start_ind["stimulus"]
    for _ in range(start):
        env.step(0)
    _, reward, _, _, info = env.step(env.gt_now)  # answer at the first stimulus step
    assert info["new_trial"] and reward == 1.0 and info["performance"] == 1


def test_new_writes_specs_that_validate(tmp_path, capsys):
    from taskspec.cli import main

    scratch, variant = tmp_path / "Mine.yaml", tmp_path / "Slow.yaml"
    assert main(["new", "Mine", "-o", str(scratch)]) == 0
    assert main(["new", "Slow", "--from", "ReadySetGo", "-o", str(variant)]) == 0
    for path in (scratch, variant):
        text = path.read_text()
        assert text.startswith("# yaml-language-server: $schema=file://")
        assert taskspec.load(path)().task_name == path.stem
    assert "extends: ReadySetGo" in variant.read_text()
    assert main(["new", "Mine", "-o", str(scratch)]) == 2  # refuses to overwrite
    assert main(["new", "bad name", "-o", str(tmp_path / "x.yaml")]) == 2
    assert "Traceback" not in capsys.readouterr().err
