"""The hand-written base of every compiled task: trial generation, step, seeding.

Generated classes only say what a trial is (`_sample_trials`, `_fill`) and how a step
is judged (`_judge`, `_timeout`). This base draws trials in chunks with array
operations, then serves them one step at a time under the timing contract: `reset`
returns ob[0]; `step(a)` judges `a` against step k (reward, `info["gt"]`,
`info["period"]` all refer to k) and returns ob[k+1], or the next trial's ob[0].
What a step means is the step machine's (runtime/machine.py), run over plain numbers: its
second half, `settle`, as each class's generated `_settle` renders it for that task's flow
(compiler/codegen_settle.py), held equal to `machine.settle` by tests/test_scalar_settle.py.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from ..errors import SpecError
from . import functions as fn  # generated modules import it from here
from . import machine, scalar
from .actions import continuous_action, discrete_action
from .hooks import ArrayRules, ScalarRules, refuse_handwritten
from .neurogym import NeuroGymSurface
from .rollout import play
from .serving import TrialLists
from .source import Batch
from .spaces import NamedBox, NamedDiscrete, as_slice, checked_sizes, named_columns
from .trials import build

__all__ = ["Batch", "NamedBox", "NamedDiscrete", "TrialEnv", "fn"]


class TrialEnv(NeuroGymSurface):
    """A trial-based task with named spaces, periods, ground truth and NeuroGym's surface.

    Its bases hold the rest: `NeuroGymSurface` (runtime/neurogym.py), `TrialHistory` (session
    variables and trial history, runtime/history.py), `TaskHooks` (the generated class's record and
    hooks, runtime/hooks.py) and `SpecLocated` (errors at spec lines, runtime/located.py)."""

    metadata = {"render_modes": []}  # noqa: RUF012 - gymnasium declares it as an instance attribute
    chunk_size: ClassVar[int] = 64  # trials generated together; a trade-off of latency and speed

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_handwritten(cls)
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
        obs_sizes, act_sizes = checked_sizes(self, sizes["observation"]), checked_sizes(self, sizes["action"])
        obs_names, act_names = named_columns(obs_sizes), named_columns(act_sizes)
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
            as_slice(np.concatenate([np.atleast_1d(obs_names[g]) for g in groups])) for groups in self.input_groups
        ]
        self.period_names = list(self.period_after)  # in layout order
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
        self._quick = not (self.info.flow or self.info.goto_targets)  # a step that ends nothing goes on to k+1
        self._tracks = self.info.reads_history  # a finished trial's outcome is recorded for the next ones
        self._plain = not (self._tracks or self._state_obs)  # ... and then the step has nothing more to do
        self._flow = machine.Flow(tuple(self.period_after), self.info.flow)
        self._rules = ScalarRules(self, self._flow)
        self._at = machine.Position(0, 0.0, machine.NONE, {}, {}, 0)  # where the trial is: set by _load and step
        self.restart_session()
        self._forget_trial()

    # ----- trial generation (arrays) -----

    def generate(
        self,
        rng: np.random.Generator,
        n: int,
        overrides: dict[str, Any] | None = None,
        serving: bool = False,
        session: Mapping[str, Any] | None = None,
    ) -> Batch:
        """Build `n` trials at once with `rng`; `overrides` fixes trial variables.

        Session variables continue from this env's last trial; `session` gives every one of them
        a value (a number, or a list for a vector) for these trials only, leaving the session's own
        course as it was (e.g. replaying a logged session, trial by trial). Inputs that follow the
        agent's state show its initial value (unless `serving`: then `step` adds them as the agent acts).
        Trials whose timing or successors depend on actions are, unless `serving`, the steps the
        ground-truth policy lives through (see `rollout`).
        """
        given = None
        if session is not None:
            from .params import check_session_values

            given = check_session_values(type(self), session)
        if self._interactive and not serving:
            return play(self, rng, n, overrides or {}, session=given)
        return build(self, rng, n, overrides or {}, serving, session=given)

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
        if "_settle" in self.__dict__:  # stepping through the machine: bound to the twin, not to this env
            twin.step_by_machine()
        if fresh_session:
            twin.restart_session()
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
            self._batch, self._lists = batch, TrialLists(batch, self)
        self._load(batch, self._lists, i)
        return self._observe(0), self._gt_items[0]

    @property
    def target_now(self) -> Any:
        """gt[t_ind] as `step` takes an action (a plain int for discrete actions)."""
        return self._gt_items[self.t_ind]

    # ----- gymnasium API -----

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        if self._episodic and seed is None and self._batch is not None:
            self.new_trial()  # one trial per episode: the next episode is the next trial of the session
        else:
            super().reset(seed=seed)
            self._batch, self._next, self.num_tr = None, 0, 0
            if seed is not None:
                self.restart_session()
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
        t = self._times[k]
        info = {"new_trial": False, "gt": target, "period": self._period_at[k]}
        try:  # the step machine's step (runtime/machine.py) for one env, over plain numbers
            if self._stateful:  # machine.judge: the action moves the state, then the rules judge the moved state
                self._state = self._state_next(action, target, t)
            judged, performed, end = self._judge(action, target, t)
            nxt = k + 1
            if end is False and performed is None and nxt < self._length and self._quick:
                # `machine.uneventful` (no end, no performance, steps left, no flow) said of the hook's values:
                # the machine only goes on to step k+1 (tests/test_machine_scalar.py checks the claim,
                # tests/test_scalar_settle.py this env against the machine). Most steps.
                self.t_ind = nxt
                if self._plain:  # no trial history to note, no inputs that follow the state
                    return self.ob[nxt], float(judged), False, False, info
                if self._tracks:  # machine.earned, with no timeout reward on a step that does not end the trial
                    self._trial_reward += judged
                return self._observe(nxt) if self._state_obs else self.ob[nxt], float(judged), False, False, info
            # machine.settle, rendered for this task's flow by the compiler (or `machine_settle`)
            judged, late, performance, ended, nxt = self._settle(k, action, target, t, judged, performed, end)
        except SpecError:
            raise
        except Exception as exc:  # a spec expression failed: report it at its spec line
            raise self._located(exc) from None
        self.performance = performance
        reward = float(judged if late is None else judged + late)  # the rules' reward, plus the timeout's
        if self._tracks:  # the trial's outcome as the next trials' session variables will read it
            self._note_step(judged, late, end is not False, action, t)
            if ended:
                self._record(self._period_at[k])
        if ended:
            info.update(new_trial=True, performance=performance, trial=self.trial)
            if self._episodic:  # the episode ends with the trial; reset() starts the next one
                del self._gt_items
                last = self._observe(nxt) if nxt < self._length else self.ob[k]
                return last, reward, True, False, info
            self.new_trial()
            return self._observe(0) if self._state_obs else self.ob[0], reward, False, False, info
        self.t_ind = nxt
        return self._observe(nxt) if self._state_obs else self.ob[nxt], reward, False, False, info

    def machine_settle(
        self, k: int, action: Any, target: Any, t: float, judged: float, performed: Any, end: Any
    ) -> tuple[float, float | None, float, bool, int]:
        """What `_settle` returns, by the step machine itself: `machine.settle` over plain numbers
        (runtime/scalar.py), from what `_judge` returned for step k (the reward, the performance or
        None, True/False or a goto's period). Returns the rules' reward, the timeout's reward (None: the
        trial did not run out), the performance, whether the trial ended and the step after k.

        Generated classes render their own `_settle` for their task's flow (compiler/codegen_settle.py);
        tests/test_scalar_settle.py holds each equal to this one, step for step, on every bundled task."""
        at, rules = self._at, self._rules
        at.k, at.t, at.start, at.stop, at.length = k, t, self.start_ind, self.end_ind, self._length
        period = self._period_at[k]  # the machine reads periods by index, as the vector env does
        at.period = machine.NONE if period is None else self._flow.index[period]
        outcome = rules.outcome(judged, performed, end)
        done = machine.settle(
            scalar, self._flow, rules, at, action, target, outcome, self.performance, self._state, 1, self._interactive
        )
        return done.judged, done.late if done.timed_out else None, done.performance, done.ended, done.next

    _settle = machine_settle  # a class compiled by an older taskspec has no `_settle` of its own

    def step_by_machine(self) -> TrialEnv:
        """This env, stepping through the step machine itself from now on (`machine_settle` at every
        step, no shortcut): the reference its generated `_settle` is checked against. Returns the env."""
        self._settle = self.machine_settle  # type: ignore[method-assign]
        self._quick = False
        return self

    def _observe(self, k: int) -> np.ndarray:
        """Observation at step k: the generated one plus the inputs that follow the agent's state.

        They are added in place, once, when step k is reached, so `env.ob` holds what the agent saw.
        """
        if self._state_obs:
            self._call(self._add_state_inputs, self.ob[k], self._times[k])
        return self.ob[k]  # type: ignore[no-any-return]

    # ----- trials -----

    @classmethod
    def dry_run(cls) -> None:
        """Build a few trials and judge each of their steps with default parameters, so that an
        expression that cannot be evaluated is reported (as a SpecError) when the class is made."""
        cls()._judge_every_step()

    def _judge_every_step(self) -> None:
        batch = self.generate(np.random.default_rng(0), 4)
        self._load(batch, TrialLists(batch, self), 0)
        for k in range(self._length):
            action = self.action_space.sample() if self.action_type == "continuous" else 0
            self._call(self._judge, action, self._gt_items[k], k * self.dt)
            for period, (has_until, _, _) in self._flow.links.items():
                if has_until:
                    self._call(self._until, period, action, self._gt_items[k], k * self.dt)
        self._call(self._timeout)

    def new_trial(self, session: Mapping[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        """Start the next trial now (variables in `overrides` are fixed) and return its variables.

        `session`: a value for every session variable, for this trial only (see `generate`). A trial
        variable named `session` is fixed as any other: a number is never a mapping of session values."""
        if session is not None and not isinstance(session, Mapping) and "session" in self.trial_variables:
            overrides, session = {"session": session, **overrides}, None
        if overrides or session is not None:
            from .params import check_trial_overrides

            fixed = check_trial_overrides(type(self), overrides)
            batch = self.generate(self.np_random, 1, fixed, self._state_obs or self._interactive, session)
            self._load(batch, TrialLists(batch, self), 0)
        else:
            if self._batch is None or self._next >= len(self._batch.length):
                # trials that read the last one's outcome are drawn one at a time, once it is known
                size = 1 if self.info.reads_history else self.chunk_size
                self._batch, self._next = (
                    self.generate(self.np_random, size, None, self._state_obs or self._interactive),
                    0,
                )
                self._lists = TrialLists(self._batch, self)
            self._load(self._batch, self._lists, self._next)
            self._next += 1
        return self.trial

    def _load(self, batch: Batch, lists: TrialLists, i: int) -> None:
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
        self.tmax = length * self.dt
        self.t_ind = 0
        if len(self._times) < length:
            self._times = [i * self.dt for i in range(2 * length)]
        self.performance = 0
        self.num_tr += 1
        if self._stateful:
            # a vector state starts as an array of floats, as the vector env holds it (the trial's copy is a list)
            own = self.trial if lists.hidden is None else {**self.trial, **lists.hidden[i]}
            self._state = {
                name: np.array(value, np.float64) if type(value := own[name]) is list else value
                for name in self.state_variables
            }
        if self._tracks:
            self._forget_trial()
