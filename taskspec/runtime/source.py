"""What a source of trials is: the `Batch` it builds and the interfaces sources declare.

`TrialSource` is what `generate_trials`, `Dataset` and the exporters ask of a task: the runtime
env (`TrialEnv`), a mix of tasks (`taskspec.data.multitask.TaskMix`) and the JAX env
(`taskspec.jax.JaxEnv`, with a JAX key for a generator) implement it. `TrialMaker` is what batch
building (trials.py) asks of a compiled task, and `Player` what the ground-truth rollout
(rollout.py) asks; `TrialEnv` implements both. With these here, trials.py and rollout.py need
nothing from env.py, which builds on them: no import goes both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

Rng = TypeVar("Rng", contravariant=True)


def shown(variables: Mapping[str, Any]) -> dict[str, Any]:
    """A trial's variables as users see them (info, batches, exports): without the state variables the
    compiler adds for its own bookkeeping (`each:` windows' `_answered<j>`), whose names start with '_'
    as no spec name can."""
    return {name: value for name, value in variables.items() if not name.startswith("_")}


@dataclass
class Batch:
    """Trials built together, padded to the longest: `ob[i, :length[i]]` is trial i."""

    ob: np.ndarray  # (n, T, obs) float32
    gt: np.ndarray  # (n, T) int64, or (n, T, act) float64 for continuous actions (exact targets)
    length: np.ndarray  # (n,) steps
    variables: dict[str, np.ndarray]  # name -> (n,)
    start: dict[str, np.ndarray]  # period -> (n,) first step
    end: dict[str, np.ndarray]  # period -> (n,) step after the last
    period_id: np.ndarray  # (n, T) index into the env's period names, -1 where none
    # (n, T) or (n, T, act) float32 loss weights (0 on padding; `runtime.weights`), filled by
    # `generate_trials`; None in the batches an env builds for itself.
    weight: np.ndarray | None = None
    # (n, T, act) float32 regression targets of the spec's `regression:` key (0 on padding); None without it
    regression: np.ndarray | None = None

    @property
    def mask(self) -> np.ndarray:
        """(n, T) True on the steps that belong to a trial, False on padding."""
        return np.arange(self.ob.shape[1]) < self.length[:, None]


@runtime_checkable
class TrialSource(Protocol[Rng]):
    """Builds trials as one padded `Batch`; `private()` is a copy whose session starts afresh, so
    several generators (threads, shards, streams) never share session variables. (Sources also say
    `task_name` and `has_target`; a class variable on `TrialEnv`, so not members here.)"""

    def generate(self, rng: Rng, n: int) -> Batch: ...

    def private(self) -> TrialSource[Rng]: ...


class TrialMaker(Protocol):
    """A compiled task as batch building reads it: its layout, its hooks (errors located at the spec line)."""

    @property
    def dt(self) -> float: ...

    @property
    def chunk_size(self) -> int: ...

    @property
    def params(self) -> dict[str, Any]: ...

    @property
    def observation_space(self) -> Any: ...

    @property
    def action_space(self) -> Any: ...

    @property
    def action_type(self) -> str: ...

    @property
    def period_after(self) -> Mapping[str, str | None]: ...

    @property
    def period_copy(self) -> Mapping[str, int]: ...

    @property
    def regression_groups(self) -> tuple[tuple[str, ...], ...]: ...

    @property
    def input_groups(self) -> tuple[tuple[str, ...], ...]: ...

    @property
    def input_columns(self) -> list[Any]: ...

    @property
    def timing_overrides(self) -> Mapping[str, float]: ...

    def session_values(self, rng: Any, n: int, given: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]: ...

    def sample_trials(self, rng: Any, n: int, overrides: dict[str, Any], session: Any) -> Any: ...

    def fill(self, builder: Any, variables: Any, start: Any, end: Any, t: Any) -> None: ...

    def spec_problem(self, path: str, message: str) -> None: ...


class Player(TrialMaker, Protocol):
    """A task played step by step under the timing contract, for trials shaped by the agent's actions."""

    @property
    def t_ind(self) -> int: ...

    @property
    def info(self) -> Any: ...

    def player(self) -> Any:
        """A copy that plays on this env's session and returns at each trial's end."""

    def serve(self, batch: Batch, i: int) -> tuple[np.ndarray, Any]:
        """Make trial i of `batch` current: its first observation and ground truth."""

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]: ...

    @property
    def target_now(self) -> Any:
        """The ground truth of the step the next action answers, as `step` takes an action."""

    def adopt_session(self, other: Any) -> None:
        """Go on from `other`'s session (after it played trials of this env's)."""
