"""What a generated class gives its base, and how the step machine calls it.

A compiled task is a subclass of `TrialEnv` that sets one record, `info`, and defines hooks: how
a batch of trials is drawn and laid out, and its rules (state moves, outcome rules, `until`
conditions, timeout rules), each written for one env (`_judge`, ...) and for many (`_judge_all`,
...). `ScalarRules` and `ArrayRules` present those hooks as the step machine's `machine.Rules`
(runtime/machine.py), for the single env and for the vector env.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from ..errors import SpecError
from . import functions as fn
from . import machine
from .info import TaskInfo
from .located import SpecLocated


class TaskHooks(SpecLocated, gym.Env, abc.ABC):
    """The class attributes and hooks of a compiled task (a base of `TrialEnv`)."""

    # Set by each generated class: everything about its task, as one typed record.
    info: ClassVar[TaskInfo] = TaskInfo(name="", dt=100.0)
    # Derived from `info` for each subclass (see __init_subclass__): NeuroGym's names and shortcuts.
    task_name: ClassVar[str] = ""
    paper: ClassVar[str | None] = None
    url: ClassVar[str | None] = None
    tags: ClassVar[tuple[str, ...]] = ()
    default_dt: ClassVar[float] = 100.0
    default_rewards: ClassVar[Mapping[str, float]] = {}
    default_timing: ClassVar[Mapping[str, float | str]] = {}
    period_after: ClassVar[Mapping[str, str | None]] = {}
    period_copy: ClassVar[Mapping[str, int]] = {}
    input_groups: ClassVar[tuple[tuple[str, ...], ...]] = ()
    regression_groups: ClassVar[tuple[tuple[str, ...], ...]] = ()
    trial_variables: ClassVar[tuple[str, ...]] = ()
    session_variables: ClassVar[tuple[str, ...]] = ()
    state_variables: ClassVar[tuple[str, ...]] = ()
    state_inputs: ClassVar[tuple[int, ...]] = ()
    episode: ClassVar[str] = "continuing"
    has_target: ClassVar[bool] = False
    action_type: ClassVar[str] = "discrete"
    action_bounds: ClassVar[tuple[float, float]] = (-1.0, 1.0)
    # For load-time classes, the (file, text) pairs of the spec and its parents; the library registers
    # a pickle reducer that carries them, so an unpickled env reads no file.
    spec_origin: ClassVar[tuple[tuple[str, str], ...] | None] = None

    # What the scalar hooks read besides the trial: the state variables and the performance so far.
    _state: dict[str, Any]
    performance: float

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except SpecError:
            raise
        except Exception as exc:
            raise self._located(exc) from None

    # ----- hooks: what a generated class says about its task -----

    @abc.abstractmethod
    def _group_sizes(self, _params: dict[str, Any]) -> dict[str, Any]:
        """The size of each observation and action group, given the parameters."""

    @abc.abstractmethod
    def _sample_trials(self, _rng: np.random.Generator, _n: int, _fixed: dict[str, Any], _session: Any) -> Any:
        """Trial variables and period durations of `_n` trials, as arrays."""

    @abc.abstractmethod
    def _fill(self, _trials: Any, _vars: Any, _start: Any, _end: Any, t: Any) -> None:
        """Place the inputs and targets of a batch of trials."""

    @abc.abstractmethod
    def _judge(self, action: Any, target: Any, t: float) -> tuple[float, Any, bool]:
        """(reward, performance or None, end of trial) of one step."""

    @abc.abstractmethod
    def _judge_all(self, action: Any, target: Any, t: Any, _vars: Any, _start: Any, _end: Any, _states: Any) -> Any:
        """The same for every env of a vector env at once (an `fn.Outcomes`)."""

    # Optional hooks: a task without session or state variables, or timeout rules, keeps these.
    def _session_init(self, _rng: Any, _n: int) -> dict[str, Any]:
        return {}

    def _session_next(self, _rng: Any, _n: int, _prev: dict[str, Any]) -> dict[str, Any]:
        return _prev

    def _state_next(self, action: Any, target: Any, t: float) -> dict[str, Any]:
        return self._state

    def _add_state_inputs(self, _ob: np.ndarray, t: float) -> np.ndarray:
        return _ob

    def _state_next_all(
        self, action: Any, target: Any, t: Any, _vars: Any, _start: Any, _end: Any, _states: Any
    ) -> Any:
        return _states

    def _add_state_inputs_all(
        self, _ob: Any, t: Any, _vars: Any, _period_start: Any, _period_end: Any, _states: Any
    ) -> Any:
        return _ob

    def _timeout(self) -> tuple[float, Any]:
        return 0.0, None

    def _until(self, _period: str, action: Any, target: Any, t: float) -> bool:
        return False

    def _until_all(
        self, _period: str, action: Any, target: Any, t: Any, _vars: Any, _start: Any, _end: Any, _states: Any
    ) -> Any:
        return np.zeros(len(action), bool)

    def _timeout_all(self, t: Any, _vars: Any, _states: Any) -> Any:
        return fn.Outcomes(t)


class ArrayRules:
    """A compiled task's rules for many envs at once (`machine.Rules`), errors located at the spec line.
    Called at every step of a vector env: the hooks are looked up once, here."""

    def __init__(self, env: TaskHooks, variables: Any, start: Any, end: Any):
        self.variables, self.start, self.end = variables, start, end
        self.call, self.moves = env._call, bool(env.state_variables)
        self.reads_performance = env.info.reads_performance
        self.hooks = (env._state_next_all, env._judge_all, env._until_all, env._timeout_all, env._add_state_inputs_all)

    def state_next(self, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        if self.reads_performance:
            states = {**states, "performance": performance}
        return self.call(self.hooks[0], action, target, t, self.variables, self.start, self.end, states)

    def judge(self, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        if self.reads_performance:
            states = {**states, "performance": performance}
        return self.call(self.hooks[1], action, target, t, self.variables, self.start, self.end, states)

    def until(self, period: str, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        if self.reads_performance:
            states = {**states, "performance": performance}
        return self.call(self.hooks[2], period, action, target, t, self.variables, self.start, self.end, states)

    def timeout(self, t: Any, states: Any, performance: Any) -> tuple[Any, Any]:
        if self.reads_performance:
            states = {**states, "performance": performance}
        late = self.call(self.hooks[3], t, self.variables, states)
        return late.reward, late.performance  # plain numbers where no rule matched (see Outcomes)

    def state_inputs(self, ob: Any, t: Any, states: Any, performance: Any) -> Any:
        """Observations with the inputs that follow each env's state added."""
        if self.reads_performance:
            states = {**states, "performance": performance}
        return self.call(self.hooks[4], ob, t, self.variables, self.start, self.end, states)


