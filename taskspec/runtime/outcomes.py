"""Outcome rules over many envs at once (a vector env's step): which envs are inside which periods, and
the first rule that matches each env."""

from __future__ import annotations

from typing import Any

import numpy as np

_BOOL = np.dtype(bool)  # NumPy's one boolean dtype: masks from comparisons carry this very object


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

    # Scalars until a rule matches somewhere: most steps of most envs match nothing. Class attributes,
    # so making one (every step of a vector env) only sets what differs; a match sets its own.
    open: Any = True
    reward: Any = 0.0
    performance: Any = np.nan  # NaN: the rule leaves performance as it was
    end: Any = False
    goto: Any = -1  # per env, the index of the period a rule sends it to (-1: none)
    # The rules that ended trials, for `last_rule` (see `ended_by`). Generated code calls `rule`
    # once per outcome rule, in the rules' order, so the calls count the rules.
    rules_seen = 0
    _ending: tuple[tuple[int, Any], ...] = ()  # (rule index, the envs it ended), in the rules' order

    def __init__(self, t: np.ndarray):
        self.t = t
        self._inside: dict[str, np.ndarray] = {}

    def inside(self, periods: tuple[str, ...], start: dict[str, np.ndarray], end: dict[str, np.ndarray]) -> Any:
        if len(periods) != 1:
            return inside(periods, start, end, self.t, self._inside)
        period = periods[0]  # most rules name one period, which other rules of the step test again
        mask = self._inside.get(period)
        if mask is None:
            t = self.t
            mask = self._inside[period] = (start[period] <= t) & (t < end[period])
        return mask

    def rule(self, hit: Any, reward: Any, performance: Any, end_trial: bool, goto: int | None = None) -> None:
        index = self.rules_seen
        self.rules_seen = index + 1
        if self.open is not True or type(hit) is not np.ndarray or hit.dtype is not _BOOL:
            hit = np.logical_and(self.open, hit)  # (before any match, a boolean array is already the hits)
        if not np.count_nonzero(hit):  # a plain C call: cheaper than `hit.any()`, run per rule and step
            return
        self.reward = np.where(hit, reward, self.reward)
        if performance is not None:
            self.performance = np.where(hit, performance, self.performance)
        if end_trial:
            self.end = np.logical_or(self.end, hit)
            self._ending = (*self._ending, (index, hit))
        if goto is not None:
            self.goto = np.where(hit, goto, self.goto)
        self.open = np.logical_xor(self.open, hit)  # the hits are open envs: xor closes exactly them

    @property
    def ended_by(self) -> Any:
        """Per env, the index of the rule that ended its trial (-1: none): worked out only when read
        (by tasks whose session variables read `last_rule`), so other tasks pay nothing per step."""
        out: Any = -1
        for index, hit in self._ending:  # each env is hit by one rule at most
            out = np.where(hit, index, out)
        return out
