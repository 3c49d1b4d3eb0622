"""The functions an expression may call, as generated code sees them (`fn.cos`, ...).

Each works on plain numbers (inside `step`) and on whole batches of trials (arrays
broadcast over trials, time steps and channels). Random functions take the generator
and the batch size first, so one call draws one value per trial. Sizes are bounded:
a spec cannot ask for a billion-element array.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import numpy as np

MAX_ARRAY = 100_000
MAX_VALUES = 1 << 24  # elements of one array an expression builds, spread over trials and steps (128 MiB)
MAX_DRAWN = 1 << 24  # elements drawn with size= for one batch of trials, all trial variables together (128 MiB)
MAX_LIVE_ARRAYS = 6  # time-varying results an array expression may hold at once (expressions.live_arrays)
MAX_EXACT = 2.0**53  # session and state variables stay within +-2**53, where ints and floats agree exactly


class _Budget(threading.local):
    """What the arrays built right now may cost, per thread (a Dataset builds in several threads).

    A vector (ring, arange, onehot, a size= draw) spans one axis of its own; every other
    axis of an intermediate array is a trial, a step or an env, and nothing in the language
    creates a second axis of values (lists hold numbers, onehot takes one index). So an
    intermediate never holds more than cells x width elements, where `cells` counts the
    trials x steps (or envs) being computed: checking each vector's width when it is created
    bounds every broadcast before numpy allocates it. Widths up to `free` (the columns the
    batch's own arrays have) cost no more than those arrays, already budgeted.
    """

    cells = 1  # trials x steps (or envs) that values computed now may span
    free = 0  # a vector this wide costs no more than the observation or target arrays
    drawn = 0  # size= draws for the current batch, in elements per trial
    rows = 1  # trials in the current batch


budget = _Budget()
_least_cells = [1]  # the most envs a vector env steps at once in this process: rules span them all


def note_envs(num_envs: int) -> None:
    """A vector env steps `num_envs` envs at once: vectors in its rules are bounded for that many rows."""
    _least_cells[0] = max(_least_cells[0], int(num_envs))


def _width(n: Any) -> int:
    """The size of a vector an expression creates, checked against the memory it may span."""
    size = _size(n)
    cells = max(budget.cells, _least_cells[0])
    if size > budget.free and size * cells > MAX_VALUES:
        raise ValueError(
            f"a vector of {size} values spread over {cells} trials x steps would hold "
            f"{size * cells} values, more than {MAX_VALUES}"
        )
    return size


def bounded(value: Any) -> Any:
    """A session or state variable's new value: finite and within +-2**53.

    Such variables are updated again and again, so an overflow would compound silently
    (numpy's int64 wraps around, floats become inf, Python ints grow without end). Integer
    arrays come back as exact Python integers, so the next update cannot wrap unnoticed.
    """
    if type(value) is int or type(value) is bool:  # the step path's common case, cheaply
        if -MAX_EXACT <= value <= MAX_EXACT:
            return value
        raise ValueError(f"the value grew beyond +-2**53 (it is about {float(value):.3g}): overflow")
    array = np.asarray(value)
    if array.dtype.kind == "O":  # exact integers from the last update, or floats mixed in
        if all(type(v) is int or type(v) is bool for v in array.flat):
            if all(-MAX_EXACT <= v <= MAX_EXACT for v in array.flat):
                return array
            raise ValueError("the value grew beyond +-2**53: overflow")
        array = array.astype(np.float64)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"expected a number, got {value!r:.60}")
    if array.size and not (np.all(np.isfinite(array)) and np.max(np.abs(array)) <= MAX_EXACT):
        raise ValueError("the value grew beyond +-2**53 or is not finite: overflow")
    if array.dtype.kind in "iu":
        return array.astype(object)
    return value if array is value or np.ndim(value) else array[()]


pi, e, inf = np.pi, np.e, np.inf
abs = np.abs  # noqa: A001 - the spec language's own name
sqrt, exp, log, sin, cos, tan, tanh = np.sqrt, np.exp, np.log, np.sin, np.cos, np.tan, np.tanh
arctan2, floor, ceil, round, sign = np.arctan2, np.floor, np.ceil, np.round, np.sign  # noqa: A001
minimum, maximum, clip, where = np.minimum, np.maximum, np.clip, np.where
logical_not = np.logical_not


def isin(value: Any, options: Any) -> Any:
    """Whether `value` is one of `options`; options that differ by trial (a vector per trial) are
    searched trial by trial."""
    options = np.asarray(options)
    if options.ndim < 2:
        return np.isin(value, options)
    value = np.asarray(value)
    lined_up = value if value.ndim == options.ndim else value[..., None]
    return np.any(lined_up == options, axis=-1, keepdims=value.ndim == options.ndim)


def same_length(a: Any, b: Any) -> None:
    """Two vectors an expression combines entry by entry, whose lengths follow the parameters given
    to make(): checked when the env is made."""
    short, long = sorted((_size(a), _size(b)))
    if short != long:
        raise ValueError(
            f"a vector of {short} values meets one of {long} entry by entry; a vector's length "
            "may follow a parameter, so check the values given to make()"
        )


def among(index: Any, n: int) -> Any:
    """`where: {by: index, among: [...n groups]}`: the index, checked to name one of the groups
    (a value outside them would show the input nowhere, silently)."""
    values = np.asarray(index, dtype=np.float64)
    ok = (values == np.floor(values)) & (values >= 0) & (values < n)  # NaN fails every test
    if not np.all(ok):
        bad = float(values[~ok].flat[0]) if values.ndim else float(values)
        raise ValueError(f"'by' is {bad:g}, but 'among' lists {n} groups: it must be a whole number from 0 to {n - 1}")
    return index


def column(value: Any) -> Any:
    """One number per trial (or env), (n,), as a column (n, 1) that meets a vector of each trial entry
    by entry; the compiler marks where (types.settle). Other shapes are columns already."""
    return value[:, None] if np.ndim(value) == 1 else value


def mod(a: Any, b: Any) -> Any:
    """`a` modulo `b` (the sign of `b`, as numpy); a zero `b` is an error, as `1 % 0` and `1 / 0` are,
    not numpy's silent 0 (checked on every element: a batch with one zero divisor is wrong too)."""
    zero = (b == 0) if type(b) in (int, float) else np.any(np.equal(b, 0))  # a constant divisor: no numpy call
    if zero:
        raise ZeroDivisionError("mod(x, 0): modulo by zero")
    return np.mod(a, b)


def power(base: Any, exponent: Any) -> Any:
    """Float power: 10**10**10 overflows to inf instead of computing a huge integer."""
    if isinstance(exponent, int) and exponent == 2:  # the common square, without the pow machinery
        square = np.asarray(base, dtype=np.float64)
        return square * square
    with np.errstate(over="ignore", invalid="ignore"):
        return np.float_power(base, exponent)


def all_of(*values: Any) -> Any:
    out = values[0]
    for v in values[1:]:
        out = np.logical_and(out, v)
    return out


def any_of(*values: Any) -> Any:
    out = values[0]
    for v in values[1:]:
        out = np.logical_or(out, v)
    return out


def _size(n: Any) -> int:
    size = int(n)
    if size != n or not 0 <= size <= MAX_ARRAY:
        raise ValueError(f"size must be a whole number between 0 and {MAX_ARRAY}, got {n}")
    return size


def array(values: tuple[Any, ...]) -> np.ndarray:
    """A list literal of numbers, each fixed or one per trial (the compiler refuses vectors in lists).

    Per-trial numbers come as (n,) in trial variables and in the envs of a vector env, and as
    (..., 1) in placements (trials, steps, columns): the entries become the last axis either way.
    """
    _width(len(values))  # a vector like any other: its length counts against the trials x steps it spans
    if all(np.ndim(v) == 0 for v in values):
        return np.asarray(values)
    parts = np.broadcast_arrays(*values)
    if parts[0].ndim >= 2 and parts[0].shape[-1] == 1:
        return np.concatenate(parts, axis=-1)
    return np.stack(parts, axis=-1)


def arange(n: Any) -> np.ndarray:
    """0, 1, ..., n-1."""
    return np.arange(_width(n))


def ring(n: Any) -> np.ndarray:
    """n angles evenly spaced on the circle, starting at 0."""
    size = _width(n)
    return np.arange(size) * (2 * np.pi / size) if size else np.zeros(0)


def onehot(index: Any, n: Any) -> np.ndarray:
    """A length-n vector of 0s with 1 at `index`: one index per trial or env ((n,)) or per placement cell
    ((..., 1)) gives one vector each. Numbers, not truth values, so `onehot(i, n) - x` is arithmetic."""
    idx = np.asarray(index)
    idx = idx.reshape(1) if idx.ndim == 0 else idx[:, None] if idx.ndim == 1 else idx
    return (idx == np.arange(_width(n))).astype(np.float64)


def multihot(indices: Any, n: Any) -> np.ndarray:
    """`onehot` of a vector of indices (the compiler renders it so, knowing the type): 1 at each of
    them. Entries are the last axis, so a batch of per-trial vectors gives one vector per trial."""
    idx = np.asarray(indices)
    return np.any(idx[..., None] == np.arange(_width(n)), axis=-2).astype(np.float64)


def interp(x: Any, xp: Any, fp: Any) -> Any:
    """Piecewise-linear interpolation of the table (xp, fp) at x (a lookup table of measured values)."""
    xp, fp = np.asarray(xp, np.float64), np.asarray(fp, np.float64)
    if xp.ndim != 1 or xp.shape != fp.shape or xp.size == 0:
        raise ValueError("interp() needs two lists of the same length, the x values increasing")
    return np.interp(x, xp, fp)


def circdist(a: Any, b: Any) -> Any:
    """Distance between angles on the circle, in [0, pi]."""
    d = np.mod(np.asarray(a) - np.asarray(b), 2 * np.pi)
    return np.minimum(d, 2 * np.pi - d)


def take(values: Any, index: Any) -> Any:
    """values[index], with `index` a number or a batch of integer-valued numbers.

    Per-trial vectors (more than one dimension: trials first, entries last) are indexed on their
    last axis, trial by trial.
    """
    idx = np.asarray(index)
    if idx.dtype.kind == "f":
        if not np.all(idx == np.floor(idx)):
            raise ValueError("index must be a whole number")
        idx = idx.astype(np.int64)
    if isinstance(values, tuple):
        return values[int(idx)]
    values = np.asarray(values)
    if values.ndim <= 1:
        return values[idx]
    if idx.ndim == 0:  # in placements, keep the column axis: one value per trial and step
        return np.take(values, [idx] if values.ndim >= 3 else idx, axis=-1)
    per_row = idx.shape[-1:] == (1,) and idx.ndim == values.ndim  # (..., 1) lined up with the entries axis
    shape = np.broadcast_shapes(values.shape[:-1], idx.shape[:-1] if per_row else idx.shape)
    picked = np.take_along_axis(
        np.broadcast_to(values, (*shape, values.shape[-1])),
        np.broadcast_to(idx if per_row else idx[..., None], (*shape, 1)),
        axis=-1,
    )
    return picked if per_row else picked[..., 0]  # one value per trial, not a vector of one


def sum(values: Any) -> Any:  # noqa: A001
    """Sum over the entries of a vector; in placements ((trials, steps, columns) arrays) the result keeps
    its column axis, so it stays one number per trial and step."""
    return np.sum(values, axis=-1, keepdims=np.ndim(values) >= 3)


def cumsum(values: Any) -> Any:
    """Running sum over the entries of a vector (the last axis)."""
    return np.cumsum(np.asarray(values), axis=-1)


def lag(values: Any, k: Any) -> Any:
    """The vector shifted k entries later: entry i holds entry i - k, and -1 where there is none (i < k)."""
    values = np.asarray(values)
    steps = _size(k)
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    out = np.full(values.shape, -1, values.dtype)
    if steps < values.shape[-1]:
        out[..., steps:] = values[..., : values.shape[-1] - steps]
    return out


def length(values: Any) -> int:
    """`len(x)` in a spec: the number of entries of a list or vector (the same for every trial)."""
    if np.ndim(values) == 0:
        raise ValueError("len() takes a list or vector, not a single number")
    return int(np.shape(values)[-1])


def mean(values: Any) -> Any:
    return np.mean(values, axis=-1, keepdims=np.ndim(values) >= 3)


# Random draws: one value per trial of the batch.


def nback_items(rng: np.random.Generator, n: int, symbols: Any, length: Any, k: Any, rate: Any) -> np.ndarray:
    """A stream of `length` items from 0..symbols-1 per trial: the first k at random; each later one
    equals the item k back with probability `rate`, else is one of the other symbols at random."""
    m, size, back = _size(symbols), _size(length), _size(k)
    if m < 2 or back < 1:
        raise ValueError("nback_items() needs at least 2 symbols and at least 1 step back")
    _shape(n, size)  # counts against the draw budget like a size= draw
    p = np.broadcast_to(np.asarray(rate, np.float64), (n,))[:, None]
    match = rng.random((n, size)) < p
    other = rng.integers(1, m, (n, size))  # a non-match moves 1..m-1 symbols on: never the item k back
    items = rng.integers(0, m, (n, size))
    for i in range(back, size):
        items[:, i] = np.where(match[:, i], items[:, i - back], (items[:, i - back] + other[:, i]) % m)
    return items


def _shape(n: int, size: Any) -> int | tuple[int, int]:
    """n draws, or n vectors of `size` draws (a vector-valued trial variable)."""
    if size is None:
        return n
    k = _size(size)
    budget.drawn += k
    if budget.drawn > MAX_ARRAY or n * budget.drawn > MAX_DRAWN:
        raise ValueError(
            f"draws with size= would hold {budget.drawn} values per trial"
            + (
                f" (at most {MAX_ARRAY})"
                if budget.drawn > MAX_ARRAY
                else f", {n * budget.drawn} for {n} trials (at most {MAX_DRAWN}); generate fewer trials at once"
            )
        )
    return (n, k)


def choice(
    rng: np.random.Generator, n: int, values: Any, p: Any = None, size: Any = None, replace: bool = True
) -> np.ndarray:
    """One of `values` (or of 0..values-1 for a number), with optional probabilities `p`;
    `replace=False` draws the `size` values of each trial without repeating one."""
    options = np.asarray(values)
    if options.ndim == 0:
        options = np.arange(_size(options))
    if options.ndim != 1:
        raise ValueError("choice() takes a number or a list of values fixed for the whole task")
    if options.size == 0:
        raise ValueError("choice() needs at least one value")
    probs = None
    if p is not None:
        probs = np.asarray(p, dtype=np.float64)
        if probs.shape != options.shape or np.any(probs < 0) or not np.isclose(probs.sum(), 1.0):
            raise ValueError("choice() probabilities must be one non-negative number per value, summing to 1")
        probs = probs / probs.sum()
    if not replace:
        return options[_distinct(rng, n, options.size, probs, size)]
    if probs is None:
        return options[rng.integers(0, options.size, _shape(n, size))]
    return rng.choice(options, size=_shape(n, size), p=probs)


def _distinct(rng: np.random.Generator, n: int, m: int, probs: np.ndarray | None, size: Any) -> np.ndarray:
    """Indices of `size` distinct options out of m for each of n trials, all trials at once.

    Each trial ranks the options by a random key and keeps the first `size`: uniform keys give
    every subset in every order equally often; with probabilities, keys log(u) / p (Efraimidis and
    Spirakis) give the order of drawing one by one with probabilities p, renormalised after each draw.
    """
    k = 1 if size is None else _size(size)
    if k > m or (probs is not None and k > np.count_nonzero(probs)):
        raise ValueError(
            f"choice() cannot draw {k} distinct values out of {m if probs is None else np.count_nonzero(probs)}"
        )
    shape = _shape(n, size)  # counts the draw against the budget
    keys = rng.random((n, m))
    if probs is not None:
        with np.errstate(divide="ignore"):
            keys = np.log(keys) / probs  # -inf for options of probability 0: never drawn while others remain
    order = np.argsort(-keys, axis=1, kind="stable")[:, :k]
    return order.reshape(shape)


def _per_row(value: Any, n: int, size: Any) -> Any:
    """A per-trial argument (shape (n,)) lined up with n vectors of draws; a per-trial vector must
    have the draw's size (said in the spec's terms here: numpy would name the batch's shapes)."""
    value = np.asarray(value)
    if size is not None and value.ndim == 2 and value.shape[0] == n and value.shape[1] not in (1, _size(size)):
        raise ValueError(
            f"a draw with size={_size(size)} got an argument holding {value.shape[1]} values per trial; "
            f"give one number per trial, or {_size(size)} values"
        )
    return value[:, None] if size is not None and value.ndim == 1 and value.shape[0] == n else value


def uniform(rng: np.random.Generator, n: int, low: Any, high: Any, size: Any = None) -> np.ndarray:
    return rng.uniform(_per_row(low, n, size), _per_row(high, n, size), _shape(n, size))


def integers(rng: np.random.Generator, n: int, low: Any, high: Any, size: Any = None) -> np.ndarray:
    """Whole numbers from `low` up to, not including, `high`; the bounds may differ by trial."""
    if np.ndim(low) == 0 and np.ndim(high) == 0:
        return rng.integers(int(low), int(high), _shape(n, size))
    low, high = _per_row(_whole(low), n, size), _per_row(_whole(high), n, size)
    if np.any(low >= high):
        raise ValueError("integers(low, high) needs low < high in every trial")
    return rng.integers(low, high, _shape(n, size))


def _whole(bound: Any) -> np.ndarray:
    values = np.asarray(bound)
    if values.dtype.kind == "f":
        if not np.all(values == np.floor(values)):
            raise ValueError("integers() takes whole-number bounds")
        values = values.astype(np.int64)
    return values


def bernoulli(rng: np.random.Generator, n: int, p: Any, size: Any = None) -> np.ndarray:
    """1 with probability p, else 0."""
    return (rng.random(_shape(n, size)) < _per_row(p, n, size)).astype(np.int64)


def normal(rng: np.random.Generator, n: int, mean: Any, std: Any, size: Any = None) -> np.ndarray:
    return rng.normal(_per_row(mean, n, size), _per_row(std, n, size), _shape(n, size))


def trunc_exp(
    rng: np.random.Generator, n: int, mean: Any, low: Any = 0.0, high: Any = np.inf, size: Any = None
) -> np.ndarray:
    """Exponential with the given mean, restricted to [low, high): inverse-CDF sampling.

    Same distribution as NeuroGym's rejection sampler, but one draw per trial.
    """
    if low >= high:
        return np.full(_shape(n, size), float(high))
    lo, hi = np.exp(-low / mean), np.exp(-high / mean)
    return -mean * np.log(lo - rng.random(_shape(n, size)) * (lo - hi))


def size(value: Any) -> int:
    """A group size: a whole number from 1 to MAX_ARRAY."""
    if np.ndim(value) != 0 or isinstance(value, bool):
        raise ValueError(f"a group size must be one whole number, got {value!r}")
    number = float(value)
    if not np.isfinite(number) or number != int(number) or not 1 <= number <= MAX_ARRAY:
        raise ValueError(f"a group size must be a whole number from 1 to {MAX_ARRAY}, got {value!r}")
    return int(number)


def scalar(value: Any, what: str = "a reward") -> float:
    """A reward or performance: one finite number."""
    if type(value) is float or type(value) is int or type(value) is bool:  # the common case, cheaply
        number = float(value)
        if number - number == 0.0:  # finite: inf - inf and nan - nan are nan
            return number
        raise ValueError(f"{what} must be a finite number, got {number}")
    if np.ndim(value) != 0:
        raise ValueError(f"{what} must be one number, got an array of shape {np.shape(value)}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {number}")
    return number


def per_trial(n: int, value: Any) -> np.ndarray:
    """`value` as one number per trial: a scalar is repeated, a batch is checked."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return np.full(n, arr[()])
    if arr.ndim == 2 and arr.shape[0] == n:  # a vector per trial, e.g. draws with size=...
        return arr
    if arr.shape != (n,):
        raise ValueError(f"expected one number (or one vector) per trial, got an array of shape {arr.shape}")
    return arr


def same_rows(n: int, value: Any) -> np.ndarray:
    """A vector the same for every trial (e.g. a session variable's constant start), once per trial."""
    return np.broadcast_to(np.asarray(value), (n, *np.shape(value))).copy()


def per_env(like: np.ndarray, value: Any) -> np.ndarray:
    """A state variable's new values: one float per env (a constant update is repeated)."""
    return np.broadcast_to(np.asarray(value, np.float64), like.shape[:1]).copy()


def inside(
    periods: tuple[str, ...],
    start: dict[str, np.ndarray],
    end: dict[str, np.ndarray],
    t: Any,
    cache: dict[str, np.ndarray] | None = None,
) -> Any:
    """Per env, whether time `t` (ms) lies in one of `periods`; True when none is named.
    `cache` keeps each period's mask for the other rules of the same step."""
    if not periods:
        return True
    found = {} if cache is None else cache  # kept short: each rule of a vector env calls this at every step
    for p in periods:
        if p not in found:
            found[p] = (start[p] <= t) & (t < end[p])
    return found[periods[0]] if len(periods) == 1 else np.logical_or.reduce([found[p] for p in periods])


class Outcomes:
    """Outcome rules applied to many envs at once: the first rule that matches an env decides it."""

    def __init__(self, t: np.ndarray):
        # Scalars until a rule matches somewhere: most steps of most envs match nothing.
        self.open: Any = True
        self.reward: Any = 0.0
        self.performance: Any = np.nan  # NaN: the rule leaves performance as it was
        self.end: Any = False
        self.goto: Any = -1  # per env, the index of the period a rule sends it to (-1: none)
        self.t = t
        self._inside: dict[str, np.ndarray] = {}

    def inside(self, periods: tuple[str, ...], start: dict[str, np.ndarray], end: dict[str, np.ndarray]) -> Any:
        return inside(periods, start, end, self.t, self._inside)  # several rules usually test the same period

    def rule(self, hit: Any, reward: Any, performance: Any, end_trial: bool, goto: int | None = None) -> None:
        if self.open is not True or type(hit) is not np.ndarray or hit.dtype != bool:
            hit = np.logical_and(self.open, hit)  # (before any match, a boolean array is already the hits)
        if not np.count_nonzero(hit):  # a plain C call: cheaper than `hit.any()`, run per rule and step
            return
        self.reward = np.where(hit, reward, self.reward)
        if performance is not None:
            self.performance = np.where(hit, performance, self.performance)
        if end_trial:
            self.end = np.logical_or(self.end, hit)
        if goto is not None:
            self.goto = np.where(hit, goto, self.goto)
        self.open = np.logical_xor(self.open, hit)  # the hits are open envs: xor closes exactly them

    def arrays(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(reward, performance, end), each one value per env."""

        def full(value: Any, dtype: Any) -> np.ndarray:
            return np.full(n, value, dtype) if np.ndim(value) == 0 else np.asarray(value, dtype)

        return full(self.reward, np.float64), full(self.performance, np.float64), full(self.end, bool)


# Words of NumPy's messages that a spec's author should never have to read: such a message is replaced.
_NUMPY_WORDS = re.compile(r"ndarray|0-dimensional|broadcast|`indices`|ufunc|dtype|bitwise|shape \(|numpy", re.I)
_GENERIC = "values of different shapes meet here; check the lengths of the vectors it combines"
_SHAPE = re.compile(r"\((\d+(?:,\s*\d+)*),?\)")
_OUT_OF_BOUNDS = re.compile(r"index (-?\d+) is out of bounds for axis \d+ with size (\d+)")


def in_spec_terms(exc: Exception) -> str:
    """An error's message, with numpy's shapes of per-trial values said as the spec's sizes.

    Trial variables are computed for a batch of trials at once, so numpy names shapes such as
    (4,) and (4, 3): one number per trial and a vector of 3 (a size=3 draw) per trial. The batch
    is the author's business only through those sizes. Other messages pass unchanged.
    """
    text = str(exc)
    bounds = _OUT_OF_BOUNDS.search(text) if isinstance(exc, IndexError) else None
    if bounds:
        size = int(bounds[2])
        return f"index {bounds[1]} is outside a list of {size} values (numbered 0 to {size - 1})"
    if "truth value of an array" in text:
        return (
            "a condition compares several values at once (a vector, or an action group of several actions); "
            "compare one entry, e.g. x[i], or test membership with 'in'"
        )
    if not isinstance(exc, ValueError) or "broadcast" not in text:
        return _GENERIC if _NUMPY_WORDS.search(text) else text
    shapes = [tuple(int(d) for d in match.split(",")) for match in _SHAPE.findall(text)]
    if len(shapes) < 2 or any(len(shape) > 2 for shape in shapes) or len({shape[0] for shape in shapes}) != 1:
        lengths = sorted({shape[-1] for shape in shapes if shape and shape[-1] != 1})
        if len(lengths) == 2:  # vectors whose lengths follow parameters given to make()
            return (
                f"a vector of {lengths[0]} values meets one of {lengths[1]} entry by entry; a vector's "
                "length may follow a parameter, so check the values given to make()"
            )
        return _GENERIC
    sizes = dict.fromkeys(
        "a number that varies by trial" if len(s) == 1 else f"a vector of {s[1]} per trial" for s in shapes
    )
    return (
        f"{' and '.join(sizes)} do not combine (a vector, e.g. a size= draw, combines with fixed numbers "
        "and with vectors of its own size)"
    )
