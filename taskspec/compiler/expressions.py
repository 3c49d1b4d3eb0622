"""The expression language: Python syntax, checked against a whitelist.

An expression is parsed with `ast` and every node is checked: only arithmetic,
comparisons, boolean logic, conditionals, indexing, list literals, whitelisted function
calls and known names pass. The checked tree is what the IR keeps; the code generator
renders it (`render.py`), never the raw text, so no spec can smuggle code into an env.
"""

from __future__ import annotations

import ast
import copy
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import did_you_mean
from ..runtime.functions import MAX_LIVE_ARRAYS
from ..runtime.machine import WINDOW
from .defines import Defined, InlineError, calls, inline
from .loader import INT64_MAX, INT64_MIN

MAX_EXPRESSION_CHARS = 2000
MAX_EXPRESSION_NODES = 400

MATH = {
    "abs",
    "sqrt",
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "tanh",
    "arctan2",
    "floor",
    "ceil",
    "round",
    "sign",
    "mod",
    "minimum",
    "maximum",
    "clip",
    "where",
    "ring",
    "onehot",
    "multihot",
    "arange",
    "sum",
    "mean",
    "circdist",
    "interp",
    "cumsum",
    "lag",
}
RANDOM = {"choice", "uniform", "integers", "bernoulli", "normal", "trunc_exp", "nback_items"}
TIMING = {"start", "end"}
CONSTANTS = {"pi", "e", "inf"}
KEYWORDS = {"choice": {"p", "size", "replace"}, **{name: {"size"} for name in RANDOM - {"choice", "nback_items"}}}
# Functions of the NumPy backends only: a backend that accepts MATH | RANDOM | TIMING (as the JAX
# one does) refuses them by name. `choice(..., replace=...)` is NumPy-only too: such a backend
# must refuse the keyword itself.
SHAPES = {"len"}
# Step helpers, written in terms of the functions above before checking (see `_StepHelpers`), so
# every backend runs them: whole_steps(ms) is `dt * floor(ms / dt)`, step_in('p') the step's
# index within period p, `round((t - start('p')) / dt)`, n_steps('p') its length in steps, and
# elapsed('p') the ms period p has run when the current step is over, `t + dt - start('p')`: so
# `until: elapsed('iti') >= 500` ends the period after exactly 500 ms (`t - start` would give 550).
STEP_HELPERS = {"whole_steps", "step_in", "n_steps", "elapsed"}
# Windows over past trials (a session variable's `next`), written out like the step helpers: over
# the last k finished trials (fewer at the session's start), window_count(k) is how many there are,
# window_sum(past_x, k) and window_mean(past_x, k) the sum and mean of x (0 before any trial).
# ended_in('p') and ended_by('rule'): see _WindowHelpers.
WINDOW_HELPERS = {"window_count", "window_sum", "window_mean", "ended_in", "ended_by"}
FUNCTIONS = MATH | RANDOM | TIMING | SHAPES | STEP_HELPERS | WINDOW_HELPERS | {"old"}  # every name a spec may call
# Names the language itself provides in some contexts; specs may not reuse them.
BUILTIN_NAMES = {"dt", "t", "rep", "action", "target", "True", "False", "None", "inherited"}
# The finished trial, as a session variable's `next` sees it (plus `last_<trial variable>`), and the
# current trial's performance, which rules, `until` conditions and inputs may read.
HISTORY = {
    "last_performance",
    "last_reward",
    "last_timed_out",
    "last_choice",
    "last_choice_t",
    "last_period",
    "last_rule",
    "trials_done",
}
# Windows over past trials, in a session variable's `next`: `past_<x>` holds the last
# machine.WINDOW values of `last_<x>` (of the numbers among them), newest first.
PAST = {
    "past_performance",
    "past_reward",
    "past_timed_out",
    "past_choice",
    "past_choice_t",
    "past_period",
    "past_rule",
}
OUTCOME = {"performance"}
RESERVED = (
    BUILTIN_NAMES | CONSTANTS | HISTORY | PAST | OUTCOME
)  # names the language provides: a spec may not declare them


def history_names(trial: Iterable[str]) -> set[str]:
    """Every name a session variable's `next` may read about finished trials, given the trial variables."""
    return HISTORY | PAST | {f"{prefix}_{name}" for name in trial for prefix in ("last", "past")}


BINARY_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)  # and ** (as fn.power)
COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


