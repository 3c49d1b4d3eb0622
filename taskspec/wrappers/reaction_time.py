"""ReactionTime: the agent may answer while the stimulus is still on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from .base import StepResult, TrialWrapper

# Wrappers that leave observations and steps alone, so ReactionTime may sit above them and
# answer a step itself without skipping anything they do.
_TRANSPARENT = (gym.wrappers.OrderEnforcing, gym.wrappers.PassiveEnvChecker)


class ReactionTime(TrialWrapper):
    """Opens the response window at the start of the stimulus (reaction-time tasks).

    Semantics, for tasks with a fixation action, a decision period and a `correct` reward:

    - The decision's ground truth (the task's `gt` at the first step of `decision`) is
      copied over the response periods (`periods`, default the stimulus), so `env.unwrapped.gt`,
      `gt_now` and `info["gt"]` show it there, and a supervised or ground-truth policy
      answers as soon as the stimulus starts.
    - A non-fixation action in a response period ends the trial at once: reward
      `rewards["correct"]` and performance 1 if it equals that ground truth, otherwise
      `rewards["fail"]` (0 if the task has none) and performance 0. `info["rt"]` is the
      response time: the ms of the window the agent had seen when it answered (`dt` for
      an answer at the window's first step).
    - Fixating steps are judged by the task's own rules, as without the wrapper.
    - With `end_on_stimulus=True` the trial ends when the response periods end (the
      decision period is never reached); a trial that got no response there counts as
      performance 1 when the correct answer was to keep fixating (no-go) and 0 otherwise,
      and the task's `timeout` rules do not apply. With False, the task's decision period
      and rules follow as usual.

    When it answers a step itself the task's own `step` is skipped, so ReactionTime must
    wrap the task directly (or through other trial wrappers or gymnasium's checkers);
    observation wrappers and `Monitor` go outside it.
    """

    def __init__(
        self,
        env: gym.Env,
        end_on_stimulus: bool = True,
        periods: Sequence[str] = ("stimulus",),
        decision: str = "decision",
    ):
        super().__init__(env, end_on_stimulus=end_on_stimulus, periods=tuple(periods), decision=decision)
        _check_direct(env)
        task = self.task
        missing = [p for p in (*periods, decision) if p not in task.period_after]
        if missing or not periods:
            raise ValueError(
                f"ReactionTime needs the periods {[*periods, decision]} in {task.task_name},"
                f" which has {list(task.period_after)}"
            )
        fixation = task.action_index.get("fixation") if task.action_type == "discrete" else None
        if not isinstance(fixation, int) or "correct" not in task.rewards:
            actions = getattr(task.action_space, "name", None)
            raise ValueError(
                f"ReactionTime needs a discrete task with a one-action 'fixation' group and a"
                f" 'correct' reward; {task.task_name} has actions {actions}"
                f" and rewards {list(task.rewards)}"
            )
        self.fixation, self.periods, self.decision = fixation, tuple(periods), decision
        self.end_on_stimulus = end_on_stimulus
        self.answer: Any = None  # the current trial's correct response
        self.window_start = self.window_end = 0  # steps of the current trial's response window
        self.install()
        if task.trial:  # a trial is already loaded: open its window too
            self._open_window()

    def new_trial(self, **overrides: Any) -> dict[str, Any]:
        trial = self.draw_next(**overrides)
        self._open_window()
        return trial

    def _open_window(self) -> None:
        """Copy the decision's ground truth over the response periods of the trial just loaded."""
        task = self.task
        at = task.start_ind[self.decision]
        if not at < len(task.gt):
            raise ValueError(f"ReactionTime: the '{self.decision}' period of this trial is empty")
        self.answer = task.gt[at].item()
        for period in self.periods:
            task.gt[task.start_ind[period] : task.end_ind[period]] = self.answer
        self.window_start = min(task.start_ind[p] for p in self.periods)
        self.window_end = max(task.end_ind[p] for p in self.periods)

    def step(self, action: Any) -> StepResult:
        task = self.task
        if not task.trial:
            raise gym.error.ResetNeeded("call reset() before step()")
        k = task.t_ind
        period = next((p for p in self.periods if task.start_ind[p] <= k < task.end_ind[p]), None)
        if period is not None and int(action) != self.fixation:
            return self._respond(int(action), period, k)
        answer, trial, closes = self.answer, task.trial, self.end_on_stimulus and k == self.window_end - 1
        obs, reward, terminated, truncated, info = self.env.step(action)
        if period is not None:
            info = {**info, "gt": answer}  # the task judged against its original (fixation) target
        if closes and not info["new_trial"]:
            performance = 1 if answer == self.fixation else 0
            obs = self._next_trial_ob()
            info.update(new_trial=True, performance=performance, trial=dict(trial))
        return obs, reward, terminated, truncated, info

    def _respond(self, action: int, period: str, k: int) -> StepResult:
        """End the trial on a response inside the window, judged against the decision's ground truth."""
        task = self.task
        correct = action == self.answer
        reward = task.rewards["correct"] if correct else task.rewards.get("fail", 0.0)
        info = {
            "new_trial": True,
            "gt": self.answer,
            "period": period,
            "performance": int(correct),
            "trial": dict(task.trial),
            "rt": (k - self.window_start + 1) * task.dt,
        }
        return self._next_trial_ob(), float(reward), False, False, info

    def _next_trial_ob(self) -> np.ndarray:
        self.task.new_trial()
        return self.task.ob[0]


def _check_direct(env: gym.Env) -> None:
    layer = env
    while isinstance(layer, gym.Wrapper):
        if not isinstance(layer, (TrialWrapper, *_TRANSPARENT)):
            raise TypeError(
                f"ReactionTime must wrap the task directly, but it would sit on {type(layer).__name__};"
                " apply observation wrappers and Monitor outside ReactionTime"
            )
        layer = layer.env
