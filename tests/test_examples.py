"""The walk-through's first tasks, written as YAML in examples/, behave as described."""

from pathlib import Path

import numpy as np

import taskspec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_one_step_decision():
    env = taskspec.make(EXAMPLES / "one_step_decision.yaml")
    assert env.observation_space.shape == (1,) and env.action_space.n == 2
    ob, _ = env.reset(seed=0)
    for _ in range(200):
        stimulus = float(ob[0])
        assert -1 <= stimulus <= 1
        choice = int(stimulus > 0)
        ob_next, reward, _, _, info = env.step(choice)
        assert info["new_trial"] and reward == 1.0 and info["performance"] == 1
        assert info["trial"]["stimulus"] == np.float32(stimulus) or abs(info["trial"]["stimulus"] - stimulus) < 1e-6
        ob = ob_next
    _, reward, _, _, _ = env.step(1 - int(ob[0] > 0))
    assert reward == 0.0


def test_stimulus_decision_periods_and_rewards():
    env = taskspec.make(EXAMPLES / "stimulus_decision.yaml")
    assert env.observation_space.name == {"fixation": 0, "stimulus": 1}
    assert env.action_space.name == {"fixation": 0, "choice": [1, 2]}
    env.reset(seed=1)
    assert len(env.ob) == 10 and env.end_ind["stimulus"] == 5
    assert np.all(env.ob[:5, 0] == 1) and np.all(env.ob[5:] == 0)
    rewards = []
    for _ in range(10):  # five stimulus steps held, then the correct choice
        _, reward, _, _, info = env.step(env.gt_now)
        rewards.append(reward)
        if info["new_trial"]:
            break
    assert rewards == [0.0] * 5 + [1.0]
