"""The scope of generated methods: which spec names each method reads, and how they become locals.

`Scope` is the base of the code generator (codegen.py): the spec names an expression reads
become local variables bound as each method's scope says (`STEP` for the single env, `ENVS`
for the vector env, `TRIALS` for batches of trials), and small pieces of scalar code shared
by the methods' builders (period tests, rewards) are made here.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable

from . import ir
from .codegen_text import Locations
from .expressions import Checked
from .render import render, translate

# How each kind of spec name becomes a local variable in a method ({} is the name's repr); a kind
# missing from a scope is defined by the method itself, or is an argument.
STEP = {
    "param": "self.params[{}]",
    "reward": "self.rewards[{}]",
    "group": "self.action_index[{}]",
    "var": "self.trial[{}]",
    "state": "self._state[{}]",
    "start": "self.start_t",
    "end": "self.end_t",
    "dt": "self.dt",
    "outcome": "self.performance",
}
ENVS = {
    "param": "self.params[{}]",
    "reward": "self.rewards[{}]",
    "group": "self.action_index[{}]",
    "var": "_vars[{}]",
    "state": "_states[{}]",
    "dt": "self.dt",
    "outcome": "_states[{}]",  # the vector env passes each env's performance beside its state
}
TRIALS = {"param": "self.params[{}]", "group": "self.action_index[{}]", "dt": "self.dt"}


def task_codes(task: ir.TaskIR) -> list[ir.Code]:
    """Every expression of the task that runs with the trials (not the groups' sizes)."""
    codes: list[ir.Code | None] = [v.value for v in task.variables]
    codes += [c for s in task.session for c in (s.init, s.next)] + [c for s in task.state for c in (s.init, s.next)]
    codes += [c for p in task.periods for c in (p.duration, p.until)]
    codes += [c for i in task.inputs for c in (i.value, i.noise)] + [t.value for t in task.targets]
    codes += [c for r in (*task.rules, *task.timeouts) for c in (r.when, r.reward, r.performance)]
    return [c for c in codes if c is not None]


def names_in(pair: tuple[ast.expr, ast.expr]) -> set[str]:
    """The spec names two compared lengths read (`len` is a function, not a name)."""
    return {n.id for node in pair for n in ast.walk(node) if isinstance(n, ast.Name)} - {"len"}


def scalar_length(length: ast.expr) -> str:
    """A length (an expression of parameters, from a checked tree) as scalar code."""
    return ast.unparse(translate(Checked(length, frozenset(), False, ast.unparse(length)), False))


def rows_of(code: ir.Code) -> str:
    """The runtime function that lines a value up with the batch: one value (or vector) per trial, or
    a vector the same for every trial (the shape checks know which; the arrays alone cannot tell)."""
    return "fn.same_rows" if code.expr.fixed_vector else "fn.per_trial"


class Scope:
    """What every builder of generated methods shares: the task, its names' kinds, the spec locations."""

    def __init__(self, task: ir.TaskIR):
        self.task = task
        self.where = Locations()
        self.kinds = {p.name: "param" for p in task.params}
        self.kinds.update({name: "reward" for name, _ in task.rewards})
        self.kinds.update({g.name: "group" for g in task.action})
        self.kinds.update({v.name: "var" for v in task.variables})
        self.kinds.update({s.name: "var" for s in task.session})
        self.kinds.update({s.name: "state" for s in task.state})
        self.kinds["performance"] = "outcome"
        history = {n for s in task.session for n in s.next.names if n[:5] in ("last_", "past_") or n == "trials_done"}
        self.kinds.update(dict.fromkeys(history, "history"))
        self.rewards = frozenset(name for name, _ in task.rewards)

    # ----- shared pieces -----

    def bind(self, names: Iterable[str], scope: dict[str, str], extra: dict[str, str] | None = None) -> list[str]:
        """Local assignments for the spec names read, as `scope` says, in a stable order."""
        names = set(names)
        scope = {**scope, **(extra or {})}
        lines = []
        for kind, local in (("start", "_start"), ("end", "_end")):
            if kind in scope and any(n.startswith(kind + ":") for n in names):
                lines.append(f"{local} = {scope[kind]}")
        for builtin in ("dt", "rep"):
            if builtin in names and builtin in scope:
                lines.append(f"{builtin} = {scope[builtin]}")
        for name in sorted(n for n in names if self.kinds.get(n) in scope):
            lines.append(f"{name} = {scope[self.kinds[name]].format(repr(name))}")
        return lines

    @staticmethod
    def reads(codes: Iterable[ir.Code | None], periods: Iterable[str] = ()) -> set[str]:
        """The names some expressions read, plus the period times a test of `periods` reads."""
        names = {f"{kind}:{p}" for p in periods for kind in ("start", "end")}
        for code in codes:
            if code is not None:
                names |= code.names
        return names

    @staticmethod
    def inside(periods: tuple[str, ...]) -> ast.expr | None:
        """The scalar test that time `t` lies in one of `periods` (None: always)."""
        tests: list[ast.expr] = [
            ast.Compare(
                ast.Subscript(ast.Name("_start"), ast.Constant(p)),
                [ast.LtE(), ast.Lt()],
                [ast.Name("t"), ast.Subscript(ast.Name("_end"), ast.Constant(p))],
            )
            for p in periods
        ]
        if not tests:
            return None
        return tests[0] if len(tests) == 1 else ast.BoolOp(ast.Or(), tests)

    @staticmethod
    def always(code: ir.Code) -> bool:
        tree = code.expr.tree
        return isinstance(tree, ast.Constant) and tree.value is True

    def scalar_value(self, code: ir.Code | None, what: str) -> str:
        """A reward or performance for `step`: checked by fn.scalar, unless it is already a finite float
        (a named reward, checked when the env was made, or a number written in the spec)."""
        if code is None:
            return "None"
        tree = code.expr.tree
        if isinstance(tree, ast.Name) and tree.id in self.rewards:
            return tree.id
        number = tree.value if isinstance(tree, ast.Constant) and not isinstance(tree.value, bool) else None
        if isinstance(number, (int, float)) and math.isfinite(float(number)):
            return repr(float(number))
        rendered = render(code.expr, array=False)
        return f"fn.scalar({rendered})" if what == "reward" else f"fn.scalar({rendered}, {what!r})"

    @staticmethod
    def returns(names: Iterable[str], wrap: str = "{}") -> str:
        return "{" + ", ".join(f"{n!r}: {wrap.format(n)}" for n in names) + "}"
