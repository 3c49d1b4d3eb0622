"""Random draws: one value (or one vector, with size=) per trial of the batch, from the batch's generator.
Each draw counts against the batch's budget of drawn values before it is made."""

from __future__ import annotations

from typing import Any

import numpy as np

from .bounds import MAX_ARRAY, MAX_DRAWN, budget, checked_size


def nback_items(rng: np.random.Generator, n: int, symbols: Any, length: Any, k: Any, rate: Any) -> np.ndarray:
    """A stream of `length` items from 0..symbols-1 per trial: the first k at random; each later one
    equals the item k back with probability `rate`, else is one of the other symbols at random."""
    m, size, back = checked_size(symbols), checked_size(length), checked_size(k)
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
    k = checked_size(size)
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
        options = np.arange(checked_size(options))
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
    k = 1 if size is None else checked_size(size)
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
    if size is not None and value.ndim == 2 and value.shape[0] == n and value.shape[1] not in (1, checked_size(size)):
        raise ValueError(
            f"a draw with size={checked_size(size)} got an argument holding {value.shape[1]} values per trial; "
            f"give one number per trial, or {checked_size(size)} values"
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
