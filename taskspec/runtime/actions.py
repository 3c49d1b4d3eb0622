"""Actions checked against the action space, the same way in the single and the vector envs.

Rules compare the action with targets and groups (`action == target`), so a value outside
the space would not fail there: 99, -1 or 2.7 would simply match nothing and be judged as
some other response. Every action is therefore checked before the env changes any state,
and a refused action leaves the env exactly where it was: the next valid step continues.

- Discrete: an integer from 0 to n-1, as a Python int, a numpy integer or a 0-d integer
  array (what `action_space.sample()` and Stable-Baselines3 give). Floats (even 1.0),
  strings and bools are refused: a bool is a flag passed by mistake, not a choice.
- Continuous: numbers whose shape broadcasts to the space's shape (one number applies to
  every dimension). NaN and infinities are refused. Finite values outside the bounds are
  passed to the rules as they are, as before: clipping is the agent's (or a wrapper's) choice.

A refusal is an `InvalidAction`, which is both a `ValueError` and gymnasium's `InvalidAction`.
"""

from __future__ import annotations

import operator
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["InvalidAction", "continuous_action", "continuous_actions", "discrete_action", "discrete_actions"]


class InvalidAction(ValueError, gym.error.InvalidAction):
    """An action outside the env's action space; the env's state is unchanged."""


def _shown(value: Any) -> str:
    """The offending value in a message, kept short and on one line (repr escapes newlines)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def discrete_action(space: Any, action: Any, n: int) -> int:
    """One discrete action (of a space of `n` actions) as a plain int, or an `InvalidAction` naming the space."""
    try:  # exactly the integer types: int, numpy integers, 0-d integer arrays (not floats, np.bool_, strings)
        value: int | None = operator.index(action)
    except TypeError:
        value = None
    if value is not None and 0 <= value < n and type(action) is not bool:
        return value
    if type(action) is bool:
        value = None
    shown = f"{_shown(action)} ({type(action).__name__})" if value is None else str(value)
    raise InvalidAction(f"action {shown} is not in the action space {space}: expected an integer from 0 to {n - 1}")


def discrete_actions(space: Any, actions: Any, num_envs: int) -> np.ndarray:
    """One discrete action per sub-env as an int64 array, or an `InvalidAction` naming the sub-env."""
    n = int(space.n)
    try:
        values = np.asarray(actions)
    except ValueError:  # a ragged list
        raise InvalidAction(
            f"actions must be {num_envs} integers from 0 to {n - 1} (the action space {space} "
            f"of each sub-env), got {_shown(actions)}"
        ) from None
    if values.shape != (num_envs,) or values.dtype.kind not in "iu":
        raise InvalidAction(
            f"actions must be {num_envs} integers from 0 to {n - 1} (the action space {space} "
            f"of each sub-env), got an array of shape {values.shape} and dtype {values.dtype}"
        )
    checked = values.astype(np.int64, copy=False)
    # one comparison and a count (run at every vector step): seen unsigned, a negative action is a huge one
    if np.count_nonzero(checked.view(np.uint64) >= n):
        i = int(np.flatnonzero((values < 0) | (values >= n))[0])
        raise InvalidAction(
            f"actions[{i}] = {int(values[i])} is not in the action space {space}: expected an integer from 0 to {n - 1}"
        )
    return checked


def _numbers(space: Any, action: Any, what: str) -> np.ndarray:
    """`action` as float64 numbers; strings, bools, objects and ragged lists are refused."""
    try:
        values = np.asarray(action)
    except ValueError:
        values = np.asarray(None)
    if values.dtype.kind not in "iuf":
        raise InvalidAction(f"{what} {_shown(action)} is not in the action space {space}: expected numbers")
    return np.asarray(values, np.float64)


def continuous_action(space: Any, action: Any, shape: tuple[int, ...]) -> np.ndarray:
    """One continuous action as float64 of the space's shape, or an `InvalidAction` naming the space."""
    values = _numbers(space, action, "action")
    if not np.isfinite(values).all():
        raise InvalidAction(
            f"action {_shown(action)} is not in the action space {space}: NaN and infinite values are refused"
        )
    try:
        return np.broadcast_to(values, shape)
    except ValueError:
        raise InvalidAction(
            f"action of shape {values.shape} does not fit the action space {space}: "
            f"expected shape {shape} or one number"
        ) from None


def continuous_actions(space: Any, actions: Any, num_envs: int) -> np.ndarray:
    """One continuous action per sub-env as float64 (num_envs, *shape), or an `InvalidAction` naming the sub-env."""
    shape = (num_envs, *(space.shape or ()))
    values = _numbers(space, actions, "actions")
    try:
        values = np.broadcast_to(values, shape)
    except ValueError:
        raise InvalidAction(
            f"actions of shape {values.shape} do not fit {num_envs} sub-envs with the action space "
            f"{space}: expected shape {shape}"
        ) from None
    finite = np.isfinite(values).reshape(num_envs, -1).all(axis=1)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise InvalidAction(
            f"actions[{i}] = {_shown(values[i])} is not in the action space {space}: "
            "NaN and infinite values are refused"
        )
    return values
