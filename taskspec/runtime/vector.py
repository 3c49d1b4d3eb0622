"""A native vectorized env: N envs of one task stepped together as arrays.

Each sub-env keeps its own generator (seeded `seed + i`, as gymnasium seeds vector
envs) and its own sequence of trials, drawn in chunks exactly as a single env draws
them, so sub-env i produces exactly what `make(task).reset(seed=seed + i)` produces.
Chunks for many sub-envs are built in one vectorized call through `SplitRNG`, which
makes each sub-env's share of every random draw from that sub-env's own generator.
Each step is the step machine's (runtime/machine.py), run with NumPy on one value per sub-env
over the task's rules for arrays (`TrialEnv.array_rules`): state variables, outcome rules,
agent-contingent timing and timeouts; the inputs that show the state are added the same way.

Trials never end an episode (terminated and truncated stay False, as in the single
env), so gymnasium's autoreset never triggers; `reset(seed=...)` restarts all sub-envs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from . import machine
from .actions import continuous_actions, discrete_actions
from .env import TrialEnv
from .functions import envs_at_once
from .history import first_history, history
from .source import shown
from .trials import Scratch, build, check_num_envs

REFILL_TRIALS = 1 << 14  # trials built per call when topping up the envs' pools (see TrialVectorEnv._refill)


class SplitRNG:
    """Random draws for a batch of `len(generators)` equal parts, each part from its own generator."""

    def __init__(
        self,
        generators: list[np.random.Generator],
        each: int,
        sessions: list[Any] | None = None,
        histories: list[Any] | None = None,
    ):
        self.generators, self.each = generators, each
        # Each part's session variables (None before its first trial), advanced by `TrialEnv.session_values`,
        # and its finished trial's outcome (for session variables that read it; None before the first).
        self.sessions = sessions if sessions is not None else [None] * len(generators)
        self.histories = histories if histories is not None else [None] * len(generators)

    def _parts(self, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Per-part arguments: arrays with one entry per trial are split, scalars shared."""
        total = self.each * len(self.generators)
        split = [np.ndim(a) > 0 and np.shape(a)[0] == total for a in args]
        if not any(split):
            return [args] * len(self.generators)
        return [
            tuple(a[j * self.each : (j + 1) * self.each] if s else a for a, s in zip(args, split, strict=True))
            for j in range(len(self.generators))
        ]

    def _shape(self, size: Any) -> Any:
        """Each part's share of `size`: its trials, and the vector length for vector draws."""
        return self.each if np.ndim(size) == 0 else (self.each, *size[1:])

    def _draw(self, method: str, args: tuple[Any, ...], size: Any) -> np.ndarray:
        shape = self._shape(size)  # the same for every part: computed once (this runs per refill per draw)
        return np.concatenate(
            [getattr(g, method)(*part, size=shape) for g, part in zip(self.generators, self._parts(args), strict=True)]
        )

    def integers(self, low: Any, high: Any, size: Any) -> np.ndarray:
        return self._draw("integers", (low, high), size)

    def random(self, size: Any) -> np.ndarray:
        return self._draw("random", (), size)

    def uniform(self, low: Any, high: Any, size: Any) -> np.ndarray:
        return self._draw("uniform", (low, high), size)

    def normal(self, loc: Any, scale: Any, size: Any) -> np.ndarray:
        return self._draw("normal", (loc, scale), size)

    def choice(self, options: Any, size: Any, p: Any = None) -> np.ndarray:
        shape = self._shape(size)
        return np.concatenate([g.choice(options, size=shape, p=p) for g in self.generators])

    def standard_normal(
        self, size: tuple[int, ...] | None = None, dtype: Any = np.float64, out: np.ndarray | None = None
    ) -> np.ndarray:
        if out is None:
            assert size is not None
            out = np.empty((self.each * len(self.generators), *size[1:]), dtype)
        for j, g in enumerate(self.generators):  # each part drawn in place: no concatenation copy
            g.standard_normal(dtype=dtype, out=out[j * self.each : (j + 1) * self.each])
        return out

    def masked_normal(self, where: np.ndarray, width: int) -> np.ndarray:
        counts = where.reshape(len(self.generators), -1).sum(axis=1)
        out = np.empty((int(counts.sum()), width), np.float32)
        at = 0
        for g, c in zip(self.generators, counts.tolist(), strict=True):
            g.standard_normal(dtype=np.float32, out=out[at : at + c])
            at += c
        return out


