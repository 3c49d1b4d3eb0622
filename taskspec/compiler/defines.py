"""`define:` functions, inlined into the syntax trees of the expressions that call them.

A defined function is a pure expression of its arguments (and of the spec's names). A call is
replaced by a copy of the function's tree with the call's argument trees put in for the
arguments, so every backend (the step code, batches, JAX) sees a plain expression and the
checker judges the inlined result where it is used. A function may call other defined functions
but not itself, directly or through others.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Defined:
    """A parsed `define:` entry: its argument names and its body's syntax tree."""

    args: tuple[str, ...]
    tree: ast.expr = field(compare=False)


class InlineError(Exception):
    """A problem at (line, col) of the calling expression, both 0-based."""

    def __init__(self, message: str, line: int = 0, col: int = 0):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def calls(node: ast.AST, defines: Mapping[str, Defined]) -> bool:
    """Whether `node` calls a defined function anywhere."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in defines for n in ast.walk(node)
    )


def inline(node: ast.expr, defines: Mapping[str, Defined], max_nodes: int, stack: tuple[str, ...] = ()) -> ast.expr:
    """`node` with every call of a defined function replaced by the function's inlined body."""
    return _Inliner(defines, max_nodes, stack).visit(node)  # type: ignore[no-any-return]


class _Inliner(ast.NodeTransformer):
    def __init__(self, defines: Mapping[str, Defined], max_nodes: int, stack: tuple[str, ...]):
        self.defines, self.max_nodes, self.stack = defines, max_nodes, stack

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)  # arguments first: they hold no defined calls afterwards
        if not isinstance(node.func, ast.Name) or node.func.id not in self.defines:
            return node
        name = node.func.id
        where = (getattr(node, "lineno", 1) - 1, getattr(node, "col_offset", 0))
        if name in self.stack:
            chain = " -> ".join([*self.stack[self.stack.index(name) :], name])
            raise InlineError(f"defined functions cannot call themselves: {chain}", *where)
        function = self.defines[name]
        if node.keywords or len(node.args) != len(function.args):
            wanted = ", ".join(function.args) or "no arguments"
            raise InlineError(f"{name}() takes {len(function.args)} argument(s) ({wanted})", *where)
        body = copy.deepcopy(function.tree)
        for part in ast.walk(body):  # errors inside the body point at the call
            if isinstance(part, ast.expr):
                part.lineno, part.col_offset = node.lineno, node.col_offset
        body = _Arguments(dict(zip(function.args, node.args, strict=True))).visit(body)
        body = inline(body, self.defines, self.max_nodes, (*self.stack, name))
        if sum(1 for _ in ast.walk(body)) > self.max_nodes:
            raise InlineError(
                f"with {name}() inlined the expression has more than {self.max_nodes} parts; simplify the function",
                *where,
            )
        return body


class _Arguments(ast.NodeTransformer):
    """Puts the call's argument trees in for the argument names (each use gets its own copy)."""

    def __init__(self, values: dict[str, ast.expr]):
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return copy.deepcopy(self.values[node.id]) if node.id in self.values else node
