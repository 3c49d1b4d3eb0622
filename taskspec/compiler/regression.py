"""Lowering of the spec's `regression:` key: value placements on the action columns.

A regression target is what a network with one output per action column should output at each
step (Yang et al. 2019 train on such values: a fixation output and a bump on a ring), carried in
`Batch.regression` next to the class labels of `target`. Kept apart from `lower.py`, like the
loss: it needs only the lowerer's checks, problem list and the step context of the targets.
"""

from __future__ import annotations

from typing import Any

from . import ir
from .language import Context
from .placements import named_groups

MAX_REGRESSION = 200  # placements, as for inputs and targets


def lower_regression(lowerer: Any, step: Context, unknown_at_fill: set[str]) -> tuple[ir.RegressionIR, ...]:
    """The `regression` placements as IR. `unknown_at_fill`: names (state variables, the performance)
    whose values only exist once the agent acts; a regression target, like `target`, cannot read them."""
    spec = lowerer.spec
    if len(spec.regression) > MAX_REGRESSION:
        lowerer.fail(("regression",), f"at most {MAX_REGRESSION} entries are allowed, found {len(spec.regression)}")
        return ()
    placements = []
    for i, placement in enumerate(spec.regression):
        path = ("regression", i)
        groups = named_groups(lowerer, path, placement.where, spec.action, "action")
        value = lowerer.expr((*path, "value"), placement.value, step)
        if value.names & unknown_at_fill:
            lowerer.fail(
                (*path, "value"),
                "a regression target cannot depend on state variables or the performance: it is computed "
                "before the agent acts",
            )
        placements.append(
            ir.RegressionIR(lowerer.check_periods((*path, "during"), placement.during), tuple(groups), value)
        )
    return tuple(placements)
