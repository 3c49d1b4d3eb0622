"""Drawing trials for the JAX backend: a trial's variables, period bounds and initial state, its
observation rows and ground truth at any step, and padded batches of trials (`generate`).

`TrialDraws` is a base of `JaxEnv` (env.py), as flow.ContingentPlay is; `Host` declares what it
reads of the env, so this module imports nothing of env.py. Random draws come from one
`jax.random.uniform` per call (`fn.Uniforms`), its size counted once by a run whose results are
discarded.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np

from ..runtime import Batch, weights
from ..runtime.source import shown
from . import flow
from . import functions as fn
from .bounds import EPSILON
from .state import EnvParams, EnvState

if TYPE_CHECKING:
    from ..compiler import ir


class Host(Protocol):
    """What `TrialDraws` reads of the env it is a base of (set in JaxEnv.__init__)."""

    task: ir.TaskIR
    dt: float
    n_obs: int
    n_act: int
    continuous: bool
    interactive: bool
    max_steps: int
    period_names: tuple[str, ...]
    limits: dict[str, int]
    _fns: Any
    _constants: dict[str, Any]
    _columns: tuple[Any, ...]
    _after: dict[str, str | None]
    _copy: dict[str, int]
    _fixed: dict[str, float]
    _counts: dict[str, int]
    _loss: Any
    _factors: Any

    @property
    def default_params(self) -> EnvParams: ...

    def _scope(self, params: EnvParams | None) -> dict[str, Any]: ...
    def _count(self, what: str, call: Any) -> int: ...
    def _drawn(self, key: jax.Array, what: str, call: Any) -> Any: ...
    def _trial(self, rng: fn.Uniforms, session: Any, constants: Any, history: Any) -> EnvState: ...
    def _sessions(self, keys: jax.Array, first: Any, constants: Any) -> Any: ...
    def _ms(self, state: EnvState) -> tuple[dict[str, Any], dict[str, Any]]: ...
    def _rep(self, state: EnvState, k: Any) -> Any: ...
    def _observe(self, rng: fn.Uniforms, state: EnvState, constants: Any) -> jax.Array: ...
    def _target(self, state: EnvState, constants: Any, k: Any) -> jax.Array: ...
    def _period_id(self, state: EnvState, k: Any) -> Any: ...
    def _loss_weight(self, start: Any, end: Any, inside: Any, steps: Any) -> Any: ...
    def _play_batch(self, session: dict[str, Any], keys: Any, constants: dict[str, Any]) -> Batch: ...


class TrialDraws:
    """A JAX env's trials: drawn one at a time (reset, step) or as padded batches (`generate`)."""

    def generate(self: Host, key: jax.Array, n: int, params: EnvParams | None = None) -> Batch:
        """`n` trials of a fresh session as a padded Batch of device arrays (jit-able for a fixed `n`)."""
        constants = self._scope(params)
        k_session, k_next, k_trials, k_rows = jax.random.split(key, 4)
        session = self._drawn(k_session, "session_init", lambda rng: self._fns.session_init(rng, constants))
        keys = jax.random.split(k_trials, n)
        if self.interactive:  # what the ground-truth policy lives through (flow.py)
            return self._play_batch(
                session, (keys, jax.random.split(k_next, n), jax.random.split(k_rows, n)), constants
            )
        if session:  # each trial's session variables follow the last trial's: a scan, the rest in parallel
            sessions = self._sessions(jax.random.split(k_next, n), session, constants)
            trials = jax.vmap(lambda key, s: self._drawn(key, "trial", lambda r: self._trial(r, s, constants, {})))(
                keys, sessions
            )
        else:
            trials = jax.vmap(lambda key: self._drawn(key, "trial", lambda r: self._trial(r, {}, constants, {})))(keys)
        steps = jnp.arange(self.max_steps)

        def rows(trial: EnvState, key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
            per_row = self._count("observe", lambda rng: self._observe(rng, trial, constants))

            def row(k: jax.Array, uniforms: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
                at = dataclasses.replace(trial, t_ind=k)
                ob = self._observe(fn.Uniforms(uniforms), at, constants)
                return ob, self._target(at, constants, k), self._period_id(trial, k)

            # one draw for all the rows of a trial (its noise), not a key per row
            return jax.vmap(row)(steps, jax.random.uniform(key, (self.max_steps, max(1, per_row))))

        ob, gt, period = jax.vmap(rows)(trials, jax.random.split(k_rows, n))
        inside = steps[None, :] < trials.length[:, None]
        ob = jnp.where(inside[:, :, None], ob, 0.0)
        gt = jnp.where(inside if gt.ndim == 2 else inside[:, :, None], gt, 0)
        period = jnp.where(inside, period, -1)
        # the NumPy backend's layout, holding device arrays (Batch is registered as a pytree in state.py)
        weight = self._loss_weight(trials.start, trials.end, inside, steps)
        variables = shown(trials.variables)
        return Batch(ob, gt, trials.length, variables, trials.start, trials.end, period, weight)  # type: ignore[arg-type]

    def _loss_weight(self: Host, start: dict[str, Any], end: dict[str, Any], inside: Any, steps: Any) -> Any:
        """The loss weights of `runtime.weights`, as device arrays."""
        return weights.weigh(jnp, self._loss, self.period_names, self.dt, start, end, inside, self._factors)

    def _scope(self: Host, params: EnvParams | None) -> dict[str, Any]:
        rewards = (params or self.default_params).rewards
        return {**self._constants, **rewards}

    def _sessions(self: Host, keys: jax.Array, first: dict[str, Any], constants: dict[str, Any]) -> dict[str, Any]:
        def advance(prev: dict[str, Any], key: jax.Array) -> tuple[dict[str, Any], dict[str, Any]]:
            new = self._drawn(key, "session_next", lambda rng: self._fns.session_next(rng, constants, prev, {}))
            return new, new

        return jax.lax.scan(advance, first, keys)[1]  # type: ignore[no-any-return]

    def _drawn(self: Host, key: jax.Array, what: str, call: Any) -> Any:
        """`call(pool)` with a pool of uniforms drawn from `key` at once. How many `what` takes is
        counted the first time, by a run whose results are discarded (and compiled away)."""
        return call(fn.Uniforms(jax.random.uniform(key, (max(1, self._count(what, call)),))))

    def _count(self: Host, what: str, call: Any) -> int:
        if what not in self._counts:
            counter = fn.Uniforms(None)
            call(counter)
            self._counts[what] = counter.used
        return self._counts[what]

    def _new_trial(
        self: Host, rng: fn.Uniforms, session: dict[str, Any], history: dict[str, Any], constants: dict[str, Any]
    ) -> EnvState:
        """The next trial of a session: its session variables move on (reading `history`), then it is drawn."""
        if session:
            session = self._fns.session_next(rng, constants, session, history)
        return self._trial(rng, session, constants, history)

    def _trial(
        self: Host, rng: fn.Uniforms, session: dict[str, Any], constants: dict[str, Any], history: dict[str, Any]
    ) -> EnvState:
        """A trial given its session variables: its variables, periods and initial state."""
        variables, durations = self._fns.sample_trial(rng, constants, session)
        start: dict[str, Any] = {}
        end: dict[str, Any] = {}
        for name in self.period_names:
            if name in self._fixed:
                steps = jnp.int32(int(np.floor(self._fixed[name] / self.dt + 1e-9)))
            else:
                floored = jnp.floor(durations[name] / jnp.float32(self.dt) + EPSILON)
                steps = jnp.clip(floored, 0, self.limits[name]).astype(jnp.int32)  # the bound holds (bounds.py)
            after = self._after[name]
            start[name] = end[after] if after is not None else jnp.int32(0)
            end[name] = start[name] + steps
        length = jnp.maximum(jnp.max(jnp.stack(list(end.values()))), 1)
        own = {s.name: jnp.float32(variables[s.name]) for s in self.task.state}
        return EnvState(
            t_ind=jnp.int32(0),
            length=length.astype(jnp.int32),
            start=start,
            end=end,
            variables=variables,
            state=own,
            session={k: jnp.float32(v) for k, v in session.items()},
            performance=jnp.float32(0.0),
            trial_reward=jnp.float32(0.0),
            choice=flow.no_choice(self.continuous, self.n_act),
            choice_t=jnp.float32(-1.0),
            history=history,
        )

    def _ms(self: Host, state: EnvState) -> tuple[dict[str, Any], dict[str, Any]]:
        dt = jnp.float32(self.dt)
        return {k: v * dt for k, v in state.start.items()}, {k: v * dt for k, v in state.end.items()}

    def _rep(self: Host, state: EnvState, k: Any) -> Any:
        """Which copy of a repeated block step k is in (-1 outside); a later-listed period wins."""
        rep = jnp.int32(-1)
        for name, copy in self._copy.items():
            rep = jnp.where((state.start[name] <= k) & (k < state.end[name]), copy, rep)
        return rep

    def _period_id(self: Host, state: EnvState, k: Any) -> Any:
        found = jnp.int32(-1)
        for i, name in enumerate(self.period_names):
            found = jnp.where((state.start[name] <= k) & (k < state.end[name]), i, found)
        return found

    def _observe(self: Host, rng: fn.Uniforms, state: EnvState, constants: dict[str, Any]) -> jax.Array:
        start, end = self._ms(state)
        t = state.t_ind * jnp.float32(self.dt)
        zeros = jnp.zeros(self.n_obs, jnp.float32)
        rep = self._rep(state, state.t_ind)
        args = (constants, state.variables, state.state, state.performance, start, end, t, rep, self._columns, zeros)
        return self._fns.observe(rng, *args)  # type: ignore[no-any-return]

    def _target(self: Host, state: EnvState, constants: dict[str, Any], k: Any) -> jax.Array:
        start, end = self._ms(state)
        t = k * jnp.float32(self.dt)
        blank = jnp.zeros(self.n_act, jnp.float32) if self.continuous else jnp.int32(0)
        gt = self._fns.target(constants, state.variables, start, end, t, self._rep(state, k), blank)
        return gt.astype(jnp.float32) if self.continuous else jnp.asarray(gt).astype(jnp.int32)