@dataclass(frozen=True)
class Context:
    """What an expression may use where it appears."""

    names: Mapping[str, str]  # visible name -> kind ("param", "var", "group", "reward", "builtin")
    periods: frozenset[str] = frozenset()
    later: frozenset[str] = frozenset()  # trial variables defined further down
    random: bool = False
    timing: bool = False
    wide: frozenset[str] = frozenset()  # action groups of several actions: `action == group` is a mistake
    defines: Mapping[str, Defined] = field(default_factory=dict)  # the spec's `define:` functions, inlined
    defining: str = ""  # the name this expression defines: never a "did you mean" for its own text
    # In a session variable's `next`: the variables updated later in the pass (read only as old(x)),
    # and those old() may read (them and the variable itself).
    below: frozenset[str] = frozenset()
    order: tuple[str, ...] = ()  # the periods in layout order: `last_period` is an index into it
    # The outcome rules in order (`last_rule` is an index into it): each one's `name` (None if it
    # has none) and whether it can end a trial.
    rules: tuple[tuple[str | None, bool], ...] = ()
    old: frozenset[str] = frozenset()
    # Where else an unknown name could be read (places.py), or None when the spec has no such name.
    elsewhere: Callable[[str], str | None] | None = None
    # Copies of repeated blocks: a block's name or one of its periods -> per copy (first and last
    # period of the copy, the periods whose start and end the name stands for in that copy).
    copies: Mapping[str, tuple[tuple[str, str, str, str], ...]] = field(default_factory=dict)
    spans: tuple[tuple[int, str, str], ...] = ()  # every copy: (its number, its first and last period)
    current_rep: bool = False  # `rep` is written out over the copies' spans (where no per-step table has it)


class ExprError(Exception):
    """A problem at (line, col) inside the expression text, both 0-based."""

    def __init__(self, message: str, line: int = 0, col: int = 0):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


@dataclass(frozen=True)
class Checked:
    """An expression that passed every check: its syntax tree, and the spec names it reads
    (period times as "start:<period>" and "end:<period>"). Code is rendered from `tree` only."""

    tree: ast.expr = field(compare=False)
    names: frozenset[str]
    random: bool
    text: str  # the tree unparsed: what equality and hashing go by
    # Set by the shape checks (shapes.py) before any rendering: the value is a vector the same for
    # every trial, which batch code repeats for each trial (a batch cannot tell it from one number each).
    fixed_vector: bool = field(default=False, compare=False)
    layout: str = ""  # which nodes batch code turns into columns (types.settle): renderings differ by it
    # Lengths (expressions of parameters) the value combines entry by entry: compared when the env is made.
    agreements: tuple[tuple[ast.expr, ast.expr], ...] = field(default=(), compare=False)
    # Window sizes written as expressions of parameters, with the (line, col) of their call in the
    # text: checked against 1..WINDOW when the env is made (a literal size is checked here).
    windows: tuple[tuple[ast.expr, int, int], ...] = field(default=(), compare=False)


def check_expression(source: str | int | float | bool, ctx: Context) -> Checked:
    """Parse and check an expression; raises `ExprError` at the first problem."""
    if isinstance(source, bool) or isinstance(source, (int, float)):
        if not isinstance(source, bool) and (
            not math.isfinite(source) if isinstance(source, float) else not INT64_MIN <= source <= INT64_MAX
        ):
            raise ExprError("the number is outside the 64-bit range")  # the loader refuses these first
        return Checked(ast.Constant(source), frozenset(), False, repr(source))
    text = source.strip()
    if not text:
        raise ExprError("empty expression")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExprError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        line, col = (exc.lineno or 1) - 1, max((exc.offset or 1) - 1, 0)
        single = _single_equals(text)
        if single is not None:
            raise ExprError("'=' is not a comparison: did you mean '=='?", *single) from None
        raise ExprError(f"invalid expression syntax: {exc.msg}", line, col) from None
    if sum(1 for _ in ast.walk(tree)) > MAX_EXPRESSION_NODES:
        raise ExprError(f"expression has more than {MAX_EXPRESSION_NODES} parts")
    if ctx.defines and calls(tree, ctx.defines):
        try:
            tree.body = inline(tree.body, ctx.defines, MAX_EXPRESSION_NODES)
        except InlineError as exc:
            raise ExprError(exc.message, exc.line, exc.col) from None
        except RecursionError:
            raise ExprError("expression is nested too deeply") from None
    try:
        tree = _StepHelpers(ctx).visit(tree)
        if ctx.copies or ctx.current_rep:
            tree = _CurrentCopy(ctx).visit(tree)
        windows = _WindowHelpers(ctx)
        tree = windows.visit(tree)
        tree = _OldValues(ctx).visit(tree)
    except RecursionError:
        raise ExprError("expression is nested too deeply") from None
    checker = _Checker(ctx)
    try:
        checker.check(tree.body)
    except RecursionError:
        raise ExprError("expression is nested too deeply") from None
    if live_arrays(tree.body) > MAX_LIVE_ARRAYS:
        raise ExprError(
            f"expression holds more than {MAX_LIVE_ARRAYS} time-varying intermediate results at once; "
            "nest less deeply (e.g. a * (b * (c * d)) as a * b * c * d)"
        )
    used = frozenset(checker.used)
    return Checked(tree.body, used, checker.random, ast.unparse(tree.body), windows=tuple(windows.sizes))


