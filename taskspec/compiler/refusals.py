"""What a backend other than NumPy refuses, found the same way for each (JAX, the browser).

A backend lists the IR fields it was written for; any other field that holds a value is a feature
the language gained later, refused at its spec location until the backend learns it. Each backend
adds its own checks of expressions (functions and names it has no version of).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..errors import Problem
from . import ir
from .language import OUTCOME, history_names


def problem(where: ir.Location, message: str) -> Problem:
    return Problem(where.file, where.line, where.col, where.path, message)


def declared_names(task: ir.TaskIR, builtins: set[str] | frozenset[str]) -> set[str]:
    """The names a task's expressions may read: its own, the backend's `builtins` and the outcome's."""
    declared = {p.name for p in task.params} | {g.name for g in task.action} | {n for n, _ in task.rewards}
    declared |= {v.name for v in task.variables} | {s.name for s in task.session} | {s.name for s in task.state}
    return declared | builtins | OUTCOME | history_names(v.name for v in task.variables)


def refusals(
    task: ir.TaskIR,
    known_fields: Mapping[type, frozenset[str]],
    backend: str,
    code_problems: Callable[[ir.Code, ir.Location], list[Problem]],
) -> list[Problem]:
    """Every IR field set in `task` that `backend` was not written for, and `code_problems` of each
    expression, each at the nearest spec location."""
    problems: list[Problem] = []
    for node, where in walk(task, ir.Location("", task.source, 0, 0)):
        base = next((c for c in inspect.getmro(type(node)) if c in known_fields), type(node))
        known = known_fields.get(base)
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if (known is not None and f.name in known) or value in (None, False, (), "", 0) or value == f.default:
                continue
            what = base.__name__.removesuffix("IR").lower()
            problems.append(problem(where, f"the {backend} backend does not support '{f.name}' on a {what} yet"))
        if isinstance(node, ir.Code):
            problems += code_problems(node, where)
    return problems


def walk(node: Any, where: ir.Location) -> Iterator[tuple[Any, ir.Location]]:
    """Every dataclass in the IR with the nearest spec location (its own expression's, if it has one)."""
    if isinstance(node, (tuple, list)):
        for item in node:
            yield from walk(item, where)
        return
    if not dataclasses.is_dataclass(node) or isinstance(node, ir.Location):
        return
    values = [getattr(node, f.name) for f in dataclasses.fields(node)]
    own = node.where if isinstance(node, ir.Code) else next((v.where for v in values if isinstance(v, ir.Code)), None)
    yield node, own or where
    if not isinstance(node, ir.Code):
        for value in values:
            yield from walk(value, own or where)
