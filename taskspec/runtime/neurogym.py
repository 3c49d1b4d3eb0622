"""NeuroGym's surface of an env: the names code written for NeuroGym's `TrialEnv` reads.

`gt_now`, `ob_now`, `t`, `in_period`, `seed` (here `reseed`) and `trial_length_stats`, over the
trial the env is serving (`ob`, `gt`, `t_ind` and the period bounds `start_t`/`end_t` in ms).
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import numpy as np

from .history import TrialHistory
from .source import Batch, TrialSource


class NeuroGymSurface(TrialHistory, TrialSource[np.random.Generator]):
    """NeuroGym's names over the current trial (a base of `TrialEnv`)."""

    ob: np.ndarray
    gt: np.ndarray
    t_ind: int
    start_t: dict[str, float]
    end_t: dict[str, float]
    _batch: Batch | None

    @property
    def t(self) -> float:
        """Time of the current step within the trial, in ms."""
        return self.t_ind * self.dt

    def reseed(self, seed: int | None = None) -> list[int | None]:
        """NeuroGym's `env.seed(s)`: reseed the trials and `action_space`; the next `reset()` starts afresh.

        `reseed(s)` then `reset()` gives the trials of `reset(seed=s)`; kept for code written for NeuroGym.
        Not named `seed`: gymnasium's `check_env` warns about any env with a callable `seed`.
        """
        self._np_random, self._np_random_seed = gym.utils.seeding.np_random(seed)
        self.action_space.seed(seed)
        self._batch = None  # trials drawn ahead came from the old generator
        self.restart_session()
        return [seed]

    def trial_length_stats(self, num_trials: int = 10000) -> dict[str, float]:
        """NeuroGym's statistics of trial length in steps: `mean`, `std`, `percentile_95` and `max`.

        The trials are drawn from a copy of the env's generator and session, so the env's own
        trials are the same whether or not this was called.
        """
        if int(num_trials) != num_trials or num_trials < 1:
            raise ValueError(f"num_trials must be a whole number >= 1, got {num_trials!r}")
        rng, session = copy.deepcopy(self.np_random), copy.deepcopy(self._session)
        lengths = []
        try:
            for start in range(0, int(num_trials), 1000):  # in parts: a batch holds every step of its trials
                lengths.append(self.generate(rng, min(1000, int(num_trials) - start)).length)
        finally:
            self._session = session
        steps = np.concatenate(lengths)
        return {
            "mean": round(float(np.mean(steps)), 3),
            "std": round(float(np.std(steps)), 3),
            "percentile_95": round(float(np.percentile(steps, 95)), 3),
            "max": int(np.max(steps)),
        }

    @property
    def gt_now(self) -> Any:
        return self.gt[self.t_ind]

    @property
    def ob_now(self) -> np.ndarray:
        return self.ob[self.t_ind]

    def in_period(self, period: str, t: float | None = None) -> bool:
        """Whether time `t` (ms; default: now) lies in `period` of the current trial."""
        t = self.t if t is None else t
        return bool(self.start_t[period] <= t < self.end_t[period])
