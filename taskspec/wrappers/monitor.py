"""Monitor: a per-trial behavioural log, kept in memory and saved to an npz file; policy evaluation."""

from __future__ import annotations

import math
import numbers
import os
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from .base import ResetResult, StepResult, TaskSurface

_SKIPPED_INFO = {"new_trial", "trial"}


class Monitor(TaskSurface, gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Logs one row per finished trial: what the agent did, what it earned, what the trial was.

    Columns of `monitor.data` (a dict of lists, one entry per trial, oldest first):

    - `action`: the action of the trial's last step (the response, on decision tasks);
    - `reward`: the reward of that last step; `cum_reward`: the trial's summed reward;
    - `n_steps`: how many steps the trial ran; `performance`: `info["performance"]`;
    - `trial.<name>`: the trial variables (`info["trial"]` at the trial's end);
    - every other number in the last step's `info` (`gt`, and e.g. `block` or `task` added
      by other wrappers).

    A column that some trials lack (another task's variables under `ScheduleEnvs`) holds
    NaN there. With a `folder`, the whole log is written to `folder/<name>.npz` every
    `save_every` trials (None: only on close) and on `close()`; the file is replaced
    atomically, so `np.load(monitor.path)` always sees a complete log. Without one
    (`Monitor(env)`), the log stays in memory. A `reset` drops the unfinished trial.
    `evaluate_policy` and `plot_training_history` are NeuroGym's.
    """

    def __init__(
        self,
        env: gym.Env,
        folder: str | os.PathLike[str] | None = None,
        save_every: int | None = 1000,
        name: str | None = None,
    ):
        if folder is not None and not isinstance(folder, (str, os.PathLike)):
            raise TypeError(
                f"Monitor's folder must be a path or None, got {type(folder).__name__}"
                " (NeuroGym's Config objects are not taken: pass folder= and save_every=)"
            )
        recorded = None if folder is None else str(folder)
        gym.utils.RecordConstructorArgs.__init__(self, folder=recorded, save_every=save_every, name=name)
        gym.Wrapper.__init__(self, env)
        if save_every is not None and (int(save_every) != save_every or save_every < 1):
            raise ValueError(f"save_every must be a whole number of trials >= 1, or None; got {save_every!r}")
        self.save_every = save_every
        task = env.unwrapped
        self.name = name or str(getattr(task, "task_name", "") or type(task).__name__)
        self.folder = None if folder is None else Path(folder)
        self.path = None if folder is None else Path(folder) / f"{self.name}.npz"
        self.data_eval: dict[str, Any] = {}  # the trials of the last evaluate_policy, in the columns of `data`
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
            if self.path is not None and self.save_every is not None and self.num_tr % self.save_every == 0:
                self.save()
        return obs, reward, terminated, truncated, info

    def _record(self, action: Any, reward: float, info: dict[str, Any]) -> None:
        self.num_tr = _append_row(self.data, self.num_tr, _row(action, reward, self._cum_reward, self._n_steps, info))

    def save(self) -> Path:
        """Write the whole log to `self.path` (atomically) and return the path."""
        if self.path is None:
            raise ValueError("this Monitor keeps its log in memory only: make it with Monitor(env, folder) to save")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {key: np.asarray(column) for key, column in self.data.items()}
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(partial, self.path)
        self._saved_trials = self.num_tr
        return self.path

    def close(self) -> None:
        if self.path is not None and (self.num_tr > self._saved_trials or (self.num_tr and not self.path.exists())):
            self.save()
        super().close()

    def evaluate_policy(
        self, num_trials: int = 100, model: Any = None, verbose: bool = False, seed: int | None = None
    ) -> dict[str, Any]:
        """NeuroGym's evaluation: run `num_trials` trials of the wrapped env with `model` and summarise them.

        `model` has `predict(obs, state=, episode_start=, deterministic=True)` (any
        stable-baselines3 model, recurrent ones included); None plays random actions. The env
        is reset first (with `seed`); the trials go to `self.data_eval`, not to the training
        log. Returns `rewards` and `cum_rewards` (each trial's last and summed reward),
        `performances`, and their means: `mean_reward` is the share of trials whose last
        reward was positive, as in NeuroGym.
        """
        if int(num_trials) != num_trials or num_trials < 1:
            raise ValueError(f"num_trials must be a whole number >= 1, got {num_trials!r}")
        obs, _ = self.env.reset(seed=seed)
        if seed is not None:
            self.env.action_space.seed(seed)
        state, start = None, np.array([True])
        data: dict[str, list[Any]] = {}
        count, cum_reward, n_steps = 0, 0.0, 0
        while count < num_trials:
            if model is None:
                action = self.env.action_space.sample()
            else:
                action, state = model.predict(obs, state=state, episode_start=start, deterministic=True)
            obs, reward, terminated, truncated, info = self.env.step(action)
            start = np.array([False])
            cum_reward, n_steps = cum_reward + float(reward), n_steps + 1
            if info.get("new_trial", False):
                count = _append_row(data, count, _row(action, float(reward), cum_reward, n_steps, info))
                cum_reward, n_steps, state, start = 0.0, 0, None, np.array([True])  # a fresh memory per trial
                if verbose and count % 1000 == 0:
                    print(f"evaluate_policy: {count}/{num_trials} trials")
            if terminated or truncated:
                obs, _ = self.env.reset()
        self._cum_reward, self._n_steps = 0.0, 0  # the training trial under way was left for good
        self.data_eval = data
        rewards, cum_rewards, performances = data["reward"], data["cum_reward"], data["performance"]
        known = [p for p in performances if not math.isnan(p)]
        return {
            "rewards": rewards,
            "mean_reward": float(np.mean(np.asarray(rewards) > 0)),
            "cum_rewards": cum_rewards,
            "mean_cum_reward": float(np.mean(cum_rewards)),
            "performances": performances,
            "mean_performance": float(np.mean(known)) if known else math.nan,
        }

    def plot_training_history(
        self,
        figsize: tuple[float, float] = (12, 6),
        save_fig: bool = True,
        plot_performance: bool = True,
        window: int | None = None,
    ) -> Any:
        """NeuroGym's training curves: mean reward, trial reward and performance per window of trials.

        `window` defaults to `save_every` (NeuroGym averages per saved file, one every `save_every`
        trials), or 1000. The figure is saved to `folder/<name>_training_history.png` when
        `save_fig` and the Monitor has a folder. Returns the matplotlib Figure, or None (with a
        warning) when no trial has been logged yet.
        """
        from ..tools.plot import pyplot  # matplotlib is optional: imported only when plotting

        if not self.num_tr:
            warnings.warn("Monitor: no finished trial to plot yet", stacklevel=2)
            return None
        size = int(window or self.save_every or 1000)
        if size < 1:
            raise ValueError(f"window must be a whole number of trials >= 1, got {window!r}")
        ends = np.minimum(np.arange(size, self.num_tr + size, size), self.num_tr)
        starts = ends - np.minimum(size, ends - np.concatenate([[0], ends[:-1]]))

        def means(column: str) -> np.ndarray:
            values = np.asarray(self.data[column], dtype=float)
            return np.array([np.nanmean(values[a:b]) if np.any(~np.isnan(values[a:b])) else np.nan
                             for a, b in zip(starts, ends, strict=True)])  # fmt: skip

        plt = pyplot()
        fig, axes = plt.subplots(1, 2 if plot_performance else 1, figsize=figsize, squeeze=False)
        ax = axes[0][0]
        ax.plot(ends, means("reward"), "o-", label="last reward of the trial")
        ax.plot(ends, means("cum_reward"), "s--", label="reward of the trial")
        ax.set(xlabel="trials", ylabel=f"mean over {size} trials", title="reward")
        ax.legend()
        if plot_performance:
            ax = axes[0][1]
            ax.plot(ends, means("performance"), "o-", color="tab:green")
            ax.set(xlabel="trials", ylabel=f"mean over {size} trials", title="performance")
        fig.suptitle(f"Training history of {self.name} ({self.num_tr} trials)")
        fig.tight_layout()
        if save_fig and self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            fig.savefig(self.folder / f"{self.name}_training_history.png", dpi=120)
        return fig


def _row(action: Any, reward: float, cum_reward: float, n_steps: int, info: dict[str, Any]) -> dict[str, Any]:
    """One trial's row of the log, from its last step."""
    row: dict[str, Any] = {key: value for key, value in info.items() if key not in _SKIPPED_INFO and _is_number(value)}
    row.update(
        action=action.item() if np.ndim(action) == 0 and hasattr(action, "item") else action,
        reward=reward,
        cum_reward=cum_reward,
        n_steps=n_steps,
        performance=info.get("performance", math.nan),
    )
    row.update({f"trial.{key}": value for key, value in (info.get("trial") or {}).items()})
    return row


def _append_row(data: dict[str, list[Any]], count: int, row: dict[str, Any]) -> int:
    """Append `row` to the columns of `data` (which hold `count` rows); returns the new count."""
    for key in row.keys() - data.keys():  # a new column: earlier trials did not have it
        data[key] = [math.nan] * count
    for key, column in data.items():
        column.append(row.get(key, math.nan))
    return count + 1


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Number, np.number, np.bool_)) and not isinstance(value, complex)
