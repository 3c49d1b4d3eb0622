"""Durations that follow the outcome: `until: elapsed('iti') >= 500` lasts 500 ms on every dt.

The old idiom `t - start('iti') >= 500` ends the period one step late (the step where it holds
is part of the period), so it lasted 550 ms at dt = 50. The ITI is measured in steps for a
correct and a wrong trial, on every dt that divides both of its lengths, in the single env and
the vector env (step for step) and, when JAX is installed, in taskspec.jax.
"""

from __future__ import annotations

import numpy as np
import pytest

import taskspec
from taskspec.rl.vector import make_vector

SPEC = """
task: OutcomeITI
dt: {dt}
params: {{short: 500, long: 2000}}
observation: {{fixation: 1, stimulus: 2}}
action: {{fixation: 1, choice: 2}}
trial: {{ground_truth: choice(2)}}
periods:
  fixation: 100
  decision: 100
  iti: {{duration: long, until: "performance == 1 and elapsed('iti') >= short"}}
inputs:
  - {{during: [fixation, decision], where: fixation, value: 1}}
target:
  - {{during: decision, value: "choice[ground_truth]"}}
outcomes:
  - {{during: decision, when: action == target, reward: 1, performance: 1, goto: iti}}
  - {{during: decision, when: action != fixation, reward: 0, goto: iti}}
"""
DTS = [dt for dt in range(1, 501) if 500 % dt == 0 and 100 % dt == 0 and dt >= 10]


def _spec(tmp_path, dt):
    path = tmp_path / f"iti{dt}.yaml"
    path.write_text(SPEC.format(dt=dt))
    return path


def _answer(gt: int, right: bool) -> int:
    return gt if right else 3 - gt


def _iti_steps(env, right: bool) -> tuple[int, list]:
    """Steps spent in the ITI by a trial answered `right`ly at the decision's first step."""
    trace, iti = [], 0
    while True:
        gt = int(env.gt_now)
        action = _answer(gt, right) if gt > 0 else 0
        _, reward, _, _, info = env.step(action)
        trace.append((info["period"], reward, info["new_trial"]))
        iti += info["period"] == "iti"
        if info["new_trial"]:
            return iti, trace


@pytest.mark.parametrize("dt", DTS)
def test_the_iti_lasts_what_it_says_on_every_dt(tmp_path, dt):
    env = taskspec.make(_spec(tmp_path, dt))
    env.reset(seed=0)
    right, _ = _iti_steps(env, True)
    wrong, _ = _iti_steps(env, False)
    assert right * dt == 500 and wrong * dt == 2000


def test_the_old_idiom_is_one_step_longer(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(SPEC.format(dt=50).replace("elapsed('iti')", "t - start('iti')"))
    env = taskspec.make(path)
    env.reset(seed=0)
    assert _iti_steps(env, True)[0] * 50 == 550


def test_the_vector_env_runs_it_step_for_step(tmp_path):
    path = _spec(tmp_path, 50)
    single = taskspec.make(path)
    single.reset(seed=3)
    vec = make_vector(path, num_envs=1)
    vec.reset(seed=3)
    pattern = [True, False, True, True, False]
    for right in pattern:
        _, trace = _iti_steps(single, right)
        for period, reward, new in trace:
            gt = int(vec._take("gt", vec._flat_index())[0])  # the ground truth of the step being answered
            action = _answer(gt, right) if gt > 0 else 0
            _, r, _, _, info = vec.step(np.array([action]))
            assert (info["period"][0], float(r[0]), bool(info["new_trial"][0])) == (period, reward, new)


def test_jax_runs_it_step_for_step(tmp_path):
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    path = _spec(tmp_path, 50)
    single = taskspec.make(path)
    single.reset(seed=0)
    jenv = tj.make(path)
    step = jax.jit(jenv.step)
    _, state = jenv.reset(jax.random.key(0))
    key = 0
    for right in [True, False, True]:
        _, trace = _iti_steps(single, right)
        for period, reward, new in trace:
            key += 1
            gt = int(jenv.ground_truth(state))
            _, state, r, *_, info = step(jax.random.key(key), state, _answer(gt, right) if gt > 0 else 0)
            got = (jenv.period_names[int(info["period"])], float(r), bool(info["new_trial"]))
            assert got == (period, reward, new)
