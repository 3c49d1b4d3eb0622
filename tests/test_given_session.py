"""Session values given for a trial: `TrialEnv.new_trial(session={...})` and
`TrialEnv.generate(..., session={...})` use them instead of what `next` gives, for those trials
only (how taskspec.web.replay replays a logged session), and refuse anything else in the spec's terms."""

import numpy as np
import pytest

import taskspec

SPEC = """\
task: Given
dt: 100
observation: {fixation: 1}
action: {fixation: 1, go: 1}
session:
  count: {init: 0, next: count + 1}
  v: {init: "[0, 0]", next: v + 1}
trial:
  x: count * 10 + uniform(0, 1)
periods: {fixation: 100, decision: 100}
target:
  - {during: decision, value: go}
outcomes:
  - {during: decision, when: action == go, reward: 1, performance: 1, end_trial: true}
"""


@pytest.fixture()
def env():
    env = taskspec.load_text(SPEC)()
    env.reset(seed=0)
    return env


def test_new_trial_takes_the_given_session_values_for_that_trial(env):
    assert env.trial["count"] == 1  # `next` runs before the first trial
    trial = env.new_trial(session={"count": 7, "v": [3, 4]})
    assert trial["count"] == 7 and list(trial["v"]) == [3, 4]
    assert 70 <= trial["x"] < 71  # trial variables read the given values
    assert env.new_trial()["count"] == 2  # the session's own course goes on as it was


def test_the_given_values_draw_nothing_of_the_session(env):
    """Given values replace the session's own for the trial: the generator draws the trial as it would."""
    twin = taskspec.load_text(SPEC)()
    twin.reset(seed=0)
    a = env.generate(np.random.default_rng(5), 3, session={"count": 2, "v": [1, 1]})
    b = twin.generate(np.random.default_rng(5), 3)  # the twin's session is at count 1 .. 3 after reset's chunk
    assert a.variables["count"].tolist() == [2, 2, 2] and a.variables["v"].tolist() == [[1, 1]] * 3
    np.testing.assert_allclose(a.variables["x"] - 20, b.variables["x"] - 10 * b.variables["count"], rtol=0, atol=1e-9)


def test_fixed_trial_variables_and_session_values_go_together(env):
    trial = env.new_trial(session={"count": 3, "v": [0, 1]}, x=0.5)
    assert (trial["count"], trial["x"]) == (3, 0.5)


@pytest.mark.parametrize(
    ("session", "message"),
    [
        ({"count": 1}, "Given (session values given): session: give every session variable a value; missing: 'v'"),
        ({"count": 1, "v": [0, 0], "cuont": 2}, "session.cuont: unknown session variable 'cuont'"),
        ({"count": "many", "v": [0, 0]}, "session.count: expected a number or a list of numbers, got 'many'"),
        ({"count": 1, "v": [0, float("nan")]}, "session.v: expected a number or a list of numbers"),
        ([1, 2], "session: expected a mapping of names to values, got [1, 2]"),
    ],
)
def test_wrong_session_values_are_refused_in_the_spec_terms(env, session, message):
    with pytest.raises(taskspec.SpecError) as info:
        env.new_trial(session=session)
    assert message in str(info.value)


def test_a_trial_variable_named_session_is_still_fixed_by_keyword():
    text = SPEC.replace("  x: count * 10 + uniform(0, 1)", "  x: count * 10 + uniform(0, 1)\n  session: uniform(0, 1)")
    env = taskspec.load_text(text)()
    env.reset(seed=0)
    assert env.new_trial(session=0.25)["session"] == 0.25


def test_an_agent_contingent_task_takes_given_session_values():
    """perceptualdecisionmaking.staircase reads the last trial's outcome: trials one at a time."""
    env = taskspec.make("perceptualdecisionmaking.staircase")
    env.reset(seed=0)
    trial = env.new_trial(session={"level": 6.4, "streak": 2})
    assert (trial["level"], trial["streak"], trial["coh"]) == (6.4, 2, 6.4)
    batch = env.generate(np.random.default_rng(0), 2, session={"level": 12.8, "streak": 0})
    assert batch.variables["level"].tolist() == [12.8, 12.8]
