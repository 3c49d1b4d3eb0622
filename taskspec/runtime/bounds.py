"""What an expression may build: the size limits, the per-thread budget of the batch being built, and
the checks that keep numbers exact and arrays bounded before numpy allocates them (docs/limits.md)."""

from __future__ import annotations

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


class envs_at_once:  # lower case: used as a function, `with fn.envs_at_once(n):`
    """While a vector env steps `num_envs` envs at once, vectors in its rules span that many rows.

    The bound holds for this thread and this block only, so a vector env of many envs never
    tightens what a later compile (its dry run) or another env may build.
    """

    __slots__ = ("num_envs", "saved")

    def __init__(self, num_envs: int):
        self.num_envs = int(num_envs)
        self.saved = 1

    def __enter__(self) -> None:
        self.saved = budget.cells
        budget.cells = max(self.saved, self.num_envs)

    def __exit__(self, *exc: object) -> None:
        budget.cells = self.saved


def checked_size(n: Any) -> int:
    size = int(n)
    if size != n or not 0 <= size <= MAX_ARRAY:
        raise ValueError(f"size must be a whole number between 0 and {MAX_ARRAY}, got {n}")
    return size


def width(n: Any) -> int:
    """The size of a vector an expression creates, checked against the memory it may span."""
    size = checked_size(n)
    cells = budget.cells
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