class TrialVectorEnv(gym.vector.VectorEnv):
    """`num_envs` sub-envs of one task; observations, rewards and infos are arrays."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}  # noqa: RUF012 - gymnasium's convention

    def __init__(self, cls: type[TrialEnv], num_envs: int, **kwargs: Any):
        self.env = cls(**kwargs)
        if self.env.episode == "trial":  # from the spec or from episode="trial"
            raise TypeError(
                f"{cls.task_name} has one episode per trial; "
                "use taskspec.rl.vector.make_vector, which steps such tasks env by env"
            )
        self.num_envs = num_envs = check_num_envs(self.env, num_envs)  # before anything is built per env
        self.single_observation_space = self.env.observation_space
        self.single_action_space = self.env.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        info = self.env.info
        # trials that read the last one's outcome are drawn one at a time per env, once it is known
        self.chunk = 1 if info.reads_history else self.env.chunk_size
        self._interactive = info.interactive
        self._flow = machine.Flow(tuple(self.env.period_after), info.flow)
        # A ring of trials per sub-env, with room for one more chunk once half a chunk is left.
        self.slots = self.chunk + self.chunk // 2
        self._rows = np.arange(num_envs)
        self._period_names = np.array(list(self.env.period_after) + [None], dtype=object)
        self._all, self._none = np.ones(num_envs, bool), np.zeros(num_envs, bool)  # shared, read-only
        self._all.flags.writeable = self._none.flags.writeable = False
        self._scratch = Scratch()
        self._continuous, self._dt = self.env.action_type == "continuous", self.env.dt  # read at every step
        self._at_once = envs_at_once(num_envs)  # entered at every step (never twice at once: steps do not nest)
        # the shown trial variables' rows of `_cur`, grouped by type (their types may widen at a refill)
        self._shown_rows: list[tuple[Any, np.ndarray, list[str]]] | None = None

    # ----- trial pool -----

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None) -> Any:
        self.rngs = [seeding.np_random(s)[0] for s in sub_env_seeds(seed, self.num_envs)]
        self.head = np.zeros(self.num_envs, np.int64)  # slot of each sub-env's current trial
        self.count = np.zeros(self.num_envs, np.int64)  # trials held, the current one included
        self.k = np.zeros(self.num_envs, np.int64)
        self.performance = np.zeros(self.num_envs)
        self._pool: dict[str, Any] | None = None
        self.sessions: list[Any] = [None] * self.num_envs
        self.histories: list[Any] = [None] * self.num_envs
        self._trials_done = np.zeros(self.num_envs, np.int64)
        self._trial_reward = np.zeros(self.num_envs)
        self._choice = np.full((self.num_envs, *(self.single_action_space.shape or ())), -1.0)
        self._choice_t = np.full(self.num_envs, -1.0)
        self._refill(self._rows)
        self._load_current(self._rows)
        return self._observe(), {}

    def _refill(self, envs: np.ndarray) -> None:
        """One chunk more for each of `envs`, built a group of envs at a time.

        Each env draws from its own generator, so grouping changes no value; groups of about
        REFILL_TRIALS trials keep a batch's arrays small enough to stay in the CPU's caches.
        """
        group = max(1, REFILL_TRIALS // self.chunk)
        for at in range(0, len(envs), group):
            self._refill_group(envs[at : at + group])

    def _refill_group(self, envs: np.ndarray) -> None:
        """One chunk more for each of `envs`, built in one call with each env's own generator."""
        rng = SplitRNG(
            [self.rngs[i] for i in envs],
            self.chunk,
            [self.sessions[i] for i in envs],
            [self.histories[i] for i in envs],
        )
        # inputs that follow the agent's state are added as the envs act (see _observe); contingent
        # trials are laid out whole, as the single env serves them
        serving = bool(self.env.state_inputs) or self._interactive
        # built as `env.generate` builds them, in memory reused from the last group: `put` copies them away
        batch = build(self.env, rng, len(envs) * self.chunk, {}, serving, self._scratch)  # type: ignore[arg-type]
        for i, session in zip(envs, rng.sessions, strict=True):
            self.sessions[i] = session
        steps = batch.ob.shape[1]
        if self._pool is None:
            self._pool = self._allocate(batch, steps)
            self._flatten_pool()
        elif steps > self._pool["ob"].shape[2]:
            self._grow(steps)
        pool, width = self._pool, self._pool["ob"].shape[2]
        where = (envs[:, None], (self.head[envs, None] + self.count[envs, None] + np.arange(self.chunk)) % self.slots)

        def put(target: np.ndarray, values: np.ndarray, fill: int = 0, steps: bool = False) -> None:
            values = values.reshape(len(envs), self.chunk, *values.shape[1:])
            if steps and values.shape[2] < width:  # shorter trials than the pool holds: pad the step axis
                pad = [(0, 0)] * values.ndim
                pad[2] = (0, width - values.shape[2])
                values = np.pad(values, pad, constant_values=fill)
            target[where] = values

        put(pool["ob"], batch.ob, steps=True)
        put(pool["gt"], batch.gt, steps=True)
        put(pool["period"], batch.period_id, -1, steps=True)
        # Per-trial numbers side by side, so loading the next trials is one gather (see _load_current).
        dt = self.env.dt
        columns = [batch.variables[name] for name in self._scalars]
        columns += [batch.start[p] * dt for p in batch.start] + [batch.end[p] * dt for p in batch.end]
        put(pool["fields"], np.stack([*columns, batch.length], axis=1).astype(np.float64))
        for name in self._vectors:
            put(pool["vars"][name], batch.variables[name])
        for name, values in batch.variables.items():  # a session variable may start as 0 and become 0.5
            self._dtypes[name] = np.result_type(self._dtypes[name], values.dtype)
        self._shown_rows = None  # grouped by type again when next shown (see _trial_info)
        self.count[envs] += self.chunk

    def _allocate(self, batch: Any, steps: int) -> dict[str, Any]:
        n, q = self.num_envs, self.slots
        self._scalars = [k for k, v in batch.variables.items() if v.ndim == 1]
        self._vectors = [k for k, v in batch.variables.items() if v.ndim > 1]
        self._dtypes = {k: v.dtype for k, v in batch.variables.items()}
        width = len(self._scalars) + 2 * len(batch.start) + 1
        # The current trial's numbers: rules read column views of it (variables, period bounds in ms, length).
        self._cur = np.zeros((width, n))  # one contiguous row per field: fast to compute with
        self._vars = {k: self._cur[j] for j, k in enumerate(self._scalars)}
        self._vars.update(
            {k: np.zeros((n, *v.shape[1:]), v.dtype) for k, v in batch.variables.items() if k in self._vectors}
        )
        self._shown = list(shown(dict.fromkeys(self._vars)))  # what infos show
        self._shown_vectors = [k for k in self._vectors if k in self._shown]
        at = len(self._scalars)
        # one float per env, or a vector per env (n, length) for a state that starts as a vector
        self._st: dict[str, np.ndarray] = {
            k: np.zeros((n, *batch.variables[k].shape[1:])) for k in self.env.state_variables
        }
        self._start = {p: self._cur[at + j] for j, p in enumerate(batch.start)}
        self._end = {p: self._cur[at + len(batch.start) + j] for j, p in enumerate(batch.end)}
        self._length = np.zeros(n, np.int64)  # the steps of each env's current trial
        # what the step machine reads: the rules over these arrays, and period bounds in steps
        self._rules = self.env.array_rules(self._vars, self._start, self._end)
        steps_start, steps_stop = _InSteps(self._start, self.env.dt), _InSteps(self._end, self.env.dt)
        self._at = machine.Position(None, None, None, steps_start, steps_stop, self._length)
        return {
            "ob": np.zeros((n, q, steps, batch.ob.shape[2]), np.float32),
            "gt": np.zeros((n, q, steps, *batch.gt.shape[2:]), batch.gt.dtype),
            "period": np.full((n, q, steps), -1, np.int16),
            "fields": np.zeros((n, q, width)),
            "vars": {
                k: np.zeros((n, q, *batch.variables[k].shape[1:]), batch.variables[k].dtype) for k in self._vectors
            },
        }

    def _grow(self, steps: int) -> None:
        assert self._pool is not None
        for key, fill in (("ob", 0), ("gt", 0), ("period", -1)):
            old = self._pool[key]
            pad = [(0, 0)] * old.ndim
            pad[2] = (0, steps - old.shape[2])
            self._pool[key] = np.pad(old, pad, constant_values=fill)
        self._flatten_pool()

    def _flatten_pool(self) -> None:
        """Views of the pool arrays with trials and steps flattened, so one `take` finds each env's step."""
        assert self._pool is not None
        self._flat = {key: self._pool[key].reshape(-1, *self._pool[key].shape[3:]) for key in ("ob", "gt", "period")}
        self._flat["fields"] = self._pool["fields"].reshape(-1, self._pool["fields"].shape[2])
        self._steps = self._pool["ob"].shape[2]
        self._base = (self._rows * self.slots + self.head) * self._steps  # each env's current trial's first row

    def _load_current(self, envs: np.ndarray, slots: np.ndarray | None = None) -> None:
        """Copy the current trial's per-trial values of `envs` (in `slots` of their rings, when the caller
        knows them) into the arrays rules read every step."""
        assert self._pool is not None
        pool = self._pool
        slots = self.head[envs] if slots is None else slots
        trials = envs * self.slots + slots  # rows of the flattened pool
        self._base[envs] = trials * self._steps
        fields = self._flat["fields"].take(trials, axis=0)
        self._cur[:, envs] = fields.T
        self._length[envs] = fields[:, -1]
        for k in self._vectors:
            self._vars[k][envs] = pool["vars"][k][envs, slots]
        for k, v in self._st.items():  # a new trial starts from its state variables' initial values
            v[envs] = self._vars[k][envs]

    def _trial_info(self) -> dict[str, np.ndarray]:
        """Each env's trial variables, with their own types (the rules' copies are floats); shown at
        every step where a trial ends, so the numbers are copied out one block per type."""
        if self._shown_rows is None:
            self._shown_rows = self._group_shown()
        info: dict[str, Any] = dict.fromkeys(self._shown)  # the variables' order; the values follow
        for dtype, rows, names in self._shown_rows:
            info.update(zip(names, self._cur.take(rows, axis=0).astype(dtype, copy=False), strict=True))
        for k in self._shown_vectors:
            info[k] = self._vars[k].copy()
        return info

    def _group_shown(self) -> list[tuple[Any, np.ndarray, list[str]]]:
        """The shown numbers' rows of `_cur`, grouped by type."""
        groups: dict[Any, list[int]] = {}
        for row, name in enumerate(self._scalars):
            if name in self._shown:
                groups.setdefault(self._dtypes[name], []).append(row)
        return [(dtype, np.array(rows), [self._scalars[r] for r in rows]) for dtype, rows in groups.items()]

    def _flat_index(self) -> np.ndarray:
        """Row of each sub-env's current step in the pool arrays seen as (envs * slots * steps, ...)."""
        return self._base + self.k

    def _take(self, key: str, index: np.ndarray) -> np.ndarray:
        return self._flat[key].take(index, axis=0)  # faster than 3-array indexing

    def _observe(self) -> np.ndarray:
        self._index = self._flat_index()
        ob = self._take("ob", self._index)
        if self.env.state_inputs:  # inputs that follow each env's state, as the single env adds them
            with np.errstate(all="ignore"), self._at_once:  # the state's vectors span every env
                ob = self._rules.state_inputs(ob, self.k * self.env.dt, self._st, self.performance)
        return ob

    # ----- stepping -----

    def step(self, actions: Any) -> Any:
        if getattr(self, "_pool", None) is None:  # as the single env: a clear error, not an AttributeError
            raise gym.error.ResetNeeded("call reset() before step()")
        k = self.k
        # checked as a single env checks them, before any state changes (see taskspec.actions)
        if self._continuous:  # float64, as a single env computes its rules
            actions = continuous_actions(self.single_action_space, actions, self.num_envs)
        else:
            actions = discrete_actions(self.single_action_space, actions, self.num_envs)
        index = self._index  # where each sub-env is: computed when its observation was returned
        target, period = self._take("gt", index), self._take("period", index)
        t = k * self._dt
        at = self._at  # where each env is, updated in place (the bounds and lengths are arrays updated in place)
        at.k, at.t, at.period = k, t, period
        # rules are evaluated for every env at once, also where they do not apply
        with np.errstate(all="ignore"), self._at_once:
            done = machine.step(
                np, self._flow, self._rules, at, actions, target, self.performance, self._st, self.num_envs,
                self._interactive,
            )  # fmt: skip
        self._st, self.performance, reward, end = done.states, done.performance, done.reward, done.ended
        if self._interactive:  # `last_reward` is the trial's whole reward; `last_choice` the deciding action
            self._trial_reward = machine.earned(self._trial_reward, done.judged, done.late)
            self._choice[done.decided] = np.asarray(actions, np.float64)[done.decided]
            self._choice_t[done.decided] = t[done.decided]
        info = {
            "gt": target,
            "period": self._period_names.take(period),
            "new_trial": end,
            "_gt": self._all,
            "_period": self._all,
            "_new_trial": self._all,
        }
        if np.count_nonzero(end):
            info.update(performance=self.performance.copy(), _performance=end, trial=self._trial_info(), _trial=end)
            if self._interactive:
                self._record(end, done.timed_out, period, done.ended_by)
            self._advance(end)
        self.k = np.where(end, 0, done.next)
        return self._observe(), reward, self._none, self._none, info

    def _record(self, ended: np.ndarray, ran_out: np.ndarray, period: np.ndarray, rule: np.ndarray) -> None:
        """The finished trials' outcomes, for session variables that read them (see TrialEnv._record)."""
        self._trials_done += ended
        if self.env.info.reads_history:
            for i in np.flatnonzero(ended):
                trial = {name: self._vars[name][i] for name in self.env.trial_variables}
                action = self._choice[i] if self.env.action_type == "continuous" else int(self._choice[i])
                self.histories[i] = history(
                    self.performance[i],
                    self._trial_reward[i],
                    bool(ran_out[i]),
                    action,
                    self._choice_t[i],
                    int(self._trials_done[i]),
                    trial,
                    self.histories[i] if self.histories[i] is not None else first_history(self.env.trial_variables),
                    int(period[i]),
                    int(rule[i]),
                )
        self._trial_reward[ended] = 0.0
        self._choice[ended] = -1.0
        self._choice_t[ended] = -1.0

    def _advance(self, ended: np.ndarray) -> None:
        envs = ended.nonzero()[0]  # (the method: np.flatnonzero adds Python layers, at every step)
        slots = (self.head[envs] + 1) % self.slots
        self.head[envs] = slots
        self.count -= ended
        self.performance[envs] = 0
        if np.count_nonzero(self.count) < self.num_envs:  # someone ran dry: top up everyone with room for a chunk
            self._refill(np.flatnonzero(self.count <= self.slots - self.chunk))
        self._load_current(envs, slots)


