"""Wrappers that choose each trial's ground truth: block biases, a fixed bias, trial history.

Each draws a value and starts the trial with `task.new_trial(ground_truth=value)`. The
task normally serves trials from chunks it generated ahead; a trial with an override is
generated on its own (a one-trial batch, a fraction of a millisecond), which is what makes
a per-trial choice possible. Draws come from the task's `np_random`, so `reset(seed=s)`
reproduces the sequence.

The variable must be one the stimulus is computed from. In a task that derives the
ground truth from other variables (`yang19.dm1` computes it from the two stimulus
strengths), fixing it would contradict the stimulus.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from .base import ResetResult, StepResult, TrialWrapper, probability_rows, trial_values


class SideBias(TrialWrapper):
    """Block-wise biased ground truth: within a block, the ground truth follows that block's probabilities.

    `probs[b][j]` is the probability of `values[j]` in block b. `values` defaults to the
    distinct values the variable takes (sorted; e.g. 0 and 1 for PerceptualDecisionMaking,
    1 and 2 for ContextDecisionMaking). `block_dur`, as in NeuroGym, is a whole number of
    trials per block, a `(low, high)` range drawn uniformly (inclusive) for each block, or a
    float in (0, 1): the probability of switching block before each trial. A new block
    always differs from the last; the first block after a reset is random too.
    `info["block"]` is the block of the trial the step belongs to. NeuroGym's attribute
    names hold: `curr_block` (the current block; None before the first trial),
    `choice_prob` (the matrix), `n_block`, `choices` (= `values`) and `block_dur` as given.
    Animals track such biases (e.g. the International Brain Laboratory's task), which is
    what this is used to study.
    """

    def __init__(
        self,
        env: gym.Env,
        probs: Sequence[Sequence[float]],
        block_dur: float | tuple[int, int] = 200,
        variable: str = "ground_truth",
        values: Sequence[Any] | None = None,
    ):
        super().__init__(env, probs=probs, block_dur=block_dur, variable=variable, values=values)
        self.choice_prob = probability_rows(probs)
        self.n_block = len(self.choice_prob)
        self.values = trial_values(self.task, variable, values, self.choice_prob.shape[1])
        self.choices = self.values
        self.variable = variable
        self._switch_p, self._block_range = _block_duration(block_dur)
        self.block_dur = block_dur
        self.curr_block: int | None = None  # None until the first trial after a reset
        self._left = 0  # trials left in the current block (fixed or ranged durations)
        self._trial_block: int | None = None  # the block of the trial being run

    @property
    def probs(self) -> np.ndarray:
        """The probability matrix (NeuroGym's `choice_prob`)."""
        return self.choice_prob

    @property
    def block(self) -> int | None:
        """The current block (NeuroGym's `curr_block`)."""
        return self.curr_block

    def on_reset(self) -> None:
        self.curr_block, self._left = None, 0

    def new_trial(self, **overrides: Any) -> dict[str, Any]:
        rng = self.task.np_random
        if self.curr_block is None or self._block_ends(rng):
            self.curr_block = self._next_block(rng)
            low, high = self._block_range
            self._left = int(rng.integers(low, high + 1))
        self._left -= 1
        value = self.values[int(rng.choice(len(self.values), p=self.choice_prob[self.curr_block]))]
        self._trial_block = self.curr_block
        return self.draw_next(**{self.variable: value, **overrides})

    def _block_ends(self, rng: np.random.Generator) -> bool:
        if self._switch_p is not None:
            return bool(rng.random() < self._switch_p)
        return self._left <= 0

    def _next_block(self, rng: np.random.Generator) -> int:
        """A random block, different from the current one when there is another."""
        n = self.n_block
        if self.curr_block is None or n == 1:
            return int(rng.integers(n))
        return (self.curr_block + 1 + int(rng.integers(n - 1))) % n

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> ResetResult:
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, {**info, "block": self._trial_block}

    def step(self, action: Any) -> StepResult:
        block = self._trial_block  # the answered step's trial; the step may start the next one
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, {**info, "block": block}


class RandomGroundTruth(SideBias):
    """The ground truth drawn with fixed probabilities `p` over `values`, every trial (one block)."""

    def __init__(
        self, env: gym.Env, p: Sequence[float], variable: str = "ground_truth", values: Sequence[Any] | None = None
    ):
        gym.utils.RecordConstructorArgs.__init__(self, p=p, variable=variable, values=values)  # recorded first wins
        super().__init__(env, [list(p)], block_dur=1, variable=variable, values=values)


class TrialHistory(TrialWrapper):
    """Markov ground truth: the next trial's value depends on the previous trial's.

    `probs[i][j]` is the probability that a trial has `values[j]` when the previous trial
    had `values[i]` (rows sum to 1); the first trial after a reset is uniform. The previous
    value is read from the trial actually run, so a trial started with an explicit
    `new_trial(ground_truth=...)` counts as history too. Such serial dependencies (e.g. a
    repeating or alternating environment) are what history-biased behaviour is studied with.
    """

    def __init__(
        self,
        env: gym.Env,
        probs: Sequence[Sequence[float]],
        variable: str = "ground_truth",
        values: Sequence[Any] | None = None,
    ):
        super().__init__(env, probs=probs, variable=variable, values=values)
        self.probs = probability_rows(probs, square=True)
        self.values = trial_values(self.task, variable, values, self.probs.shape[1])
        self.variable = variable
        self.previous: int | None = None  # index into values of the previous trial's value

    def on_reset(self) -> None:
        self.previous = None

    def new_trial(self, **overrides: Any) -> dict[str, Any]:
        n = len(self.values)
        p = np.full(n, 1.0 / n) if self.previous is None else self.probs[self.previous]
        value = self.values[int(self.task.np_random.choice(n, p=p))]
        trial = self.draw_next(**{self.variable: value, **overrides})
        actual = trial.get(self.variable)
        self.previous = self.values.index(actual) if actual in self.values else None
        return trial


def _block_duration(block_dur: Any) -> tuple[float | None, tuple[int, int]]:
    """`block_dur` as (per-trial switch probability or None, inclusive (low, high) range of trials)."""
    if isinstance(block_dur, float) and not block_dur.is_integer():
        if not 0 < block_dur < 1:
            raise ValueError(f"block_dur as a switch probability must lie strictly between 0 and 1, got {block_dur}")
        return block_dur, (1, 1)
    bounds = (block_dur, block_dur) if np.ndim(block_dur) == 0 else tuple(block_dur)
    if (
        isinstance(block_dur, str)
        or len(bounds) != 2
        or not all(isinstance(b, (int, float, np.number)) for b in bounds)
    ):
        raise TypeError(
            f"block_dur must be a number of trials, a (low, high) range or a switch probability, got {block_dur!r}"
        )
    if any(int(b) != b for b in bounds) or not 1 <= bounds[0] <= bounds[1]:
        raise ValueError(f"block_dur must be a whole number of trials >= 1 or a (low, high) range, got {block_dur}")
    return None, (int(bounds[0]), int(bounds[1]))
