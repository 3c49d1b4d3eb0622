"""The typed record a generated class gives its base: everything the runtime reads about a task.

A generated class sets one class attribute, `info = TaskInfo(...)`; the `TrialEnv` base derives
its NeuroGym-style class attributes (`task_name`, `default_timing`, ...) from it, so there is one
source of truth and no positional tuples. The spec locations travel beside the class, as the
module's `_SPEC_LOCATIONS` table, since they name lines of the generated module itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ParamInfo:
    """A parameter: its kind ("bool", "int", "float" or "list"), default, bounds and meaning."""

    name: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    doc: str | None = None


@dataclass(frozen=True)
class TaskInfo:
    """What a compiled task is, as data."""

    name: str
    dt: float  # the default time step, ms
    paper: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    params: tuple[ParamInfo, ...] = ()
    rewards: Mapping[str, float] = field(default_factory=dict)
    timing: Mapping[str, float | str] = field(default_factory=dict)  # default durations: ms, or the expression
    period_after: Mapping[str, str | None] = field(default_factory=dict)  # the period each one follows
    period_copy: Mapping[str, int] = field(default_factory=dict)  # period -> its copy in a repeated block
    trial_variables: tuple[str, ...] = ()
    session_variables: tuple[str, ...] = ()
    state_variables: tuple[str, ...] = ()
    input_groups: tuple[tuple[str, ...], ...] = ()  # the observation groups each input writes
    state_inputs: tuple[int, ...] = ()  # inputs whose value follows the agent's state
    has_target: bool = False
    regression_groups: tuple[tuple[str, ...], ...] = ()  # the action groups each regression placement writes
    episode: str = "continuing"  # or "trial": one episode per trial
    action_type: str = "discrete"
    action_bounds: tuple[float, float] = (-1.0, 1.0)
    # Agent-contingent timing: period -> (has an `until`, `then`, `otherwise`), and the periods rules go to.
    flow: Mapping[str, tuple[bool, str | None, str | None]] = field(default_factory=dict)
    goto_targets: tuple[str, ...] = ()
    reads_history: bool = False  # session variables read the finished trial's outcome
    history_reads: tuple[str, ...] = ()  # what of it they read: `last_<x>`, windows `past_<x>`, `trials_done`
    reads_performance: bool = False  # rules, `until` conditions or inputs read the current performance
    # The spec's `loss:`: {"weights": {period: w}, "default": w, "grace": {period: ms}, "groups": {group: f}}
    loss: Mapping[str, Any] | None = None

    @property
    def interactive(self) -> bool:
        """Whether actions shape the trial's timing (beyond ending it) or the trials that follow."""
        return bool(self.flow or self.goto_targets or self.reads_history)

    def param(self, name: str) -> ParamInfo | None:
        return next((p for p in self.params if p.name == name), None)
