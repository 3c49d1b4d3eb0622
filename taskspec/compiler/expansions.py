"""Helper calls written out in the core language before checking.

Step helpers (`whole_steps`, `step_in`, ...), a repeated block's names meaning the current copy,
window helpers over past trials and `old(x)` become plain arithmetic, comparisons and calls of
the core functions, placed at the call's position, so every backend renders the same meaning and
the checker (checker.py) sees only the core language.
"""

from __future__ import annotations

import ast
import copy

from ..errors import did_you_mean
from ..runtime.machine import WINDOW
from .language import STEP_HELPERS, TIMING, WINDOW_HELPERS, Context, ExprError


def expand(tree: ast.Expression, ctx: Context) -> tuple[ast.Expression, tuple[tuple[ast.expr, int, int], ...]]:
    """`tree` with every helper call written out, and the window sizes written as expressions of
    parameters (each with the (line, col) of its call), to be checked when the env is made."""
    tree = _StepHelpers(ctx).visit(tree)
    if ctx.copies or ctx.current_rep:
        tree = _CurrentCopy(ctx).visit(tree)
    windows = _WindowHelpers(ctx)
    tree = windows.visit(tree)
    tree = _OldValues(ctx).visit(tree)
    return tree, tuple(windows.sizes)


class _StepHelpers(ast.NodeTransformer):
    """Writes the step helpers (STEP_HELPERS) out in the core language, at the call's position."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in STEP_HELPERS:
            return node
        if name == "whole_steps":
            if len(node.args) != 1 or node.keywords:
                raise ExprError(
                    "whole_steps() takes one duration in ms, e.g. whole_steps(uniform(300, 600))",
                    node.lineno - 1,
                    node.col_offset,
                )
            dt = ast.Name("dt", ast.Load())
            floor = ast.Call(ast.Name("floor", ast.Load()), [ast.BinOp(node.args[0], ast.Div(), dt)], [])
            return located(ast.BinOp(ast.Name("dt", ast.Load()), ast.Mult(), floor), node)
        if not self.ctx.timing or "t" not in self.ctx.names:
            raise ExprError(
                f"{name}() is only allowed in inputs, targets and outcome rules", node.lineno - 1, node.col_offset
            )
        if (
            len(node.args) != 1
            or node.keywords
            or not isinstance(node.args[0], ast.Constant)
            or not isinstance(node.args[0].value, str)
        ):
            raise ExprError(
                f"{name}() takes one period name in quotes, e.g. {name}('stimulus')", node.lineno - 1, node.col_offset
            )
        period = node.args[0]
        start = ast.Call(ast.Name("start", ast.Load()), [period], [])
        if name == "elapsed":
            over = ast.BinOp(ast.Name("t", ast.Load()), ast.Add(), ast.Name("dt", ast.Load()))
            return located(ast.BinOp(over, ast.Sub(), start), node)
        begin = ast.Name("t", ast.Load()) if name == "step_in" else ast.Call(ast.Name("end", ast.Load()), [period], [])
        span = ast.BinOp(ast.BinOp(begin, ast.Sub(), start), ast.Div(), ast.Name("dt", ast.Load()))
        return located(ast.Call(ast.Name("round", ast.Load()), [span], []), node)


class _CurrentCopy(ast.NodeTransformer):
    """A repeated block's names meaning the copy the step is in, written out over the copies' spans.

    `start('item')` (or `end`) with `item` a period of a block, or the block's name, is the start of
    that period in the copy whose span holds `t` (0 outside every copy); `rep` in rules, `until` and
    state updates is the number of that copy (-1 outside), as the per-step table gives inputs and
    targets. Written in the core language, so every backend renders the same meaning.
    """

    def __init__(self, ctx: Context):
        self.ctx = ctx

    @staticmethod
    def _inside(first: str, last: str, node: ast.expr) -> ast.expr:
        t = ast.Name("t", ast.Load())
        begin = ast.Compare(t, [ast.GtE()], [ast.Call(ast.Name("start", ast.Load()), [ast.Constant(first)], [])])
        stop = ast.Compare(
            ast.Name("t", ast.Load()), [ast.Lt()], [ast.Call(ast.Name("end", ast.Load()), [ast.Constant(last)], [])]
        )
        return located(ast.BoolOp(ast.And(), [begin, stop]), node)

    def _over_copies(self, node: ast.expr, pieces: list[tuple[str, str, ast.expr]], outside: int) -> ast.expr:
        """sum over copies of (value if inside copy else 0), plus `outside` (the value outside every copy).
        A flat sum, not nested choices: batch code holds two arrays at a time whatever the copies."""
        total: ast.expr = ast.Constant(outside)
        for first, last, value in pieces:
            term = ast.IfExp(self._inside(first, last, node), value, ast.Constant(0))
            total = ast.BinOp(total, ast.Add(), term)
        return located(total, node)

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id != "rep" or not self.ctx.current_rep or "t" not in self.ctx.names:
            return node
        pieces: list[tuple[str, str, ast.expr]] = [
            (first, last, ast.Constant(copy + 1)) for copy, first, last in self.ctx.spans
        ]
        return self._over_copies(node, pieces, -1)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in TIMING or len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
            return node
        copies = self.ctx.copies.get(node.args[0].value)  # type: ignore[arg-type]
        if copies is None or node.args[0].value in self.ctx.periods or "t" not in self.ctx.names:
            return node
        pieces: list[tuple[str, str, ast.expr]] = [
            (first, last, ast.Call(ast.Name(name, ast.Load()), [ast.Constant(begin if name == "start" else stop)], []))
            for first, last, begin, stop in copies
        ]
        return self._over_copies(node, pieces, 0)


class _OldValues(ast.NodeTransformer):
    """`old(x)` in a session variable's `next`: x before this pass updates it. Since variables are
    updated in the order listed, that is `x` itself for x listed below (or x the variable itself);
    the call becomes the name, marked so the listed-below check lets it pass."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Name) and node.func.id == "old"):
            return node
        where = (node.lineno - 1, node.col_offset)
        if not self.ctx.old:
            raise ExprError(
                "old() reads a session variable before its update: only in session variables' 'next'", *where
            )
        arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
        if not isinstance(arg, ast.Name) or arg.id not in self.ctx.names:
            raise ExprError("old() takes the name of one session variable, e.g. old(level)", *where)
        if arg.id not in self.ctx.old:
            raise ExprError(
                f"'{arg.id}' is listed above '{self.ctx.defining}' and already updated in this pass; list it below "
                f"'{self.ctx.defining}' to read its value of the last trial",
                *where,
            )
        name = ast.copy_location(ast.Name(arg.id, ast.Load()), node)
        name.taskspec_old = True  # type: ignore[attr-defined]
        return name


