"""Batched trial generation: n trials built together with array operations.

A generated class says what a trial holds (`_sample_trials`, `_fill`); this module
lays the periods out, allocates padded arrays and applies the placements. Periods that
start and end at the same step in every trial of the batch (the common case) are
written through slices, which is several times faster than masks.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .functions import MAX_LIVE_ARRAYS, budget
from .source import Batch, TrialMaker

__all__ = ["Batch", "Scratch", "build", "check_num_envs"]

MAX_TRIAL_STEPS = 100_000
MAX_BATCH_BYTES = 1 << 31  # the arrays of one batch of trials (2 GiB), checked before allocating
MAX_FILL_VALUES = 1 << 27  # values the inputs write in one batch (noise draws included): bounds its time
CELL_BYTES = 32  # per trial and step besides observations and targets: period ids, masks, `step`'s lists
# per observation value: the float32 array plus the float64 intermediates of its shape an expression
# may hold at once (expressions.MAX_LIVE_ARRAYS)
OB_BYTES = 4 + 8 * MAX_LIVE_ARRAYS


def build(
    env: TrialMaker,
    rng: np.random.Generator,
    n: int,
    overrides: dict[str, Any],
    serving: bool = False,
    scratch: Scratch | None = None,
    session: dict[str, Any] | None = None,
) -> Batch:
    """`serving`: trials for `step`, which adds state-dependent inputs itself as the agent acts.
    `scratch`: memory for the batch's ob, gt and period ids, reused by the next build given it.
    `session`: the session variables' values for these trials (checked), instead of their `next`."""
    widths = _widths(env)
    saved = budget.cells, budget.free, budget.drawn
    budget.cells, budget.free, budget.drawn = n, widths[2], 0
    try:
        session = env.session_values(rng, n, session)
        variables, durations = env.sample_trials(rng, n, overrides, session)
        return _build(env, rng, n, variables, durations, serving, widths, scratch)
    finally:
        budget.cells, budget.free, budget.drawn = saved


def check_num_envs(env: TrialMaker, num_envs: Any) -> int:
    """A vector env's `num_envs`: a whole number from 1 whose trials (a chunk per env) fit the batch budget
    even if they last one step; checked before anything is built for them."""
    if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"num_envs must be a whole number of at least 1, got {num_envs!r}")
    n_obs, n_vec, _ = _widths(env)
    need = int(num_envs) * env.chunk_size * (OB_BYTES * n_obs + 8 * n_vec + CELL_BYTES)
    if need > MAX_BATCH_BYTES:
        raise ValueError(
            f"num_envs={num_envs}: {num_envs} envs x {env.chunk_size} trials would need at least "
            f"{need / 2**30:.2f} GiB, more than {MAX_BATCH_BYTES / 2**30:g} GiB"
        )
    return int(num_envs)


def _widths(env: TrialMaker) -> tuple[int, int, int]:
    """(observation columns, float64 values per step besides them, widest vector already paid for).

    The second counts the actions (the target vector of a continuous task; the groups of a discrete
    one) or, if wider, a list parameter: expressions may spread either over every trial and step.
    """
    n_obs = env.observation_space.shape[0]  # type: ignore[index]  # both spaces are one-dimensional
    # continuous targets are float64 vectors; a discrete task's action groups are vectors expressions may use
    n_act = env.action_space.shape[0] if env.action_type == "continuous" else env.action_space.n  # type: ignore
    lists = max([len(v) for v in env.params.values() if type(v) is list] or [0])
    return n_obs, max(n_act, lists), max(n_obs, n_act, lists)


