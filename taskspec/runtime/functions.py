"""The functions an expression may call, as generated code sees them (`fn.cos`, ...).

Each works on plain numbers (inside `step`) and on whole batches of trials (arrays
broadcast over trials, time steps and channels). Random functions (taskspec.runtime.draws) take
the generator and the batch size first, so one call draws one value per trial. Sizes are bounded
(taskspec.runtime.bounds): a spec cannot ask for a billion-element array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .bounds import (
    MAX_ARRAY,
    MAX_DRAWN,
    MAX_EXACT,
    MAX_LIVE_ARRAYS,
    MAX_VALUES,
    bounded,
    budget,
    checked_size,
    envs_at_once,
    scalar,
    size,
    width,
)
from .draws import bernoulli, choice, integers, nback_items, normal, trunc_exp, uniform
from .machine import WINDOW
from .outcomes import Outcomes, inside
from .spec_terms import in_spec_terms

# Defined in the modules this one was split into and read here, as before, as `fn.<name>` by generated code
# and the runtime (with the functions defined below: this list only marks the imports as re-exports).
__all__ = [
    "MAX_ARRAY",
    "MAX_DRAWN",
    "MAX_EXACT",
    "MAX_LIVE_ARRAYS",
    "MAX_VALUES",
    "Outcomes",
    "bernoulli",
    "bounded",
    "budget",
    "checked_size",
    "choice",
    "envs_at_once",
    "in_spec_terms",
    "inside",
    "integers",
    "nback_items",
    "normal",
    "scalar",
    "size",
    "trunc_exp",
    "uniform",
    "width",
]


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
    short, long = sorted((checked_size(a), checked_size(b)))
    if short != long:
        raise ValueError(
            f"a vector of {short} values meets one of {long} entry by entry; a vector's length "
            "may follow a parameter, so check the values given to make()"
        )


class Said(ValueError):
    """A problem found while the env is made, already said as a sentence in the spec's terms: located
    at its spec line as it is (not as a value that cannot be evaluated)."""


def keeps_length(length: Any, start_length: Any, kind: str, variable: str, start: str) -> None:
    """A session or state variable's `next` and its start value, whose lengths follow the parameters
    given to make(): checked when the env is made (numbers written in the spec are checked before)."""
    new, old = checked_size(length), checked_size(start_length)
    if new != old:
        raise Said(
            f"with these parameters, 'next' gives a vector of {new} values, but the start value of {kind} "
            f"variable '{variable}' ('{start}') is a vector of {old} values: a {kind} variable keeps the length "
            "of its start value"
        )


def window_size(value: Any) -> None:
    """A window's number of trials given by parameters (`window_mean(past_x, k)`): checked when the
    env is made, as a literal one is when the spec is compiled (a larger one would silently span fewer)."""
    whole = np.ndim(value) == 0 and not isinstance(value, bool) and np.isfinite(value) and value == int(value)
    if not whole or not 1 <= value <= WINDOW:
        shown = int(value) if whole else value
        raise ValueError(f"a window spans 1 to {WINDOW} trials, not {shown!r} (from the parameters given to make())")


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


def array(values: tuple[Any, ...]) -> np.ndarray:
    """A list literal of numbers, each fixed or one per trial (the compiler refuses vectors in lists).

    Per-trial numbers come as (n,) in trial variables and in the envs of a vector env, and as
    (..., 1) in placements (trials, steps, columns): the entries become the last axis either way.
    """
    width(len(values))  # a vector like any other: its length counts against the trials x steps it spans
    if all(np.ndim(v) == 0 for v in values):
        return np.asarray(values)
    parts = np.broadcast_arrays(*values)
    if parts[0].ndim >= 2 and parts[0].shape[-1] == 1:
        return np.concatenate(parts, axis=-1)
    return np.stack(parts, axis=-1)


def arange(n: Any) -> np.ndarray:
    """0, 1, ..., n-1."""
    return np.arange(width(n))


def ring(n: Any) -> np.ndarray:
    """n angles evenly spaced on the circle, starting at 0."""
    size = width(n)
    return np.arange(size) * (2 * np.pi / size) if size else np.zeros(0)


def onehot(index: Any, n: Any) -> np.ndarray:
    """A length-n vector of 0s with 1 at `index`: one index per trial or env ((n,)) or per placement cell
    ((..., 1)) gives one vector each. Numbers, not truth values, so `onehot(i, n) - x` is arithmetic."""
    idx = np.asarray(index)
    idx = idx.reshape(1) if idx.ndim == 0 else idx[:, None] if idx.ndim == 1 else idx
    return (idx == np.arange(width(n))).astype(np.float64)


def multihot(indices: Any, n: Any) -> np.ndarray:
    """`onehot` of a vector of indices (the compiler renders it so, knowing the type): 1 at each of
    them. Entries are the last axis, so a batch of per-trial vectors gives one vector per trial."""
    idx = np.asarray(indices)
    return np.any(idx[..., None] == np.arange(width(n)), axis=-2).astype(np.float64)


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
    steps = checked_size(k)
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


def state_value(value: Any) -> Any:
    """A state variable's new value in one env: `bounded`, with a vector of whole numbers kept as
    floats (as the vector env and batches hold it), not as exact integers an observation cannot add."""
    if type(value) is not np.ndarray or not value.ndim:
        return bounded(value)
    vector = value.astype(np.float64)  # a copy: a state never shares memory with another value
    if not (np.abs(vector) <= MAX_EXACT).all():  # one pass (NaN and inf fail it too): a step's hot path
        raise ValueError("the value grew beyond +-2**53 or is not finite: overflow")
    return vector


def state_values(old: np.ndarray, value: Any, moves: Any = True) -> np.ndarray:
    """A state variable's new values in every env, floats shaped as `old` (one number per env, or a
    vector per env: (n, length)): `value` where `moves` (one truth value per env), `old` elsewhere."""
    new = np.broadcast_to(np.asarray(bounded(value), np.float64), old.shape)
    if moves is not True:
        mask = np.asarray(moves)
        new = np.where(mask.reshape(mask.shape + (1,) * (old.ndim - mask.ndim)), new, old)
    return new.copy()
