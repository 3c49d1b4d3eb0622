"""Agent-contingent timing and trial history for the JAX backend, as the NumPy backend defines them.

The next step after a judged step is the step machine's (runtime/machine.py), shared with the NumPy
vector env. This module holds what only the JAX backend needs around it: the generated functions
as the machine's `Rules`, the finished trial's outcome as session variables read it, and batches
of such tasks as the ground-truth policy lives through them (runtime/rollout.py): each trial is
played for at most `max_steps` steps (jumps only go forward, so a trial never visits more steps
than it lays out), and the visited rows are the batch's rows, in the order visited.

`ContingentPlay` is a base of `JaxEnv` (env.py); `Host` declares what it reads of the env, so this
module imports nothing of env.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import jax
import jax.numpy as jnp

from ..runtime import Batch, machine
from ..runtime.source import shown
from . import functions as fn

if TYPE_CHECKING:
    from ..compiler import ir


def flow_of(task: ir.TaskIR) -> dict[str, tuple[bool, str | None, str | None]]:
    """(has until, then, otherwise) of each period that has any, as NumPy's TaskInfo.flow."""
    linked = [p for p in task.periods if p.until or p.then or p.otherwise]
    return {p.name: (p.until is not None, p.then, p.otherwise) for p in linked}


def no_choice(continuous: bool, n_act: int) -> Any:
    """`last_choice` before any: -1 (in every dimension of a continuous action)."""
    return jnp.full((n_act,), -1.0, jnp.float32) if continuous else jnp.int32(-1)


def record(
    performance: Any,
    reward: Any,
    timed_out: Any,
    choice: Any,
    choice_t: Any,
    done: Any,
    last: Any,
    previous: Any,
    period: Any = -1,
    rule: Any = -1,
) -> Any:
    """A finished trial's outcome under the names session variables read (`last` holds last_<variable>),
    with the windows over past trials shifted on from the `previous` trial's (None: all 0)."""
    outcome = machine.history(
        jnp.asarray(performance, jnp.float32),
        jnp.asarray(reward, jnp.float32),
        jnp.asarray(timed_out, bool),
        choice,
        jnp.asarray(choice_t, jnp.float32),
        jnp.asarray(done, jnp.int32),
        jnp.asarray(period, jnp.int32),
        jnp.asarray(rule, jnp.int32),
    )
    return machine.remember(jnp, previous, {**outcome, **last})


