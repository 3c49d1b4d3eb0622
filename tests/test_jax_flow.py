"""The JAX backend's agent-contingent timing and trial history, step for step against NumPy's single env.

Scripted action sequences (fixation breaks, wrong answers, correct/wrong trial outcomes) are given to
both backends; the periods visited, rewards, trial ends and the staircase's level path must be equal.
The sequences are written in terms of each env's own ground truth, so the trials' random variables
(which the two generators draw differently) do not change what is compared.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import taskspec  # noqa: E402
import taskspec.jax as tj  # noqa: E402

FIXATE, RIGHT, WRONG, BREAK = "F", "R", "W", "B"


def _action(code: str, gt: int) -> int:
    """An action of a two-choice task (0 fixates, 1 and 2 choose) from a code and the step's ground truth."""
    if code == FIXATE:
        return 0
    if code == BREAK:
        return 1
    if code == RIGHT:
        return gt
    return 3 - gt if gt > 0 else 1  # WRONG: the other choice


def _numpy_trace(name: str, script: str) -> list[tuple[str, float, bool]]:
    env = taskspec.make(name)
    env.reset(seed=0)
    trace = []
    for code in script:
        _, reward, _, _, info = env.step(_action(code, int(env.gt_now)))
        trace.append((info["period"], round(reward, 4), bool(info["new_trial"])))
    return trace


def _jax_trace(name: str, script: str) -> list[tuple[str, float, bool]]:
    env = tj.make(name)
    step = jax.jit(env.step)
    _, state = env.reset(jax.random.key(0))
    trace = []
    for i, code in enumerate(script):
        action = _action(code, int(env.ground_truth(state)))
        _, state, reward, _, _, info = step(jax.random.key(i + 1), state, action)
        trace.append((env.period_names[int(info["period"])], round(float(reward), 4), bool(info["new_trial"])))
    return trace


