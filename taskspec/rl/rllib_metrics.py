"""Per-trial metrics for RLlib: `config.callbacks(TrialMetrics)` (`pip install 'taskspec[ray]'`).

RLlib reports `episode_return_mean` only for episodes that end, and a continuing task's episode
(the default: trials follow each other, as in a session) never does. RLlib's callbacks are the
one place an env runner logs metrics of its own, so this callback adds up each sub-env's rewards
and, at each trial's end (`info["new_trial"]`), logs in the env runners' results:

- `trial_return_mean`: the return of a trial (mean over the last 100 trials of each env runner),
- `trial_performance_mean`: its `performance`, for tasks whose outcomes give one,
- `num_trials_lifetime`: the trials finished so far.

With `env_config={"episode": "trial"}` each trial is an episode and RLlib's own episode metrics
count trials too.
"""

from __future__ import annotations

from typing import Any

from ray.rllib.callbacks.callbacks import RLlibCallback

WINDOW = 100  # trials per env runner that the means run over


class TrialMetrics(RLlibCallback):
    """Logs each finished trial's return and performance as RLlib env-runner metrics."""

    def __init__(self) -> None:
        super().__init__()
        self._returns: dict[int, float] = {}  # sub-env index -> return of its current trial so far

    def on_episode_start(self, *, env_index: int, **kwargs: Any) -> None:
        self._returns[env_index] = 0.0

    def on_episode_step(self, *, episode: Any, env_index: int, metrics_logger: Any = None, **kwargs: Any) -> None:
        trial_return = self._returns.get(env_index, 0.0) + float(episode.get_rewards(-1))
        info = episode.get_infos(-1)
        if info.get("new_trial") and metrics_logger is not None:
            metrics_logger.log_value("trial_return_mean", trial_return, reduce="mean", window=WINDOW)
            if "performance" in info:
                metrics_logger.log_value("trial_performance_mean", float(info["performance"]), window=WINDOW)
            metrics_logger.log_value("num_trials_lifetime", 1, reduce="lifetime_sum")
            trial_return = 0.0
        self._returns[env_index] = trial_return
