"""NeuroGym's public helpers under their NeuroGym names, so code written for NeuroGym keeps its calls.

    from taskspec.tools.neurogym_compat import RandomSchedule, TruncExp, plot_env

- `plot_env(env, num_steps=200, num_trials=None, def_act=None, model=None, ...)`: NeuroGym's
  plotting call, drawn by `taskspec.tools.plot.plot_trials` (the same panels; see docs/migration.md
  for the arguments it does not take).
- `TruncExp(vmean, vmin=0, vmax=inf)`: a seeded sampler of a truncated exponential, the
  distribution of the spec language's `trunc_exp(m, lo, hi)` (the same function draws both).
- `SequentialSchedule`, `RandomSchedule`, `SequentialBlockSchedule`, `RandomBlockSchedule`:
  schedule objects for `taskspec.wrappers.ScheduleEnvs`: called, each returns the next
  task's index; `seed(s)` and `reset()` as in NeuroGym.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..runtime.functions import trunc_exp


class TruncExp:
    """Durations from an exponential of mean `vmean` restricted to [vmin, vmax); `vmax` when vmin >= vmax."""

    def __init__(self, vmean: float, vmin: float = 0.0, vmax: float = np.inf):
        if not (np.isfinite(vmean) and vmean > 0):
            raise ValueError(f"TruncExp needs a finite mean above 0, got vmean={vmean!r}")
        self.vmean, self.vmin, self.vmax = float(vmean), float(vmin), float(vmax)
        self.rng = np.random.default_rng()

    def seed(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, *args: Any, **kwargs: Any) -> float:
        # inverse-CDF sampling (runtime.functions.trunc_exp): one uniform per draw, no rejection loop
        return float(trunc_exp(self.rng, 1, self.vmean, self.vmin, self.vmax)[0])


class BaseSchedule:
    """A schedule over `n` conditions: `i` is the current one, `count` how long it has lasted,
    `total_count` how many calls were made since `reset()`."""

    def __init__(self, n: int):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"a schedule needs a whole number of conditions of at least 1, got n={n!r}")
        self.n = int(n)
        self.rng = np.random.default_rng()
        self.reset()

    def seed(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        self.total_count, self.count, self.i = 0, 0, 0

    def __call__(self) -> int:
        self.i = self._next()
        self.total_count += 1
        return self.i

    def _next(self) -> int:
        raise NotImplementedError("a schedule subclass says how the next condition is chosen")

    def _another(self) -> int:
        """A condition other than the current one, uniformly (the current one when it is the only one)."""
        if self.n == 1:
            return 0
        pick = int(self.rng.integers(self.n - 1))
        return pick + (pick >= self.i)


class SequentialSchedule(BaseSchedule):
    """0, 1, ..., n-1, 0, ... (the first call returns 1, as NeuroGym's: `i` starts at 0)."""

    def _next(self) -> int:
        self.count = 1
        return (self.i + 1) % self.n


class RandomSchedule(BaseSchedule):
    """Each call a condition drawn uniformly among the others (never the same twice in a row)."""

    def _next(self) -> int:
        return self._another()


class _BlockSchedule(BaseSchedule):
    """Condition i lasts `block_lens[i]` calls before the schedule moves on."""

    def __init__(self, n: int, block_lens: Sequence[int]):
        super().__init__(n)
        lens = list(block_lens)
        if len(lens) != self.n:
            raise ValueError(f"block_lens has {len(lens)} lengths for {self.n} conditions; give one per condition")
        if any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1 for x in lens):
            raise ValueError(f"block lengths must be whole numbers of at least 1, got {lens!r}")
        self.block_lens = lens

    def _next(self) -> int:
        if self.count < self.block_lens[self.i]:
            self.count += 1
            return self.i
        self.count = 1
        return self._move()

    def _move(self) -> int:
        raise NotImplementedError("a block schedule subclass says which block follows")


class SequentialBlockSchedule(_BlockSchedule):
    """Blocks in order: `block_lens[0]` calls of 0, then `block_lens[1]` of 1, ..."""

    def _move(self) -> int:
        return (self.i + 1) % self.n


class RandomBlockSchedule(_BlockSchedule):
    """Blocks of the given lengths, each next block drawn uniformly among the other conditions."""

    def _move(self) -> int:
        return self._another()


def plot_env(
    env: Any,
    num_steps: int = 200,
    num_trials: int | None = None,
    def_act: Any = None,
    model: Any = None,
    name: str | None = None,
    legend: bool = True,
    ob_traces: Sequence[str] | None = None,
    fig_kwargs: dict[str, Any] | None = None,
    fname: str | Path | None = None,
    plot_performance: bool = True,
) -> Any:
    """NeuroGym's `plot_env`: `num_trials` whole trials, or else `num_steps` steps, played with the
    constant action `def_act`, a model's `predict(observation)` (Stable-Baselines3's), or, when neither
    is given, random actions (NeuroGym's default). Returns the Figure; saves it to `fname` if given.

    Drawn by `taskspec.tools.plot.plot_trials` (observation heatmap, ground truth, actions, rewards and the
    periods); NeuroGym's `ob_traces` (observations as line traces), `legend=False` and
    `plot_performance=False` have no counterpart there and are refused rather than ignored."""
    from .plot import plot_trials, pyplot

    if ob_traces:
        raise ValueError("plot_env draws observations as a heatmap; ob_traces (line traces) are not supported")
    if not legend or not plot_performance:
        raise ValueError("plot_env always draws the action labels and the reward panel (legend, plot_performance)")
    if model is not None and def_act is not None:
        raise ValueError("give either def_act (a constant action) or model, not both")
    policy: Any = "random"
    if model is not None:
        policy = lambda ob: model.predict(ob, deterministic=True)[0]  # noqa: E731 - Stable-Baselines3's call
    elif def_act is not None:
        action = np.asarray(def_act).item() if np.ndim(def_act) == 0 else np.asarray(def_act)
        policy = lambda ob: action  # noqa: E731
    into = pyplot().figure(**{"layout": "constrained", **fig_kwargs}) if fig_kwargs else None
    if num_trials is not None:
        fig = plot_trials(env, trials=int(num_trials), policy=policy, ax=into)
    else:  # at least a step per trial: `num_steps` trials are never fewer than `num_steps` steps
        fig = plot_trials(env, trials=int(num_steps), policy=policy, ax=into, steps=int(num_steps))
    if name is not None:
        fig.suptitle(name)
    if fname is not None:
        fig.savefig(fname)
        pyplot().close(fig)
    return fig