def from_second_trial(checked: Checked, name: str) -> Checked:
    """A session variable's checked `next` made to keep its `first` value for the first trial:
    `name if trials_done == 0 else (next)`, so no spec needs that guard written out."""
    first = ast.Compare(ast.Name("trials_done", ast.Load()), [ast.Eq()], [ast.Constant(0)])
    tree = _located(ast.IfExp(first, ast.Name(name, ast.Load()), checked.tree), checked.tree)
    names = checked.names | {name, "trials_done"}
    return Checked(tree, names, checked.random, ast.unparse(tree), windows=checked.windows)


class _Checker:
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
            raise self.fail(node, f"'{_describe(node)}' is not allowed in expressions")
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


def _single_equals(text: str) -> tuple[int, int] | None:
    """(line, col) of a lone '=' that, written '==', makes `text` parse: a comparison meant as one."""
    for match in re.finditer(r"(?<![=!<>:])=(?!=)", text):
        fixed = text[: match.start()] + "==" + text[match.end() :]
        try:
            ast.parse(fixed, mode="eval")
        except SyntaxError:
            continue
        before = text[: match.start()]
        return before.count("\n"), match.start() - (before.rfind("\n") + 1)
    return None


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
            return _located(ast.BinOp(ast.Name("dt", ast.Load()), ast.Mult(), floor), node)
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
            return _located(ast.BinOp(over, ast.Sub(), start), node)
        begin = ast.Name("t", ast.Load()) if name == "step_in" else ast.Call(ast.Name("end", ast.Load()), [period], [])
        span = ast.BinOp(ast.BinOp(begin, ast.Sub(), start), ast.Div(), ast.Name("dt", ast.Load()))
        return _located(ast.Call(ast.Name("round", ast.Load()), [span], []), node)


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
        return _located(ast.BoolOp(ast.And(), [begin, stop]), node)

    def _over_copies(self, node: ast.expr, pieces: list[tuple[str, str, ast.expr]], outside: int) -> ast.expr:
        """sum over copies of (value if inside copy else 0), plus `outside` (the value outside every copy).
        A flat sum, not nested choices: batch code holds two arrays at a time whatever the copies."""
        total: ast.expr = ast.Constant(outside)
        for first, last, value in pieces:
            term = ast.IfExp(self._inside(first, last, node), value, ast.Constant(0))
            total = ast.BinOp(total, ast.Add(), term)
        return _located(total, node)

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
            return _located(ast.Compare(ast.Name("last_period", ast.Load()), [ast.Eq()], [index]), node)
        if name == "ended_by":  # the outcome rule that ended the finished trial: `last_rule == <its index>`
            index = ast.Constant(self._rule_index(node, where))
            return _located(ast.Compare(ast.Name("last_rule", ast.Load()), [ast.Eq()], [index]), node)
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
            return _located(count, node)
        inside = ast.Compare(ast.Call(ast.Name("arange", ast.Load()), [ast.Constant(WINDOW)], []), [ast.Lt()], [count])
        picked = ast.Call(ast.Name("where", ast.Load()), [inside, past, ast.Constant(0)], [])  # type: ignore[list-item]
        total: ast.expr = ast.Call(ast.Name("sum", ast.Load()), [picked], [])
        if name == "window_mean":
            # a copy: each node of a checked tree has one place (the shape checks annotate nodes in place)
            at_least_one = ast.Call(ast.Name("maximum", ast.Load()), [copy.deepcopy(count), ast.Constant(1)], [])
            total = ast.BinOp(total, ast.Div(), at_least_one)
        return _located(total, node)

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


def _located(new: ast.expr, old: ast.expr) -> ast.expr:
    """`new` with the position of `old` on every node that has none, so errors point at the call."""
    for child in ast.walk(new):
        if "lineno" not in child._attributes or hasattr(child, "lineno"):
            continue
        ast.copy_location(child, old)
    return new


def live_arrays(node: ast.AST) -> int:
    """The most time-varying intermediate results Python holds at once while evaluating `node`.

    Operands are evaluated left to right and each result is kept until its parent is computed,
    so `a * (b * (c * d))` holds three results at the deepest point. In batch code a result that
    varies with time (it reads `t` or `rep`) may be as large as the observation array (trials x
    steps x columns): the batch budget charges every observation value for `MAX_LIVE_ARRAYS`
    such float64 arrays, which this bound makes true. Other results have no steps axis (one
    value or vector per trial), and names and numbers exist already: neither is counted.
    """
    if not _varies_in_time(node) or isinstance(node, ast.Name):
        return 0
    children = [
        c
        for c in ast.iter_child_nodes(node)
        if isinstance(c, ast.expr) and not (isinstance(node, ast.Call) and c is node.func)
    ]
    children += [kw.value for kw in getattr(node, "keywords", ())]
    most, held = 0, 0
    for child in children:
        need = live_arrays(child)
        most = max(most, held + need)
        held += 1 if need else 0
    return max(most, held + 1)


def _varies_in_time(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id in ("t", "rep") for n in ast.walk(node))


def _describe(node: ast.AST) -> str:
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