def _build(
    env: TrialMaker,
    rng: np.random.Generator,
    n: int,
    variables: dict[str, np.ndarray],
    durations: dict[str, Any],
    serving: bool,
    widths: tuple[int, int, int],
    scratch: Scratch | None = None,
) -> Batch:
    for name, value in env.timing_overrides.items():
        durations[name] = np.full(n, float(value))
    start, end = _layout(env, durations, n)
    length = np.max(np.stack(list(end.values())), axis=0)
    longest = int(length.max()) if n else 1
    if longest > MAX_TRIAL_STEPS or (n and int(length.min()) < 1):
        got = int(length.min()) if longest <= MAX_TRIAL_STEPS else longest
        env.spec_problem(
            "periods", f"a trial must last between 1 and {MAX_TRIAL_STEPS} steps of dt={env.dt:g} ms, got {got}"
        )
    # Checked for at least a chunk of trials, the most an env serves from: what fits a dry run fits `step`.
    rows = max(n, env.chunk_size)
    n_obs, n_vec, free = widths
    # a vector-valued trial variable may be spread over every step of its trial
    widest = max((v.shape[-1] for v in variables.values() if v.ndim == 2), default=0)
    n_vec, free = max(n_vec, widest), max(free, widest)
    per_cell = OB_BYTES * n_obs + 8 * n_vec + CELL_BYTES
    if rows * longest * per_cell > MAX_BATCH_BYTES:
        env.spec_problem(
            "periods",
            f"{rows} trials of up to {longest} steps with {n_obs} observation columns "
            f"would need {rows * longest * per_cell / 2**30:.2f} GiB, more than "
            f"{MAX_BATCH_BYTES / 2**30:g} GiB; generate fewer trials at once, shorten the "
            "trials or narrow the spaces",
        )
    written = sum(len(range(n_obs)[c]) if isinstance(c, slice) else len(c) for c in env.input_columns)
    if rows * longest * written > MAX_FILL_VALUES:
        env.spec_problem(
            "inputs",
            f"{len(env.input_columns)} inputs writing {written} columns over {rows} "
            f"trials of up to {longest} steps are {rows * longest * written} values, more "
            f"than {MAX_FILL_VALUES}; use fewer inputs or shorter trials",
        )
    budget.cells, budget.free = n * longest, free
    builder = _Builder(env, rng, start, end, length, longest, scratch)
    builder.serving = serving
    # Per trial: a number becomes (n, 1, 1), a vector (n, 1, k), so it broadcasts over steps and columns.
    columns = {k: v[:, None, None] if v.ndim == 1 else v[:, None, :] for k, v in variables.items()}
    ms_start = {k: (v * env.dt)[:, None, None] for k, v in start.items()}
    ms_end = {k: (v * env.dt)[:, None, None] for k, v in end.items()}
    time_ms = (np.arange(longest) * env.dt)[None, :, None]
    env.fill(builder, columns, ms_start, ms_end, time_ms)
    batch = Batch(builder.ob, builder.gt, length, variables, start, end, builder.period_ids())
    batch.regression = builder.regression
    return batch


def _layout(env: TrialMaker, durations: dict[str, Any], n: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """First and after-last step of each period; durations are floored to whole steps, as NeuroGym does."""
    start: dict[str, np.ndarray] = {}
    end: dict[str, np.ndarray] = {}
    for name, after in env.period_after.items():
        try:
            ms = np.asarray(durations[name], dtype=np.float64)
        except (OverflowError, TypeError, ValueError):
            env.spec_problem(f"periods.{name}", f"a duration must be a number of ms, got {durations[name]!r:.60}")
        if np.any(~np.isfinite(ms)) or np.any(ms < 0):
            env.spec_problem(f"periods.{name}", f"duration must be a finite number of ms >= 0, got {ms.min()}")
        if ms.size and ms.max() / env.dt > MAX_TRIAL_STEPS:  # checked before converting to whole steps
            env.spec_problem(
                f"periods.{name}",
                f"a duration of {ms.max():g} ms is more than {MAX_TRIAL_STEPS} steps of dt={env.dt:g} ms",
            )
        steps = np.floor(ms / env.dt + 1e-9).astype(np.int64)
        start[name] = end[after] if after is not None else np.zeros(n, np.int64)
        end[name] = start[name] + steps
    return start, end


def _action_width(env: TrialMaker) -> int:
    space = env.action_space
    return int(space.n) if env.action_type == "discrete" else int(np.prod(space.shape or (1,)))  # type: ignore


def _finite(value: Any, what: str, dtype: Any = np.float32) -> np.ndarray:
    """`value` as an array of finite numbers; NaN or infinity would break observations and rewards."""
    try:
        array = np.asarray(value, dtype=dtype)
    except (OverflowError, TypeError, ValueError):
        raise ValueError(f"{what} must be numbers") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} is not a finite number (NaN or infinity) for some trials")
    return array


