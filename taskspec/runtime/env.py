"""The hand-written base of every compiled task: trial generation, step, seeding.

Generated classes only say what a trial is (`_sample_trials`, `_fill`) and how a step
is judged (`_judge`, `_timeout`). This base draws trials in chunks with array
operations, then serves them one step at a time under the timing contract: `reset`
returns ob[0]; `step(a)` judges `a` against step k (reward, `info["gt"]`,
`info["period"]` all refer to k) and returns ob[k+1], or the next trial's ob[0].
"""

from __future__ import annotations

import abc
import bisect
import copy
import math
import sys
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from ..errors import Problem, SpecError, SpecWarning
from . import functions as fn  # generated modules import it from here
from . import machine, scalar
from .actions import continuous_action, discrete_action
from .info import TaskInfo
from .rollout import play
from .source import Batch, TrialSource
from .trials import build

MAX_OBSERVATION_SIZE = 10_000

__all__ = ["Batch", "NamedBox", "NamedDiscrete", "TrialEnv", "fn"]


class NamedBox(gym.spaces.Box):
    """A Box whose dimensions have group names, as NeuroGym's `space.name`."""

    name: dict[str, int | list[int]]


class NamedDiscrete(gym.spaces.Discrete):
    name: dict[str, int | list[int]]


def _columns(sizes: tuple[tuple[str, int], ...]) -> dict[str, int | list[int]]:
    names: dict[str, int | list[int]] = {}
    at = 0
    for name, size in sizes:
        names[name] = at if size == 1 else list(range(at, at + size))
        at += size
    return names


