"""The whitelist: walks a parsed expression (its helpers already written out, expansions.py)
and refuses anything outside the language, recording the spec names it reads."""

from __future__ import annotations

import ast
import math

from ..errors import did_you_mean
from .language import (
    BINARY_OPERATORS,
    COMPARISONS,
    CONSTANTS,
    FUNCTIONS,
    KEYWORDS,
    MATH,
    RANDOM,
    SHAPES,
    TIMING,
    Context,
    ExprError,
)
from .loader import INT64_MAX, INT64_MIN


class Checker:
    """Walks a parsed expression and refuses anything outside the language."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.used: set[str] = set()
        self.random = False

    def fail(self, node: ast.AST, message: str) -> ExprError:
        return ExprError(message, getattr(node, "lineno", 1) - 1, getattr(node, "col_offset", 0))

    def check(self, node: ast.expr) -> None:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self.fail(node, f"'{describe(node)}' is not allowed in expressions")
        method(node)

    def _Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, float) and not math.isfinite(node.value):  # 1e999: Python reads it as inf
            raise self.fail(
                node, "a number here is outside the 64-bit float range (about +-1.8e308); write inf for infinity"
            )
        if (
            isinstance(node.value, int)
            and not isinstance(node.value, bool)
            and not INT64_MIN <= node.value <= INT64_MAX
        ):  # numpy would fall back to slow, unbounded Python ints
            raise self.fail(node, "a whole number here is outside the 64-bit range (-2**63 to 2**63-1)")
        if isinstance(node.value, bool) or isinstance(node.value, (int, float)):
            return
        if isinstance(node.value, str):
            raise self.fail(node, "text is only allowed as a period name inside start() or end()")
        raise self.fail(node, f"constant {node.value!r} is not allowed")

    def _Name(self, node: ast.Name) -> None:
        name = node.id
        if name in ("True", "False") or name in CONSTANTS:
            return
        if name in self.ctx.names:
            if name in self.ctx.below and not getattr(node, "taskspec_old", False):
                raise self.fail(
                    node,
                    f"'{name}' is listed below '{self.ctx.defining}', so this pass has not updated it yet: write "
                    f"old({name}) to read its value of the last trial, or list '{name}' above '{self.ctx.defining}' "
                    "to read its new value",
                )
            self.used.add(name)
            return
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed: '{name}'")
        if name in MATH | RANDOM | TIMING:
            raise self.fail(node, f"'{name}' is a function; call it as {name}(...)")
        if name in self.ctx.later:
            raise self.fail(node, f"'{name}' is defined further down; a trial variable can only use those above it")
        where = self.ctx.elsewhere(name) if self.ctx.elsewhere else None
        if where:
            raise self.fail(node, where)
        visible = [n for n in self.ctx.names if n != self.ctx.defining]
        hint = did_you_mean(name, visible + sorted(CONSTANTS))
        raise self.fail(node, f"unknown name '{name}'{hint}")

    def _BinOp(self, node: ast.BinOp) -> None:
        self.check(node.left)
        self.check(node.right)
        if not isinstance(node.op, (ast.Pow, *BINARY_OPERATORS)):
            raise self.fail(node, f"operator '{type(node.op).__name__}' is not allowed")

    def _UnaryOp(self, node: ast.UnaryOp) -> None:
        self.check(node.operand)
        if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            raise self.fail(node, "bitwise operators are not allowed")

    def _BoolOp(self, node: ast.BoolOp) -> None:
        for value in node.values:
            self.check(value)

    def _Compare(self, node: ast.Compare) -> None:
        self.check(node.left)
        left = node.left
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            self.check(comparator)
            if isinstance(op, (ast.Eq, ast.NotEq)):
                self._group_comparison(left, comparator)
            left = comparator
            if not isinstance(op, (ast.In, ast.NotIn, *COMPARISONS)):
                raise self.fail(node, "'is' comparisons are not allowed; use == or !=")

    def _group_comparison(self, left: ast.expr, right: ast.expr) -> None:
        """`action == choice` with `choice` a group of several actions compares one number with many."""
        names = [n.id if isinstance(n, ast.Name) else None for n in (left, right)]
        for side, other in ((names[0], right), (names[1], left)):
            if side in ("action", "target") and isinstance(other, ast.Name) and other.id in self.ctx.wide:
                group = other.id
                raise self.fail(
                    other,
                    f"'{group}' is a group of several actions: compare {side} with one of them ({group}[i]) "
                    f"or with the target, or write '{side} in {group}'",
                )

    def _IfExp(self, node: ast.IfExp) -> None:
        for part in (node.test, node.body, node.orelse):
            self.check(part)

    def _Subscript(self, node: ast.Subscript) -> None:
        self.check(node.value)
        if isinstance(node.slice, ast.Slice):
            raise self.fail(node, "slices are not allowed; index with a single value")
        self.check(node.slice)

    def _List(self, node: ast.List | ast.Tuple) -> None:
        for element in node.elts:
            self.check(element)

    _Tuple = _List

    def _Call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self.fail(node, "only plain function calls such as cos(x) are allowed")
        name = func.id
        if name in TIMING:
            self._timing_call(node, name)
            return
        if name in RANDOM:
            if not self.ctx.random:
                raise self.fail(
                    node, f"random function '{name}' is only allowed in trial and session variables and durations"
                )
            self.random = True
        elif name not in MATH | SHAPES:
            hint = did_you_mean(name, sorted(FUNCTIONS))
            raise self.fail(node, f"unknown function '{name}'{hint}")
        if name == "len" and (len(node.args) != 1 or node.keywords):
            raise self.fail(node, "len() takes one list or vector, e.g. len(cohs)")
        for arg in node.args:
            self.check(arg)
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in KEYWORDS.get(name, set()):
                raise self.fail(kw.value, f"{name}() takes no keyword '{kw.arg or '**'}'")
            if kw.arg == "replace" and not (isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, bool)):
                raise self.fail(kw.value, "replace= takes True or False")
            self.check(kw.value)

    def _timing_call(self, node: ast.Call, name: str) -> None:
        if not self.ctx.timing:
            raise self.fail(node, f"{name}() is only allowed in inputs, targets and outcome rules")
        if (
            len(node.args) != 1
            or node.keywords
            or not isinstance(node.args[0], ast.Constant)
            or not isinstance(node.args[0].value, str)
        ):
            raise self.fail(node, f"{name}() takes one period name in quotes, e.g. {name}('stimulus')")
        period = node.args[0].value
        if period not in self.ctx.periods:
            # a block's period names mean the current copy here: suggest them before their copies
            hint = did_you_mean(period, self.ctx.copies) or did_you_mean(period, self.ctx.periods)
            raise self.fail(node.args[0], f"unknown period '{period}'{hint}")
        self.used.add(f"{name}:{period}")


def describe(node: ast.AST) -> str:
    kinds = {
        "Attribute": "attribute access (a.b)",
        "Lambda": "lambda",
        "ListComp": "comprehension",
        "SetComp": "comprehension",
        "DictComp": "comprehension",
        "GeneratorExp": "comprehension",
        "JoinedStr": "f-string",
        "Dict": "dictionary",
        "Set": "set",
        "Starred": "star expression",
        "NamedExpr": "assignment (:=)",
        "Await": "await",
        "Yield": "yield",
        "YieldFrom": "yield",
    }
    return kinds.get(type(node).__name__, type(node).__name__)
