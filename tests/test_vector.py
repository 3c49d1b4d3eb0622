"""The native vector env: exactly N single envs, stepped as arrays; gymnasium's vector envs too.

The vector env runs the step machine (runtime/machine.py), so comparing it with single envs on every
bundled task checks the single env's scalar path against the machine step for step.
"""

import gymnasium as gym
import numpy as np
import pytest

import taskspec
from taskspec.rl.vector import SteppedVectorEnv, TrialVectorEnv, make_vector


def _ground_truth(vec):
    if isinstance(vec, SteppedVectorEnv):
        return np.array([env.gt_now for env in vec.envs])
    return vec._take("gt", vec._flat_index())


def _compare(task, num_envs, steps, seed=10):
    vec = make_vector(task, num_envs)
    singles = [taskspec.make(task) for _ in range(num_envs)]
    obs, _ = vec.reset(seed=seed)
    np.testing.assert_array_equal(obs, np.array([e.reset(seed=seed + i)[0] for i, e in enumerate(singles)]))
    rng = np.random.default_rng(0)
    space = vec.single_action_space
    for step in range(steps):
        # a mix of random and ground-truth actions, so trials end at different times in different envs
        if step % 3 == 0:
            actions = _ground_truth(vec)
        elif isinstance(space, gym.spaces.Discrete):
            actions = rng.integers(0, space.n, num_envs)
        else:
            actions = rng.uniform(space.low, space.high, (num_envs, *space.shape)).astype(np.float32)
        obs, reward, terminated, truncated, info = vec.step(actions)
        assert not terminated.any() and not truncated.any()
        for i, env in enumerate(singles):
            s_obs, s_reward, _, _, s_info = env.step(actions[i] if actions.ndim > 1 else int(actions[i]))
            np.testing.assert_array_equal(obs[i], s_obs)
            assert reward[i] == s_reward
            np.testing.assert_array_equal(info["gt"][i], s_info["gt"])
            assert info["period"][i] == s_info["period"]
            assert info["new_trial"][i] == s_info["new_trial"]
            if s_info["new_trial"]:
                assert info["_performance"][i] and info["performance"][i] == s_info["performance"]
                assert {k: np.asarray(v[i]).tolist() for k, v in info["trial"].items()} == s_info["trial"]


@pytest.mark.parametrize("task", ["PerceptualDecisionMaking", "ContextDecisionMaking", "GoNogo", "ReadySetGo",
                                  "yang19.dm1", "perceptualdecisionmaking.ibl20", "PulseDecisionMaking", "Bandit"])
def test_vector_env_equals_single_envs(task):
    _compare(task, num_envs=6, steps=2500)  # several chunk refills per env


def test_session_variables_continue_per_env_in_the_native_vector_env():
    vec = make_vector("perceptualdecisionmaking.ibl20", 3, block_length=5)
    assert isinstance(vec, TrialVectorEnv)
    vec.reset(seed=0)
    blocks = [[], [], []]
    while min(len(b) for b in blocks) < 30:
        _, _, _, _, info = vec.step(_ground_truth(vec))
        for i in np.flatnonzero(info["new_trial"]):
            blocks[i].append(int(info["trial"]["block"][i]))
    for b in blocks:  # each env alternates blocks of 5 trials from its own first trial
        assert b[:30] == [0] * 5 + [1] * 5 + [0] * 5 + [1] * 5 + [0] * 5 + [1] * 5


@pytest.mark.parametrize("task", ["HierarchicalReasoning", "Reaching1D", "DawTwoStep", "DualDelayMatchSample"])
def test_agent_state_is_stepped_as_arrays_too(task):
    """State variables moved by the actions (and inputs that show them) run natively on arrays."""
    assert isinstance(make_vector(task, 2), TrialVectorEnv)
    _compare(task, num_envs=4, steps=600)


def test_make_vec_gives_the_native_vector_env():
    env = gym.make_vec("taskspec/PerceptualDecisionMaking-v0", num_envs=16, sigma=0.5)
    assert isinstance(env.unwrapped, TrialVectorEnv)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (16, 3) and env.unwrapped.env.params["sigma"] == 0.5
    obs, reward, *_ = env.step(env.action_space.sample())
    assert obs.shape == (16, 3) and reward.shape == (16,)


def test_gymnasium_sync_and_async_vector_envs_match():
    actions = np.random.default_rng(1).integers(0, 3, (200, 3))
    runs = []
    for mode in ("sync", "async"):
        kwargs = {"vectorization_mode": mode}
        if mode == "async":
            kwargs["vector_kwargs"] = {"context": "spawn"}  # a fresh process must rebuild the compiled class
        env = gym.make_vec("taskspec/DelayMatchSample-v0", num_envs=3, **kwargs)
        obs, _ = env.reset(seed=4)
        trace = [obs]
        for a in actions:
            obs, reward, *_ = env.step(a)
            trace += [obs, reward]
        env.close()
        runs.append(trace)
    native = TrialVectorEnv("DelayMatchSample", 3)
    obs, _ = native.reset(seed=4)
    trace = [obs]
    for a in actions:
        obs, reward, *_ = native.step(a)
        trace += [obs, reward]
    for sync_item, async_item, native_item in zip(*runs, trace, strict=True):
        np.testing.assert_array_equal(sync_item, async_item)
        np.testing.assert_array_equal(sync_item, native_item)


def test_every_task_vectorizes_exactly(task):
    """gymnasium.make_vec's env (native or stepped) equals single envs on every bundled task."""
    _compare(task, num_envs=2, steps=150)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64])
def test_vector_actions_of_any_integer_type_are_checked_as_numbers(dtype):
    """The vector env checks actions with one unsigned comparison: a negative action of any signed type
    and a huge one of any unsigned type are refused with the action as given; in-range ones pass."""
    venv = make_vector("PerceptualDecisionMaking", num_envs=3)
    venv.reset(seed=0)
    venv.step(np.array([0, 2, 1], dtype))
    wrong = -1 if np.issubdtype(dtype, np.signedinteger) else int(np.iinfo(dtype).max)
    with pytest.raises(ValueError, match=rf"^actions\[1\] = {wrong} is not in the action space Discrete\(3\)"):
        venv.step(np.array([0, wrong, 1], dtype))
    with pytest.raises(ValueError, match=r"^actions\[2\] = 3 is not in the action space Discrete\(3\)"):
        venv.step(np.array([0, 1, 3], dtype))
