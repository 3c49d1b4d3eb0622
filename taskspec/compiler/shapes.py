"""What shape each place of a spec takes, checked over every lowered expression.

`types.infer` gives an expression's type; this module knows what each place needs: a
reward, a condition or a duration is one number, an input's value has as many entries as
its groups have columns, a session variable keeps the shape its `init` gives it. Problems
are reported through the lowerer (located at the node inside the expression), so the
generated code never meets a shape it cannot handle.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from typing import Any

from ..runtime.machine import WINDOW
from . import ir
from .expressions import KeptLength
from .language import HISTORY, PAST
from .loader import Path_
from .types import NUMBER, Length, Type, TypeProblem, agreements, brief, describe, infer, settle, show

ONE_VALUE = {  # places that hold one value, and what they are called in messages
    "when": "a condition",
    "until": "a condition",
    "reward": "a reward",
    "performance": "a performance",
    "duration": "a duration",
    "by": "the index of the chosen group",
}


def group_length(group: ir.GroupIR) -> Length:
    tree = group.size.expr.tree
    if isinstance(tree, ast.Constant) and isinstance(tree.value, (int, float)) and not isinstance(tree.value, bool):
        return int(tree.value)
    return ast.unparse(tree)


class ShapeChecker:
    """Infers the type of every name in order (parameters, session, trial and state variables), then
    checks each recorded expression against the place it was written."""

    def __init__(self, lowerer: Any, params: tuple[ir.ParamIR, ...], action: tuple[ir.GroupIR, ...]):
        self.lowerer = lowerer
        self.lengths: dict[str, ast.expr] = {}  # lengths known at make time: text -> expression of parameters
        self.types: dict[str, Type | None] = {
            "dt": NUMBER,
            "t": Type("float", None, True),
            "rep": Type("int", None, True),
        }
        self.types["performance"] = Type("float", None, True)
        for p in params:
            if p.kind == "list":
                kinds = {type(v).__name__ for v in p.default}
                self.types[p.name] = Type("float" if "float" in kinds else "int", f"len({p.name})")
                self.lengths[f"len({p.name})"] = ast.Call(
                    ast.Name("len", ast.Load()), [ast.Name(p.name, ast.Load())], []
                )
            else:
                self.types[p.name] = Type(p.kind)
        for name in lowerer.spec.rewards:
            self.types[name] = NUMBER
        discrete = lowerer.spec.action_type == "discrete"
        for group in action:  # a group of one action is its index; of several, the list of their indices
            size = group_length(group)
            known = discrete and isinstance(size, int)
            self.types[group.name] = (Type("int") if size == 1 else Type("int", size)) if known else None
        self.types["action"] = self.types["target"] = Type("int", None, True) if discrete else None
        self.discrete = discrete
        # each session and state variable's start value: its key ("init" or "first") and its tree
        self.starts: dict[tuple[str, str], tuple[str, ast.expr]] = {}

    def name_type(self, code: ir.Code) -> Type | None:
        """The type of a variable defined by `code`: batches hold one value (or vector) per trial."""
        t = self.infer_quietly(code)
        return None if t is None else Type(t.kind, t.length, True)

    def infer_quietly(self, code: ir.Code) -> Type | None:
        try:
            agreements(code.expr.tree, self.types, self.lengths)  # learns the lengths it creates
            return infer(code.expr.tree, self.types)
        except TypeProblem:
            return None  # reported where the expression is checked

    def learn(
        self, session: list[ir.SessionIR], variables: list[ir.VariableIR], state_init: dict[str, ir.Code]
    ) -> None:
        for s in session:
            self.types[s.name] = self.name_type(s.init)
            # `first` is the first trial's value: its `next` is wrapped as `name if trials_done == 0 else (next)`
            key = "first" if s.init.where.path.endswith(".first") else "init"
            self.starts[("session", s.name)] = (key, s.init.expr.tree)
        for v in variables:
            self.types[v.name] = self.name_type(v.value)
        for name, code in state_init.items():
            self.types[name] = self.name_type(code)
            self.starts[("state", name)] = ("init", code.expr.tree)
        trial = [v.name for v in variables]
        history: dict[str, Type | None] = {name: Type("float", None, True) for name in HISTORY}
        history |= {f"last_{name}": self.types.get(name) for name in trial}
        # a window over past trials: WINDOW numbers, newest first (only of the numbers among them)
        past = Type("float", WINDOW, True)
        history |= {name: past for name in PAST}
        history |= {f"past_{name}": past for name in trial if (t := self.types.get(name)) is not None and not t.vector}
        self.history = history

    def check(self, path: Path_, code: ir.Code, located: bool, widths: dict[str, Length]) -> None:
        if path[0] in ("define",):  # a body is checked where it is called, with the arguments' types
            return
        types = {**self.types, **self.history} if path[0] == "session" else self.types
        try:
            kept = self.keeps_shape(path, code.expr.tree, types)  # before the whole: `first` wraps `next`
            t = infer(code.expr.tree, types)
            self.place(path, code, t, widths)
            # Settled before any rendering (a checked expression is otherwise never changed): the text
            # names the tree, and batch code needs to know a vector that is the same for every trial.
            # Where trials are drawn and in the vector env's rules, batch code holds one number per
            # trial (or env) as (n,), to be made a column; placements see columns already.
            flat = path[0] not in ("inputs", "target")
            renamed, layout = settle(code.expr.tree, types, columns=flat)
            if renamed:
                object.__setattr__(code.expr, "text", ast.unparse(code.expr.tree))
            object.__setattr__(code.expr, "layout", layout)
            if t is not None and t.vector and not t.varies:
                object.__setattr__(code.expr, "fixed_vector", True)
            pairs = agreements(code.expr.tree, types, self.lengths) + self.width_agreement(path, t, widths)
            if kept is not None:  # compared in words of the start value, not as any two vectors
                object.__setattr__(code.expr, "kept", kept)
                same = {ast.dump(kept.length), ast.dump(kept.start_length)}
                pairs = [(a, b) for a, b in pairs if {ast.dump(a), ast.dump(b)} != same]
            object.__setattr__(code.expr, "agreements", tuple(pairs))
        except TypeProblem as problem:
            self.lowerer.fail(path, problem.message, (problem.line, problem.col) if located else None)

    def place(self, path: Path_, code: ir.Code, t: Type | None, widths: dict[str, Length]) -> None:
        tree, key = code.expr.tree, path[-1]
        if t is None:
            return
        if path[0] in ("observation", "action"):
            self.one(tree, t, "a group size", fixed=True)
        elif path[0] == "target" and self.discrete:
            self.one(tree, t, "a target of discrete actions")
        elif key in ONE_VALUE or path[0] == "periods" or path[0] in ("outcomes", "timeout", "response"):
            self.one(tree, t, ONE_VALUE.get(str(key), "a duration" if path[0] == "periods" else "a rule's value"))
            if key == "by":
                self.chosen_index(path, tree)
        elif path[0] == "inputs" and key in ("value", "noise"):
            self.input_width(path, tree, t, widths)

    def keeps_shape(self, path: Path_, tree: ast.expr, types: dict[str, Type | None]) -> KeptLength | None:
        """A session or state variable's `next` gives what its start value gives: one number, or a vector
        of as many values. Refused here when the lengths are numbers; when either follows a parameter,
        the pair compared when the env is made."""
        if path[0] not in ("session", "state") or path[-1] != "next" or (path[0], str(path[1])) not in self.starts:
            return None
        kind, name = str(path[0]), str(path[1])
        key, start_tree = self.starts[(kind, name)]
        if key == "first" and isinstance(tree, ast.IfExp):
            tree = tree.orelse  # the `next` the spec wrote, inside the first trial's guard
        start, t = self.types.get(name), infer(tree, types)
        if start is None or t is None:
            return None
        if kind == "state":  # said by shape only: a state varies with every step anyway
            start, t = dataclasses.replace(start, varies=False), dataclasses.replace(t, varies=False)
        whose = f"the start value of {kind} variable '{name}' ('{key}': {brief(start_tree)}) is {describe(start)}"
        if (start.length is None) != (t.length is None):
            raise TypeProblem(
                tree, f"'next' gives {describe(t)}, but {whose}: a {kind} variable keeps the shape of its start value"
            )
        if start.length is None or t.length is None or start.length == t.length:
            return None
        if isinstance(start.length, int) and isinstance(t.length, int):
            raise TypeProblem(
                tree, f"'next' gives {describe(t)}, but {whose}: a {kind} variable keeps the length of its start value"
            )
        agreements(tree, types, self.lengths)  # learns the lengths `next` creates
        pair = [ast.Constant(n) if isinstance(n, int) else self.lengths.get(n) for n in (t.length, start.length)]
        if pair[0] is None or pair[1] is None:
            return None
        return KeptLength(kind, name, key, pair[0], pair[1])

    def one(self, tree: ast.expr, t: Type, what: str, fixed: bool = False) -> None:
        if t.vector:
            raise TypeProblem(
                tree,
                f"{what} is one value, but {show(tree)} is {describe(t)}; "
                "index one entry (x[i]) or use sum() or mean()",
            )
        if fixed and t.varies:
            raise TypeProblem(tree, f"{what} must be the same for every trial, but {show(tree)} is {describe(t)}")

    def input_width(self, path: Path_, tree: ast.expr, t: Type, widths: dict[str, Length]) -> None:
        """A vector placed in groups has one entry per column (lengths that follow parameters are
        compared when trials are built, in the spec's terms too)."""
        where = self.lowerer.spec.inputs[int(path[1])].where
        if isinstance(where, str | list):  # the groups side by side
            shapes = [[where] if isinstance(where, str) else list(where)]
        else:  # a chosen group: each one alone
            shapes = [[group] for group in where.among]
        for groups in shapes:
            sizes = [widths.get(g) for g in groups]
            if not t.vector or not isinstance(t.length, int) or not all(isinstance(s, int) for s in sizes):
                continue
            width = sum(s for s in sizes if isinstance(s, int))
            if t.length not in (1, width):
                named = " and ".join(f"'{g}'" for g in groups)
                raise TypeProblem(
                    tree,
                    f"the value is {describe(t)}, but {named} {'has' if len(groups) == 1 else 'have'} "
                    f"{width} column(s)",
                )

    def width_agreement(
        self, path: Path_, t: Type | None, widths: dict[str, Length]
    ) -> list[tuple[ast.expr, ast.expr]]:
        """An input's vector and its one group, when either length follows a parameter."""
        if path[0] != "inputs" or path[-1] not in ("value", "noise") or t is None or not isinstance(t.length, str):
            return []
        where = self.lowerer.spec.inputs[int(path[1])].where
        width = widths.get(where) if isinstance(where, str) else None
        if width is None or width == t.length or t.length not in self.lengths:
            return []
        size = ast.Constant(width) if isinstance(width, int) else self.lengths.get(width)
        return [] if size is None else [(self.lengths[t.length], size)]

    def chosen_index(self, path: Path_, tree: ast.expr) -> None:
        """A constant `by` must name one of the listed groups."""
        among = self.lowerer.spec.inputs[int(path[1])].where.among
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub) and isinstance(tree.operand, ast.Constant):
            value: Any = tree.operand.value
            value = -value if isinstance(value, (int, float)) else None
        elif isinstance(tree, ast.Constant):
            value = tree.value
        else:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        if not (math.isfinite(value) and value == int(value) and 0 <= value < len(among)):
            raise TypeProblem(
                tree,
                f"'by' is {value!r}, but 'among' lists {len(among)} groups: "
                f"'by' must be a whole number from 0 to {len(among) - 1}",
            )
