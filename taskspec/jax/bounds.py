"""The longest trial a spec can produce, from interval bounds of its duration expressions.

JAX arrays have static shapes, so trials are padded to a length known before any is drawn.
Each duration is bounded by interval arithmetic over its checked tree, with the parameters'
actual values and the ranges of the trial variables it reads (a `choice` ranges over its
options, `uniform(a, b)` over [a, b], `trunc_exp` over [low, high], ...). A duration with no
finite bound (a `normal` draw, a session variable, an unbounded `trunc_exp`) is refused with
the period's spec location: the NumPy backend has no such limit, this one needs it.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Problem, SpecError

if TYPE_CHECKING:
    from ..compiler import ir

EPSILON = 1e-5  # durations are floored to whole steps after adding this (float32 rounding of ms / dt)


class Unbounded(Exception):
    """An expression with no finite bound; the message says which part."""


_Range = tuple[float, float, bool]  # low, high, and whether it is a vector (a list: its elements' hull)


def _exact(value: Any) -> _Range:
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim):
        items = [float(v) for v in np.ravel(value)]
        if not items:
            raise Unbounded("an empty list")
        return min(items), max(items), True
    number = float(value)
    return number, number, False


def _hull(*parts: _Range) -> _Range:
    return min(p[0] for p in parts), max(p[1] for p in parts), any(p[2] for p in parts)


def _checked(low: float, high: float, vector: bool = False) -> _Range:
    if math.isnan(low) or math.isnan(high):
        raise Unbounded("an undefined range")
    return low, high, vector


class _Ranges:
    def __init__(self, constants: Mapping[str, Any], variables: Mapping[str, _Range | str]):
        self.constants, self.variables = constants, variables

    def of(self, node: ast.expr) -> _Range:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Unbounded(f"'{ast.unparse(node)}'")
        result: _Range = method(node)
        return result

    def _Constant(self, node: ast.Constant) -> _Range:
        return _exact(node.value)

    def _Name(self, node: ast.Name) -> _Range:
        name = node.id
        if name in ("True", "False"):
            return _exact(name == "True")
        if name in ("pi", "e", "inf"):
            return _exact({"pi": math.pi, "e": math.e, "inf": math.inf}[name])
        if name in self.constants:
            return _exact(self.constants[name])
        found = self.variables.get(name)
        if found is None:
            raise Unbounded(f"'{name}'")
        if isinstance(found, str):
            raise Unbounded(found)
        return found

    def _BinOp(self, node: ast.BinOp) -> _Range:
        a, b = self.of(node.left), self.of(node.right)
        vector = a[2] or b[2]
        if isinstance(node.op, ast.Add):
            return _checked(a[0] + b[0], a[1] + b[1], vector)
        if isinstance(node.op, ast.Sub):
            return _checked(a[0] - b[1], a[1] - b[0], vector)
        if isinstance(node.op, ast.Mult):
            products = [x * y for x in a[:2] for y in b[:2]]
            return _checked(min(products), max(products), vector)
        if isinstance(node.op, (ast.Div, ast.FloorDiv)) and (b[0] > 0 or b[1] < 0):
            quotients = [x / y for x in a[:2] for y in b[:2]]
            low, high = min(quotients), max(quotients)
            if isinstance(node.op, ast.FloorDiv):
                low, high = math.floor(low), math.floor(high)
            return _checked(low, high, vector)
        if isinstance(node.op, ast.Mod) and b[0] == b[1] and b[0] > 0:
            return 0.0, b[0], vector
        raise Unbounded(f"'{ast.unparse(node)}'")

    def _UnaryOp(self, node: ast.UnaryOp) -> _Range:
        a = self.of(node.operand)
        if isinstance(node.op, ast.USub):
            return -a[1], -a[0], a[2]
        if isinstance(node.op, ast.Not):
            return 0.0, 1.0, a[2]
        return a

    def _Compare(self, node: ast.Compare) -> _Range:
        return 0.0, 1.0, False

    _BoolOp = _Compare

    def _IfExp(self, node: ast.IfExp) -> _Range:
        return _hull(self.of(node.body), self.of(node.orelse))

    def _Subscript(self, node: ast.Subscript) -> _Range:
        low, high, _ = self.of(node.value)
        return low, high, False

    def _List(self, node: ast.List | ast.Tuple) -> _Range:
        if not node.elts:
            raise Unbounded("an empty list")
        low, high, _ = _hull(*(self.of(e) for e in node.elts))
        return low, high, True

    _Tuple = _List

    def _Call(self, node: ast.Call) -> _Range:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        args = [self.of(a) for a in node.args]
        kw = {k.arg: self.of(k.value) for k in node.keywords if k.arg != "size"}
        if name == "choice":
            options = args[0]
            if options[2]:
                return options[0], options[1], False
            return 0.0, max(options[1] - 1, 0.0), False
        if name == "uniform":
            return _checked(args[0][0], args[1][1])
        if name == "integers":
            return _checked(args[0][0], args[1][1] - 1)
        if name == "bernoulli":
            return 0.0, 1.0, False
        if name == "trunc_exp":
            low = args[1] if len(args) > 1 else kw.get("low", (0.0, 0.0, False))
            high = args[2] if len(args) > 2 else kw.get("high", (math.inf, math.inf, False))
            if math.isinf(high[1]):
                raise Unbounded("trunc_exp() without a finite 'high'")
            return _checked(min(low[0], high[0]), high[1])
        if name in ("minimum", "maximum"):
            pick = min if name == "minimum" else max
            return pick(args[0][0], args[1][0]), pick(args[0][1], args[1][1]), args[0][2] or args[1][2]
        if name == "clip":
            return max(args[0][0], args[1][0]), min(args[0][1], args[2][1]), args[0][2]
        if name == "where":
            return _hull(args[1], args[2])
        if name == "abs":
            a, b, vector = args[0]
            return (0.0 if a <= 0 <= b else min(abs(a), abs(b))), max(abs(a), abs(b)), vector
        if name in ("floor", "ceil", "round", "sqrt", "exp"):
            monotone: dict[str, Callable[[float], float]] = {
                "floor": math.floor,
                "ceil": math.ceil,
                "round": round,
                "sqrt": math.sqrt,
                "exp": math.exp,
            }
            f = monotone[name]
            if name == "sqrt" and args[0][0] < 0:
                raise Unbounded(f"'{ast.unparse(node)}'")
            return _checked(f(args[0][0]), f(args[0][1]), args[0][2])
        raise Unbounded(f"'{name}()'")


def period_limits(
    task: ir.TaskIR, constants: Mapping[str, Any], dt: float, fixed: Mapping[str, float]
) -> dict[str, int]:
    """The most steps each period can last; raises SpecError naming every period with no finite bound.

    `constants` are the parameters, action groups and dt by name; `fixed` the durations set by a
    `timing=` override (ms).
    """
    variables: dict[str, _Range | str] = {s.name: f"session variable '{s.name}'" for s in task.session}
    ranges = _Ranges(constants, variables)
    for v in task.variables:
        try:
            variables[v.name] = ranges.of(v.value.expr.tree)
        except Unbounded as exc:
            variables[v.name] = f"trial variable '{v.name}' (it reads {exc})"
    limits: dict[str, int] = {}
    problems = []
    for p in task.periods:
        if p.name in fixed:
            high = float(fixed[p.name])
        else:
            try:
                high = ranges.of(p.duration.expr.tree)[1]
            except Unbounded as exc:
                high = math.inf
                reason = f"{exc}"
            else:
                reason = "its duration"
        if not math.isfinite(high) or high / dt > 1e7:
            where = p.duration.where
            problems.append(
                Problem(
                    where.file,
                    where.line,
                    where.col,
                    where.path,
                    f"the JAX backend needs a longest duration for period '{p.name}', but {reason} has no finite "
                    "upper bound (bound it, e.g. trunc_exp(mean, low, high) or a choice of values)",
                )
            )
            continue
        limits[p.name] = max(0, math.floor(high / dt + EPSILON))
    if problems:
        raise SpecError(problems)
    return limits


def longest_trial(task: ir.TaskIR, limits: Mapping[str, int]) -> int:
    """The most steps a trial can last: the latest end of any period, each starting after its predecessor."""
    end: dict[str, int] = {}
    for p in task.periods:
        end[p.name] = (end[p.after] if p.after is not None else 0) + limits[p.name]
    return max(1, max(end.values()))
