"""History over trials in every backend: the single env, the vector env and taskspec.jax play the
same scripted trials of the stop-signal task and the sliding-window curriculum step for step
(periods, rewards, trial ends) and give their session variables the same values trial by trial.

Scripts are written in terms of each env's own ground truth, so the trials' random draws (which the
backends make differently) do not change what is compared."""

from __future__ import annotations

import numpy as np
import pytest

import taskspec
from taskspec.rl.vector import make_vector


def _action(code: str, gt: int) -> int:
    """R: the right answer where the target asks for one; W: the wrong one; H: hold (fixate) throughout;
    P: press the first choice at every step (a fixation break, then a failed stop)."""
    if code == "P":
        return 1
    if code == "H" or gt == 0:
        return 0
    return gt if code == "R" else 3 - gt


def _single(name: str, script: str, params: dict) -> tuple[list, list]:
    env = taskspec.make(name, **params)
    env.reset(seed=0)
    trace, sessions = [], []
    for code in script:
        sessions.append({k: float(np.asarray(env.trial[k])) for k in env.session_variables})
        while True:
            _, reward, _, _, info = env.step(_action(code, int(env.gt_now)))
            trace.append((info["period"], round(float(reward), 4), bool(info["new_trial"])))
            if info["new_trial"]:
                break
    return trace, sessions


def _vector(name: str, script: str, params: dict) -> tuple[list, list]:
    vec = make_vector(name, num_envs=1, **params)
    vec.reset(seed=0)
    trace, sessions = [], []
    for code in script:
        sessions.append({k: float(vec._vars[k][0]) for k in vec.env.session_variables})
        while True:
            gt = int(vec._take("gt", vec._flat_index())[0])
            _, reward, _, _, info = vec.step(np.array([_action(code, gt)]))
            trace.append((str(info["period"][0]), round(float(reward[0]), 4), bool(info["new_trial"][0])))
            if info["new_trial"][0]:
                break
    return trace, sessions


def _jax(name: str, script: str, params: dict) -> tuple[list, list]:
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    env = tj.make(name, **params)
    step = jax.jit(env.step)
    _, state = env.reset(jax.random.key(0))
    trace, sessions, key = [], [], 0
    for code in script:
        sessions.append({k: float(v) for k, v in state.session.items()})
        while True:
            key += 1
            gt = int(env.ground_truth(state))
            _, state, reward, *_, info = step(jax.random.key(key), state, _action(code, gt))
            trace.append((env.period_names[int(info["period"])], round(float(reward), 4), bool(info["new_trial"])))
            if bool(info["new_trial"]):
                break
    return trace, sessions


CASES = {
    # every trial a stop trial: holds are successful stops (SSD +50), presses failed ones (-50)
    "stopsignal": ("HHPHHHPPPHPPPPPPPHH", {"stop_prob": 1.0}),
    # a window of 4: the stage advances after 4 trials of a stage with >= 3 right, never back
    "perceptualdecisionmaking.shaping": ("RRRWRRWWRRRRWRWWWW", {"window": 4, "criterion": 0.75}),
}


@pytest.mark.parametrize("backend", [_vector, _jax])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_backend_plays_the_history_tasks_as_the_single_env(name, backend):
    script, params = CASES[name]
    trace, sessions = _single(name, script, params)
    other_trace, other_sessions = backend(name, script, params)
    assert other_trace == trace
    for ours, theirs in zip(sessions, other_sessions, strict=True):
        assert theirs == pytest.approx(ours, rel=1e-6)
    values = [s["ssd" if name == "stopsignal" else "stage"] for s in sessions]
    if name == "stopsignal":
        assert values[:4] == [250, 300, 350, 300]  # hold, hold: up twice; an answer: down
    else:
        assert values[4] == 1 and values[-1] == 2 and values == sorted(values)


def test_windows_hold_the_last_trials_newest_first(tmp_path):
    path = tmp_path / "w.yaml"
    spec = """
task: W
extends: PerceptualDecisionMaking
session:
  seen: {first: 0, next: "past_performance[0] * 100 + past_performance[1] * 10 + past_performance[2]"}
  count: {first: 0, next: window_count(3)}
  total: {first: 0, next: "window_sum(past_performance, 3)"}
"""
    path.write_text(spec)
    _, sessions = _single(str(path), "RWRRW", {})
    assert [s["seen"] for s in sessions] == [0, 100, 10, 101, 110]
    assert [s["count"] for s in sessions] == [0, 1, 2, 3, 3]
    assert [s["total"] for s in sessions] == [0, 1, 1, 2, 2]


BASE = """task: E
extends: PerceptualDecisionMaking
session:
"""


@pytest.mark.parametrize(
    ("session", "message"),
    [
        (
            '  a: {init: 0, next: "a + b"}\n  b: {init: 0, next: "b + 1"}\n',
            "session.a.next: 'b' is listed below 'a', so this pass has not updated it yet: write old(b)",
        ),
        (
            '  a: {init: 0, next: "a + 1"}\n  b: {init: 0, next: "old(a)"}\n',
            "session.b.next: 'a' is listed above 'b' and already updated in this pass",
        ),
        ('  a: {first: 0, init: 0, next: "a"}\n', "session.a: give 'init'"),
        ('  a: {next: "a"}\n', "session.a: give 'init'"),
        ('  a: {first: 0, next: "window_mean(past_performance, 501)"}\n', "a window spans 1 to 500 trials, not 501"),
        ('  a: {first: 0, next: "window_mean(last_performance, 5)"}\n', "window_mean() takes a window `past_<x>`"),
        ('  past_x: {first: 0, next: "1"}\n', "names starting with 'past_' are kept for the windows"),
    ],
)
def test_session_mistakes_are_located_sentences(session, message):
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(BASE + session)
    assert message in str(info.value)


