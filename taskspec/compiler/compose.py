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
from .expressions import MAX_EXPRESSION_CHARS
from .language import MATH, RANDOM, TIMING
from .loader import Path_
from .models import RepeatedPeriods


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
        if name.startswith("last_"):  # as for every other name an expression reads (Lowerer.declare)
            lowerer.fail(path, f"'{name}': names starting with 'last_' are kept for the previous trial's values")
            continue
        for i, arg in enumerate(function.args):
            if lowerer.check_name((*path, "args", i), arg, "identifier") and arg.startswith("last_"):
                lowerer.fail(
                    (*path, "args", i), f"'{arg}': names starting with 'last_' are kept for the previous trial's values"
                )
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
        ctx = lowerer.at("rule")  # every declared name, and the language's names of a step
        builtins = dict.fromkeys(["t", "action", "target", *(["rep"] if lowerer.repeated else []), *function.args])
        names = {**lowerer.names, **ctx.names, **{n: "builtin" for n in builtins}}
        ctx = dataclasses.replace(ctx, names=names, random=True, elsewhere=None)
        lowerer.expr(("define", name, "value"), function.value, ctx)


def check_merge_keys(lowerer: Any) -> None:
    """`insert` and `remove` act while a variant is merged over its parent: left over, they acted on nothing."""
    spec = lowerer.spec
    entries: list[tuple[Path_, Any]] = [(("periods", n), t) for n, t in spec.periods.items()]
    for key in ("inputs", "target", "regression", "outcomes", "timeout"):
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
    lowered = {name: lowerer.expr(("trial", name), source, lowerer.at("trial", name)) for name, source in trial.items()}
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


def _cycle(waiting: list[str], reads: Mapping[str, frozenset[str] | set[str]]) -> list[str]:
    """A cycle among variables none of which is ready: follow unmet reads until a name repeats."""
    path = [waiting[0]]
    while True:
        following = next(n for n in waiting if n in reads[path[-1]])
        if following in path:
            return path[path.index(following) :]
        path.append(following)
