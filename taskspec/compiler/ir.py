"""The intermediate representation: everything codegen needs, already checked.

Each expression is held once, as its checked syntax tree (`expressions.Checked`); the code
generator renders it for each backend (`render.py`). No field holds spec text as code.
Each element keeps the spec location it came from; the generated module carries these
locations as a data table (never as comments), so a runtime error can point back at the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .expressions import Checked


@dataclass(frozen=True)
class Location:
    """Where an element was written: its YAML path, file, line and column."""

    path: str
    file: str
    line: int
    col: int


@dataclass(frozen=True)
class Code:
    """A checked expression and where the spec wrote it."""

    expr: Checked
    where: Location

    @property
    def names(self) -> frozenset[str]:
        """The spec names the expression reads."""
        return self.expr.names


@dataclass(frozen=True)
class ParamIR:
    name: str
    default: Any
    kind: str  # "bool", "int", "float" or "list"
    low: float | None
    high: float | None
    doc: str | None


@dataclass(frozen=True)
class GroupIR:
    name: str
    size: Code


@dataclass(frozen=True)
class VariableIR:
    name: str
    value: Code


@dataclass(frozen=True)
class SessionIR:
    name: str
    init: Code
    next: Code


@dataclass(frozen=True)
class StateIR:
    name: str
    init: Code  # evaluated with the trial variables, for a batch of trials
    next: Code  # evaluated after each action: in `step`, and for all envs of a vector env
    periods: tuple[str, ...]


@dataclass(frozen=True)
class PeriodIR:
    name: str
    duration: Code
    after: str | None
    constant_ms: float | None
    text: str  # the duration as written in the spec, shown by `env.timing`
    copy: int | None = None  # which copy of a repeated block the period belongs to
    until: Code | None = None  # ends the period early after a step where it holds
    then: str | None = None  # the period that follows it ("end": none), when not the next one laid out
    otherwise: str | None = None  # where an `until` period goes when it runs its full length


@dataclass(frozen=True)
class InputIR:
    index: int
    periods: tuple[str, ...]
    groups: tuple[str, ...]
    value: Code | None
    noise: Code | None
    follows_state: bool = False  # the value reads a state variable or `performance`: added as the agent acts


@dataclass(frozen=True)
class TargetIR:
    periods: tuple[str, ...]
    value: Code


@dataclass(frozen=True)
class RegressionIR:
    periods: tuple[str, ...]
    groups: tuple[str, ...]  # action groups, concatenated
    value: Code


@dataclass(frozen=True)
class RuleIR:
    periods: tuple[str, ...]
    when: Code
    reward: Code
    performance: Code | None
    end_trial: bool
    goto: str | None = None  # the period the trial goes on with after this step


@dataclass(frozen=True)
class LossIR:
    """The spec's `loss:` with repeated blocks expanded to their periods and every name checked."""

    weights: tuple[tuple[str, float], ...]  # period -> weight
    default: float
    grace: tuple[tuple[str, float], ...]  # period -> ms weighing 0 at its start
    groups: tuple[tuple[str, float], ...]  # action group -> factor


@dataclass(frozen=True)
class TaskIR:
    name: str
    class_name: str
    description: str
    paper: str | None
    url: str | None
    tags: tuple[str, ...]
    source: str
    dt: float
    params: tuple[ParamIR, ...]
    rewards: tuple[tuple[str, float], ...]
    observation: tuple[GroupIR, ...]
    action: tuple[GroupIR, ...]
    action_type: str
    action_bounds: tuple[float, float]
    variables: tuple[VariableIR, ...]
    session: tuple[SessionIR, ...]
    state: tuple[StateIR, ...]
    episode: str
    periods: tuple[PeriodIR, ...]
    inputs: tuple[InputIR, ...]
    targets: tuple[TargetIR, ...]
    rules: tuple[RuleIR, ...]
    timeouts: tuple[RuleIR, ...]
    loss: LossIR | None = None
    regression: tuple[RegressionIR, ...] = ()  # values an output per action column should take
    reads_history: bool = False  # a session variable reads the finished trial's outcome: trials one at a time
    reads_performance: bool = False  # rules, conditions or inputs read the current trial's performance
    window_sizes: tuple[Code, ...] = ()  # windows' numbers of trials given by parameters, checked at make

    @property
    def interactive(self) -> bool:
        """Whether the agent's actions shape the trial's timing (beyond ending it) or the next trials."""
        return (
            self.reads_history
            or any(p.until or p.then or p.otherwise for p in self.periods)
            or any(r.goto for r in self.rules)
        )
