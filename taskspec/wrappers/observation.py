"""Wrappers that change only what the agent observes: noise, the previous reward, the previous action.

All three keep the timing contract untouched: reward, `info["gt"]` and `info["period"]`
still refer to the step answered; only the returned observation gains noise or columns.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from .base import ResetResult, StepResult, TaskSurface, child_rng, extend_box


class Noise(TaskSurface, gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Adds Gaussian noise of standard deviation `std` to every observation.

    The noise has its own generator, spawned from the task's `np_random` at each reset
    (see `child_rng`): `reset(seed=s)` reproduces the noisy run exactly, and the task's
    trials are the same as without the wrapper, so noise and task randomness can be told
    apart. `std` may be a number or an array broadcastable to the observation (per column);
    NeuroGym's name for it, `std_noise=`, is accepted too (and `self.std_noise` is the same value).
    """

    def __init__(self, env: gym.Env, std: float | Any = None, *, std_noise: float | Any = None):
        if std is not None and std_noise is not None:
            raise TypeError("Noise takes std or NeuroGym's std_noise, not both")
        std = 0.1 if std is None and std_noise is None else (std if std is not None else std_noise)
        gym.utils.RecordConstructorArgs.__init__(self, std=std)
        gym.ObservationWrapper.__init__(self, env)
        self.std = np.asarray(std, dtype=np.float32)
        if np.any(self.std < 0) or not np.all(np.isfinite(self.std)):
            raise ValueError(f"std must be finite and >= 0, got {std}")
        self.std_noise = std
        self._rng: np.random.Generator | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> ResetResult:
        obs, info = self.env.reset(seed=seed, options=options)
        self._rng = child_rng(self.env.unwrapped.np_random)
        return self.observation(obs), info

    def observation(self, observation: np.ndarray) -> np.ndarray:
        if self._rng is None:  # stepped without a reset through this wrapper
            self._rng = child_rng(self.env.unwrapped.np_random)
        noise = self._rng.standard_normal(np.shape(observation), dtype=np.float32)
        return (observation + noise * self.std).astype(np.float32, copy=False)  # a new array: never the task's rows


class PassReward(TaskSurface, gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Appends the reward of the step just answered to the observation (group "reward").

    Under the timing contract the observation returned by `step` is the next one, so the
    appended entry is the reward the agent got for its previous action, as in
    meta-reinforcement-learning setups. After `reset` it is 0.
    """

    def __init__(self, env: gym.Env):
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self.observation_space = extend_box(env.observation_space, "reward", 1)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> ResetResult:
        obs, info = self.env.reset(seed=seed, options=options)
        return _append(obs, np.zeros(1, np.float32)), info

    def step(self, action: Any) -> StepResult:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return _append(obs, np.array([reward], np.float32)), reward, terminated, truncated, info


class PassAction(TaskSurface, gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Appends the action just taken to the observation (group "action").

    A discrete action is appended as one column holding the action's number, as in
    NeuroGym, or with `one_hot=True` as one column per action (1 for the action taken),
    which a network reads more easily than a number standing for a category. A continuous
    action is appended as its vector. After `reset` the columns are 0 (no action yet).
    Knowing its own last action helps an agent whose policy is sampled, not deterministic.
    """

    def __init__(self, env: gym.Env, one_hot: bool = False):
        gym.utils.RecordConstructorArgs.__init__(self, one_hot=one_hot)
        gym.Wrapper.__init__(self, env)
        space = env.action_space
        self.one_hot = bool(one_hot) and isinstance(space, gym.spaces.Discrete)
        if isinstance(space, gym.spaces.Discrete):
            self._width, self._start = (int(space.n) if self.one_hot else 1), int(space.start)
        elif isinstance(space, gym.spaces.Box):
            self._width, self._start = int(np.prod(space.shape)), 0
        else:
            raise ValueError(f"PassAction needs a Discrete or Box action space, got {space}")
        self.observation_space = extend_box(env.observation_space, "action", self._width)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> ResetResult:
        obs, info = self.env.reset(seed=seed, options=options)
        return _append(obs, np.zeros(self._width, np.float32)), info

    def step(self, action: Any) -> StepResult:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return _append(obs, self._encode(action)), reward, terminated, truncated, info

    def _encode(self, action: Any) -> np.ndarray:
        if self.one_hot:
            code = np.zeros(self._width, np.float32)
            code[int(action) - self._start] = 1.0
            return code
        return np.asarray(action, np.float32).reshape(-1)


def _append(obs: np.ndarray, extra: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(obs, np.float32).reshape(-1), extra])
