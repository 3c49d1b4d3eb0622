"""Loss weights: how much each step (and action column) counts in a supervised loss.

A spec's `loss:` key gives a weight per period, a grace time at the start of some periods
that weighs 0, and optionally a factor per action group; Yang et al. (2019) call the result
the cost mask, PsychRNN the output mask. Padding always weighs 0, so the weights also mask
padded batches. Tasks without `loss:` weigh every real step 1 (the mask as numbers).

`weigh` is written once over an array namespace: NumPy batches and the JAX backend both run it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .env import TrialEnv


def loss_weight(
    env: TrialEnv, start: dict[str, np.ndarray], end: dict[str, np.ndarray], length: np.ndarray, steps: int
) -> np.ndarray:
    """(n, steps) float32 weights, or (n, steps, actions) when the spec weighs action groups."""
    inside = np.arange(steps)[None, :] < length[:, None]
    loss = type(env).info.loss
    names = env.action_space.name  # type: ignore[attr-defined]
    factors = group_factors(loss, names, _action_columns(env))
    return weigh(np, loss, tuple(env.period_after), env.dt, start, end, inside, factors)  # type: ignore[no-any-return]


def group_factors(loss: Mapping[str, Any] | None, names: Mapping[str, Any], columns: int) -> np.ndarray | None:
    """Each action column's factor, or None when the spec weighs no action groups."""
    if not loss or not loss["groups"]:
        return None
    factors = np.ones(columns, np.float32)
    for group, factor in loss["groups"].items():
        factors[names[group]] = factor
    return factors


def weigh(
    xp: Any,
    loss: Mapping[str, Any] | None,
    periods: Sequence[str],
    dt: float,
    start: Mapping[str, Any],
    end: Mapping[str, Any],
    inside: Any,
    factors: np.ndarray | None,
) -> Any:
    """Weights of a batch whose real steps are `inside` (n, steps): period weights (later-listed periods
    win where periods overlap, as in `Batch.period_id`), zero grace at the start of periods, a factor
    per action column, 0 on padding."""
    if loss is None:
        return inside.astype(xp.float32)
    steps = xp.arange(inside.shape[1])[None, :]
    weight = xp.where(inside, xp.float32(loss["default"]), xp.float32(0))
    for name in periods:
        if name in loss["weights"]:
            during = (steps >= start[name][:, None]) & (steps < end[name][:, None])
            weight = xp.where(during & inside, xp.float32(loss["weights"][name]), weight)
    for name, ms in loss["grace"].items():
        stop = xp.minimum(start[name] + int(np.floor(ms / dt + 1e-9)), end[name])
        during = (steps >= start[name][:, None]) & (steps < stop[:, None])
        weight = xp.where(during, xp.float32(0), weight)
    if factors is None:
        return weight
    return weight[:, :, None] * xp.asarray(factors)[None, None, :]


def _action_columns(env: TrialEnv) -> int:
    space = env.action_space
    return int(space.n) if env.action_type == "discrete" else int(np.prod(space.shape or (1,)))  # type: ignore
