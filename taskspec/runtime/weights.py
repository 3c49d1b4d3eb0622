"""Loss weights: how much each step (and action column) counts in a supervised loss.

A spec's `loss:` key gives a weight per period, a grace time at the start of some periods
that weighs 0, and optionally a factor per action group; Yang et al. (2019) call the result
the cost mask, PsychRNN the output mask. Padding always weighs 0, so the weights also mask
padded batches. Tasks without `loss:` weigh every real step 1 (the mask as numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .env import TrialEnv


def loss_weight(
    env: TrialEnv, start: dict[str, np.ndarray], end: dict[str, np.ndarray], length: np.ndarray, steps: int
) -> np.ndarray:
    """(n, steps) float32 weights, or (n, steps, actions) when the spec weighs action groups."""
    loss: Any = type(env).info.loss
    n = len(length)
    inside = np.arange(steps)[None, :] < length[:, None]
    if loss is None:
        return inside.astype(np.float32)
    weight = np.where(inside, np.float32(loss["default"]), np.float32(0))
    periods = list(env.period_after)
    # Later-listed periods win where periods overlap, as in `Batch.period_id`.
    for name in periods:
        if name in loss["weights"]:
            _set(weight, start[name], end[name], loss["weights"][name])
    for name, ms in loss["grace"].items():
        grace = int(np.floor(ms / env.dt + 1e-9))
        _set(weight, start[name], np.minimum(start[name] + grace, end[name]), 0.0)
    if not loss["groups"]:
        return weight
    factors = np.ones(_action_columns(env), np.float32)
    names = env.action_space.name  # type: ignore[attr-defined]
    for group, factor in loss["groups"].items():
        factors[names[group]] = factor
    return weight[:, :, None] * factors[None, None, :] if n else np.zeros((0, steps, len(factors)), np.float32)


def _set(weight: np.ndarray, first: np.ndarray, after: np.ndarray, value: float) -> None:
    """weight[i, first[i]:after[i]] = value for every trial i, through one slice when all trials agree."""
    if len(first) and first.min() == first.max() and after.min() == after.max():
        weight[:, int(first[0]) : int(after[0])] = value
    else:
        steps = np.arange(weight.shape[1])[None, :]
        weight[(steps >= first[:, None]) & (steps < after[:, None])] = value


def _action_columns(env: TrialEnv) -> int:
    space = env.action_space
    return int(space.n) if env.action_type == "discrete" else int(np.prod(space.shape or (1,)))  # type: ignore
