"""Lowering of composition: dependency order of trial variables, `define:` functions, chosen groups,
parameters in `repeat`, and merge keys left over where nothing is inherited.

Kept apart from `lower.py` (as `loss.py` is): these functions only need the lowerer's checks
(`fail`, `expr`, `context`, `declare`, `check_name`, `check_periods`) and its spec.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping
from typing import Any

from ..errors import did_you_mean
from . import ir
from .defines import Defined
from .expressions import MATH, MAX_EXPRESSION_CHARS, OUTCOME, RANDOM, TIMING, Context
from .loader import Path_
from .models import GroupChoice, Input, RepeatedPeriods

TRIAL = ("session variable", "trial variable")  # the kinds of name that hold one value per trial


def repeat_count(lowerer: Any, block: str, timing: RepeatedPeriods) -> int:
    """A block's number of copies: written, or a whole-number parameter's default."""
    if isinstance(timing.repeat, int):
        return timing.repeat
    path = ("periods", block, "repeat")
    param = lowerer.spec.params.get(timing.repeat)
    if param is None:
        lowerer.fail(path, f"unknown parameter '{timing.repeat}'{did_you_mean(timing.repeat, lowerer.spec.params)}")
        return 1
    default = param.default
    if isinstance(default, bool) or not isinstance(default, int) or not 1 <= default <= 100:
        lowerer.fail(path, f"parameter '{timing.repeat}' must default to a whole number from 1 to 100 to count repeats")
        return 1
    lowerer.fixed_params[timing.repeat] = block
    return default


def parse_defines(lowerer: Any) -> dict[str, Defined]:
    """The `define:` functions, parsed; their bodies are checked where they are called (and in `check_defines`)."""
    out = {}
    for name, function in lowerer.spec.define.items():
        path = ("define", name)
        if lowerer.check_name(path, name, "identifier") and name in MATH | RANDOM | TIMING:
            lowerer.fail(path, f"'{name}' is a built-in function; choose another name")
            continue
        for i, arg in enumerate(function.args):
            lowerer.check_name((*path, "args", i), arg, "identifier")
        if len(set(function.args)) != len(function.args):
            lowerer.fail((*path, "args"), "argument names must be distinct")
        text = str(function.value).strip()
        if len(text) > MAX_EXPRESSION_CHARS:
            lowerer.fail((*path, "value"), f"expression longer than {MAX_EXPRESSION_CHARS} characters")
            continue
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError as exc:
            lowerer.fail((*path, "value"), f"invalid expression syntax: {exc.msg}")
            continue
        except (RecursionError, MemoryError):
            lowerer.fail((*path, "value"), "expression is nested too deeply")
            continue
        out[name] = Defined(tuple(function.args), tree)
    return out


def check_defines(lowerer: Any) -> None:
    """Each function's body, checked once where it is written (every name the spec declares is visible)."""
    for name, function in lowerer.spec.define.items():
        if name not in lowerer.defines:
            continue
        ctx = lowerer.context(
            ["param", *TRIAL, "state variable", "action group", "reward"],
            ["t", "action", "target", *(["rep"] if lowerer.repeated else []), *function.args],
            random=True,
            timing=True,
        )
        ctx = dataclasses.replace(ctx, names={**ctx.names, **dict.fromkeys(OUTCOME, "outcome")})
        lowerer.expr(("define", name, "value"), function.value, ctx)


def check_merge_keys(lowerer: Any) -> None:
    """`insert` and `remove` act while a variant is merged over its parent: left over, they acted on nothing."""
    spec = lowerer.spec
    entries: list[tuple[Path_, Any]] = [(("periods", n), t) for n, t in spec.periods.items()]
    for key in ("inputs", "target", "outcomes", "timeout"):
        entries += [((key, i), e) for i, e in enumerate(getattr(spec, key))]
    for path, entry in entries:
        if getattr(entry, "insert", None) is not None:
            lowerer.fail((*path, "insert"), "'insert' places an entry among inherited ones; this spec inherits none")
        if getattr(entry, "remove", False):
            lowerer.fail((*path, "remove"), "'remove' removes an inherited entry; this spec inherits none")


def trial_variables(lowerer: Any) -> list[ir.VariableIR]:
    """Trial variables in dependency order: each after the ones it reads.

    Among the variables ready at any point the one listed first goes first, so a spec written
    in order keeps its order, and with it the order of its random draws.
    """
    trial = lowerer.spec.trial
    for name in trial:
        lowerer.declare(("trial", name), name, "trial variable")
    ctx = lowerer.context(["param", *TRIAL, "action group"], random=True)
    lowered = {name: lowerer.expr(("trial", name), source, ctx) for name, source in trial.items()}
    reads = {name: code.names & set(trial) for name, code in lowered.items()}
    ordered: list[str] = []
    waiting = list(trial)
    while waiting:
        ready = next((n for n in waiting if reads[n] <= set(ordered)), None)
        if ready is None:
            cycle = _cycle(waiting, reads)
            lowerer.fail(
                ("trial", cycle[0]),
                f"trial variables read each other in a cycle: {' -> '.join([*cycle, cycle[0]])}",
            )
            break
        ordered.append(ready)
        waiting.remove(ready)
    return [ir.VariableIR(name, lowered[name]) for name in ordered]


def chosen_group(lowerer: Any, path: Path_, placement: Input, step: Context, index: int) -> list[ir.InputIR]:
    """`where: {by: k, among: [g0, g1, ...]}` lowered to one placement per group, each scaled by (k == j).

    The value and noise are multiplied by 0 or 1, so a trial's draws are the same whichever group shows
    them, and every backend sees ordinary placements.
    """
    choice = placement.where
    assert isinstance(choice, GroupChoice)
    by_ctx = lowerer.context(["param", *TRIAL])
    by = lowerer.expr((*path, "where", "by"), choice.by, by_ctx)
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
    ctx = lowerer.context([], [*names], timing=True)
    ctx = dataclasses.replace(ctx, defines={})
    return lowerer.expr(path, ast.unparse(tree), ctx, typed=False)  # the parts were checked as written


def _cycle(waiting: list[str], reads: Mapping[str, frozenset[str] | set[str]]) -> list[str]:
    """A cycle among variables none of which is ready: follow unmet reads until a name repeats."""
    path = [waiting[0]]
    while True:
        following = next(n for n in waiting if n in reads[path[-1]])
        if following in path:
            return path[path.index(following) :]
        path.append(following)