def masked_normal(rng: Any, where: np.ndarray, width: int) -> np.ndarray:
    """Normals for the masked steps, trial by trial; a split generator draws each env's share itself."""
    if hasattr(rng, "masked_normal"):
        return rng.masked_normal(where, width)  # type: ignore[no-any-return]
    return rng.standard_normal((int(where.sum()), width), dtype=np.float32)


class Scratch:
    """Memory reused from one batch to the next by a caller that copies each batch away before the next.

    Fresh large arrays come from the operating system page by page, and on some machines (virtual
    machines and sandboxes especially) each first touch of a page costs microseconds: for a batch of
    simple trials that is as much as drawing its noise. Reused memory has its pages already.
    """

    def __init__(self) -> None:
        self._memory: dict[str, np.ndarray] = {}

    def array(self, role: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """Uninitialised memory for `role`, valid until the next request for the same role."""
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        memory = self._memory.get(role)
        if memory is None or memory.nbytes < size:
            memory = self._memory[role] = np.empty(max(size, 1), np.uint8)
        return memory[:size].view(dtype).reshape(shape)

    def adopt(self, role: str, array: np.ndarray) -> np.ndarray:
        """Keep the memory of `array` (C-contiguous) as `role`'s, for later requests; returns `array`."""
        self._memory[role] = array.reshape(-1).view(np.uint8)
        return array


MAX_SCRATCH_BYTES = 1 << 25  # noise buffers up to this size are reused per thread; larger ones are not kept
_noise_scratch = threading.local()


def _noise_buffer(shape: tuple[int, ...]) -> np.ndarray:
    """float32 memory for one placement's noise, reused per thread (it never outlives `add_input`)."""
    if int(np.prod(shape)) * 4 > MAX_SCRATCH_BYTES:
        return np.empty(shape, np.float32)
    if not hasattr(_noise_scratch, "memory"):
        _noise_scratch.memory = Scratch()
    return _noise_scratch.memory.array("noise", shape, np.float32)  # type: ignore[no-any-return]


def _array(scratch: Scratch | None, role: str, shape: tuple[int, ...], dtype: Any, fill: int) -> np.ndarray:
    """An array filled with `fill`: new, or in `scratch`'s memory when given."""
    if scratch is None:
        return np.zeros(shape, dtype) if fill == 0 else np.full(shape, fill, dtype)
    array = scratch.array(role, shape, dtype)
    array.fill(fill)
    return array


def _pairs(array: np.ndarray) -> np.ndarray | None:
    """A float32 array whose last axis holds 2 adjacent values, seen as one complex64 per row (else None).

    NumPy loops over the last axis innermost; over an axis of 2 it spends its time on loop overhead.
    Seen as complex numbers the last axis disappears and the loops run along the steps instead.
    Complex addition adds real and imaginary parts separately: the float32 sums are bit-identical.
    """
    if array.ndim == 0 or array.shape[-1] != 2 or array.dtype != np.float32 or array.strides[-1] != 4:
        return None
    return array.view(np.complex64)[..., 0]


def _add(target: np.ndarray, value: Any) -> None:
    """`target += value` (float32), through complex pairs when the target's rows are 2 columns wide."""
    pairs = _pairs(target)
    if pairs is None:
        target += value
        return
    value = np.asarray(value, np.float32)
    if value.shape[-1:] != (2,):  # one number for both columns: spelled out, so it pairs up too
        value = np.broadcast_to(value[..., None] if value.ndim == 0 else value, (*value.shape[:-1], 2))
    if value.strides[-1] != 4:
        value = np.ascontiguousarray(value)
    pairs += _pairs(value)


def _gather(value: Any, shape: tuple[int, ...], where: np.ndarray) -> np.ndarray:
    """`value` broadcast to `shape` (trials, steps, columns), at the masked (trial, step) cells: (cells, columns)."""
    if shape[-1] == 2:  # gathered as complex pairs: one 8-byte move per cell
        value = np.asarray(value, np.float32)
        if value.shape[-1:] != (2,):
            value = np.broadcast_to(value[..., None] if value.ndim == 0 else value, (*value.shape[:-1], 2))
        pairs = _pairs(value if value.strides[-1] == 4 else np.ascontiguousarray(value))
        assert pairs is not None
        return np.broadcast_to(pairs, shape[:2])[where].view(np.float32).reshape(-1, 2)
    return np.broadcast_to(value, shape)[where]


class _Builder:
    """The arrays of one batch and the placements that fill them (called from generated `_fill`)."""

    def __init__(
        self,
        env: TrialMaker,
        rng: np.random.Generator,
        start: dict[str, np.ndarray],
        end: dict[str, np.ndarray],
        length: np.ndarray,
        longest: int,
        scratch: Scratch | None = None,
    ):
        self.env, self.rng, self.start, self.end, self.length = env, rng, start, end, length
        n = len(length)
        n_obs = int(np.prod(env.observation_space.shape or (1,)))
        self.scratch = scratch
        self.ob = _array(scratch, "ob", (n, longest, n_obs), np.float32, 0)
        if env.action_type == "discrete":
            self.gt = _array(scratch, "gt", (n, longest), np.int64, 0)
        else:
            self.gt = _array(scratch, "gt", (n, longest, int(np.prod(env.action_space.shape or (1,)))), np.float64, 0)
        self.steps = np.arange(longest)
        self.uniform = {p: n > 0 and s.min() == s.max() and end[p].min() == end[p].max() for p, s in start.items()}
        self._regions: dict[tuple[str, ...], slice | np.ndarray] = {}
        self.serving = False
        # Regression targets, one column per action column: made by the first placement, unless serving
        # `step`, which never reads them (so they are never in scratch memory either).
        self.regression: np.ndarray | None = None

    def region(self, periods: tuple[str, ...]) -> slice | np.ndarray:
        """A time slice when the periods cover the same contiguous steps in every trial, else an (n, T) mask."""
        if periods not in self._regions:
            self._regions[periods] = self._region(periods)
        return self._regions[periods]

    def _region(self, periods: tuple[str, ...]) -> slice | np.ndarray:
        if not periods:
            if self.length.min() == self.length.max():
                return slice(0, int(self.length[0]))
            return self.steps < self.length[:, None]
        if all(self.uniform[p] for p in periods):
            # Periods at the same steps in every trial that together cover one run of steps (a placement
            # over consecutive periods, like fixation through test): a slice. The cells are the mask's, in
            # the same order, so noise draws and sums are the same; only the gather and scatter go.
            spans = sorted((int(self.start[p][0]), int(self.end[p][0])) for p in periods)
            spans = [(a, b) for a, b in spans if a < b]  # empty periods cover no step
            if not spans:
                return slice(0, 0)
            first, stop = spans[0]
            for a, b in spans[1:]:
                if a > stop:
                    break  # a gap: not one run
                stop = max(stop, b)
            else:
                return slice(first, stop)
        mask = np.zeros((len(self.length), len(self.steps)), bool)
        for p in periods:
            if self.uniform[p]:
                mask[:, int(self.start[p][0]) : int(self.end[p][0])] = True
            else:
                mask |= (self.steps >= self.start[p][:, None]) & (self.steps < self.end[p][:, None])
        return mask

    def add_input(self, index: int, periods: tuple[str, ...], value: Any, noise: Any) -> None:
        if value is None and noise is None:
            return  # a state-dependent value while serving `step`: added there
        cols = self.env.input_columns[index]
        width = self.ob[0, 0, cols].size
        where = self.region(periods)
        view = self.ob[:, :, cols]  # a view when the groups are contiguous columns
        if value is not None:
            value = _finite(value, "the value")
            if value.ndim and value.shape[-1] not in (1, width):
                groups = ", ".join(repr(g) for g in self.env.input_groups[index])
                verb = "has" if len(self.env.input_groups[index]) == 1 else "have"
                raise ValueError(f"the value has {value.shape[-1]} entries but {groups} {verb} {width} column(s)")
        if isinstance(where, slice):
            part = view[:, where]
            if value is not None and value.ndim >= 2 and value.shape[1] == len(self.steps) > 1:
                value = value[:, where]
            if noise is None:
                _add(part, value)
            else:  # one pass over the strided view: noise and value are summed in a contiguous buffer
                # drawn into reused memory: the buffer never leaves this call (the same draws as a new array)
                buffer = _noise_buffer(part.shape)
                self.rng.standard_normal(dtype=np.float32, out=buffer)
                buffer *= _finite(noise, "the noise")
                if value is not None:
                    _add(buffer, value)
                _add(part, buffer)
        else:  # gather the masked steps once, add value and noise there, scatter back
            shape = view.shape
            if noise is not None:
                extra = masked_normal(self.rng, where, width)
                sigma = _finite(noise, "the noise")
                extra *= sigma if sigma.ndim == 0 else np.broadcast_to(sigma, shape[:2] + (1,))[where]
                if value is not None:
                    _add(extra, _gather(value, shape, where))
            else:
                extra = _gather(value, shape, where)
            pairs, extra_pairs = _pairs(view), _pairs(np.ascontiguousarray(extra))
            if pairs is None or extra_pairs is None:
                view[where] += extra
            else:  # one complex number per step: the gather and scatter move 8 bytes at a time
                pairs[where] += extra_pairs
        if not isinstance(cols, slice):
            self.ob[:, :, cols] = view

    def set_target(self, periods: tuple[str, ...], value: Any) -> None:
        value = _finite(value, "the target", np.float64)
        if self.env.action_type == "discrete":
            n_actions = self.env.action_space.n  # type: ignore[attr-defined]
            if value.ndim and value.shape[-1] != 1:
                raise ValueError("a discrete target must be one action index per step")
            if value.size and (np.any(value != np.floor(value)) or value.min() < 0 or value.max() >= n_actions):
                raise ValueError(f"target actions must be whole numbers from 0 to {n_actions - 1}")
            value = value[..., 0] if value.ndim else value
        gt = self.gt
        where = self.region(periods)
        if isinstance(where, slice):
            full_time = value.ndim >= 2 and value.shape[1] == len(self.steps) > 1
            gt[:, where] = value[:, where] if full_time else value
        else:
            gt[...] = np.where(where if gt.ndim == 2 else where[:, :, None], value, gt)

    def add_regression(self, index: int, periods: tuple[str, ...], value: Any) -> None:
        """Adds `value` to the regression target's columns of placement `index` during `periods`."""
        if self.serving:
            return
        if self.regression is None:
            self.regression = np.zeros((*self.ob.shape[:2], _action_width(self.env)), np.float32)
        groups = self.env.regression_groups[index]
        names = self.env.action_space.name  # type: ignore[attr-defined]
        cols = np.concatenate([np.atleast_1d(names[g]) for g in groups])
        value = _finite(value, "the regression value")
        if value.ndim and value.shape[-1] not in (1, len(cols)):
            named = ", ".join(repr(g) for g in groups)
            raise ValueError(
                f"the regression value has {value.shape[-1]} entries but {named} have {len(cols)} column(s)"
            )
        full = np.broadcast_to(value, (*self.regression.shape[:2], len(cols)))
        where = self.region(periods)
        block = self.regression[:, :, cols]
        if isinstance(where, slice):
            block[:, where] += full[:, where]
        else:
            block[where] += full[where]
        self.regression[:, :, cols] = block

    @property
    def rep(self) -> np.ndarray:
        """(n, T, 1): at each step, which copy of a repeated block of periods it is in (-1 outside)."""
        rep = np.full(self.ob.shape[:2], -1, np.int64)
        for name, copy in self.env.period_copy.items():
            where = self.region((name,))
            if isinstance(where, slice):
                rep[:, where] = copy
            else:
                rep[where] = copy
        return rep[:, :, None]

    def period_ids(self) -> np.ndarray:
        """Which period each step is in; a later-listed period wins where periods overlap."""
        ids = _array(self.scratch, "period", self.ob.shape[:2], np.int16, -1)
        for j, name in enumerate(self.env.period_after):
            where = self.region((name,))
            if isinstance(where, slice):
                ids[:, where] = j
            else:
                ids[where] = j
        return ids
