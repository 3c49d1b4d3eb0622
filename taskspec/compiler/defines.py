"""`define:` functions, inlined into the syntax trees of the expressions that call them.

A defined function is a pure expression of its arguments (and of the spec's names). A call is
replaced by a copy of the function's tree with the call's argument trees put in for the
arguments, so every backend (the step code, batches, JAX) sees a plain expression and the
checker judges the inlined result where it is used. A function may call other defined functions
but not itself, directly or through others.

Two bounds keep inlining cheap. The inlined result may hold at most `max_nodes` parts, like a
written expression. And the copying itself is counted: `f1(x): f0(f0(x))`, `f2(x): f1(f1(x))`, ...
inlines to a small tree (with `f0(x): x`, just `x`) but copies bodies 2**k times on the way, so
every copy made while inlining one expression (a body plus the argument trees put into it) is
charged to a budget of `INLINE_WORK_FACTOR * max_nodes` parts, checked before the copy is made.
Before a call is expanded, the bodies its expansion must copy at the least (its body and, in
turn, those of the functions it calls) are counted from the definitions alone, so a call that
could never fit the budget is refused at once, without copying anything.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INLINE_WORK_FACTOR = 4  # parts copied while inlining one expression, per part it may hold


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
    return _Inliner(defines, max_nodes, stack, [INLINE_WORK_FACTOR * max_nodes], True).visit(node)  # type: ignore[no-any-return]


def _copy(node: Any) -> Any:
    """A deep copy of a syntax tree (several times faster than `copy.deepcopy`, which inlining calls often)."""
    if isinstance(node, list):
        return [_copy(item) for item in node]
    if not isinstance(node, ast.AST):
        return node  # names, numbers and strings are immutable
    new = type(node)()
    for name in (*node._fields, *node._attributes):
        if hasattr(node, name):
            setattr(new, name, _copy(getattr(node, name)))
    return new


def _size(node: ast.AST) -> int:
    return sum(1 for _ in ast.walk(node))


class _TooMuchWork(Exception):
    """The copying budget ran out; reported at the outermost call of the expression being inlined."""


def _least_copies(name: str, defines: Mapping[str, Defined], known: dict[str, int]) -> int:
    """Parts that expanding one call of `name` copies at the least: its body, then each call's body in turn."""
    if name not in known:
        known[name] = 0  # a cycle (refused when it is inlined) adds nothing here
        body = defines[name].tree
        inner = [n.func.id for n in ast.walk(body) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
        known[name] = _size(body) + sum(_least_copies(g, defines, known) for g in inner if g in defines)
    return known[name]


class _Inliner(ast.NodeTransformer):
    def __init__(
        self,
        defines: Mapping[str, Defined],
        max_nodes: int,
        stack: tuple[str, ...],
        work: list[int],
        outermost: bool,
        least: dict[str, int] | None = None,
    ):
        self.defines, self.max_nodes, self.stack = defines, max_nodes, stack
        self.least: dict[str, int] = {} if least is None else least  # shared by the nested inliners
        self.work = work  # parts still allowed to be copied, shared by the nested inliners of one expression
        self.outermost = outermost

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not self.outermost:
            return self._inline_call(node)
        try:
            return self._inline_call(node)
        except _TooMuchWork:
            name = node.func.id if isinstance(node.func, ast.Name) else "a function"
            limit = INLINE_WORK_FACTOR * self.max_nodes
            raise InlineError(
                f"inlining {name}() copies more than {limit} parts (each call copies the function's body, "
                "and calls nested in calls multiply); call defined functions fewer times",
                getattr(node, "lineno", 1) - 1,
                getattr(node, "col_offset", 0),
            ) from None

    def _inline_call(self, node: ast.Call) -> ast.AST:
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
        if _least_copies(name, self.defines, self.least) > self.work[0]:
            raise _TooMuchWork
        self._charge(function, node.args)
        body = _copy(function.tree)
        for part in ast.walk(body):  # errors inside the body point at the call
            if isinstance(part, ast.expr):
                part.lineno, part.col_offset = node.lineno, node.col_offset
        body = _Arguments(dict(zip(function.args, node.args, strict=True))).visit(body)
        body = _Inliner(self.defines, self.max_nodes, (*self.stack, name), self.work, False, self.least).visit(body)
        if _size(body) > self.max_nodes:
            raise InlineError(
                f"with {name}() inlined the expression has more than {self.max_nodes} parts; simplify the function",
                *where,
            )
        return body

    def _charge(self, function: Defined, args: list[ast.expr]) -> None:
        """Counts the parts this call's inlining copies (the body, each argument once per use) before copying."""
        uses = [n.id for n in ast.walk(function.tree) if isinstance(n, ast.Name) and n.id in function.args]
        sizes = {arg: _size(value) for arg, value in zip(function.args, args, strict=True)}
        self.work[0] -= _size(function.tree) + sum(sizes[arg] for arg in uses)
        if self.work[0] < 0:
            raise _TooMuchWork


class _Arguments(ast.NodeTransformer):
    """Puts the call's argument trees in for the argument names (each use gets its own copy)."""

    def __init__(self, values: dict[str, ast.expr]):
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return _copy(self.values[node.id]) if node.id in self.values else node