SCRIPTS = {
    # two steps of fixation, a break (the count restarts, abort is paid), then held for 300 ms: the
    # stimulus starts; then a trial never fixated: aborted when max_wait (30 steps) runs out, where the
    # timeout rule's abort adds to the break's
    "perceptualdecisionmaking.fixationhold": "FFB" + "FFF" + "F" * 20 + "R" + "B" * 30,
    # a wrong answer: error timeout, then the iti; a right one: feedback, then the iti; a fixation break
    "perceptualdecisionmaking.feedback": "FFF" + "FW" + "F" * 20 + "FFF" + "R" + "F" * 8 + "B",
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_scripted_sequence_visits_the_periods_numpy_visits(name):
    script = SCRIPTS[name]
    expected = _numpy_trace(name, script)
    assert _jax_trace(name, script) == expected
    periods = [p for p, _, _ in expected]
    if name.endswith("fixationhold"):
        assert periods[:6] == ["fixation"] * 6 and periods[6] == "stimulus"  # the hold restarted at the break
        assert sum(end for _, _, end in expected) == 2 and expected[-1] == ("fixation", -0.2, True)
    else:
        assert periods[4:6] == ["stimulus", "error_timeout"] and "feedback" in periods and "iti" in periods
        assert expected[-1] == ("fixation", -0.1, True)


def _trials_played(backend: str, name: str, outcomes: str) -> list[dict[str, float]]:
    """Each trial's variables (session ones included) as an agent plays one trial per outcome code:
    it fixates until the ground truth asks for a choice, then answers right (R) or wrong (W)."""
    trials = []
    if backend == "numpy":
        env = taskspec.make(name)
        env.reset(seed=0)
        for outcome in outcomes:
            trials.append({k: float(np.asarray(v)) for k, v in env.trial.items()})
            while True:
                gt = int(env.gt_now)
                if env.step(_action(outcome if gt > 0 else FIXATE, gt))[4]["new_trial"]:
                    break
        return trials
    jenv = tj.make(name)
    step = jax.jit(jenv.step)
    _, state = jenv.reset(jax.random.key(0))
    key = 0
    for outcome in outcomes:
        trials.append({k: float(v) for k, v in {**state.variables, **state.session}.items()})
        while True:
            key += 1
            gt = int(jenv.ground_truth(state))
            _, state, _, _, _, info = step(jax.random.key(key), state, _action(outcome if gt > 0 else FIXATE, gt))
            if bool(info["new_trial"]):
                break
    return trials


def test_the_staircase_follows_the_outcomes_as_numpy_does():
    """2-down-1-up: the level path for a scripted sequence of correct and wrong trials is NumPy's."""
    name, outcomes = "perceptualdecisionmaking.staircase", "RRWRRRRWWRRRR"
    numpy_levels = [t["level"] for t in _trials_played("numpy", name, outcomes)]
    jax_levels = [t["level"] for t in _trials_played("jax", name, outcomes)]
    np.testing.assert_allclose(jax_levels, numpy_levels, rtol=1e-5)
    # down after two right answers, up after a wrong one
    assert numpy_levels[2] < numpy_levels[0] and numpy_levels[3] > numpy_levels[2]


def test_correction_trials_repeat_the_failed_stimulus():
    name, outcomes = "perceptualdecisionmaking.correction", "RWWRWR"
    numpy_trials, jax_trials = _trials_played("numpy", name, outcomes), _trials_played("jax", name, outcomes)
    repeats = [t["correction"] for t in numpy_trials]
    assert repeats == [0, 0, 1, 1, 0, 1] and [t["correction"] for t in jax_trials] == repeats
    for i in (2, 3, 5):  # a repeat shows the stimulus of the trial before it
        for trials in (numpy_trials, jax_trials):
            for variable in ("ground_truth", "coh"):
                assert trials[i][variable] == trials[i - 1][variable]


HISTORY_TASKS = [("perceptualdecisionmaking.curriculum", {"window": 4}), ("perceptualdecisionmaking.staircase", {})]


@pytest.mark.parametrize(("name", "params"), HISTORY_TASKS)
def test_batches_follow_the_ground_truth_outcomes_as_numpy_does(name, params):
    """Batches of trial-history tasks are what the ground-truth policy lives through: the session
    variables of a JAX batch (a scan over trials) take NumPy's values trial by trial."""
    numpy_batch = taskspec.generate_trials(name, 14, seed=0, **params)
    jax_batch = tj.generate_trials(name, jax.random.key(0), 14, **params)
    for variable in taskspec.make(name).session_variables:
        values = np.asarray(jax_batch.variables[variable])
        np.testing.assert_allclose(values, numpy_batch.variables[variable], rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(jax_batch.length), numpy_batch.length)
    if name.endswith("curriculum"):
        assert numpy_batch.variables["stage"].tolist() == [0] * 4 + [1] * 4 + [2] * 6  # blocks of 4, all right


FLOW = """
task: Flow
dt: 100
params: {pause: 0, pick: 1}
rewards: {correct: 1.0, fail: -0.5}
observation: {cue: 2, shown: 1, mark: 1}
action: {fixation: 1, choice: 2}
session:
  chose: {init: 0, next: last_choice}
  chose_at: {init: 0, next: last_choice_t}
  earned: {init: 0, next: last_reward}
  late: {init: 0, next: last_timed_out}
  done: {init: 0, next: trials_done}
  previous: {init: 0, next: last_side}
trial:
  side: pick  # fixed, so that both backends' trials agree
periods:
  cue: {duration: 500, then: end}
  gap: {duration: pause, then: show}
  show: {duration: 1000, until: "performance == 1 and t - start('show') >= 200"}
  rest: 300
inputs:
  - {during: cue, where: cue, value: "onehot(side, 2)"}
  - {during: [gap, show], where: shown, value: "2 * performance - 1"}
  - {during: rest, where: mark, value: 1}
target:
  - {during: cue, value: "choice[side]"}
outcomes:
  - {during: cue, when: action == target, reward: correct, performance: 1, goto: gap}
  - {during: cue, when: action != fixation, reward: fail, goto: show}
  - {during: rest, when: performance < 1, reward: fail}
timeout:
  - {when: performance < 1, reward: -0.25}  # counts in last_reward, in both backends
"""


class _NumpyFlow:
    def __init__(self, cls, pause):
        self.env = cls(pause=pause)
        self.env.reset(seed=0)

    def gt(self):
        return int(self.env.gt_now)

    def session(self):
        return {k: float(self.env.trial[k]) for k in self.env.session_variables}

    def step(self, i, action):
        ob, reward, _, _, info = self.env.step(action)
        return ob, reward, info["new_trial"], info["period"]


class _JaxFlow:
    def __init__(self, cls, pause):
        self.env = tj.make(cls, pause=pause)
        self.jitted = jax.jit(self.env.step)
        _, self.state = self.env.reset(jax.random.key(0))

    def gt(self):
        return int(self.env.ground_truth(self.state))

    def session(self):
        return {k: float(v) for k, v in self.state.session.items()}

    def step(self, i, action):
        ob, self.state, reward, _, _, info = self.jitted(jax.random.key(i + 1), self.state, action)
        return ob, reward, info["new_trial"], self.env.period_names[int(info["period"])]


@pytest.mark.parametrize("pause", [0, 200])
def test_a_spec_of_every_flow_feature_steps_as_numpy(pause):
    """goto into a period of no steps (it passes on to its `then`), `until` and a rule on the performance,
    a period running out into the next, `then: end`, inputs showing the performance, and every
    `last_...` name: observations, periods, rewards and session variables equal NumPy's step by step."""
    cls = taskspec.load_text(FLOW, "flow")
    script = "FR" + "F" * 6 + "W" + "F" * 13 + "FFFFF" + "R" + "F" * 5
    traces = []
    for backend in (_NumpyFlow(cls, pause), _JaxFlow(cls, pause)):
        trace: list = [backend.session()]
        for i, code in enumerate(script):
            ob, reward, ended, period = backend.step(i, _action(code, backend.gt()))
            trace.append((period, round(float(reward), 4), bool(ended), np.asarray(ob)[2:].tolist()))
            if bool(ended):
                trace.append(backend.session())
        traces.append(trace)
    assert traces[1] == traces[0]
    periods = [entry[0] for entry in traces[0] if isinstance(entry, tuple)]
    assert "gap" in periods if pause else "gap" not in periods
    sessions = [entry for entry in traces[0] if isinstance(entry, dict)]
    assert [s["done"] for s in sessions] == list(range(len(sessions)))
    if pause:
        return
    # a right answer (the trial then runs out through `rest`), a wrong one (-0.5, then -0.5 at each of the
    # 3 steps of `rest`, then -0.25 from the timeout rule as it runs out), none: what the next trial reads
    assert sessions[1]["earned"] == 1.0 and sessions[2]["earned"] == -2.25 and sessions[1]["late"] == 1.0
    assert sessions[1]["chose_at"] == 100.0 and sessions[1]["chose"] == 2.0 and sessions[2]["chose"] == 1.0
    assert sessions[3]["chose"] == -1.0 and sessions[3]["chose_at"] == -1.0  # the unanswered trial chose nothing
    assert sessions[1]["previous"] == 1.0


def test_a_batch_holds_the_rows_the_ground_truth_visits_as_numpy():
    """Rows of visited steps, front to back; start/end where visited periods lie, a skipped one at the length."""
    cls = taskspec.load_text(FLOW, "flow")
    numpy_batch = taskspec.generate_trials(cls, 3, seed=0)
    jax_batch = tj.generate_trials(cls, jax.random.key(0), 3)
    length = int(numpy_batch.length[0])
    np.testing.assert_array_equal(np.asarray(jax_batch.length), numpy_batch.length)
    np.testing.assert_array_equal(np.asarray(jax_batch.ob)[:, :length], numpy_batch.ob)
    np.testing.assert_array_equal(np.asarray(jax_batch.gt)[:, :length], numpy_batch.gt)
    np.testing.assert_array_equal(np.asarray(jax_batch.period_id)[:, :length], numpy_batch.period_id)
    assert (np.asarray(jax_batch.period_id)[:, length:] == -1).all()
    assert not np.asarray(jax_batch.mask)[:, length:].any()
    for name in numpy_batch.start:
        np.testing.assert_array_equal(np.asarray(jax_batch.start[name]), numpy_batch.start[name], err_msg=name)
        np.testing.assert_array_equal(np.asarray(jax_batch.end[name]), numpy_batch.end[name], err_msg=name)
    assert int(numpy_batch.start["gap"][0]) == length and 0 < length < tj.make(cls).max_steps
    assert numpy_batch.ob[0, 1:3, 2].tolist() == [1.0, 1.0]  # `show` displays the performance of the right answer