class _InSteps(Mapping[str, np.ndarray]):
    """Period bounds in steps, from the bounds in ms the rules read; computed when the machine asks."""

    def __init__(self, ms: dict[str, np.ndarray], dt: float):
        self.ms, self.dt = ms, dt

    def __getitem__(self, period: str) -> np.ndarray:
        return np.rint(self.ms[period] / self.dt).astype(np.int64)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ms)

    def __len__(self) -> int:
        return len(self.ms)


def sub_env_seeds(seed: int | list[int] | None, n: int) -> list[int | None]:
    """Each sub-env's seed, as gymnasium seeds vector envs: `seed + i`, or one per env, or none."""
    if seed is None:
        return [None] * n
    if isinstance(seed, int):
        return [seed + i for i in range(n)]
    return [int(s) for s in seed]


class SteppedVectorEnv(gym.vector.VectorEnv):
    """`num_envs` single envs stepped one after another, with the same arrays and infos as `TrialVectorEnv`.

    For tasks with one episode per trial, where each env terminates on its own and gymnasium's
    autoreset applies: the envs run their own `step`. Autoreset follows gymnasium's next-step
    mode: the step after an env's episode ends resets it (its action is ignored, reward 0) and
    returns the first observation.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}  # noqa: RUF012 - gymnasium's convention

    def __init__(self, cls: type[TrialEnv], num_envs: int, **kwargs: Any):
        self.envs = [cls(**kwargs) for _ in range(num_envs)]
        self.env = self.envs[0]
        self.num_envs = num_envs
        self.single_observation_space = self.env.observation_space
        self.single_action_space = self.env.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._ended = np.zeros(num_envs, bool)

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None) -> Any:
        self._ended[:] = False
        seeds = sub_env_seeds(seed, self.num_envs)
        return np.stack([env.reset(seed=s)[0] for env, s in zip(self.envs, seeds, strict=True)]), {}

    def step(self, actions: Any) -> Any:
        # all checked first: a bad action for env i must not leave envs before i stepped and the rest not
        if self.env.action_type == "continuous":
            actions = continuous_actions(self.single_action_space, actions, self.num_envs)
        else:
            actions = discrete_actions(self.single_action_space, actions, self.num_envs).tolist()
        obs, rewards = [], np.zeros(self.num_envs)
        terminated = np.zeros(self.num_envs, bool)
        gts, periods, trials = [], [], []
        new_trial = np.zeros(self.num_envs, bool)
        performance = np.zeros(self.num_envs)
        for i, (env, action) in enumerate(zip(self.envs, actions, strict=True)):
            if self._ended[i]:  # next-step autoreset: this step only starts the next episode
                ob, info = env.reset()
                obs.append(ob)
                gts.append(env.gt_now)
                periods.append(info["period"])
                trials.append(dict(env.trial))
                continue
            trials.append(env.trial)
            ob, rewards[i], terminated[i], _, info = env.step(action)
            obs.append(ob)
            gts.append(info["gt"])
            periods.append(info["period"])
            if info["new_trial"]:
                new_trial[i], performance[i] = True, info["performance"]
        self._ended = terminated.copy()
        names = list(trials[0]) if trials else []
        info = {
            "gt": np.array(gts),
            "period": np.array(periods, dtype=object),
            "new_trial": new_trial,
            "_gt": np.ones(self.num_envs, bool),
            "_period": np.ones(self.num_envs, bool),
            "_new_trial": np.ones(self.num_envs, bool),
        }
        if new_trial.any():
            info.update(
                performance=performance,
                _performance=new_trial,
                _trial=new_trial,
                trial={name: np.array([trial[name] for trial in trials]) for name in names},
            )
        return np.stack(obs), rewards, terminated, np.zeros(self.num_envs, bool), info
