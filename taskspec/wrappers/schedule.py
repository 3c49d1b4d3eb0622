"""ScheduleEnvs: several tasks interleaved trial by trial, as in multitask training (Yang et al. 2019)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from ..data.multitask import Layout, TaskMix
from .base import ResetResult, StepResult

SCHEDULES = ("sequential", "random")


class ScheduleEnvs(gym.Env):
    """One env that runs a trial of one task, then a trial of the next, and so on.

    After each trial (`info["new_trial"]`) the next task is chosen: `sequential` cycles
    through `envs` in order (0, 1, ..., 0, ...), `random` draws one uniformly from the
    scheduler's own `np_random`; a NeuroGym schedule object (`RandomSchedule(n)`,
    `SequentialSchedule(n)`: called, it returns the next task's index) works too, seeded by
    `reset(seed=s)` through its `seed` method. Each task keeps its own state: its next trial is
    ready from the moment its previous one ended, so switching back resumes it exactly.

    Observation columns are aligned by group name, as in `taskspec.data.multitask.TaskMix` (the
    union of the tasks' groups; zeros where a task lacks one); with `env_input` a one-hot of
    the task (group "rule") follows, so the network knows which rule applies.
    `Dataset(ScheduleEnvs(...))` and `generate_trials` draw the same mix in batches.
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

    def __init__(self, envs: Sequence[gym.Env], schedule: Any = "sequential", env_input: bool = True):
        if not envs:
            raise ValueError("ScheduleEnvs needs at least one env")
        if isinstance(schedule, str) and schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES} or a schedule object, got {schedule!r}")
        if not isinstance(schedule, str) and not callable(schedule):
            raise TypeError(f"schedule must be one of {SCHEDULES} or a schedule object, got {schedule!r:.80}")
        self.envs = list(envs)
        self.schedule, self.env_input = schedule, env_input
        self.names = [str(getattr(e.unwrapped, "task_name", "") or type(e.unwrapped).__name__) for e in self.envs]
        self.task_name = "+".join(self.names)
        _check_same_actions(self.envs, self.names)
        for env, name in zip(self.envs, self.names, strict=True):
            _width(env, name)
        self.layout = Layout(self.envs, self.names, "rule" if env_input else None)
        self.action_space = copy.deepcopy(self.envs[0].action_space)
        self.observation_space = self.layout.observation_space
        self.render_mode = None
        self.i_env = 0
        self._pending: list[Any] = [None] * len(self.envs)  # each task's next observation

    def task_mix(self) -> TaskMix:
        """The same tasks, schedule and rule input as a `TaskMix`, for batches (`Dataset`, `generate_trials`)."""
        mix = {"sequential": "sequential", "random": "uniform"}.get(self.schedule, self.schedule)  # type: ignore
        return TaskMix(self.envs, mix=copy.deepcopy(mix), rule_input=self.env_input)

    def new_trial(self, **kwargs: Any) -> Any:
        """Switch to the next task of the schedule and start its next trial now, as NeuroGym's ScheduleEnvs does;
        returns that trial's variables. The next observation is that trial's first."""
        self.i_env = self._choose(first=False)
        task = self.envs[self.i_env].unwrapped
        trial = task.new_trial(**kwargs)  # type: ignore[attr-defined]
        self._pending[self.i_env] = task.ob[0]  # type: ignore[attr-defined]
        return trial

    @property
    def task(self) -> gym.Env:
        """The task that the next step answers (its `unwrapped` TrialEnv)."""
        return self.envs[self.i_env].unwrapped

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> ResetResult:
        super().reset(seed=seed)
        if not isinstance(self.schedule, str) and hasattr(self.schedule, "seed") and seed is not None:
            self.schedule.seed(seed)
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
        if not isinstance(self.schedule, str):
            choice = int(self.schedule())
            if not 0 <= choice < len(self.envs):
                raise ValueError(f"the schedule returned task {choice}, outside 0..{len(self.envs) - 1}")
            return choice
        if self.schedule == "random":
            return int(self.np_random.integers(len(self.envs)))
        return 0 if first else (self.i_env + 1) % len(self.envs)

    def _observe(self, obs: Any) -> np.ndarray:
        out = self.layout.place(np.asarray(obs, np.float32).reshape(-1), self.i_env)
        if self.layout.rule is not None:
            out[self.layout.rule[self.i_env]] = 1.0
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
