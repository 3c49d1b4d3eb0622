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
"""


@pytest.mark.parametrize("backend", [_vector, _jax])
def test_the_period_a_trial_ended_in_is_known_in_every_backend(tmp_path, backend):
    path = tmp_path / "ended.yaml"
    path.write_text(ENDED)
    script = "RPRWPPR"  # P breaks fixation at once: the trial ends in `fixation`
    trace, sessions = _single(str(path), script, {})
    assert [s["decided"] for s in sessions] == [0, 1, 0, 1, 1, 0, 0]
    assert [s["where_ended"] for s in sessions][:3] == [-1, 3, 0]  # fixation, stimulus, delay, decision
    other_trace, other_sessions = backend(str(path), script, {})
    assert other_trace == trace and other_sessions == sessions


def test_a_variable_cannot_shadow_the_finished_trials_own_values():
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(BASE + '  period: {first: 0, next: "1"}\n')
    assert "'period': 'last_period' already names a value of the finished trial; rename it" in str(info.value)
