"""Lowering of the spec's `inputs:` and `target:`: what is shown to the agent and what it should do.

Kept apart from `lower.py` (as `loss.py` and `compose.py` are): these functions only need the
lowerer's checks (`fail`, `expr`, `at`, `check_periods`) and its spec.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

from ..errors import did_you_mean
from . import ir
from .language import OUTCOME, Context
from .loader import Path_
from .models import GroupChoice, Input


def lower_inputs(lowerer: Any, step: Context) -> list[ir.InputIR]:
    spec = lowerer.spec
    state_names = set(spec.state)
    inputs: list[ir.InputIR] = []
    for i, placement in enumerate(spec.inputs):
        path = ("inputs", i)
        if isinstance(placement.where, GroupChoice):
            inputs += chosen_group(lowerer, path, placement, step, len(inputs))
            continue
        groups = named_groups(lowerer, path, placement.where, spec.observation, "observation")
        if placement.value is None and placement.noise is None:
            lowerer.fail(path, "an input needs a 'value', a 'noise', or both")
        value = None if placement.value is None else lowerer.expr((*path, "value"), placement.value, step)
        noise = None if placement.noise is None else lowerer.expr((*path, "noise"), placement.noise, step)
        # added in step, as the agent acts
        follows_state = value is not None and bool(value.names & (state_names | OUTCOME))
        if follows_state and "rep" in value.names:  # type: ignore[union-attr]
            lowerer.fail((*path, "value"), "an input that follows a state variable cannot read 'rep'")
        if noise is not None and noise.names & (state_names | OUTCOME):
            lowerer.fail((*path, "noise"), "the noise cannot depend on state variables or the performance")
        periods = lowerer.check_periods((*path, "during"), placement.during)
        inputs.append(ir.InputIR(len(inputs), periods, tuple(groups), value, noise, follows_state))
    return inputs


def lower_targets(lowerer: Any, step: Context) -> list[ir.TargetIR]:
    state_names = set(lowerer.spec.state)
    targets = [
        ir.TargetIR(
            lowerer.check_periods(("target", i, "during"), t.during),
            lowerer.expr(("target", i, "value"), t.value, step),
        )
        for i, t in enumerate(lowerer.spec.target)
    ]
    for i, target in enumerate(targets):
        if target.value.names & (state_names | OUTCOME):
            lowerer.fail(
                ("target", i, "value"),
                "the target cannot depend on state variables or the performance: it is computed "
                "before the agent acts; compare with the state in an outcome rule",
            )
    return targets


def chosen_group(lowerer: Any, path: Path_, placement: Input, step: Context, index: int) -> list[ir.InputIR]:
    """`where: {by: k, among: [g0, g1, ...]}` lowered to one placement per group, each scaled by (k == j).

    The value and noise are multiplied by 0 or 1, so a trial's draws are the same whichever group shows
    them, and every backend sees ordinary placements.
    """
    choice = placement.where
    assert isinstance(choice, GroupChoice)
    by = lowerer.expr((*path, "where", "by"), choice.by, lowerer.at("by"))
    for j, group in enumerate(choice.among):
        if group not in lowerer.spec.observation:
            lowerer.fail(
                (*path, "where", "among", j),
                f"unknown observation group '{group}'{did_you_mean(group, lowerer.spec.observation)}",
            )
    if placement.value is None and placement.noise is None:
        lowerer.fail(path, "an input needs a 'value', a 'noise', or both")
    value = None if placement.value is None else lowerer.expr((*path, "value"), placement.value, step)
    noise = None if placement.noise is None else lowerer.expr((*path, "noise"), placement.noise, step)
    state_names = set(lowerer.spec.state) | OUTCOME
    for key, code in (("value", value), ("noise", noise)):
        if code is not None and code.names & state_names:
            message = "an input with a chosen group cannot depend on state variables or the performance"
            lowerer.fail((*path, key), message)
    periods = lowerer.check_periods((*path, "during"), placement.during)
    out = []
    for j, group in enumerate(choice.among):
        picked = ast.Compare(by.expr.tree, [ast.Eq()], [ast.Constant(j)])
        scaled = [
            None if code is None else _scaled(lowerer, code, picked, (*path, key))
            for key, code in (("value", value), ("noise", noise))
        ]
        out.append(ir.InputIR(index + j, periods, (group,), scaled[0], scaled[1]))
    return out


def _scaled(lowerer: Any, code: ir.Code, picked: ast.expr, path: Path_) -> ir.Code:
    """`code * (picked)`, as a checked expression located where the input is written."""
    tree = ast.BinOp(code.expr.tree, ast.Mult(), picked)
    names = {n: "builtin" for n in code.names | {n.id for n in ast.walk(picked) if isinstance(n, ast.Name)}}
    ctx = dataclasses.replace(lowerer.at("input"), names={"dt": "builtin", **names}, defines={}, elsewhere=None)
    scaled = lowerer.expr(path, ast.unparse(tree), ctx, typed=False)  # the parts were checked as written
    among = lowerer.spec.inputs[path[1]].where.among
    test = scaled.expr.tree.right if isinstance(scaled.expr.tree, ast.BinOp) else None
    if isinstance(test, ast.Compare):  # `by` is checked against the groups where it is used (render.py)
        test.left.ts_among = len(among)  # type: ignore[attr-defined]
        object.__setattr__(scaled.expr, "layout", f"among:{len(among)}")  # renders differently from the same text
    return scaled


def named_groups(lowerer: Any, path: Path_, where: Any, known: Any, kind: str) -> list[str]:
    """The groups a placement's `where` names (one name or a list), each checked against `known`
    (the spec's observation or action groups); shared by inputs and regression targets."""
    groups = [where] if isinstance(where, str) else list(where)
    if not groups:
        lowerer.fail((*path, "where"), f"name at least one {kind} group")
    for j, group in enumerate(groups):
        if group not in known:
            sub = (*path, "where") if isinstance(where, str) else (*path, "where", j)
            lowerer.fail(sub, f"unknown {kind} group '{group}'{did_you_mean(group, known)}")
    return groups
