"""ScheduleEnvs: several tasks interleaved trial by trial, as in multitask training (Yang et al. 2019)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from ..runtime import NamedBox
from .base import Names, ResetResult, StepResult, group_columns

SCHEDULES = ("sequential", "random")


class ScheduleEnvs(gym.Env):
    """One env that runs a trial of one task, then a trial of the next, and so on.

    After each trial (`info["new_trial"]`) the next task is chosen: `sequential` cycles
    through `envs` in order (0, 1, ..., 0, ...), `random` draws one uniformly from the
    scheduler's own `np_random`. Each task keeps its own state: its next trial is ready
    from the moment its previous one ended, so switching back resumes it exactly.

    Observations are padded with zeros to the largest task's width; with `env_input`
    a one-hot of the task (group "task") follows, so the network knows which rule applies.
    Under the timing contract the returned observation already belongs to the next trial,
    so at a switch its one-hot names the new task while `info["task"]` (like the reward
    and `info["gt"]`) still refers to the task of the step answered.

    All tasks must share one action space (a ValueError otherwise): one policy head answers
    them all. `reset(seed=s)` seeds the schedule with s and task i with s + i.

    It is an `Env`, not a `Wrapper`: it has no single inner env, so `unwrapped` is the
    scheduler itself; `self.task` is the task now running. Trial wrappers (SideBias,
    ReactionTime, ...) go on the tasks before they are scheduled; observation wrappers
    and Monitor may go on either side.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - gymnasium declares it per instance

    def __init__(self, envs: Sequence[gym.Env], schedule: str = "sequential", env_input: bool = True):
        if not envs:
            raise ValueError("ScheduleEnvs needs at least one env")
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        self.envs = list(envs)
        self.schedule, self.env_input = schedule, env_input
        self.names = [str(getattr(e.unwrapped, "task_name", "") or type(e.unwrapped).__name__) for e in self.envs]
        self.task_name = "+".join(self.names)
        _check_same_actions(self.envs, self.names)
        self.action_space = copy.deepcopy(self.envs[0].action_space)
        self.width = max(_width(e, n) for e, n in zip(self.envs, self.names, strict=True))
        self.observation_space = self._observation_space()
        self.render_mode = None
        self.i_env = 0
        self._pending: list[Any] = [None] * len(self.envs)  # each task's next observation

    def _observation_space(self) -> NamedBox:
        size = self.width + (len(self.envs) if self.env_input else 0)
        box = NamedBox(-np.inf, np.inf, shape=(size,), dtype=np.float32)
        names = [getattr(e.observation_space, "name", None) for e in self.envs]
        same = all(n == names[0] for n in names) and all(_width(e, "") == self.width for e in self.envs)
        groups: Names = dict(names[0]) if same and names[0] else {"input": group_columns(0, self.width)}
        if self.env_input:
            groups["task"] = group_columns(self.width, len(self.envs))
        box.name = groups
        return box

    @property
    def task(self) -> gym.Env:
        """The task that the next step answers (its `unwrapped` TrialEnv)."""
        return self.envs[self.i_env].unwrapped

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> ResetResult:
        super().reset(seed=seed)
        infos = []
        for i, env in enumerate(self.envs):
            obs, info = env.reset(seed=None if seed is None else seed + i, options=options)
            self._pending[i] = obs
            infos.append(info)
        self.i_env = self._choose(first=True)
        return self._observe(self._pending[self.i_env]), {**infos[self.i_env], "task": self.i_env}

    def step(self, action: Any) -> StepResult:
        answered = self.i_env
        obs, reward, terminated, truncated, info = self.envs[answered].step(action)
        if info.get("new_trial", False):
            self._pending[answered] = obs
            self.i_env = self._choose(first=False)
            obs = self._pending[self.i_env]
        return self._observe(obs), reward, terminated, truncated, {**info, "task": answered}

    def _choose(self, first: bool) -> int:
        if self.schedule == "random":
            return int(self.np_random.integers(len(self.envs)))
        return 0 if first else (self.i_env + 1) % len(self.envs)

    def _observe(self, obs: Any) -> np.ndarray:
        out = np.zeros(self.width + (len(self.envs) if self.env_input else 0), np.float32)
        flat = np.asarray(obs, np.float32).reshape(-1)
        out[: flat.size] = flat
        if self.env_input:
            out[self.width + self.i_env] = 1.0
        return out

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _width(env: gym.Env, name: str) -> int:
    space = env.observation_space
    if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
        raise ValueError(f"ScheduleEnvs needs 1-D Box observations; {name} has {space}")
    return int(space.shape[0])


def _check_same_actions(envs: list[gym.Env], names: list[str]) -> None:
    first = envs[0].action_space
    for env, name in zip(envs[1:], names[1:], strict=False):
        if env.action_space != first:
            raise ValueError(
                f"ScheduleEnvs needs one action space for all tasks: {names[0]} has {first},"
                f" {name} has {env.action_space}"
            )
