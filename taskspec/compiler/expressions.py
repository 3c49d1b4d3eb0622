"""The expression language: Python syntax, checked against a whitelist.

An expression is parsed with `ast` and every node is checked: only arithmetic,
comparisons, boolean logic, conditionals, indexing, list literals, whitelisted function
calls and known names pass. The checked tree is what the IR keeps; the code generator
renders it (`render.py`), never the raw text, so no spec can smuggle code into an env.

This module is the entry point (`check_expression`) and its limits; the vocabulary lives in
language.py, the helper calls' expansions in expansions.py and the whitelist walk in checker.py.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field

from ..runtime.functions import MAX_LIVE_ARRAYS
from .checker import Checker
from .defines import InlineError, calls, inline
from .expansions import expand, located
from .language import Context, ExprError
from .loader import INT64_MAX, INT64_MIN

MAX_EXPRESSION_CHARS = 2000
MAX_EXPRESSION_NODES = 400


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
    # A session or state variable's `next` whose length and its start value's follow parameters:
    # compared when the env is made, in words naming the variable and its start value.
    kept: KeptLength | None = field(default=None, compare=False)


@dataclass(frozen=True)
class KeptLength:
    """The lengths (expressions of parameters) of a variable's `next` and of its start value."""

    kind: str  # "session" or "state"
    variable: str  # the variable's name
    start: str  # the key of its start value: "init" or "first"
    length: ast.expr  # of the value `next` gives
    start_length: ast.expr


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
        tree, windows = expand(tree, ctx)
    except RecursionError:
        raise ExprError("expression is nested too deeply") from None
    checker = Checker(ctx)
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
    return Checked(tree.body, used, checker.random, ast.unparse(tree.body), windows=windows)


def from_second_trial(checked: Checked, name: str) -> Checked:
    """A session variable's checked `next` made to keep its `first` value for the first trial:
    `name if trials_done == 0 else (next)`, so no spec needs that guard written out."""
    first = ast.Compare(ast.Name("trials_done", ast.Load()), [ast.Eq()], [ast.Constant(0)])
    tree = located(ast.IfExp(first, ast.Name(name, ast.Load()), checked.tree), checked.tree)
    names = checked.names | {name, "trials_done"}
    return Checked(tree, names, checked.random, ast.unparse(tree), windows=checked.windows)


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