class ScalarRules:
    """A compiled task's rules for the single env (`machine.Rules` over plain numbers): the scalar
    hooks of the generated class, which read the env's state and performance as attributes. Its
    `judge` returns itself, the outcome, so a step allocates nothing here."""

    __slots__ = ("end", "env", "goto", "index", "moves", "performance", "reward")

    def __init__(self, env: TaskHooks, flow: machine.Flow):
        self.env, self.index, self.moves = env, flow.index, bool(env.state_variables)
        self.reward, self.performance, self.end, self.goto = 0.0, math.nan, False, machine.NONE

    def state_next(self, action: Any, target: Any, t: float, states: Any, performance: Any) -> Any:
        env = self.env
        env._state = env._state_next(action, target, t)  # the rules judge the moved state
        return env._state

    def judge(self, action: Any, target: Any, t: float, states: Any, performance: Any) -> ScalarRules:
        return self.outcome(*self.env._judge(action, target, t))

    def outcome(self, reward: float, performed: Any, end: Any) -> ScalarRules:
        """The outcome from what the scalar `_judge` returns: the reward, the performance (None: unset),
        and True, False or the period a `goto` goes on with."""
        self.reward, self.performance = reward, math.nan if performed is None else performed
        if end is True or end is False:
            self.end, self.goto = end, machine.NONE
        else:
            self.end, self.goto = False, self.index[end]
        return self

    @property
    def ended_by(self) -> int:
        """The rule that ended the trial (`last_rule`): the scalar `_judge` notes it on the env itself."""
        return self.env.ended_rule  # type: ignore[attr-defined, no-any-return]

    def until(self, period: str, action: Any, target: Any, t: float, states: Any, performance: Any) -> bool:
        env = self.env
        env.performance = performance  # `until` reads the performance this step's rule left
        return env._until(period, action, target, t)

    def timeout(self, t: float, states: Any, performance: Any) -> tuple[float, float]:
        env = self.env
        env.performance = performance
        extra, performed = env._timeout()
        return extra, math.nan if performed is None else performed


_GENERATED_HOOKS = ("_group_sizes", "_sample_trials", "_fill", "_judge", "_judge_all")


def refuse_handwritten(cls: type) -> None:
    """A class that does not define the hooks a compiled spec defines is a hand-written task: refuse it
    with the way forward, instead of Python's bare "abstract methods" error when it is instantiated."""
    missing = [name for name in _GENERATED_HOOKS if getattr(getattr(cls, name), "__isabstractmethod__", False)]
    if missing:
        raise TypeError(
            f"{cls.__name__} subclasses taskspec.TrialEnv by hand; taskspec tasks are YAML specs compiled"
            f" into TrialEnv classes, so write the task as a spec (docs/tutorial.md) and load it with"
            f" taskspec.make: docs/migration.md shows where each NeuroGym call (_new_trial, _step,"
            f" add_ob, set_groundtruth, ...) goes in the spec language"
        )