class Rules:
    """A task's generated JAX functions as the step machine's `Rules`, for one env's state."""

    def __init__(self, fns: Any, constants: dict[str, Any], variables: Any, start: Any, end: Any):
        self.fns, self.scope, self.start, self.end = fns, (constants, variables), start, end
        self.held: dict[str, Any] | None = None
        self.moves = True  # a task without state variables has the do-nothing `state_next` (generated.py)

    def state_next(self, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        return self.fns.state_next(*self.scope, states, performance, self.start, self.end, action, target, t)

    def judge(self, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        return self.fns.judge(*self.scope, states, performance, self.start, self.end, action, target, t)

    def until(self, period: str, action: Any, target: Any, t: Any, states: Any, performance: Any) -> Any:
        if self.held is None:  # every period's condition, computed once per step
            self.held = self.fns.until(*self.scope, states, performance, self.start, self.end, action, target, t)
        return self.held[period]

    def timeout(self, t: Any, states: Any, performance: Any) -> tuple[Any, Any]:
        late = self.fns.timeout(*self.scope, states, performance, self.start, self.end, t)
        return late.reward, late.performance


class Host(Protocol):
    """What `ContingentPlay` reads of the env it is a base of."""

    task: ir.TaskIR
    max_steps: int
    period_names: tuple[str, ...]
    continuous: bool
    n_act: int
    _fns: Any

    def _scope(self, params: Any) -> dict[str, Any]: ...
    def _count(self, what: str, call: Any) -> int: ...
    def _drawn(self, key: jax.Array, what: str, call: Any) -> Any: ...
    def _new_trial(self, rng: Any, session: Any, history: Any, constants: Any) -> Any: ...
    def _trial(self, rng: Any, session: Any, constants: Any, history: Any) -> Any: ...
    def _sessions(self, keys: jax.Array, first: Any, constants: Any) -> Any: ...
    def _observe(self, rng: Any, state: Any, constants: Any) -> Any: ...
    def _target(self, state: Any, constants: Any, k: Any) -> Any: ...
    def _period_id(self, state: Any, k: Any) -> Any: ...
    def _action(self, action: Any) -> Any: ...
    def _transition(self, state: Any, action: Any, constants: Any) -> Any: ...
    def _loss_weight(self, start: Any, end: Any, inside: Any, steps: Any) -> Any: ...
    def _play(self, trial: Any, key: jax.Array, constants: Any) -> Any: ...
    def _gather(self, rows: Any, variables: Any) -> Batch: ...
    def _first_history(self) -> dict[str, Any]: ...


class ContingentPlay:
    """Trial history and ground-truth play for a JAX env whose trials the agent's actions shape."""

    def _first_history(self: Host) -> dict[str, Any]:
        """What `last_...` reads before the first trial: all 0, choice and its time -1 (runtime/history.py)."""
        if not self.task.reads_history:
            return {}
        starts = jax.eval_shape(lambda: self._fns.session_init(fn.Uniforms(None), self._scope(None)))
        session = {name: jnp.zeros(shape.shape, jnp.float32) for name, shape in starts.items()}  # vectors too
        shapes = jax.eval_shape(lambda: self._fns.sample_trial(fn.Uniforms(None), self._scope(None), session)[0])
        values = {f"last_{v.name}": jnp.zeros(shapes[v.name].shape, shapes[v.name].dtype) for v in self.task.variables}
        none = no_choice(self.continuous, self.n_act)
        first = record(jnp.float32(0), jnp.float32(0), jnp.asarray(False), none, jnp.float32(-1), 0, values, None)
        return {name: jnp.zeros_like(v) if name.startswith("past_") else v for name, v in first.items()}

    def _play(self: Host, trial: Any, key: jax.Array, constants: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """One trial as the ground-truth policy lives through it: its visited rows (ob, gt, period,
        visited) front to back, and the trial's outcome as the next trial's session variables read it."""
        per_row = max(1, self._count("observe", lambda rng: self._observe(rng, trial, constants)))
        noise = jax.random.uniform(key, (self.max_steps + 1, per_row))

        def body(carry: Any, uniforms: jax.Array) -> tuple[Any, Any]:
            state, ob, finished, outcome = carry
            k = state.t_ind
            target = self._target(state, constants, k)
            row = (ob, target, self._period_id(state, k), ~finished)
            going_on, _, ended, made = self._transition(state, self._action(target), constants)
            outcome = jax.tree_util.tree_map(lambda a, b: jnp.where(ended & ~finished, a, b), made, outcome)
            following = self._observe(fn.Uniforms(uniforms), going_on, constants)
            return (going_on, following, finished | ended, outcome), row

        start = (trial, self._observe(fn.Uniforms(noise[0]), trial, constants), jnp.asarray(False), trial.history)
        (_, _, _, outcome), rows = jax.lax.scan(body, start, noise[1:])
        return rows, outcome

    def _play_batch(self: Host, session: dict[str, Any], keys: Any, constants: dict[str, Any]) -> Batch:
        """Trials as the ground-truth policy plays them (`keys`: per trial, for drawing it, moving its
        session variables on, and its rows): one after another when each trial's session variables
        read the last one's outcome, else drawn and played in parallel."""
        trial_keys, session_keys, row_keys = keys
        if self.task.reads_history:

            def one(carry: Any, keys: jax.Array) -> tuple[Any, Any]:
                session, history = carry
                trial = self._drawn(keys[0], "trial_next", lambda r: self._new_trial(r, session, history, constants))
                rows, outcome = self._play(trial, keys[1], constants)
                return (trial.session, outcome), (rows, trial.variables)

            first = (session, self._first_history())
            _, (rows, variables) = jax.lax.scan(one, first, jnp.stack([trial_keys, row_keys], axis=1))
            return self._gather(rows, variables)

        def draw(key: jax.Array, session: dict[str, Any]) -> Any:
            return self._drawn(key, "trial", lambda r: self._trial(r, session, constants, {}))

        if session:  # session variables that do not read the outcome: a scan over trials, as for plain tasks
            trials = jax.vmap(draw)(trial_keys, self._sessions(session_keys, session, constants))
        else:
            trials = jax.vmap(lambda key: draw(key, {}))(trial_keys)
        rows, _ = jax.vmap(lambda trial, key: self._play(trial, key, constants))(trials, row_keys)
        return self._gather(rows, trials.variables)

    def _gather(self: Host, rows: Any, variables: dict[str, Any]) -> Batch:
        """The visited rows of played trials as a padded Batch: a period's start and end are where its
        visited rows lie (a skipped period starts and ends at the trial's length)."""
        ob, gt, period, visited = rows
        ob = jnp.where(visited[:, :, None], ob, 0.0)
        gt = jnp.where(visited if gt.ndim == 2 else visited[:, :, None], gt, 0)
        period = jnp.where(visited, period, -1)
        length = jnp.sum(visited, axis=1).astype(jnp.int32)
        steps = jnp.arange(self.max_steps)
        start, end = {}, {}
        for j, name in enumerate(self.period_names):
            here = period == j
            seen = jnp.any(here, axis=1)
            first = jnp.argmax(here, axis=1).astype(jnp.int32)
            last = jnp.max(jnp.where(here, steps[None, :], -1), axis=1).astype(jnp.int32)
            start[name], end[name] = jnp.where(seen, first, length), jnp.where(seen, last + 1, length)
        weight = self._loss_weight(start, end, visited, steps)
        return Batch(ob, gt, length, shown(variables), start, end, period, weight)  # type: ignore[arg-type]
