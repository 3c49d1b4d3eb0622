"""Checked expression trees as JavaScript source, for taskspec-runtime.js (one trial at a time).

JavaScript has no operator overloading, and a value may be a number or a vector, so every operator
becomes a call of the runtime's `fn` (`a + b` -> `fn.add(a, b)`): the tree is re-emitted node by node,
never from the spec's text. Spec names pass one identifier check and become `$name` locals, so no
name can be a JavaScript keyword (`new`, `delete`) or shadow the runtime's own names.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from . import ir
from .language import CONSTANTS, MATH, RANDOM, SHAPES, TIMING

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RUNTIME_NAMES = {"len": "length"}  # spec functions whose runtime name differs
FUNCTIONS = MATH | RANDOM | TIMING | SHAPES  # the functions taskspec-runtime.js implements


def identifier(name: str) -> str:
    """A spec name as a JavaScript local: checked, then prefixed with `$` (no keyword, no runtime name)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not an identifier: {name!r}")
    return "$" + name


def literal(value: Any) -> str:
    """A number, truth value, text, list or mapping of them as a JavaScript literal (JSON is JavaScript)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return json.dumps(value, allow_nan=True)


class JsExpression:
    """A checked expression tree as JavaScript source, for one trial at a time."""

    def __init__(self, periods: Iterable[str]):
        self.periods = frozenset(periods)

    def render(self, code: ir.Code) -> str:
        return self.visit(code.expr.tree)

    def visit(self, node: ast.expr) -> str:
        text: str = getattr(self, "_" + type(node).__name__)(node)
        among = getattr(node, "ts_among", None)
        if among is not None:  # a chosen group's `by` (placements.py): one of the listed groups, checked
            text = f"fn.among({text}, {literal(int(among))})"
        return text

    def _Constant(self, node: ast.Constant) -> str:
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if not isinstance(node.value, (int, float)):
            raise ValueError("only numbers are constants here")  # unsupported() refuses text first
        return literal(node.value) if math.isfinite(node.value) else "fn.inf"

    def _Name(self, node: ast.Name) -> str:
        if node.id in ("True", "False"):
            return "true" if node.id == "True" else "false"
        if node.id in CONSTANTS:
            return f"fn.{node.id}"
        return identifier(node.id)

    _BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv"}
    _BINARY |= {ast.Mod: "remainder", ast.Pow: "power"}
    _COMPARE = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge"}

    def _BinOp(self, node: ast.BinOp) -> str:
        return f"fn.{self._BINARY[type(node.op)]}({self.visit(node.left)}, {self.visit(node.right)})"

    def _UnaryOp(self, node: ast.UnaryOp) -> str:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.UAdd):
            return f"fn.add(0, {operand})"
        if isinstance(node.op, ast.USub):
            return f"fn.neg({operand})"
        if isinstance(node.op, ast.Not):
            return f"fn.logical_not({operand})"
        raise ValueError(f"no rendering of {type(node.op).__name__}")

    def _BoolOp(self, node: ast.BoolOp) -> str:
        name = "all_of" if isinstance(node.op, ast.And) else "any_of"
        return f"fn.{name}({', '.join(self.visit(v) for v in node.values)})"

    def _Compare(self, node: ast.Compare) -> str:
        left = self.visit(node.left)
        pieces = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            if isinstance(op, (ast.In, ast.NotIn)):
                piece = f"fn.isin({left}, {right})"
                pieces.append(piece if isinstance(op, ast.In) else f"fn.logical_not({piece})")
            else:
                pieces.append(f"fn.{self._COMPARE[type(op)]}({left}, {right})")
            left = right
        return pieces[0] if len(pieces) == 1 else f"fn.all_of({', '.join(pieces)})"

    def _IfExp(self, node: ast.IfExp) -> str:
        return f"fn.where({self.visit(node.test)}, {self.visit(node.body)}, {self.visit(node.orelse)})"

    def _Subscript(self, node: ast.Subscript) -> str:
        return f"fn.take({self.visit(node.value)}, {self.visit(node.slice)})"

    def _List(self, node: ast.List | ast.Tuple) -> str:
        return f"fn.array([{', '.join(self.visit(e) for e in node.elts)}])"

    _Tuple = _List

    def _Call(self, node: ast.Call) -> str:
        assert isinstance(node.func, ast.Name)  # the checker allows plain calls only
        name = node.func.id
        if name in TIMING:  # start('p') -> _start["p"]: the period's bounds in ms, bound by the caller
            period = node.args[0]
            assert isinstance(period, ast.Constant) and period.value in self.periods
            return f"_{name}[{literal(period.value)}]"
        if name not in FUNCTIONS:
            raise ValueError(f"no JavaScript version of {name}()")
        args = [self.visit(a) for a in node.args]
        if name in RANDOM:
            keywords = ", ".join(f"{literal(k.arg)}: {self.visit(k.value)}" for k in node.keywords)
            return f"fn.{name}(_rng, [{', '.join(args)}], {{{keywords}}})"
        return f"fn.{RUNTIME_NAMES.get(name, name)}({', '.join(args)})"
