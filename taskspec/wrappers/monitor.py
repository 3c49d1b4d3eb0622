"""Monitor: a per-trial behavioural log, kept in memory and saved to an npz file."""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from .base import ResetResult, StepResult

_SKIPPED_INFO = {"new_trial", "trial"}


class Monitor(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Logs one row per finished trial: what the agent did, what it earned, what the trial was.

    Columns of `monitor.data` (a dict of lists, one entry per trial, oldest first):

    - `action`: the action of the trial's last step (the response, on decision tasks);
    - `reward`: the reward of that last step; `cum_reward`: the trial's summed reward;
    - `n_steps`: how many steps the trial ran; `performance`: `info["performance"]`;
    - `trial.<name>`: the trial variables (`info["trial"]` at the trial's end);
    - every other number in the last step's `info` (`gt`, and e.g. `block` or `task` added
      by other wrappers).

    A column that some trials lack (another task's variables under `ScheduleEnvs`) holds
    NaN there. The whole log is written to `folder/<name>.npz` every `save_every` trials
    (None: only on close) and on `close()`; the file is replaced atomically, so
    `np.load(monitor.path)` always sees a complete log. A `reset` drops the unfinished trial.
    """

    def __init__(
        self, env: gym.Env, folder: str | os.PathLike[str], save_every: int | None = 1000, name: str | None = None
    ):
        gym.utils.RecordConstructorArgs.__init__(self, folder=str(folder), save_every=save_every, name=name)
        gym.Wrapper.__init__(self, env)
        if save_every is not None and (int(save_every) != save_every or save_every < 1):
            raise ValueError(f"save_every must be a whole number of trials >= 1, or None; got {save_every!r}")
        self.save_every = save_every
        task = env.unwrapped
        self.name = name or str(getattr(task, "task_name", "") or type(task).__name__)
        self.path = Path(folder) / f"{self.name}.npz"
        self.data: dict[str, list[Any]] = {}
        self.num_tr = 0
        self._saved_trials = 0
        self._cum_reward, self._n_steps = 0.0, 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> ResetResult:
        self._cum_reward, self._n_steps = 0.0, 0
        return self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> StepResult:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._cum_reward += float(reward)
        self._n_steps += 1
        if info.get("new_trial", False):
            self._record(action, float(reward), info)
            self._cum_reward, self._n_steps = 0.0, 0
            if self.save_every is not None and self.num_tr % self.save_every == 0:
                self.save()
        return obs, reward, terminated, truncated, info

    def _record(self, action: Any, reward: float, info: dict[str, Any]) -> None:
        row: dict[str, Any] = {
            key: value for key, value in info.items() if key not in _SKIPPED_INFO and _is_number(value)
        }
        row.update(
            action=action.item() if np.ndim(action) == 0 and hasattr(action, "item") else action,
            reward=reward,
            cum_reward=self._cum_reward,
            n_steps=self._n_steps,
            performance=info.get("performance", math.nan),
        )
        row.update({f"trial.{key}": value for key, value in (info.get("trial") or {}).items()})
        for key in row.keys() - self.data.keys():  # a new column: earlier trials did not have it
            self.data[key] = [math.nan] * self.num_tr
        for key, column in self.data.items():
            column.append(row.get(key, math.nan))
        self.num_tr += 1

    def save(self) -> Path:
        """Write the whole log to `self.path` (atomically) and return the path."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {key: np.asarray(column) for key, column in self.data.items()}
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(partial, self.path)
        self._saved_trials = self.num_tr
        return self.path

    def close(self) -> None:
        if self.num_tr > self._saved_trials or (self.num_tr and not self.path.exists()):
            self.save()
        super().close()


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Number, np.number, np.bool_)) and not isinstance(value, complex)
