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
"""

from __future__ import annotations

import dataclasses
import types
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from ..data.budgets import built_step_bytes, check_bytes
from ..library import as_env, jax_source
from ..runtime import Batch, TrialEnv, machine, weights
from ..runtime.source import TrialSource, shown
from . import flow
from . import functions as fn
from .bounds import EPSILON, longest_trial, period_limits
from .gymnax_compat import FIVE_VALUE_STEP
from .spaces import Box, Discrete

if TYPE_CHECKING:
    from ..compiler import ir


@dataclasses.dataclass(frozen=True)
class EnvParams:
    """What may change between calls without recompiling: the reward values, by name, and gymnax's
    time limit: `step` reports `truncated` when an episode reaches that many steps (None: the env's
    own default, `JaxEnv.max_steps_in_episode`)."""

    rewards: dict[str, Any]
    max_steps_in_episode: Any = None


@dataclasses.dataclass(frozen=True)
class EnvState:
    """One env between steps: the current trial and where in it the agent is."""

    t_ind: jax.Array  # the step the next action answers
    length: jax.Array  # steps of the current trial
    start: dict[str, jax.Array]  # period -> first step
    end: dict[str, jax.Array]  # period -> step after its last
    variables: dict[str, jax.Array]  # session, trial and initial state variables of the trial
    state: dict[str, jax.Array]  # state variables now
    session: dict[str, jax.Array]  # session variables after this trial
    performance: jax.Array
    # agent-contingent tasks: the trial so far, and the finished one as session variables read it (flow.py)
    trial_reward: jax.Array  # the trial's reward so far, a timeout's included (`last_reward`), as in NumPy
    choice: jax.Array  # the action that ended the trial or made it goto a period (-1: none yet)
    choice_t: jax.Array  # its time in ms (-1: none)
    history: dict[str, jax.Array]  # last_performance, ..., trials_done; empty unless session variables read them
    time: Any = np.int32(0)  # steps into the episode, for gymnax's time limit (set by step_env and reset_env)


jax.tree_util.register_dataclass(EnvParams, data_fields=["rewards", "max_steps_in_episode"], meta_fields=[])
jax.tree_util.register_dataclass(
    EnvState,
    data_fields=[
        "t_ind",
        "length",
        "start",
        "end",
        "variables",
        "state",
        "session",
        "performance",
        "trial_reward",
        "choice",
        "choice_t",
        "history",
        "time",
    ],  # fmt: skip
    meta_fields=[],
)
try:  # trial batches leave `jit` as the same Batch the NumPy backend returns
    jax.tree_util.register_dataclass(
        Batch,
        data_fields=["ob", "gt", "length", "variables", "start", "end", "period_id", "weight", "regression"],
        meta_fields=[],
    )
except ValueError:  # already registered (the module was imported again)
    pass

_FUNCTIONS: dict[Any, types.SimpleNamespace] = {}
SESSION_TRIALS = 100  # a continuing task's default episode (gymnax's time limit): this many of its longest trials


def _no_session(_rng: Any, _c: Any) -> dict[str, Any]:
    return {}


def _same_session(_rng: Any, _c: Any, previous: Any, _last: Any) -> Any:
    return previous


def _same_state(_c: Any, _v: Any, states: Any, *_rest: Any) -> Any:
    return states


def _unchanged(*args: Any) -> Any:
    """A step function the task gives nothing to do: its last argument (the ob, gt or state) as it is."""
    return args[-1]


def _no_rules(*_args: Any) -> fn.Outcomes:
    return fn.Outcomes()


def _no_until(*_args: Any) -> dict[str, Any]:
    return {}


# The functions generated code leaves out when the task gives them nothing to do (codegen_jax.py).
_DEFAULTS = {
    "session_init": _no_session,
    "session_next": _same_session,
    "observe": _unchanged,
    "target": _unchanged,
    "state_next": _same_state,
    "judge": _no_rules,
    "timeout": _no_rules,
    "until": _no_until,
}


def _functions(cls: type[TrialEnv]) -> tuple[ir.TaskIR, types.SimpleNamespace]:
    """The task's IR and its JAX functions, generated and exec'd once per class."""
    task, source = jax_source(cls)  # raises SpecError for what the backend cannot run
    if cls not in _FUNCTIONS:
        namespace: dict[str, Any] = {"__name__": f"taskspec._generated_jax.{task.class_name}"}
        exec(compile(source, "<taskspec-generated-jax>", "exec"), namespace)  # noqa: S102 - built from the checked IR
        _FUNCTIONS[cls] = types.SimpleNamespace(**{**_DEFAULTS, **namespace})
    return task, _FUNCTIONS[cls]


class JaxEnv(flow.ContingentPlay, TrialSource[jax.Array]):
    """A task with fixed parameters, as pure functions of (key, state, action, params)."""

    def __init__(self, task: Any, **params: Any):
        # parameters are checked (and errors worded) by the NumPy backend's env of the task
        numpy_env = task(**params) if isinstance(task, type) and issubclass(task, TrialEnv) else as_env(task, params)
        # and so are draws only a trial can check (more distinct values than there are options, with these
        # parameters): a jitted draw cannot raise, so one NumPy trial of a copy of the env is drawn here
        numpy_env.private().generate(np.random.default_rng(0), 1, serving=True)
        self.task, self._fns = _functions(type(numpy_env))
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
            trial_reward=machine.earned(state.trial_reward, done),  # the trial's whole reward, as in NumPy
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

    # ----- trial batches -----

    def generate(self, key: jax.Array, n: int, params: EnvParams | None = None) -> Batch:
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
        # the NumPy backend's layout, holding device arrays (Batch is registered as a pytree above)
        weight = self._loss_weight(trials.start, trials.end, inside, steps)
        variables = shown(trials.variables)
        return Batch(ob, gt, trials.length, variables, trials.start, trials.end, period, weight)  # type: ignore[arg-type]

    def _loss_weight(self, start: dict[str, Any], end: dict[str, Any], inside: Any, steps: Any) -> Any:
        """The loss weights of `runtime.weights`, as device arrays."""
        return weights.weigh(jnp, self._loss, self.period_names, self.dt, start, end, inside, self._factors)

    # ----- pieces -----

    def _scope(self, params: EnvParams | None) -> dict[str, Any]:
        rewards = (params or self.default_params).rewards
        return {**self._constants, **rewards}

    def _sessions(self, keys: jax.Array, first: dict[str, Any], constants: dict[str, Any]) -> dict[str, Any]:
        def advance(prev: dict[str, Any], key: jax.Array) -> tuple[dict[str, Any], dict[str, Any]]:
            new = self._drawn(key, "session_next", lambda rng: self._fns.session_next(rng, constants, prev, {}))
            return new, new

        return jax.lax.scan(advance, first, keys)[1]  # type: ignore[no-any-return]

    def _drawn(self, key: jax.Array, what: str, call: Any) -> Any:
        """`call(pool)` with a pool of uniforms drawn from `key` at once. How many `what` takes is
        counted the first time, by a run whose results are discarded (and compiled away)."""
        return call(fn.Uniforms(jax.random.uniform(key, (max(1, self._count(what, call)),))))

    def _count(self, what: str, call: Any) -> int:
        if what not in self._counts:
            counter = fn.Uniforms(None)
            call(counter)
            self._counts[what] = counter.used
        return self._counts[what]

    def _new_trial(
        self, rng: fn.Uniforms, session: dict[str, Any], history: dict[str, Any], constants: dict[str, Any]
    ) -> EnvState:
        """The next trial of a session: its session variables move on (reading `history`), then it is drawn."""
        if session:
            session = self._fns.session_next(rng, constants, session, history)
        return self._trial(rng, session, constants, history)

    def _trial(
        self, rng: fn.Uniforms, session: dict[str, Any], constants: dict[str, Any], history: dict[str, Any]
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

    def _ms(self, state: EnvState) -> tuple[dict[str, Any], dict[str, Any]]:
        dt = jnp.float32(self.dt)
        return {k: v * dt for k, v in state.start.items()}, {k: v * dt for k, v in state.end.items()}

    def _rep(self, state: EnvState, k: Any) -> Any:
        """Which copy of a repeated block step k is in (-1 outside); a later-listed period wins."""
        rep = jnp.int32(-1)
        for name, copy in self._copy.items():
            rep = jnp.where((state.start[name] <= k) & (k < state.end[name]), copy, rep)
        return rep

    def _period_id(self, state: EnvState, k: Any) -> Any:
        found = jnp.int32(-1)
        for i, name in enumerate(self.period_names):
            found = jnp.where((state.start[name] <= k) & (k < state.end[name]), i, found)
        return found

    def _observe(self, rng: fn.Uniforms, state: EnvState, constants: dict[str, Any]) -> jax.Array:
        start, end = self._ms(state)
        t = state.t_ind * jnp.float32(self.dt)
        zeros = jnp.zeros(self.n_obs, jnp.float32)
        rep = self._rep(state, state.t_ind)
        args = (constants, state.variables, state.state, state.performance, start, end, t, rep, self._columns, zeros)
        return self._fns.observe(rng, *args)  # type: ignore[no-any-return]

    def _target(self, state: EnvState, constants: dict[str, Any], k: Any) -> jax.Array:
        start, end = self._ms(state)
        t = k * jnp.float32(self.dt)
        blank = jnp.zeros(self.n_act, jnp.float32) if self.continuous else jnp.int32(0)
        gt = self._fns.target(constants, state.variables, start, end, t, self._rep(state, k), blank)
        return gt.astype(jnp.float32) if self.continuous else jnp.asarray(gt).astype(jnp.int32)

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
