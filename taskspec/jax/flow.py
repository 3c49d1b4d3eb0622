"""Agent-contingent timing and trial history for the JAX backend, as the NumPy backend defines them.

After the rules judge step k, the next step follows `TrialEnv._move` (runtime/env.py): the first
matching rule's `goto` enters its period; else a period whose `until` holds after the step goes
on with its `then` (or the next laid-out step); else a period that ran its full length goes on
with its `otherwise` or `then`; a period of no steps passes on to its `then`; `end` ends the
trial. Under `jit` each choice is a `where` over every env, as the NumPy vector env does it.

Batches of such tasks are what the ground-truth policy lives through (runtime/rollout.py): each
trial is played for at most `max_steps` steps (jumps only go forward, so a trial never visits
more steps than it lays out), and the visited rows are the batch's rows, in the order visited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp

from ..runtime import Batch, machine
from . import functions as fn

if TYPE_CHECKING:
    from .env import EnvState, JaxEnv


def flow_of(env: JaxEnv) -> dict[str, tuple[bool, str | None, str | None]]:
    """(has until, then, otherwise) of each period that has any, as NumPy's TaskInfo.flow."""
    return {
        p.name: (p.until is not None, p.then, p.otherwise) for p in env.task.periods if p.until or p.then or p.otherwise
    }


def first_history(env: JaxEnv) -> dict[str, Any]:
    """What `last_...` reads before the first trial: all 0, choice and its time -1 (runtime/env.py)."""
    if not env.task.reads_history:
        return {}
    session = {s.name: jnp.float32(0) for s in env.task.session}
    shapes = jax.eval_shape(lambda: env._fns.sample_trial(fn.Uniforms(None), env._scope(None), session)[0])
    values = {f"last_{v.name}": jnp.zeros(shapes[v.name].shape, shapes[v.name].dtype) for v in env.task.variables}
    return record(env, jnp.float32(0), jnp.float32(0), jnp.asarray(False), no_choice(env), jnp.float32(-1), 0, values)


def no_choice(env: JaxEnv) -> Any:
    return jnp.full((env.n_act,), -1.0, jnp.float32) if env.continuous else jnp.int32(-1)


def record(
    env: JaxEnv, performance: Any, reward: Any, timed_out: Any, choice: Any, choice_t: Any, done: Any, last: Any
) -> dict[str, Any]:
    """A finished trial's outcome under the names session variables read (`last` holds last_<variable>)."""
    outcome = machine.history(
        jnp.asarray(performance, jnp.float32),
        jnp.asarray(reward, jnp.float32),
        jnp.asarray(timed_out, bool),
        choice,
        jnp.asarray(choice_t, jnp.float32),
        jnp.asarray(done, jnp.int32),
    )
    return {**outcome, **last}


def play(env: JaxEnv, trial: EnvState, key: jax.Array, constants: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """One trial as the ground-truth policy lives through it: its visited rows (ob, gt, period, visited)
    front to back, and the trial's outcome as the next trial's session variables read it."""
    per_row = max(1, env._count("observe", lambda rng: env._observe(rng, trial, constants)))
    noise = jax.random.uniform(key, (env.max_steps + 1, per_row))

    def body(carry: Any, uniforms: jax.Array) -> tuple[Any, Any]:
        state, ob, finished, outcome = carry
        k = state.t_ind
        target = env._target(state, constants, k)
        row = (ob, target, env._period_id(state, k), ~finished)
        going_on, _, ended, made = env._transition(state, env._action(target), constants)
        outcome = jax.tree_util.tree_map(lambda a, b: jnp.where(ended & ~finished, a, b), made, outcome)
        following = env._observe(fn.Uniforms(uniforms), going_on, constants)
        return (going_on, following, finished | ended, outcome), row

    start = (trial, env._observe(fn.Uniforms(noise[0]), trial, constants), jnp.asarray(False), trial.history)
    (_, _, _, outcome), rows = jax.lax.scan(body, start, noise[1:])
    return rows, outcome


def play_batch(env: JaxEnv, session: dict[str, Any], keys: Any, constants: dict[str, Any]) -> Batch:
    """Trials of an agent-contingent task as the ground-truth policy plays them (`keys`: per trial, for
    drawing it, moving its session variables on, and its rows): one after another when each trial's
    session variables read the last one's outcome, else drawn and played in parallel."""
    trial_keys, session_keys, row_keys = keys
    if env.task.reads_history:

        def one(carry: Any, keys: jax.Array) -> tuple[Any, Any]:
            session, history = carry
            trial = env._drawn(keys[0], "trial_next", lambda r: env._new_trial(r, session, history, constants))
            rows, outcome = play(env, trial, keys[1], constants)
            return (trial.session, outcome), (rows, trial.variables)

        first = (session, first_history(env))
        _, (rows, variables) = jax.lax.scan(one, first, jnp.stack([trial_keys, row_keys], axis=1))
        return gather(env, rows, variables)

    def draw(key: jax.Array, session: dict[str, Any]) -> EnvState:
        return env._drawn(key, "trial", lambda r: env._trial(r, session, constants, {}))  # type: ignore[no-any-return]

    if session:  # session variables that do not read the outcome: a scan over trials, as for plain tasks
        trials = jax.vmap(draw)(trial_keys, env._sessions(session_keys, session, constants))
    else:
        trials = jax.vmap(lambda key: draw(key, {}))(trial_keys)
    rows, _ = jax.vmap(lambda trial, key: play(env, trial, key, constants))(trials, row_keys)
    return gather(env, rows, trials.variables)


def gather(env: JaxEnv, rows: Any, variables: dict[str, Any]) -> Batch:
    """The visited rows of a batch of played trials as a padded Batch: a period's start and end are where
    its visited rows lie (a skipped period starts and ends at the trial's length)."""
    ob, gt, period, visited = rows
    ob = jnp.where(visited[:, :, None], ob, 0.0)
    gt = jnp.where(visited if gt.ndim == 2 else visited[:, :, None], gt, 0)
    period = jnp.where(visited, period, -1)
    length = jnp.sum(visited, axis=1).astype(jnp.int32)
    steps = jnp.arange(env.max_steps)
    start, end = {}, {}
    for j, name in enumerate(env.period_names):
        here = period == j
        seen = jnp.any(here, axis=1)
        first = jnp.argmax(here, axis=1).astype(jnp.int32)
        last = jnp.max(jnp.where(here, steps[None, :], -1), axis=1).astype(jnp.int32)
        start[name], end[name] = jnp.where(seen, first, length), jnp.where(seen, last + 1, length)
    weight = env._loss_weight(start, end, visited, steps)
    return Batch(ob, gt, length, variables, start, end, period, weight)  # type: ignore[arg-type]
