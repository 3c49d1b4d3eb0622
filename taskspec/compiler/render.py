"""Renderings of checked expressions as Python source: one place per backend.

A checked tree (expressions.Checked) is translated into a new syntax tree that calls the
runtime's functions (`fn.*`), then printed by `ast.unparse`, which parenthesises only
where precedence needs it. Two renderings exist:

- "array": runs on whole batches of trials or envs at once (numpy broadcasting; `and`
  becomes a logical and, `x if c else y` a `where`, comparisons count as 1 in arithmetic);
- "scalar": runs inside `step` on plain numbers, where Python's own operators are fastest.

- "jax": the array rendering, evaluated one trial (or one env) at a time against
  `taskspec.jax.functions`, whose names and meanings mirror the runtime's; `jax.vmap` adds
  the batch axis, so no batch bookkeeping is rendered.
"""

from __future__ import annotations

import ast
import math
from functools import lru_cache

from .expressions import Checked
from .language import CONSTANTS, RANDOM, TIMING

# Spec functions whose runtime name differs (the runtime module must not shadow Python's own len).
RUNTIME_NAMES = {"len": "length"}


def render(expr: Checked, array: bool) -> str:
    """Python source for `expr`, for arrays or for scalars."""
    return _render(expr, array)


def render_jax(expr: Checked) -> str:
    """Python source for `expr` in the JAX backend (see the module docstring)."""
    return _render(expr, True)


def translate(expr: Checked, array: bool) -> ast.expr:
    """The syntax tree of the rendering, for code that embeds it in a larger expression."""
    return _Translator(array).visit(expr.tree)


@lru_cache(maxsize=4096)
def _render(expr: Checked, array: bool) -> str:
    return ast.unparse(translate(expr, array))


def _fn(name: str, *args: ast.expr, keywords: list[ast.keyword] | None = None) -> ast.Call:
    return ast.Call(ast.Attribute(ast.Name("fn"), name), list(args), keywords or [])


def _counts_as_number(node: ast.expr) -> bool:
    """Whether a value is a truth value that numpy would add as a logical or (known from its syntax,
    or from its type: types.settle marks names and calls of truth values `ts_number`)."""
    if getattr(node, "ts_number", False):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    return isinstance(node, (ast.Compare, ast.BoolOp))


class _Translator:
    def __init__(self, array: bool):
        self.array = array

    def visit(self, node: ast.expr) -> ast.expr:
        result: ast.expr = getattr(self, "_" + type(node).__name__)(node)
        if self.array and getattr(node, "ts_column", False):  # one number per trial meeting a vector
            return _fn("column", result)
        among = getattr(node, "ts_among", None)
        if among is not None:  # a chosen group's `by` (placements.py): one of the listed groups, checked
            return _fn("among", result, ast.Constant(among))
        return result

    def _Constant(self, node: ast.Constant) -> ast.expr:
        if isinstance(node.value, float) and not math.isfinite(node.value):
            return ast.Attribute(ast.Name("fn"), "inf")  # repr would give the undefined name `inf`
        return ast.Constant(node.value)

    def _Name(self, node: ast.Name) -> ast.expr:
        if node.id in ("True", "False"):
            return ast.Constant(node.id == "True")
        if node.id in CONSTANTS:
            return ast.Attribute(ast.Name("fn"), node.id)
        return ast.Name(node.id)

    def _BinOp(self, node: ast.BinOp) -> ast.expr:
        left, right = self.visit(node.left), self.visit(node.right)
        if self.array:  # numpy adds booleans as a logical or; count True as 1, as Python does
            left, right = (
                ast.BinOp(ast.Constant(1), ast.Mult(), code) if _counts_as_number(n) else code
                for n, code in ((node.left, left), (node.right, right))
            )
        if isinstance(node.op, ast.Pow):  # float power cannot hang the way 10**10**10 on Python ints does
            return _fn("power", left, right)
        return ast.BinOp(left, type(node.op)(), right)

    def _UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if self.array and isinstance(node.op, ast.USub) and getattr(node.operand, "ts_number", False):
            operand = ast.BinOp(ast.Constant(1), ast.Mult(), operand)
        if isinstance(node.op, ast.Not) and self.array:
            return _fn("logical_not", operand)
        return ast.UnaryOp(type(node.op)(), operand)

    def _BoolOp(self, node: ast.BoolOp) -> ast.expr:
        values = [self.visit(v) for v in node.values]
        if self.array:
            return _fn("all_of" if isinstance(node.op, ast.And) else "any_of", *values)
        return ast.BoolOp(type(node.op)(), values)

    def _Compare(self, node: ast.Compare) -> ast.expr:
        left = self.visit(node.left)
        pieces: list[ast.expr] = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            if isinstance(op, (ast.In, ast.NotIn)):
                piece: ast.expr = _fn("isin", left, right)
                if isinstance(op, ast.NotIn):
                    piece = _fn("logical_not", piece) if self.array else ast.UnaryOp(ast.Not(), piece)
            else:
                piece = ast.Compare(left, [type(op)()], [right])
            pieces.append(piece)
            left = right
        if len(pieces) == 1:
            return pieces[0]
        return _fn("all_of", *pieces) if self.array else ast.BoolOp(ast.And(), pieces)

    def _IfExp(self, node: ast.IfExp) -> ast.expr:
        test, body, orelse = self.visit(node.test), self.visit(node.body), self.visit(node.orelse)
        return _fn("where", test, body, orelse) if self.array else ast.IfExp(test, body, orelse)

    def _Subscript(self, node: ast.Subscript) -> ast.expr:
        return _fn("take", self.visit(node.value), self.visit(node.slice))

    def _List(self, node: ast.List | ast.Tuple) -> ast.expr:
        return _fn("array", ast.Tuple([self.visit(e) for e in node.elts]))

    _Tuple = _List

    def _Call(self, node: ast.Call) -> ast.expr:
        assert isinstance(node.func, ast.Name)  # the checker allows plain calls only
        name = node.func.id
        if name in TIMING:  # start('p') -> _start['p']: period times bound by the generated method
            period = node.args[0]
            assert isinstance(period, ast.Constant)
            return ast.Subscript(ast.Name(f"_{name}"), ast.Constant(period.value))
        args = [self.visit(a) for a in node.args]
        keywords = [ast.keyword(kw.arg, self.visit(kw.value)) for kw in node.keywords]
        if name in RANDOM:
            args = [ast.Name("_rng"), ast.Name("_n"), *args]
        return _fn(RUNTIME_NAMES.get(name, name), *args, keywords=keywords)
