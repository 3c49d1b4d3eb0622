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
        _, state, reward, _, info = step(jax.random.key(i + 1), state, action)
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


def test_the_staircase_follows_the_outcomes_as_numpy_does():
    """2-down-1-up: the level path for a scripted sequence of correct and wrong trials is NumPy's."""
    name = "perceptualdecisionmaking.staircase"
    outcomes = "RRWRRRRWWRRRR"
    levels = []
    for backend in ("numpy", "jax"):
        path = []
        if backend == "numpy":
            env = taskspec.make(name)
            env.reset(seed=0)
            for outcome in outcomes:
                path.append(env.trial["level"])
                while True:  # fixate until the decision, then answer
                    gt = int(env.gt_now)
                    _, _, _, _, info = env.step(_action(outcome if gt > 0 else FIXATE, gt))
                    if info["new_trial"]:
                        break
        else:
            jenv = tj.make(name)
            step = jax.jit(jenv.step)
            _, state = jenv.reset(jax.random.key(0))
            key = 1
            for outcome in outcomes:
                path.append(float(state.session["level"]))
                while True:
                    gt = int(jenv.ground_truth(state))
                    _, state, _, _, info = step(jax.random.key(key), state, _action(outcome if gt > 0 else FIXATE, gt))
                    key += 1
                    if bool(info["new_trial"]):
                        break
        levels.append(path)
    np.testing.assert_allclose(levels[1], levels[0], rtol=1e-5)
    assert levels[0][2] < levels[0][0] and levels[0][3] > levels[0][2]  # down after two right, up after a wrong
