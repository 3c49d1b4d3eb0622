"""Lowering of the spec's `loss:` key: loss weights per period and per action group.

Kept apart from `lower.py` so the rest of lowering is untouched: it only needs the
lowerer's period checks and problem list.
"""

from __future__ import annotations

from typing import Any

from ..errors import did_you_mean
from . import ir
from .models import Loss


def lower_loss(lowerer: Any, loss: Loss | None, action_groups: dict[str, Any]) -> ir.LossIR | None:
    """`loss` as IR; unknown periods and action groups are reported through `lowerer.fail`."""
    if loss is None:
        return None
    for key in ("weights", "grace", "groups"):
        for name, value in getattr(loss, key).items():
            if value < 0:
                what = "a grace time must be a number of ms" if key == "grace" else "a loss weight must be a number"
                lowerer.fail(("loss", key, name), f"{what} >= 0, got {value:g}")
    if loss.default < 0:
        lowerer.fail(("loss", "default"), f"a loss weight must be a number >= 0, got {loss.default:g}")
    weights: dict[str, float] = {}
    for name, weight in loss.weights.items():
        for period in lowerer.check_periods(("loss", "weights", name), name):
            weights[period] = float(weight)
    grace: dict[str, float] = {}
    for name, ms in loss.grace.items():
        for period in lowerer.check_periods(("loss", "grace", name), name):
            grace[period] = float(ms)
    for name in loss.groups:
        if name not in action_groups:
            lowerer.fail(("loss", "groups", name), f"unknown action group '{name}'{did_you_mean(name, action_groups)}")
    return ir.LossIR(
        weights=tuple(weights.items()),
        default=float(loss.default),
        grace=tuple(grace.items()),
        groups=tuple((name, float(factor)) for name, factor in loss.groups.items()),
    )