class TrialEnv(gym.Env, abc.ABC, TrialSource[np.random.Generator]):
    """A trial-based task with named spaces, periods, ground truth and NeuroGym's surface."""

    metadata = {"render_modes": []}  # noqa: RUF012 - gymnasium declares it as an instance attribute
    chunk_size: ClassVar[int] = 64  # trials generated together; a trade-off of latency and speed

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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _refuse_handwritten(cls)
        if "info" not in cls.__dict__:  # a subclass of a task class keeps what it inherits
            return
        info = cls.info
        cls.task_name, cls.paper, cls.url, cls.tags = info.name, info.paper, info.url, info.tags
        cls.default_dt, cls.default_rewards, cls.default_timing = info.dt, info.rewards, info.timing
        cls.period_after, cls.period_copy, cls.input_groups = info.period_after, info.period_copy, info.input_groups
        cls.regression_groups = info.regression_groups
        cls.trial_variables, cls.session_variables = info.trial_variables, info.session_variables
        cls.state_variables, cls.state_inputs, cls.has_target = info.state_variables, info.state_inputs, info.has_target
        cls.episode, cls.action_type, cls.action_bounds = info.episode, info.action_type, info.action_bounds

    def __init__(
        self,
        /,
        dt: float | None = None,
        rewards: dict[str, float] | None = None,
        timing: dict[str, float] | None = None,
        render_mode: str | None = None,
        episode: str | None = None,
        **params: Any,
    ):
        from .params import check_overrides  # local: params imports this module's errors only

        self.params, self.dt, self.rewards, self._timing_over = check_overrides(type(self), params, dt, rewards, timing)
        self.render_mode = render_mode
        self.timing = {**self.default_timing, **self._timing_over}
        self._warn_rounding()
        sizes = self._call(self._group_sizes, self.params)
        obs_sizes, act_sizes = _checked_sizes(self, sizes["observation"]), _checked_sizes(self, sizes["action"])
        obs_names, act_names = _columns(obs_sizes), _columns(act_sizes)
        n_obs, n_act = sum(s for _, s in obs_sizes), sum(s for _, s in act_sizes)
        self.observation_space = NamedBox(-np.inf, np.inf, shape=(n_obs,), dtype=np.float32)
        self.observation_space.name = obs_names
        if self.action_type == "continuous":
            low, high = self.action_bounds
            self.action_space = NamedBox(low, high, shape=(n_act,), dtype=np.float32)  # type: ignore[assignment]
            self.action_index: dict[str, Any] = {k: np.atleast_1d(v) for k, v in act_names.items()}
        else:
            self.action_space = NamedDiscrete(n_act)  # type: ignore[assignment]
            self.action_index = {k: v if isinstance(v, int) else np.array(v) for k, v in act_names.items()}
        self.action_space.name = act_names  # type: ignore[attr-defined]
        self._input_columns = [
            _as_slice(np.concatenate([np.atleast_1d(obs_names[g]) for g in groups])) for groups in self.input_groups
        ]
        self._period_names = list(self.period_after)
        self._batch: Batch | None = None
        self._next = 0
        self.num_tr = 0
        self.trial: dict[str, Any] = {}
        self.performance: float = 0
        self.t_ind: int = 0
        self._times: list[float] = []  # k * dt, looked up instead of computed at each step
        self._continuous = self.action_type == "continuous"
        self._action_shape: tuple[int, ...] = self.action_space.shape or ()
        self._n_actions = int(getattr(self.action_space, "n", 0))  # step's range check reads a plain int
        self._session: dict[str, Any] | None = None  # session variables after the last generated trial
        self._state: dict[str, Any] = {}
        self._stateful = bool(self.state_variables)
        self._state_obs = bool(self.state_inputs)
        if episode is not None:  # make(..., episode="trial"): the spec's `episode:` for this env only
            if episode not in ("trial", "continuing"):
                raise ValueError(f"episode must be 'trial' or 'continuing', got {episode!r}")
            self.episode = episode  # type: ignore[misc]
        self._episodic = self.episode == "trial"
        # Agent-contingent timing and trial history (see step and _record); plain tasks skip both.
        self._interactive = self.info.interactive
        self._flow = machine.Flow(tuple(self.period_after), self.info.flow)
        self._rules = ScalarRules(self, self._flow)
        self._at = machine.Position(0, 0.0, machine.NONE, {}, {}, 0)  # where the trial is: set by _load and step
        self._history: dict[str, Any] | None = None  # the finished trial, as session variables read it
        self._trials_done = 0
        self._trial_reward = 0.0
        self._ran_out = False  # the current trial ended by running out (`last_timed_out`)
        self._decision: tuple[Any, float] | None = None  # the action that ended the trial or jumped, and when

    # ----- trial generation (arrays) -----

    def generate(
        self, rng: np.random.Generator, n: int, overrides: dict[str, Any] | None = None, serving: bool = False
    ) -> Batch:
        """Build `n` trials at once with `rng`; `overrides` fixes trial variables.

        Session variables continue from this env's last trial. Inputs that follow the agent's
        state show its initial value (unless `serving`: then `step` adds them as the agent acts).
        Trials whose timing or successors depend on actions are, unless `serving`, the steps the
        ground-truth policy lives through (see `rollout`).
        """
        if self._interactive and not serving:
            return play(self, rng, n, overrides or {})
        return build(self, rng, n, overrides or {}, serving)

    def array_rules(self, variables: Any, start: Any, end: Any) -> ArrayRules:
        """The task's rules over one value per env, for the step machine (runtime/machine.py); they read
        the current trials' `variables` and period bounds in ms (`start`, `end`), arrays updated in place."""
        return ArrayRules(self, variables, start, end)

    def _twin(self, fresh_session: bool) -> TrialEnv:
        """A shallow copy with its own trial and step position; its session starts afresh, or goes on
        from this env's. (copy.copy would go through the pickle reducer, which rebuilds from the spec.)"""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._rules, twin._at = ScalarRules(twin, twin._flow), copy.copy(self._at)  # its own, on its own trial
        if fresh_session:
            twin._restart_session()
        return twin

    def private(self) -> TrialEnv:
        """A copy with its own trials and a session starting afresh (`TrialSource`)."""
        return self._twin(fresh_session=True)

    # ----- what batch building and the rollout read (source.TrialMaker, source.Player) -----

    @property
    def input_columns(self) -> list[Any]:
        """The observation columns each input writes (a slice when contiguous)."""
        return self._input_columns

    @property
    def timing_overrides(self) -> Mapping[str, float]:
        """Period durations given to `make(timing=...)`, in ms."""
        return self._timing_over

    def sample_trials(self, rng: Any, n: int, overrides: dict[str, Any], session: Any) -> Any:
        """Trial variables and period durations of `n` trials, as arrays."""
        return self._call(self._sample_trials, rng, n, overrides, session)

    def fill(self, builder: Any, variables: Any, start: Any, end: Any, t: Any) -> None:
        """Place the inputs and targets of a batch of trials through `builder`."""
        self._call(self._fill, builder, variables, start, end, t)

    def player(self) -> TrialEnv:
        """A copy on this env's session that returns at each trial's end instead of drawing the next."""
        player = self._twin(fresh_session=False)
        player._episodic, player._batch = True, None
        return player

    def serve(self, batch: Batch, i: int) -> tuple[np.ndarray, Any]:
        """Make trial i of `batch` current (as `reset` would); its first observation and ground truth."""
        if self._batch is not batch:  # per-trial values converted once per batch
            self._batch, self._lists = batch, _TrialLists(batch, self)
        self._load(batch, self._lists, i)
        return self._observe(0), self._gt_items[0]

    @property
    def target_now(self) -> Any:
        """gt[t_ind] as `step` takes an action (a plain int for discrete actions)."""
        return self._gt_items[self.t_ind]

    def adopt_session(self, other: TrialEnv) -> None:
        """Go on from `other`'s session, trial history included."""
        self._session, self._history, self._trials_done = other._session, other._history, other._trials_done

    def _restart_session(self) -> None:
        """Session variables start again from `init`, and trial history from no trial."""
        self._session, self._history, self._trials_done = None, None, 0

    def session_values(self, rng: Any, n: int) -> dict[str, np.ndarray]:
        """Session variables for the next `n` trials, one trial after another (each may depend on the last)."""
        if not self.session_variables:
            return {}
        split = hasattr(rng, "generators")  # a vector env's split generator: one session per sub-env
        parts = list(zip(rng.generators, rng.sessions, strict=True)) if split else [(rng, self._session)]
        histories = rng.histories if split else [self._history]
        each = rng.each if split else n
        values: dict[str, list[Any]] = {name: [] for name in self.session_variables}
        ended = []
        for (generator, state), history in zip(parts, histories, strict=True):
            if state is None:
                state = self._call(self._session_init, generator, 1)
            for _ in range(each):
                if self.info.reads_history:  # one trial at a time: the finished one's outcome is known
                    last = history if history is not None else first_history(self.trial_variables)
                    state = self._call(self._session_next, generator, 1, state, last)
                else:
                    state = self._call(self._session_next, generator, 1, state)
                for name, column in values.items():
                    column.append(state[name][0])
            ended.append(state)
        if split:
            rng.sessions = ended
        else:
            self._session = ended[0]
        return {name: np.array(column) for name, column in values.items()}

    # ----- gymnasium API -----

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        if self._episodic and seed is None and self._batch is not None:
            self.new_trial()  # one trial per episode: the next episode is the next trial of the session
        else:
            super().reset(seed=seed)
            self._batch, self._next, self.num_tr = None, 0, 0
            if seed is not None:
                self._restart_session()
            self.new_trial()
        return self._observe(0), {"period": self._period_at[0], "trial": dict(self.trial)}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        # The hot path of RL: kept to plain attribute and list lookups.
        k = self.t_ind
        try:
            target = self._gt_items[k]
        except AttributeError:
            raise gym.error.ResetNeeded("call reset() before step()") from None
        if not self._continuous:
            if type(action) is not int or not 0 <= action < self._n_actions:  # plain ints in range: no more cost
                action = discrete_action(self.action_space, action, self._n_actions)
        else:  # float64 like every other number in the rules; a single number applies to every dimension
            action = continuous_action(self.action_space, action, self._action_shape)
        at, rules = self._at, self._rules
        at.k, at.t = k, self._times[k]
        info = {"new_trial": False, "gt": target, "period": self._period_at[k]}
        try:  # the step machine's step (runtime/machine.py), over plain numbers (runtime/scalar.py)
            self._state, outcome = machine.judge(rules, at, action, target, self.performance, self._state)
            if self._interactive:
                at.period = self._period_ids[k]
            elif machine.uneventful(outcome, at):  # most steps: the machine only goes on to step k+1
                self.t_ind = k + 1
                return (
                    self._observe(k + 1) if self._state_obs else self.ob[k + 1],
                    float(outcome.reward),
                    False,
                    False,
                    info,
                )
            done = machine.settle(
                scalar, self._flow, rules, at, action, target, outcome, self.performance, self._state, 1,
                self._interactive,
            )  # fmt: skip
        except SpecError:
            raise
        except Exception as exc:  # a spec expression failed: report it at its spec line
            raise self._located(exc) from None
        self.performance, nxt, reward = done.performance, done.next, float(done.reward)
        if self._interactive:  # `last_reward` is the trial's whole reward; `last_choice` the deciding action
            self._trial_reward += done.judged
            self._trial_reward += done.late
            self._ran_out = done.timed_out
            if done.decided:
                self._decision = (action, at.t)
        if done.ended:
            info.update(new_trial=True, performance=self.performance, trial=self.trial)
            if self._interactive:
                self._record(self._period_at[k])
            if self._episodic:  # the episode ends with the trial; reset() starts the next one
                del self._gt_items
                last = self._observe(nxt) if nxt < self._length else self.ob[k]
                return last, reward, True, False, info
            self.new_trial()
            return self._observe(0) if self._state_obs else self.ob[0], reward, False, False, info
        self.t_ind = nxt
        return self._observe(nxt) if self._state_obs else self.ob[nxt], reward, False, False, info

    # ----- trial history -----

    def _record(self, period: str | None) -> None:
        """The finished trial as the next trial's session variables see it (`last_performance`, ...);
        `period`: the period of its last step."""
        self._trials_done += 1
        action, t = self._decision if self._decision is not None else (-1, -1.0)
        self._history = history(
            self.performance,
            self._trial_reward,
            self._ran_out,
            action,
            t,
            self._trials_done,
            self.trial,
            self._history if self._history is not None else first_history(self.trial_variables),
            -1 if period is None else self._period_names.index(period),
        )

    def _observe(self, k: int) -> np.ndarray:
        """Observation at step k: the generated one plus the inputs that follow the agent's state.

        They are added in place, once, when step k is reached, so `env.ob` holds what the agent saw.
        """
        if self._state_obs:
            self._call(self._add_state_inputs, self.ob[k], self._times[k])
        return self.ob[k]  # type: ignore[no-any-return]

    @property
    def t(self) -> float:
        """Time of the current step within the trial, in ms."""
        return self.t_ind * self.dt

    # ----- NeuroGym's surface -----

    @classmethod
    def dry_run(cls) -> None:
        """Build a few trials and judge each of their steps with default parameters, so that an
        expression that cannot be evaluated is reported (as a SpecError) when the class is made."""
        env = cls()
        batch = env.generate(np.random.default_rng(0), 4)
        env._load(batch, _TrialLists(batch, env), 0)
        for k in range(env._length):
            action = env.action_space.sample() if env.action_type == "continuous" else 0
            env._call(env._judge, action, env._gt_items[k], k * env.dt)
            for period, (has_until, _, _) in env._flow.links.items():
                if has_until:
                    env._call(env._until, period, action, env._gt_items[k], k * env.dt)
        env._call(env._timeout)

    def new_trial(self, **overrides: Any) -> dict[str, Any]:
        """Start the next trial now (variables in `overrides` are fixed) and return its variables."""
        if overrides:
            from .params import check_trial_overrides

            fixed = check_trial_overrides(type(self), overrides)
            batch = self.generate(self.np_random, 1, fixed, self._state_obs or self._interactive)
            self._load(batch, _TrialLists(batch, self), 0)
        else:
            if self._batch is None or self._next >= len(self._batch.length):
                # trials that read the last one's outcome are drawn one at a time, once it is known
                size = 1 if self.info.reads_history else self.chunk_size
                self._batch, self._next = (
                    self.generate(self.np_random, size, None, self._state_obs or self._interactive),
                    0,
                )
                self._lists = _TrialLists(self._batch, self)
            self._load(self._batch, self._lists, self._next)
            self._next += 1
        return self.trial

    def _load(self, batch: Batch, lists: _TrialLists, i: int) -> None:
        """Make trial i of a batch current; per-trial Python values come precomputed per chunk."""
        length = lists.length[i]
        self._length = length
        self.ob = batch.ob[i, :length]
        self.gt = batch.gt[i, :length]
        self._gt_items = lists.gt[i]
        self.trial = lists.trial[i]
        self.start_ind, self.end_ind = lists.start_ind[i], lists.end_ind[i]
        self.start_t, self.end_t = lists.start_t[i], lists.end_t[i]
        self._period_at = lists.period[i]
        at = self._at
        at.start, at.stop, at.length = self.start_ind, self.end_ind, length
        self.tmax = length * self.dt
        self.t_ind = 0
        if len(self._times) < length:
            self._times = [i * self.dt for i in range(2 * length)]
        self.performance = 0
        self.num_tr += 1
        if self._stateful:
            self._state = {name: self.trial[name] for name in self.state_variables}
        if self._interactive:
            self._period_ids = lists.period_ids[i]
            self._trial_reward, self._decision, self._ran_out = 0.0, None, False

    def reseed(self, seed: int | None = None) -> list[int | None]:
        """NeuroGym's `env.seed(s)`: reseed the trials and `action_space`; the next `reset()` starts afresh.

        `reseed(s)` then `reset()` gives the trials of `reset(seed=s)`; kept for code written for NeuroGym.
        Not named `seed`: gymnasium's `check_env` warns about any env with a callable `seed`.
        """
        self._np_random, self._np_random_seed = gym.utils.seeding.np_random(seed)
        self.action_space.seed(seed)
        self._batch = None  # trials drawn ahead came from the old generator
        self._restart_session()
        return [seed]

    def trial_length_stats(self, num_trials: int = 10000) -> dict[str, float]:
        """NeuroGym's statistics of trial length in steps: `mean`, `std`, `percentile_95` and `max`.

        The trials are drawn from a copy of the env's generator and session, so the env's own
        trials are the same whether or not this was called.
        """
        if int(num_trials) != num_trials or num_trials < 1:
            raise ValueError(f"num_trials must be a whole number >= 1, got {num_trials!r}")
        rng, session = copy.deepcopy(self.np_random), copy.deepcopy(self._session)
        lengths = []
        try:
            for start in range(0, int(num_trials), 1000):  # in parts: a batch holds every step of its trials
                lengths.append(self.generate(rng, min(1000, int(num_trials) - start)).length)
        finally:
            self._session = session
        steps = np.concatenate(lengths)
        return {
            "mean": round(float(np.mean(steps)), 3),
            "std": round(float(np.std(steps)), 3),
            "percentile_95": round(float(np.percentile(steps, 95)), 3),
            "max": int(np.max(steps)),
        }

    @property
    def gt_now(self) -> Any:
        return self.gt[self.t_ind]

    @property
    def ob_now(self) -> np.ndarray:
        return self.ob[self.t_ind]

    def in_period(self, period: str, t: float | None = None) -> bool:
        """Whether time `t` (ms; default: now) lies in `period` of the current trial."""
        t = self.t if t is None else t
        return bool(self.start_t[period] <= t < self.end_t[period])

    # ----- errors -----

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except SpecError:
            raise
        except Exception as exc:
            raise self._located(exc) from None

    def _located(self, exc: Exception) -> Exception:
        """Turn an error raised inside generated code into a SpecError at the spec line.

        The generated module carries a table of (generated line, YAML path, file, line, column);
        the innermost frame of that module in the traceback picks its row.
        """
        module = sys.modules.get(type(self).__module__)
        table = getattr(module, "_SPEC_LOCATIONS", ())
        tb, line = exc.__traceback__, None
        while tb is not None:
            if module is not None and tb.tb_frame.f_globals is module.__dict__:
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None or not table:
            return exc
        row = bisect.bisect_right([entry[0] for entry in table], line) - 1
        if row < 0:
            return exc
        _, path, file, spec_line, col = table[row]
        return SpecError([Problem(file, spec_line, col, path, f"cannot evaluate: {fn.in_spec_terms(exc)}")])

    def spec_problem(self, path: str, message: str) -> None:
        """Raise a SpecError at the spec line of `path` (looked up in the generated module's table)."""
        module = sys.modules.get(type(self).__module__)
        for _, where, file, line, col in getattr(module, "_SPEC_LOCATIONS", ()):
            if where == path:
                raise SpecError([Problem(file, line, col, path, message)])
        raise SpecError([Problem(self.task_name, 0, 0, path, message)])

    def _warn_rounding(self) -> None:
        for name, ms in self.timing.items():
            steps = ms / self.dt if isinstance(ms, (int, float)) else 0.0
            if math.isfinite(steps) and abs(steps - round(steps)) > 1e-9:
                floored = (ms // self.dt) * self.dt
                # a duration given to make(timing=...) has no spec line: the task's name says where
                where = self.task_name if name in self._timing_over else self._spec_line(f"periods.{name}")
                warnings.warn(
                    f"{where}: periods.{name}: {ms:g} ms is not a multiple of "
                    f"dt={self.dt:g} ms; it is rounded down to {floored:g} ms",
                    SpecWarning,
                    stacklevel=4,
                )

    def _spec_line(self, path: str) -> str:
        """'file:line:col' of a spec path (or of its `duration`), from the generated module's table;
        the task's name when the table has no such row."""
        module = sys.modules.get(type(self).__module__)
        for _, where, file, line, col in getattr(module, "_SPEC_LOCATIONS", ()):
            if where in (path, f"{path}.duration") and line:
                return f"{file}:{line}:{col}"
        return self.task_name

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

    def __init__(self, env: TrialEnv, variables: Any, start: Any, end: Any):
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
        extra, performed, _ = self.call(self.hooks[3], t, self.variables, states).arrays(len(t))
        return extra, performed

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

    def __init__(self, env: TrialEnv, flow: machine.Flow):
        self.env, self.index, self.moves = env, flow.index, bool(env.state_variables)
        self.reward, self.performance, self.end, self.goto = 0.0, math.nan, False, machine.NONE

    def state_next(self, action: Any, target: Any, t: float, states: Any, performance: Any) -> Any:
        env = self.env
        env._state = env._state_next(action, target, t)  # the rules judge the moved state
        return env._state

    def judge(self, action: Any, target: Any, t: float, states: Any, performance: Any) -> ScalarRules:
        reward, performed, end = self.env._judge(action, target, t)  # end: True, False or a goto's period
        self.reward, self.performance = reward, math.nan if performed is None else performed
        if end is True or end is False:
            self.end, self.goto = end, machine.NONE
        else:
            self.end, self.goto = False, self.index[end]
        return self

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


def _refuse_handwritten(cls: type) -> None:
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


class _TrialLists:
    """A chunk's per-trial values as Python lists and dicts, converted in bulk instead of per trial."""

    def __init__(self, batch: Batch, env: TrialEnv):
        self.length = batch.length.tolist()
        gt = batch.gt.tolist() if env.action_type == "discrete" else list(batch.gt)
        self.gt = [row[:n] for row, n in zip(gt, self.length, strict=True)]
        names = list(batch.variables)
        columns = [v.tolist() for v in batch.variables.values()]
        self.trial = (
            [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
            if names
            else [{} for _ in self.length]
        )
        self.start_ind = _dicts(batch.start, 1)
        self.end_ind = _dicts(batch.end, 1)
        self.start_t = _dicts(batch.start, env.dt)
        self.end_t = _dicts(batch.end, env.dt)
        labels = np.array([*env._period_names, None], dtype=object)  # index -1 is "no period"
        period = np.take(labels, batch.period_id).tolist()
        self.period = [row[:n] for row, n in zip(period, self.length, strict=True)]
        if env.info.interactive:  # the step machine reads periods by index, as the vector env does
            ids = batch.period_id.tolist()
            self.period_ids = [row[:n] for row, n in zip(ids, self.length, strict=True)]


def first_history(trial_variables: tuple[str, ...]) -> dict[str, np.ndarray]:
    """What `last_...` reads before the first trial: no reward, no performance, no choice (-1);
    every window over past trials holds 0s."""
    values = machine.history(0.0, 0.0, False, -1, -1.0, 0, -1)
    values |= {f"last_{name}": 0 for name in trial_variables}
    outcome = {name: np.asarray(value)[None] for name, value in values.items()}
    windows = machine.remember(np, None, outcome)
    return {name: np.zeros_like(value) if name.startswith("past_") else value for name, value in windows.items()}


def history(
    performance: Any,
    reward: float,
    ran_out: bool,
    action: Any,
    t: float,
    done: int,
    trial: Mapping[str, Any],
    previous: Mapping[str, Any],
    period: int,
) -> dict[str, np.ndarray]:
    """A finished trial's outcome as one-trial arrays, under the names session variables read, and
    the windows over past trials (`past_<x>`) shifted on from the `previous` trial's."""
    values = {
        **machine.history(performance, reward, ran_out, action, t, done, period),
        **{f"last_{name}": value for name, value in trial.items()},
    }
    return machine.remember(np, previous, {name: np.asarray(value)[None] for name, value in values.items()})


def _dicts(columns: dict[str, np.ndarray], scale: float) -> list[dict[str, Any]]:
    """One dict per trial from per-period arrays (scaled to ms when `scale` is dt)."""
    names = list(columns)
    values = [(v * scale).tolist() if scale != 1 else v.tolist() for v in columns.values()]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _as_slice(columns: np.ndarray) -> slice | np.ndarray:
    """Contiguous columns as a slice, so placements write through views."""
    if columns.size and np.all(np.diff(columns) == 1):
        return slice(int(columns[0]), int(columns[-1]) + 1)
    return columns


def _checked_sizes(env: TrialEnv, sizes: Any) -> tuple[tuple[str, int], ...]:
    """Group sizes are whole numbers already (fn.size); here their total is bounded."""
    if sum(size for _, size in sizes) > MAX_OBSERVATION_SIZE:
        env.spec_problem("observation", f"a space may have at most {MAX_OBSERVATION_SIZE} columns in all")
    return tuple((name, int(size)) for name, size in sizes)
