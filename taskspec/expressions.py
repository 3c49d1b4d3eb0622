"""The expression language: Python syntax, checked against a whitelist, re-emitted as code.

An expression is parsed with `ast` and every node is checked: only arithmetic,
comparisons, boolean logic, conditionals, indexing, list literals, whitelisted function
calls and known names pass. Code generation re-emits the checked tree (never the raw
text), so no spec can smuggle code into a compiled env.

Two renderings exist: "array" code runs on whole batches of trials at once (numpy
broadcasting, `and` becomes a logical and), "scalar" code runs inside `step` on plain
numbers, where Python's own operators are fastest.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import did_you_mean
from .functions import MAX_LIVE_ARRAYS
from .loader import INT64_MAX, INT64_MIN

MAX_EXPRESSION_CHARS = 2000
MAX_EXPRESSION_NODES = 400

MATH = {
    "abs", "sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "arctan2", "floor", "ceil", "round",
    "sign", "mod", "minimum", "maximum", "clip", "where", "ring", "onehot", "arange", "sum", "mean", "circdist",
    "interp",
}
RANDOM = {"choice", "uniform", "integers", "bernoulli", "normal", "trunc_exp"}
TIMING = {"start", "end"}
CONSTANTS = {"pi", "e", "inf"}
KEYWORDS = {"choice": {"p", "size"}, **{name: {"size"} for name in RANDOM - {"choice"}}}
# Names the language itself provides in some contexts; specs may not reuse them.
BUILTIN_NAMES = {"dt", "t", "rep", "action", "target", "True", "False", "None"}
RESERVED = MATH | RANDOM | TIMING | CONSTANTS | BUILTIN_NAMES

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


@dataclass(frozen=True)
class Context:
    """What an expression may use where it appears."""

    names: Mapping[str, str]  # visible name -> kind ("param", "var", "group", "reward", "builtin")
    periods: frozenset[str] = frozenset()
    later: frozenset[str] = frozenset()  # trial variables defined further down
    random: bool = False
    timing: bool = False
    array: bool = True


class ExprError(Exception):
    """A problem at (line, col) inside the expression text, both 0-based."""

    def __init__(self, message: str, line: int = 0, col: int = 0):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


@dataclass(frozen=True)
class Rendered:
    code: str
    names: frozenset[str]
    constant: bool


def compile_expression(source: str | int | float | bool, ctx: Context) -> Rendered:
    """Check an expression and return Python code for it; raises `ExprError`."""
    if isinstance(source, bool) or isinstance(source, (int, float)):
        if not isinstance(source, bool) and (not math.isfinite(source) if isinstance(source, float)
                                             else not INT64_MIN <= source <= INT64_MAX):
            raise ExprError("the number is outside the 64-bit range")  # the loader refuses these first
        return Rendered(repr(source), frozenset(), True)
    text = source.strip()
    if not text:
        raise ExprError("empty expression")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExprError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        line, col = (exc.lineno or 1) - 1, max((exc.offset or 1) - 1, 0)
        raise ExprError(f"invalid expression syntax: {exc.msg}", line, col) from None
    if sum(1 for _ in ast.walk(tree)) > MAX_EXPRESSION_NODES:
        raise ExprError(f"expression has more than {MAX_EXPRESSION_NODES} parts")
    renderer = _Renderer(ctx)
    try:
        code = renderer.render(tree.body)
    except RecursionError:
        raise ExprError("expression is nested too deeply") from None
    if ctx.array and live_arrays(tree.body) > MAX_LIVE_ARRAYS:
        raise ExprError(f"expression holds more than {MAX_LIVE_ARRAYS} time-varying intermediate results at once; "
                        "nest less deeply (e.g. a * (b * (c * d)) as a * b * c * d)")
    return Rendered(code, frozenset(renderer.used), not renderer.used and not renderer.random)


class _Renderer:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.used: set[str] = set()
        self.random = False

    def fail(self, node: ast.AST, message: str) -> ExprError:
        return ExprError(message, getattr(node, "lineno", 1) - 1, getattr(node, "col_offset", 0))

    def render(self, node: ast.expr) -> str:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self.fail(node, f"'{_describe(node)}' is not allowed in expressions")
        return str(method(node))

    def _Constant(self, node: ast.Constant) -> str:
        if isinstance(node.value, float) and not math.isfinite(node.value):  # 1e999: Python reads it as inf
            raise self.fail(node, "a number here is outside the 64-bit float range (about +-1.8e308); "
                                  "write inf for infinity")
        if isinstance(node.value, int) and not isinstance(node.value, bool) and not \
                INT64_MIN <= node.value <= INT64_MAX:  # numpy would fall back to slow, unbounded Python ints
            raise self.fail(node, "a whole number here is outside the 64-bit range (-2**63 to 2**63-1)")
        if isinstance(node.value, bool) or isinstance(node.value, (int, float)):
            return repr(node.value)
        if isinstance(node.value, str):
            raise self.fail(node, "text is only allowed as a period name inside start() or end()")
        raise self.fail(node, f"constant {node.value!r} is not allowed")

    def _Name(self, node: ast.Name) -> str:
        name = node.id
        if name in ("True", "False"):
            return name
        if name in CONSTANTS:
            return f"fn.{name}"
        if name in self.ctx.names:
            self.used.add(name)
            return name
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed: '{name}'")
        if name in MATH | RANDOM | TIMING:
            raise self.fail(node, f"'{name}' is a function; call it as {name}(...)")
        if name in self.ctx.later:
            raise self.fail(node, f"'{name}' is defined further down; a trial variable can only use those above it")
        hint = did_you_mean(name, list(self.ctx.names) + sorted(CONSTANTS))
        raise self.fail(node, f"unknown name '{name}'{hint}")

    def _BinOp(self, node: ast.BinOp) -> str:
        left, right = self.render(node.left), self.render(node.right)
        if self.ctx.array:  # numpy adds booleans as a logical or; count True as 1, as Python does
            left, right = (f"(1 * {code})" if isinstance(n, (ast.Compare, ast.BoolOp, ast.UnaryOp)) and
                           not isinstance(getattr(n, "op", None), (ast.USub, ast.UAdd)) else code
                           for n, code in ((node.left, left), (node.right, right)))
        if isinstance(node.op, ast.Pow):
            # float power cannot hang the way 10**10**10 on Python ints does
            return f"fn.power({left}, {right})"
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.fail(node, f"operator '{type(node.op).__name__}' is not allowed")
        return f"({left} {op} {right})"

    def _UnaryOp(self, node: ast.UnaryOp) -> str:
        operand = self.render(node.operand)
        if isinstance(node.op, ast.USub):
            return f"(-{operand})"
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return f"fn.logical_not({operand})" if self.ctx.array else f"(not {operand})"
        raise self.fail(node, "bitwise operators are not allowed")

    def _BoolOp(self, node: ast.BoolOp) -> str:
        parts = [self.render(v) for v in node.values]
        if self.ctx.array:
            name = "fn.all_of" if isinstance(node.op, ast.And) else "fn.any_of"
            return f"{name}({', '.join(parts)})"
        word = " and " if isinstance(node.op, ast.And) else " or "
        return "(" + word.join(parts) + ")"

    def _Compare(self, node: ast.Compare) -> str:
        left = self.render(node.left)
        pieces = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.render(comparator)
            if isinstance(op, (ast.In, ast.NotIn)):
                piece = f"fn.isin({left}, {right})"
                if isinstance(op, ast.NotIn):
                    piece = f"fn.logical_not({piece})" if self.ctx.array else f"(not {piece})"
            elif type(op) in _CMPOPS:
                piece = f"({left} {_CMPOPS[type(op)]} {right})"
            else:
                raise self.fail(node, "'is' comparisons are not allowed; use == or !=")
            pieces.append(piece)
            left = right
        if len(pieces) == 1:
            return pieces[0]
        return f"fn.all_of({', '.join(pieces)})" if self.ctx.array else "(" + " and ".join(pieces) + ")"

    def _IfExp(self, node: ast.IfExp) -> str:
        test, body, orelse = self.render(node.test), self.render(node.body), self.render(node.orelse)
        if self.ctx.array:
            return f"fn.where({test}, {body}, {orelse})"
        return f"({body} if {test} else {orelse})"

    def _Subscript(self, node: ast.Subscript) -> str:
        if isinstance(node.slice, ast.Slice):
            raise self.fail(node, "slices are not allowed; index with a single value")
        return f"fn.take({self.render(node.value)}, {self.render(node.slice)})"

    def _List(self, node: ast.List | ast.Tuple) -> str:
        return "fn.array((" + "".join(self.render(e) + ", " for e in node.elts) + "))"

    _Tuple = _List

    def _Call(self, node: ast.Call) -> str:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self.fail(node, "only plain function calls such as cos(x) are allowed")
        name = func.id
        if name in TIMING:
            return self._timing_call(node, name)
        if name in RANDOM:
            if not self.ctx.random:
                raise self.fail(node, f"random function '{name}' is only allowed in trial and session variables "
                                      "and durations")
            self.random = True
        elif name not in MATH:
            hint = did_you_mean(name, sorted(MATH | RANDOM | TIMING))
            raise self.fail(node, f"unknown function '{name}'{hint}")
        args = [self.render(a) for a in node.args]
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in KEYWORDS.get(name, set()):
                raise self.fail(kw.value, f"{name}() takes no keyword '{kw.arg or '**'}'")
            args.append(f"{kw.arg}={self.render(kw.value)}")
        if name in RANDOM:
            return f"fn.{name}(_rng, _n, {', '.join(args)})"
        return f"fn.{name}({', '.join(args)})"

    def _timing_call(self, node: ast.Call, name: str) -> str:
        if not self.ctx.timing:
            raise self.fail(node, f"{name}() is only allowed in inputs, targets and outcome rules")
        if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.Constant) \
                or not isinstance(node.args[0].value, str):
            raise self.fail(node, f"{name}() takes one period name in quotes, e.g. {name}('stimulus')")
        period = node.args[0].value
        if period not in self.ctx.periods:
            raise self.fail(node.args[0], f"unknown period '{period}'{did_you_mean(period, self.ctx.periods)}")
        self.used.add(f"{name}:{period}")
        return f"_{name}[{period!r}]"


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
    children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)
                and not (isinstance(node, ast.Call) and c is node.func)]
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
        "Attribute": "attribute access (a.b)", "Lambda": "lambda", "ListComp": "comprehension",
        "SetComp": "comprehension", "DictComp": "comprehension", "GeneratorExp": "comprehension",
        "JoinedStr": "f-string", "Dict": "dictionary", "Set": "set", "Starred": "star expression",
        "NamedExpr": "assignment (:=)", "Await": "await", "Yield": "yield", "YieldFrom": "yield",
    }
    return kinds.get(type(node).__name__, type(node).__name__)