def test_windows_and_old_are_only_for_session_updates():
    spec = BASE.replace("session:\n", "trial:\n  x: window_count(3)\n  y: old(coh)\n")
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(spec)
    text = str(info.value)
    assert "window_count() reads finished trials: it is only allowed in session variables' 'next'" in text
    assert "old() reads a session variable before its update" in text


ENDED = """task: Ended
extends: PerceptualDecisionMaking
response: {during: decision, hold: fixation, abort_ends_trial: true}
session:
  where_ended: {first: -1, next: last_period}
  decided: {first: 0, next: "ended_in('decision')"}
  which: {first: -2, next: last_rule}
  right: {first: 0, next: "ended_by('correct')"}
  broke: {first: 0, next: "ended_by('abort') or ended_by(0)"}
  before: {first: 0, next: "past_rule[1]"}
"""


@pytest.mark.parametrize("backend", [_vector, _jax])
def test_the_period_and_rule_a_trial_ended_by_are_known_in_every_backend(tmp_path, backend):
    path = tmp_path / "ended.yaml"
    path.write_text(ENDED)
    script = "RPHWRPR"  # P breaks fixation at once: the trial ends in `fixation`; H runs out in `decision`
    trace, sessions = _single(str(path), script, {})
    assert [s["decided"] for s in sessions] == [0, 1, 0, 1, 1, 1, 0]
    assert [s["where_ended"] for s in sessions] == [-1, 3, 0, 3, 3, 3, 0]  # fixation, stimulus, delay, decision
    # `response:` stands for the rules abort (0), correct (1) and fail (2); a trial that ran out: -1
    assert [s["which"] for s in sessions] == [-2, 1, 0, -1, 2, 1, 0]
    assert [s["right"] for s in sessions] == [0, 1, 0, 0, 0, 1, 0]
    assert [s["broke"] for s in sessions] == [0, 0, 1, 0, 0, 0, 1]
    assert [s["before"] for s in sessions] == [0, 0, 1, 0, -1, 2, 1]  # the window of last_rule, one further back
    other_trace, other_sessions = backend(str(path), script, {})
    assert other_trace == trace and other_sessions == sessions


def test_a_variable_cannot_shadow_the_finished_trials_own_values():
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(BASE + '  period: {first: 0, next: "1"}\n')
    assert "'period': 'last_period' already names a value of the finished trial; rename it" in str(info.value)


STOP_RULE = """task: StopRule
extends: stopsignal
session:
  which: {first: -2, next: last_rule}
"""


def test_batches_know_the_rule_that_ended_the_last_trial(tmp_path):
    """Batches play the ground-truth policy: a go trial ends by rule `correct` (index 2), a stop
    trial runs out (-1); in NumPy batches and in JAX's."""
    path = tmp_path / "stoprule.yaml"
    path.write_text(STOP_RULE)
    batches = [taskspec.generate_trials(str(path), 40, seed=0)]
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    batches.append(tj.make(str(path)).generate(jax.random.key(0), 40))
    for batch in batches:
        which, stop = np.asarray(batch.variables["which"]), np.asarray(batch.variables["stop"])
        assert which[0] == -2 and 0 < stop.mean() < 1
        assert list(which[1:]) == [-1 if s else 2 for s in stop[:-1]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("ended_by('corect')", "no outcome rule is named 'corect' (did you mean 'correct'?)"),
        ("ended_by(7)", "rule 7 does not exist: the task has 3 outcome rules, numbered from 0"),
        ("ended_by(last_rule)", "ended_by() takes the name of one outcome rule in quotes"),
    ],
)
def test_ended_by_mistakes_are_located_sentences(call, message):
    spec = ENDED.replace("ended_by('correct')", call)
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(spec)
    assert message in str(info.value) and "session.right.next" in str(info.value)


def test_ended_by_refuses_a_rule_that_never_ends_a_trial():
    spec = ENDED.replace(", abort_ends_trial: true", "")  # the abort rule lets the trial go on
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(spec)
    assert "outcome rule 'abort' never ends a trial" in str(info.value)


WINDOW_PARAM = """task: WindowParam
extends: PerceptualDecisionMaking
params:
  n_window: 50
session:
  recent: {first: 0, next: "window_mean(past_performance, n_window)"}
"""


def test_a_window_size_given_by_a_parameter_is_checked_when_the_env_is_made(tmp_path):
    path = tmp_path / "window.yaml"
    path.write_text(WINDOW_PARAM)
    env = taskspec.make(str(path), n_window=50)
    assert env.params["n_window"] == 50
    for bad in (600, 0):
        with pytest.raises(taskspec.SpecError) as info:
            taskspec.make(str(path), n_window=bad)
        where = "window.yaml:6:29: session.recent.next: cannot evaluate"
        assert f"{where}: a window spans 1 to 500 trials, not {bad}" in str(info.value)
    pytest.importorskip("jax")
    import taskspec.jax as tj

    with pytest.raises(taskspec.SpecError) as info:
        tj.make(str(path), n_window=600)
    assert "window.yaml:6:29" in str(info.value)


def test_a_window_size_cannot_follow_a_session_variable():
    spec = WINDOW_PARAM.replace("(past_performance, n_window)", "(past_performance, recent + 1)")
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(spec)
    assert "the number of trials of a window is a whole number or an expression of parameters" in str(info.value)
