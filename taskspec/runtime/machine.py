"""The meaning of one step, written once over an array namespace `xp` (NumPy or `jax.numpy`).

A step judges the action that answers step k of each env's trial: the state variables move,
the outcome rules decide reward, performance, the trial's end and any `goto`; agent-contingent
timing (`until`, `then`, `otherwise`, `goto`) finds the next step; a trial that runs out gets
the timeout rules. The native vector env runs this with NumPy on one value per env, the JAX
backend with `jax.numpy` under `jit`, the single env with `runtime.scalar` (plain numbers, one env);
tests/test_vector.py checks the single env and the vector env equal step for step on every task.

Backends supply their compiled rules through `Rules`; what a step did comes back as a `Step`.
With NumPy and with plain numbers, work that no env needs (an `until` in a period no env is in,
timeout rules on a step where no trial runs out) is skipped; under `jit` every branch is computed
and masked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from . import scalar

END = -2  # the code of the period `end` (the trial's end) among period indices
NONE = -1  # no period: a step after no jump


class Rules(Protocol):
    """A backend's compiled rules of one task, evaluated for every env at once."""

    moves: bool  # whether the task has state variables the action moves (else `state_next` is not called)

    def state_next(self, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        """State variables after the action moved them."""

    def judge(self, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        """The outcome rules: an object with `reward`, `performance` (NaN: unchanged), `end`, `goto` and
        `ended_by` (the index of the rule that ended the trial, -1: none)."""

    def until(self, period: str, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        """Whether `period`'s `until` condition holds after the step."""

    def timeout(self, t: Any, states: Any, performance: Any) -> tuple[Any, Any]:
        """(reward, performance) of the timeout rules of a trial that ran out; NumPy rules may give
        plain numbers for every env (0.0 and NaN where no rule matched)."""


@dataclasses.dataclass(frozen=True)
class Flow:
    """The periods in layout order and, for each period that has any, (has until, then, otherwise)."""

    periods: tuple[str, ...]
    links: Mapping[str, tuple[bool, str | None, str | None]]
    index: Mapping[str, int] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # looked up at every step of the single env: a dict, not list.index
        object.__setattr__(self, "index", {name: j for j, name in enumerate(self.periods)})

    def code(self, period: str) -> int:
        """A period's index; `end` is END."""
        return END if period == "end" else self.index[period]


@dataclasses.dataclass(slots=True)  # made every step: plain slots, cheaper than a frozen dataclass
class Position:
    """Where each env is: step k at time t (ms), its period index, its periods' bounds in steps, its length."""

    k: Any
    t: Any
    period: Any
    start: Mapping[str, Any]
    stop: Mapping[str, Any]
    length: Any


@dataclasses.dataclass(slots=True)
class Step:
    """What one step did, per env."""

    states: Any  # state variables after the action
    reward: Any  # the rules' reward plus the timeout's where the trial ran out
    judged: Any  # the rules' reward
    late: Any  # the timeout's reward where the trial ran out, else 0
    performance: Any  # after the rules and the timeout
    ended: Any  # the trial ended at this step
    timed_out: Any  # ... by running out (`last_timed_out`)
    decided: Any  # an action ended the trial or made it jump (`last_choice`); None for plain tasks
    next: Any  # the step after k (meaningless where `ended`)
    ended_by: Any = -1  # the outcome rule (its index) that ended the trial here, else -1 (`last_rule`)


def anywhere(xp: Any, mask: Any) -> bool:
    """Whether any env needs a piece of work: always, under JAX (traced values have no truth).
    (`count_nonzero` is a plain C call, several times cheaper than `ndarray.any` on a step's masks.)"""
    if xp is np:
        return bool(np.count_nonzero(mask))
    return bool(mask) if xp is scalar else True


def per_env(xp: Any, value: Any, n: int, dtype: Any) -> Any:
    """One value per env (NumPy: an array of them as it is, a number repeated; JAX: vmap's value as it is)."""
    if xp is np:  # (first: the vector env calls this twice a step, the single env seldom)
        if type(value) is np.ndarray:
            return value.astype(dtype, copy=False) if value.shape == (n,) else np.full(n, value, dtype)
        repeated = np.empty(n, dtype)  # a plain number (no rule matched: most steps); fill is a C call, np.full is not
        repeated.fill(value)
        return repeated
    if xp is scalar:  # the single env: its rules give plain numbers already
        return value
    return xp.asarray(value, dtype)


def kept(xp: Any, old: Any, new: Any) -> Any:
    """Performance after a rule: the rule's where it set one, else the old (NaN means unset)."""
    if xp is scalar:
        return old if new != new else new  # NaN is the one number unequal to itself
    if xp is np and type(new) is not np.ndarray:  # a NumPy rule that matched nowhere leaves a plain NaN
        return old
    return xp.where(xp.isnan(new), old, new)


def step(
    xp: Any,
    flow: Flow,
    rules: Rules,
    at: Position,
    action: Any,
    target: Any,
    performance: Any,
    states: Any,
    n: int,
    interactive: bool,
) -> Step:
    """One step of `n` envs: the action moves the state, the rules judge it, the trial goes on or ends."""
    states, outcome = judge(rules, at, action, target, performance, states)
    return settle(xp, flow, rules, at, action, target, outcome, performance, states, n, interactive)


def judge(rules: Rules, at: Position, action: Any, target: Any, performance: Any, states: Any) -> tuple[Any, Any]:
    """A step's first half: the action moves the state variables, then the rules judge the moved state.
    The state after the move, and the rules' outcome."""
    if rules.moves:
        states = rules.state_next(action, target, at.t, states, performance)
    return states, rules.judge(action, target, at.t, states, performance)


def uneventful(outcome: Any, at: Position) -> bool:
    """Whether, for one env (plain numbers) of a task with no agent-contingent timing or trial history,
    `settle` would only go on to step k+1 with the rules' reward and the performance and state as they
    are: no rule ended the trial or set the performance, and the trial has steps left. The single env
    skips `settle` then (most steps); tests/test_machine_scalar.py checks this claim against `settle`."""
    return outcome.end is False and outcome.performance != outcome.performance and at.k + 1 < at.length


def settle(
    xp: Any,
    flow: Flow,
    rules: Rules,
    at: Position,
    action: Any,
    target: Any,
    outcome: Any,
    performance: Any,
    states: Any,
    n: int,
    interactive: bool,
) -> Step:
    """A step's second half, once the rules judged it: the performance a rule set, where the trial goes
    on (gotos, `until`, `then`, `otherwise`), and the timeout rules of a trial that ran out."""
    reward, end = per_env(xp, outcome.reward, n, float), per_env(xp, outcome.end, n, bool)
    performance = kept(xp, performance, outcome.performance)
    nxt, decided, ended_by = at.k + 1, None, -1
    if interactive:  # gotos, `until` conditions and `then` links move envs elsewhere
        goto = per_env(xp, outcome.goto, n, int)
        decided = end | (goto >= 0)
        ended_by = per_env(xp, outcome.ended_by, n, int)
        held = _until(rules, action, target, at.t, states, performance)
        nxt = next_step(xp, flow, at, end, goto, held)
    timed_out = nxt >= at.length  # few envs are at their trial's last step: that is tested first
    judged, late = reward, 0.0
    ended = xp is not np or type(outcome.end) is np.ndarray  # (NumPy: plain False, no rule ended a trial)
    if anywhere(xp, timed_out) and (not ended or anywhere(xp, timed_out := timed_out & xp.logical_not(end))):
        extra, performed = rules.timeout(at.t, states, performance)
        # NumPy rules give plain 0.0 and NaN where no timeout rule matched (a task with none: every
        # time): then nothing changes, and no arrays are built to say so
        if xp is not np or type(extra) is np.ndarray or extra != 0.0:
            late = xp.where(timed_out, extra, 0.0)
            reward = reward + late
        if xp is not np or type(performed) is np.ndarray or performed == performed:
            performance = xp.where(timed_out & xp.logical_not(xp.isnan(performed)), performed, performance)
        end = end | timed_out
    return Step(states, reward, judged, late, performance, end, timed_out, decided, nxt, ended_by)


def earned(trial_reward: Any, judged: Any, late: Any) -> Any:
    """A trial's whole reward (`last_reward`) after a step: the rules' reward (a Step's `judged`), then
    the timeout's (its `late`: 0 where the trial did not run out)."""
    return trial_reward + judged + late


def _until(rules: Rules, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Callable[[str], Any]:
    return lambda period: rules.until(period, action, target, t, states, performance)


def next_step(xp: Any, flow: Flow, at: Position, end: Any, goto: Any, held: Callable[[str], Any]) -> Any:
    """The step after k: a rule's goto enters its period; else a period whose `until` holds goes on
    with its `then` (or the step after its laid-out end); else a period that ran its full length goes
    on with its `otherwise` or `then`; a period of no steps passes on to its `then`; `end` gives the
    trial's length. Jumps only go forward."""
    k = at.k
    dest = xp.where(end, NONE, goto)  # the period each env enters next
    nxt = k + 1
    for name, (has_until, then, otherwise) in flow.links.items():
        here = (at.period == flow.index[name]) & (dest == NONE) & xp.logical_not(end)
        if not anywhere(xp, here):
            continue
        if has_until:
            hit = here & held(name)
            if then is None:  # on with the step after the period's laid-out end
                nxt = xp.where(hit, at.stop[name], nxt)
            else:
                dest = xp.where(hit, flow.code(then), dest)
            here = here & xp.logical_not(hit)
        towards = otherwise or then
        if towards is not None:  # it ran its full length
            dest = xp.where(here & (k + 1 >= at.stop[name]), flow.code(towards), dest)
    if not anywhere(xp, dest != NONE):  # no env enters a period (most steps): each goes on with `nxt`
        return nxt
    for _ in flow.periods:  # one pass per period at most, as jumps go forward
        moved = False
        for name, (_, then, _) in flow.links.items():
            if then is None:
                continue
            empty = (dest == flow.index[name]) & (at.start[name] == at.stop[name])
            if anywhere(xp, empty):
                dest, moved = xp.where(empty, flow.code(then), dest), True
        if not moved:
            break
    for j, name in enumerate(flow.periods):
        entering = dest == j
        if anywhere(xp, entering):
            nxt = xp.where(entering, at.start[name], nxt)
    return xp.where(dest == END, at.length, nxt)


def history(
    performance: Any, reward: Any, timed_out: Any, choice: Any, choice_t: Any, done: Any, period: Any, rule: Any
) -> dict[str, Any]:
    """A finished trial's outcome under the names session variables read (with `last_<variable>` added
    by the caller); before the first trial all are 0 but the choice, its time, the period and the rule, -1.
    `period` is the index (in layout order) of the period of the step that ended the trial; `rule` the
    index (in the spec's order, `response:`'s rules last) of the outcome rule that ended it, -1 if none did."""
    return {
        "last_period": period,
        "last_rule": rule,
        "last_performance": performance,
        "last_reward": reward,
        "last_timed_out": timed_out,
        "last_choice": choice,
        "last_choice_t": choice_t,
        "trials_done": done,
    }


WINDOW = 500  # the most past trials a window may span: `past_<x>` holds this many values (spec reference)


def remember(xp: Any, previous: Mapping[str, Any] | None, outcome: dict[str, Any]) -> dict[str, Any]:
    """`outcome` with `past_<x>` added for each number `last_<x>`: its last WINDOW values, newest
    first, shifted on from `previous` (None: before the first trial, all 0). A value's shape is
    `lead` (NumPy: one trial, (1,); JAX: ()), a window's `lead + (WINDOW,)`; vectors have none."""
    out = dict(outcome)
    for name, value in outcome.items():
        if not name.startswith("last_"):
            continue
        lead = tuple(xp.shape(value))
        if int(np.prod(lead, dtype=int)) != 1 or len(lead) > 1:
            continue
        key = "past_" + name[5:]
        dtype = xp.float64 if xp is np else xp.float32
        past = previous[key] if previous is not None and key in previous else xp.zeros((*lead, WINDOW), dtype)
        newest = xp.reshape(xp.asarray(value, dtype), (*lead, 1))
        out[key] = xp.concatenate([newest, past[..., :-1]], axis=-1)
    return out