class _WindowHelpers(ast.NodeTransformer):
    """Writes the window helpers (WINDOW_HELPERS) out in the core language, at the call's position."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.sizes: list[tuple[ast.expr, int, int]] = []  # sizes of parameters, checked when the env is made

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in WINDOW_HELPERS:
            return node
        where = (node.lineno - 1, node.col_offset)
        if "trials_done" not in self.ctx.names:
            raise ExprError(f"{name}() reads finished trials: it is only allowed in session variables' 'next'", *where)
        if name == "ended_in":  # the finished trial's last step was in period p: `last_period == <its index>`
            arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                raise ExprError("ended_in() takes one period name in quotes, e.g. ended_in('decision')", *where)
            if arg.value not in self.ctx.order:
                raise ExprError(f"unknown period '{arg.value}'{did_you_mean(arg.value, self.ctx.order)}", *where)
            index = ast.Constant(self.ctx.order.index(arg.value))
            return located(ast.Compare(ast.Name("last_period", ast.Load()), [ast.Eq()], [index]), node)
        if name == "ended_by":  # the outcome rule that ended the finished trial: `last_rule == <its index>`
            index = ast.Constant(self._rule_index(node, where))
            return located(ast.Compare(ast.Name("last_rule", ast.Load()), [ast.Eq()], [index]), node)
        count_only = name == "window_count"
        example = "window_count(50)" if count_only else f"{name}(past_performance, 50)"
        wanted = 1 if count_only else 2
        past = None if count_only else node.args[0] if node.args else None
        if (
            len(node.args) != wanted
            or node.keywords
            or (past is not None and not (isinstance(past, ast.Name) and past.id.startswith("past_")))
        ):
            what = "the number of trials k" if count_only else "a window `past_<x>` and the number of trials k"
            raise ExprError(f"{name}() takes {what}, e.g. {example}", *where)
        size = node.args[-1]
        self._check_size(size, where)
        count = ast.Call(ast.Name("minimum", ast.Load()), [size, ast.Name("trials_done", ast.Load())], [])
        if count_only:
            return located(count, node)
        inside = ast.Compare(ast.Call(ast.Name("arange", ast.Load()), [ast.Constant(WINDOW)], []), [ast.Lt()], [count])
        picked = ast.Call(ast.Name("where", ast.Load()), [inside, past, ast.Constant(0)], [])  # type: ignore[list-item]
        total: ast.expr = ast.Call(ast.Name("sum", ast.Load()), [picked], [])
        if name == "window_mean":
            # a copy: each node of a checked tree has one place (the shape checks annotate nodes in place)
            at_least_one = ast.Call(ast.Name("maximum", ast.Load()), [copy.deepcopy(count), ast.Constant(1)], [])
            total = ast.BinOp(total, ast.Div(), at_least_one)
        return located(total, node)

    def _check_size(self, size: ast.expr, where: tuple[int, int]) -> None:
        """A window's number of trials: a whole number from 1 to WINDOW, or an expression of parameters,
        whose value is checked against those bounds when the env is made (`fn.window_size`)."""
        if isinstance(size, ast.Constant):
            if not isinstance(size.value, int) or isinstance(size.value, bool) or not 1 <= size.value <= WINDOW:
                raise ExprError(f"a window spans 1 to {WINDOW} trials, not {size.value!r}", *where)
            return
        names = {n.id for n in ast.walk(size) if isinstance(n, ast.Name)}
        varying = sorted(n for n in names if n in self.ctx.names and self.ctx.names[n] != "param" and n != "dt")
        if varying:
            raise ExprError(
                f"the number of trials of a window is a whole number or an expression of parameters (checked "
                f"against 1 to {WINDOW} when the env is made), so it cannot read '{varying[0]}'",
                *where,
            )
        self.sizes.append((copy.deepcopy(size), *where))

    def _rule_index(self, node: ast.Call, where: tuple[int, int]) -> int:
        """The index of the outcome rule `ended_by(...)` names: by its `name` or by its index."""
        rules = self.ctx.rules
        arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
        value = arg.value if isinstance(arg, ast.Constant) else None
        if isinstance(value, str):
            found = [i for i, (label, _) in enumerate(rules) if label == value]
            if not found:
                names = [label for label, _ in rules if label is not None]
                raise ExprError(
                    f"no outcome rule is named '{value}'{did_you_mean(value, names)}; give the rule a 'name'",
                    *where,
                )
            if len(found) > 1:
                raise ExprError(f"{len(found)} outcome rules are named '{value}': give them different names", *where)
            index = found[0]
        elif isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < len(rules):
                raise ExprError(
                    f"rule {value} does not exist: the task has {len(rules)} outcome rules, numbered from 0", *where
                )
            index = value
        else:
            raise ExprError(
                "ended_by() takes the name of one outcome rule in quotes (its 'name'), or its index in 'outcomes', "
                "e.g. ended_by('failed_stop')",
                *where,
            )
        if not rules[index][1]:
            raise ExprError(
                f"outcome rule {value!r} never ends a trial (it has no 'end_trial: true'), so no trial ended by it",
                *where,
            )
        return index


def located(new: ast.expr, old: ast.expr) -> ast.expr:
    """`new` with the position of `old` on every node that has none, so errors point at the call."""
    for child in ast.walk(new):
        if "lineno" not in child._attributes or hasattr(child, "lineno"):
            continue
        ast.copy_location(child, old)
    return new
