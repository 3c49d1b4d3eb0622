"""taskspec.jax envs as gymnax environments: gymnax's step/reset API and time limit, its space classes,
its wrappers and rejax's PPO run on them unmodified (no adapter between the library and the env).

The API tests run wherever jax is installed; the wrapper tests need gymnax (the `gymnax` extra,
gymnax 1.0.1) and the training test needs rejax (the `jaxrl` extra: rejax 0.1.3 with the gymnax
0.0.9 it was written for; with gymnax 1.0 rejax 0.1.3 cannot unpack gymnax's own six-value step).
"""

from __future__ import annotations

import copy
import importlib
import os

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import taskspec  # noqa: E402
import taskspec.jax as tj  # noqa: E402
from taskspec.jax.gymnax_compat import FIVE_VALUE_STEP  # noqa: E402

# A stimulus shown during the decision period, noiseless: a policy that reads it earns 1 per trial,
# one that ignores it (or chooses at random) at most 0.5.
SEE_AND_CHOOSE = """
task: SeeAndChoose
dt: 100
rewards: {abort: -0.1, correct: 1.0, fail: 0.0}
observation: {fixation: 1, stimulus: 2}
action: {fixation: 1, choice: 2}
trial:
  ground_truth: choice(2)
periods: {fixation: 100, decision: 300}
inputs:
  - {during: fixation, where: fixation, value: 1}
  - {during: decision, where: stimulus, value: "onehot(ground_truth, 2)"}
target:
  - {during: decision, value: "choice[ground_truth]"}
response: {during: decision, hold: fixation}
"""


FAST_COMPILE = {"xla_backend_optimization_level": 0, "xla_cpu_use_fusion_emitters": False}  # compiling costs here


def _env(**params):
    return tj.make(taskspec.load_text(SEE_AND_CHOOSE, "see_and_choose"), **params)


def _compiled(function):
    return jax.jit(function, compiler_options=FAST_COMPILE)


def _ground_truth_step(env):
    """step(key, state, params) acting the ground truth, compiled once."""
    return lambda key, state, params: env.step(key, state, env.ground_truth(state), params)


def _six(out):
    """(obs, state, reward, terminated, truncated, info) from either gymnax API's step."""
    if FIVE_VALUE_STEP:
        obs, state, reward, done, info = out
        return obs, state, reward, info["terminated"], info["truncated"], info
    return out


def test_params_carry_the_time_limit_and_the_env_deep_copies_as_itself():
    episodic, continuing = _env(episode="trial"), _env()
    assert episodic.default_params.max_steps_in_episode == episodic.max_steps == 4  # one trial: 1 + 3 steps
    assert continuing.default_params.max_steps_in_episode == 100 * continuing.max_steps
    assert copy.deepcopy(episodic) is episodic
    assert copy.deepcopy({"env": episodic})["env"] is episodic  # a library's config holding the env
    assert episodic.action_space(episodic.default_params).n == 3


def test_step_reports_terminated_per_trial_and_truncated_at_the_time_limit():
    env = _env()
    params = tj.EnvParams(env.default_params.rewards, max_steps_in_episode=5)
    obs, state = env.reset(jax.random.key(0), params)
    step = _compiled(_ground_truth_step(env))
    flags, rewards = [], []
    for i in range(13):
        out = step(jax.random.key(i + 1), state, params)
        assert len(out) == (5 if FIVE_VALUE_STEP else 6)
        obs, state, reward, terminated, truncated, info = _six(out)
        flags.append((bool(terminated), bool(truncated), int(state.time)))
        rewards.append(float(reward))
        np.testing.assert_array_equal(info["final_observation"], obs)  # the session goes on: no reset
    # continuing: never terminated; truncated on every 5th step (inside a trial), then time restarts from 0
    assert [f[:2] for f in flags] == [(False, i % 5 == 4) for i in range(13)]
    assert [f[2] for f in flags] == [1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3]
    assert rewards == [0.0, 1.0] * 6 + [0.0]  # trials of two steps run on across the episode limits
    episodic = _env(episode="trial")
    params = episodic.default_params
    obs, state = episodic.reset(jax.random.key(0), params)
    step = _compiled(_ground_truth_step(episodic))
    ended = []
    for i in range(8):  # ground truth: fixate, then the answer ends the trial at its 2nd step
        _, state, reward, terminated, truncated, info = _six(step(jax.random.key(i + 1), state, params))
        ended.append((bool(terminated), bool(truncated), float(reward)))
    assert ended == [(False, False, 0.0), (True, False, 1.0)] * 4  # a trial ends terminated, never truncated


def _library(name: str):
    """The library, or a skip where it is not installed; a hard failure in the CI stage that installs it
    (TASKSPEC_REQUIRE lists the libraries that stage must have), so a broken install cannot pass as a skip."""
    if name in os.environ.get("TASKSPEC_REQUIRE", "").split(","):
        return importlib.import_module(name)
    return pytest.importorskip(name)


def test_spaces_are_gymnax_classes_and_its_wrappers_run_unmodified():
    gymnax = _library("gymnax")
    from gymnax.wrappers.purerl import FlattenObservationWrapper, LogWrapper

    env = _env(episode="trial")
    params = env.default_params
    assert isinstance(env.action_space(params), gymnax.environments.spaces.Discrete)
    assert isinstance(env.observation_space(params), gymnax.environments.spaces.Box)
    wrapped = LogWrapper(FlattenObservationWrapper(env))
    assert wrapped.observation_space(params).shape == (3,)
    n = 16
    obs, state = jax.vmap(wrapped.reset, in_axes=(0, None))(jax.random.split(jax.random.key(0), n), params)

    def play(keys, state, params):  # the ground-truth policy, read through the wrappers' state
        actions = jax.vmap(lambda s: env.ground_truth(s.env_state))(state)
        return jax.vmap(wrapped.step, in_axes=(0, 0, 0, None))(keys, state, actions, params)

    step = _compiled(play)
    for i in range(6):  # three trials of two steps each under the ground-truth policy
        obs, state, reward, *_, info = step(jax.random.split(jax.random.key(i + 1), n), state, params)
    assert obs.shape == (n, 3)
    np.testing.assert_array_equal(info["returned_episode"], np.ones(n, bool))
    np.testing.assert_allclose(info["returned_episode_returns"], np.ones(n))  # each trial earned 1


def test_rejax_ppo_trains_on_a_task_unmodified():
    rejax = _library("rejax")
    if not FIVE_VALUE_STEP:
        pytest.skip("rejax 0.1.3 unpacks gymnax 0.0.x's five-value step; install the jaxrl extra (gymnax 0.0.9)")
    env = _env(episode="trial")
    algo = rejax.PPO.create(
        env=env, total_timesteps=4096, eval_freq=1024, num_envs=16, num_steps=32, num_epochs=4,
        num_minibatches=4, learning_rate=3e-3, ent_coef=0.01,
    )  # fmt: skip
    _, (lengths, returns) = _compiled(algo.train)(jax.random.key(0))
    per_trial = np.asarray(returns).mean(axis=1)  # each evaluation: 128 episodes of one trial
    assert per_trial[0] < 0.5 < 0.9 < per_trial[-1], per_trial  # from below chance to reading the stimulus
    assert np.asarray(lengths)[-1].mean() == pytest.approx(2.0)  # fixate one step, answer at the next
