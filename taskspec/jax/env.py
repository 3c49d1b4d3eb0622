"""A compiled task as a gymnax-style environment: pure `reset` and `step`, jit- and vmap-able.

`JaxEnv` follows gymnax 1.0's `Environment` interface (`reset(key, params) -> (obs, state)`,
`step(key, state, action, params) -> (obs, state, reward, terminated, truncated, info)`, the
`reset_env`/`step_env` split, `default_params` with `max_steps_in_episode`, and gymnax's space
classes from `observation_space(params)`/`action_space(params)`), so gymnax's wrappers and the
libraries built on them run a taskspec task unchanged. It needs gymnax only for those space
classes, and only when gymnax is installed (spaces.py).

Timing contract, as the NumPy env: `reset` returns ob[0]; `step(a)` judges `a` against step k
(reward, `info["gt"]` and `info["period"]` refer to k) and returns ob[k+1], or ob[0] of the
next trial when the trial ended at k. Trials follow each other inside `step` (the session
variables carry on); with `episode: trial`, `done` is True on the last step of each trial.

Nothing is stored per trial but its variables and period bounds: each observation row is
computed when the step reaches it, so one step costs a row, not a trial. Where the agent's
actions move the trial (`until`, `then`, `goto`) or the next trials read the last one's outcome,
the step machine (runtime/machine.py), shared with the NumPy vector env, finds the next step;
`flow.py` carries the history and plays batches, as the NumPy env does.

Around this module: `state.py` holds the pytrees (EnvParams, EnvState), `generated.py` the task's
generated functions, `trials.py` the drawing of trials, their rows and padded batches.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..data.budgets import built_step_bytes, check_bytes
from ..library import as_env
from ..runtime import Batch, TrialEnv, machine, weights
from ..runtime.source import TrialSource, shown
from . import flow
from . import functions as fn
from .bounds import longest_trial, period_limits
from .generated import task_functions
from .gymnax_compat import FIVE_VALUE_STEP
from .spaces import Box, Discrete
from .state import EnvParams, EnvState
from .trials import TrialDraws

__all__ = ["EnvParams", "EnvState", "JaxEnv", "generate_trials", "make"]
SESSION_TRIALS = 100  # a continuing task's default episode (gymnax's time limit): this many of its longest trials


class JaxEnv(flow.ContingentPlay, TrialDraws, TrialSource[jax.Array]):
    """A task with fixed parameters, as pure functions of (key, state, action, params)."""

    def __init__(self, task: Any, **params: Any):
        # parameters are checked (and errors worded) by the NumPy backend's env of the task
        numpy_env = task(**params) if isinstance(task, type) and issubclass(task, TrialEnv) else as_env(task, params)
        # and so are draws only a trial can check (more distinct values than there are options, with these
        # parameters): a jitted draw cannot raise, so one NumPy trial of a copy of the env is drawn here
        numpy_env.private().generate(np.random.default_rng(0), 1, serving=True)
        self.task, self._fns = task_functions(type(numpy_env))
        self.name = self.task_name = numpy_env.task_name
        self.has_target = numpy_env.has_target
        self.dt = float(numpy_env.dt)
        self.rewards = {k: float(v) for k, v in numpy_env.rewards.items()}
        groups = {k: v if isinstance(v, int) else np.asarray(v) for k, v in numpy_env.action_index.items()}
        params = {k: np.asarray(v) if isinstance(v, list) else v for k, v in numpy_env.params.items()}
        self._constants = {**params, **groups, "dt": self.dt}
        n_obs = int(numpy_env.observation_space.shape[0])  # type: ignore[index]
        self._columns = tuple(np.arange(n_obs)[c] for c in numpy_env.input_columns)
        self.n_obs = n_obs
        self.continuous = numpy_env.action_type == "continuous"
        self.episodic = numpy_env.episode == "trial"
        if self.continuous:
            self.n_act = int(numpy_env.action_space.shape[0])  # type: ignore[index]
            self.action_bounds = tuple(float(b) for b in numpy_env.action_bounds)
        else:
            self.n_act = int(numpy_env.action_space.n)  # type: ignore[attr-defined]
        self.period_names = tuple(numpy_env.period_after)
        self._after = dict(numpy_env.period_after)
        self._copy = dict(numpy_env.period_copy)
        self._fixed = {k: float(v) for k, v in numpy_env.timing_overrides.items()}
        # goto targets travel as indices of the IR's periods (codegen_jax), which the NumPy class lays out too
        assert self.period_names == tuple(p.name for p in self.task.periods)
        self.flow = machine.Flow(self.period_names, flow.flow_of(self.task))
        self.interactive = self.task.interactive
        self.limits = period_limits(self.task, {**self._constants, **self.rewards}, self.dt, self._fixed)
        self.max_steps = longest_trial(self.task, self.limits)
        self._generate: Any = None  # `generate` under jit, made by generate_trials when first asked
        self._counts: dict[str, int] = {}  # uniforms each random call takes (see _drawn)
        self.variable_names = numpy_env.session_variables + numpy_env.trial_variables + numpy_env.state_variables
        self._loss = type(numpy_env).info.loss  # the spec's loss weights, as runtime/weights.py reads them
        names = numpy_env.action_space.name  # type: ignore[attr-defined]
        self._factors = weights.group_factors(self._loss, names, self.n_act)

    # ----- gymnax 1.0's interface -----

    @property
    def default_params(self) -> EnvParams:
        return EnvParams({k: jnp.float32(v) for k, v in self.rewards.items()}, self.max_steps_in_episode)

    @property
    def max_steps_in_episode(self) -> int:
        """The default time limit: with `episode: trial` the longest trial (a trial is never cut short),
        else SESSION_TRIALS trials' worth of steps of the continuing session."""
        return self.max_steps if self.episodic else SESSION_TRIALS * self.max_steps

    @property
    def num_actions(self) -> int:
        return self.n_act

    def observation_space(self, params: EnvParams | None = None) -> Box:
        return Box(-jnp.inf, jnp.inf, (self.n_obs,), jnp.float32)

    def action_space(self, params: EnvParams | None = None) -> Discrete | Box:
        if self.continuous:
            return Box(self.action_bounds[0], self.action_bounds[1], (self.n_act,), jnp.float32)
        return Discrete(self.n_act)

    def reset(self, key: jax.Array, params: EnvParams | None = None) -> tuple[jax.Array, EnvState]:
        """A new session and its first trial: (ob[0], state)."""
        return self.reset_env(key, self.default_params if params is None else params)

    def step(self, key: jax.Array, state: EnvState, action: Any, params: EnvParams | None = None) -> tuple[Any, ...]:
        """gymnax's step: `step_env`, then gymnax's time limit. `terminated` marks the last step of a
        trial with `episode: trial`; `truncated` marks the step at which the episode reaches
        `max_steps_in_episode` steps without terminating. Either way the session goes on, as trials
        do inside `step_env` (gymnax's auto-reset; `reset` starts a new session): the next episode
        starts at the returned observation, which is also `info["final_observation"]`. Returns
        gymnax 1.0's six values, or gymnax 0.0.x's five (`done` = terminated or truncated) when that
        gymnax is installed (gymnax_compat.py)."""
        params = self.default_params if params is None else params
        obs, new_state, reward, terminated, info = self.step_env(key, state, action, params)
        truncated = jnp.logical_and(self.is_truncated(new_state, params), jnp.logical_not(terminated))
        new_state = dataclasses.replace(new_state, time=jnp.where(truncated, 0, new_state.time).astype(jnp.int32))
        info = {**info, "terminated": terminated, "truncated": truncated, "final_observation": obs}
        if FIVE_VALUE_STEP:
            return obs, new_state, reward, jnp.logical_or(terminated, truncated), info
        return obs, new_state, reward, terminated, truncated, info

    def is_truncated(self, state: EnvState, params: EnvParams) -> jax.Array:
        """Whether the episode has reached its time limit (gymnax's `state.time >= max_steps_in_episode`)."""
        limit = self.max_steps_in_episode if params.max_steps_in_episode is None else params.max_steps_in_episode
        return jnp.asarray(state.time >= limit)

    def __deepcopy__(self, memo: dict[int, Any]) -> JaxEnv:
        """The env itself: it holds no state that a copy could change (only caches of compiled
        functions), as a jitted function is its own copy. Libraries that deep-copy their
        configuration (rejax) then keep using the same compiled task."""
        return self

    def reset_env(self, key: jax.Array, params: EnvParams) -> tuple[jax.Array, EnvState]:
        """A new session and its first trial: (ob[0], state)."""
        constants = self._scope(params)

        def draw(rng: fn.Uniforms) -> tuple[jax.Array, EnvState]:
            state = self._new_trial(rng, self._fns.session_init(rng, constants), self._first_history(), constants)
            return self._observe(rng, state, constants), dataclasses.replace(state, time=jnp.int32(0))

        return self._drawn(key, "reset", draw)  # type: ignore[no-any-return]

    def step_env(
        self, key: jax.Array, state: EnvState, action: Any, params: EnvParams
    ) -> tuple[jax.Array, EnvState, jax.Array, jax.Array, dict[str, Any]]:
        """Judge `action` against the current step; returns the next observation (the next trial's
        first when this one ended: trials follow each other here) and whether the episode terminated."""
        constants = self._scope(params)
        action = self._action(action)
        going_on, reward, ended, outcome = self._transition(state, action, constants)
        k = state.t_ind

        def draw(rng: fn.Uniforms) -> tuple[jax.Array, EnvState]:
            # the next trial is drawn at every step (vmap would run both sides of a branch anyway)
            following = self._new_trial(rng, state.session, outcome, constants)
            new_state = jax.tree_util.tree_map(lambda a, b: jnp.where(ended, a, b), following, going_on)
            return self._observe(rng, new_state, constants), new_state

        obs, new_state = self._drawn(key, "step", draw)
        done = ended if self.episodic else jnp.asarray(False)
        new_state = dataclasses.replace(new_state, time=jnp.where(done, 0, state.time + 1).astype(jnp.int32))
        info = {
            "gt": self._target(state, constants, k),
            "period": self._period_id(state, k),
            "new_trial": ended,
            "performance": going_on.performance,
            "trial": shown(state.variables),  # the variables of the trial the step belongs to (as users see them)
            "discount": 1.0 - done.astype(jnp.float32),
        }
        return obs, new_state, reward.astype(jnp.float32), done, info

    def _transition(
        self, state: EnvState, action: Any, constants: dict[str, Any]
    ) -> tuple[EnvState, jax.Array, jax.Array, dict[str, Any]]:
        """Step k judged by the step machine (runtime/machine.py): the trial going on (at its next step),
        the reward, whether the trial ended, and its outcome as the next trial's session variables read
        it (if it ended here)."""
        k = state.t_ind
        t = k * jnp.float32(self.dt)
        target = self._target(state, constants, k)
        rules = flow.Rules(self._fns, constants, state.variables, *self._ms(state))
        at = machine.Position(k, t, self._period_id(state, k), state.start, state.end, state.length)
        done = machine.step(
            jnp, self.flow, rules, at, action, target, state.performance, state.state, 1, self.interactive
        )
        decided = done.decided if done.decided is not None else jnp.asarray(False)
        going_on = dataclasses.replace(
            state,
            t_ind=done.next,
            state=done.states,
            performance=done.performance,
            # the trial's whole reward, as in NumPy
            trial_reward=machine.earned(state.trial_reward, done.judged, done.late),
            choice=jnp.where(decided, action, state.choice),
            choice_t=jnp.where(decided, t, state.choice_t),
        )
        made = {}
        if self.task.reads_history:
            last = {f"last_{v.name}": state.variables[v.name] for v in self.task.variables}
            done_trials = state.history["trials_done"] + 1
            made = flow.record(
                done.performance,
                going_on.trial_reward,
                done.timed_out,
                going_on.choice,
                going_on.choice_t,
                done_trials,
                last,
                state.history,
                at.period,
                done.ended_by,
            )
        return going_on, done.reward.astype(jnp.float32), done.ended, made

    def private(self) -> JaxEnv:
        """Itself: its functions are pure, each `generate` draws a fresh session (`TrialSource`)."""
        return self

    def ground_truth(self, state: EnvState, params: EnvParams | None = None) -> jax.Array:
        """gt[k] of the step the next action answers (NeuroGym's `gt_now`): what a perfect agent acts."""
        return self._target(state, self._scope(params), state.t_ind)

    # ----- pieces (trials, their rows and batches: trials.py) -----

    def _action(self, action: Any) -> jax.Array:
        """Actions outside the space are clipped to it (under `jit` values cannot be refused; shapes can)."""
        shape = jnp.shape(action)
        if self.continuous and shape not in ((), (self.n_act,)):
            raise ValueError(f"a {self.name} action is one number or {self.n_act} numbers, got shape {shape}")
        if not self.continuous and shape != ():
            raise ValueError(f"a {self.name} action is one whole number (per env: vmap step), got shape {shape}")
        if self.continuous:
            low, high = self.action_bounds
            return jnp.clip(jnp.broadcast_to(jnp.asarray(action, jnp.float32), (self.n_act,)), low, high)
        return jnp.clip(jnp.asarray(action).astype(jnp.int32), 0, self.n_act - 1)


def make(task: Any, **params: Any) -> JaxEnv:
    """A JAX env of a bundled task name, spec path, class or NumPy env (parameters as for `taskspec.make`)."""
    return JaxEnv(task, **params)


def generate_trials(task: Any, key: jax.Array, n: int, **params: Any) -> Batch:
    """`n` trials as a padded Batch of device arrays; the same layout as `taskspec.generate_trials`.

    `task` may be a JaxEnv (then `params` must be empty): its `generate` is compiled once per `n`
    and kept. Inside your own jitted code call `env.generate(key, n)` directly.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number of at least 1, got {n!r}")
    env = task if isinstance(task, JaxEnv) else JaxEnv(task, **params)
    if params and task is env:
        raise ValueError("parameters go to the env when it is made; a JaxEnv takes no parameters here")
    check_bytes(  # the whole batch is one device computation: checked before it is traced or allocated
        f"n={n}",
        f"{n} trials padded to {env.max_steps} steps, built at once",
        int(n) * env.max_steps * built_step_bytes(env.n_obs, env.n_act),
        "generate fewer trials per call (several keys)",
    )
    if env._generate is None:
        env._generate = jax.jit(env.generate, static_argnums=1)
    return env._generate(key, int(n))  # type: ignore[no-any-return]
