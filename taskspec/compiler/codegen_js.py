"""IR to JavaScript source for the browser: one task's pure functions, for taskspec-runtime.js.

The third rendering of the IR, beside NumPy's (codegen.py) and JAX's (codegen_jax.py), written
for one trial at a time as JAX's is. Nothing of the spec's text enters the source as code:
spec names pass one identifier check and become `$name` locals (so no spec name can be a
JavaScript keyword or shadow the runtime's), literals go through `json.dumps`, and expressions
are re-emitted from their checked trees (`JsExpression`), every operator as a call of the
runtime's `fn` (JavaScript has no operator overloading for vectors).

`unsupported` is the one place that decides what the browser cannot run: it knows every field
of the IR it was written for, refuses any other field that is set (a feature added to the
language later), any function it has no JavaScript version of, and continuous actions (a
person presses keys), each with its spec location. Fields that matter only for training
(`loss`, `regression`) are known and ignored: a step never reads them.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from ..errors import Problem
from . import ir
from .codegen_jax import _walk
from .expressions import BUILTIN_NAMES, CONSTANTS, MATH, OUTCOME, RANDOM, SHAPES, TIMING, history_names

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # noqa: S701 - this renders JavaScript, not HTML; literals go through json.dumps
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)

KNOWN_FIELDS: dict[type, frozenset[str]] = {
    ir.ParamIR: frozenset({"name", "default", "kind", "low", "high", "doc"}),
    ir.GroupIR: frozenset({"name", "size"}),
    ir.VariableIR: frozenset({"name", "value"}),
    ir.SessionIR: frozenset({"name", "init", "next"}),
    ir.StateIR: frozenset({"name", "init", "next", "periods"}),
    ir.PeriodIR: frozenset({"name", "duration", "after", "constant_ms", "text", "copy", "until", "then", "otherwise"}),
    ir.InputIR: frozenset({"index", "periods", "groups", "value", "noise", "follows_state"}),
    ir.TargetIR: frozenset({"periods", "value"}),
    ir.RuleIR: frozenset({"periods", "when", "reward", "performance", "end_trial", "goto"}),
    ir.RegressionIR: frozenset({"periods", "groups", "value"}),  # training targets: no step reads them
    ir.Code: frozenset({"expr", "where"}),
    ir.Location: frozenset({"path", "file", "line", "col"}),
    ir.LossIR: frozenset({"weights", "default", "grace", "groups"}),  # training weights: no step reads them
}
KNOWN_FIELDS[ir.TaskIR] = frozenset(
    {
        "name", "class_name", "description", "paper", "url", "tags", "source", "dt", "params", "rewards",
        "observation", "action", "action_type", "action_bounds", "variables", "session", "state", "episode",
        "periods", "inputs", "targets", "rules", "timeouts", "loss", "regression", "reads_history",
        "reads_performance",
    }
)  # fmt: skip
FUNCTIONS = MATH | RANDOM | TIMING | SHAPES  # the functions taskspec-runtime.js implements
KEYWORDS = {"p", "size", "replace"}  # the keyword arguments its random draws take
BUILTINS = (BUILTIN_NAMES - {"None", "inherited"}) | CONSTANTS
RUNTIME_NAMES = {"len": "length"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def unsupported(task: ir.TaskIR) -> list[Problem]:
    """Every spec feature in `task` that the browser cannot run, located in the spec."""
    problems: list[Problem] = []
    fallback = ir.Location("", task.source, 0, 0)
    if task.action_type != "discrete":
        where = task.action[0].size.where if task.action else fallback
        problems.append(_problem(where, "a browser experiment takes key presses: continuous actions cannot run there"))
    declared = {p.name for p in task.params} | {g.name for g in task.action} | {n for n, _ in task.rewards}
    declared |= {v.name for v in task.variables} | {s.name for s in task.session} | {s.name for s in task.state}
    declared |= BUILTINS | OUTCOME | history_names(v.name for v in task.variables)
    for node, where in _walk(task, fallback):
        if not dataclasses.is_dataclass(node):
            continue
        base = next((c for c in inspect.getmro(type(node)) if c in KNOWN_FIELDS), type(node))
        known = KNOWN_FIELDS.get(base)
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if (known is not None and f.name in known) or value in (None, False, (), "", 0) or value == f.default:
                continue
            what = base.__name__.removesuffix("IR").lower()
            problems.append(_problem(where, f"the browser backend does not support '{f.name}' on a {what} yet"))
        if isinstance(node, ir.Code):
            problems += _expression_problems(node, where, declared)
    return problems


def _expression_problems(code: ir.Code, where: ir.Location, declared: set[str]) -> list[Problem]:
    problems = []
    for node in ast.walk(code.expr.tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", "")
            if name not in FUNCTIONS:
                problems.append(_problem(where, f"the browser backend has no version of '{name}()' yet"))
            odd = [k.arg for k in node.keywords if k.arg not in KEYWORDS or name not in RANDOM]
            if odd:
                keywords = ", ".join(f"{k}=" for k in odd)
                problems.append(_problem(where, f"the browser backend has no version of '{name}(..., {keywords})' yet"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and not _in_timing_call(code, node):
            problems.append(_problem(where, "the browser backend takes text only as a period's name in start()/end()"))
    for name in sorted(n for n in code.names if ":" not in n and n not in declared):
        problems.append(_problem(where, f"the browser backend does not know the name '{name}' yet"))
    return problems


def _in_timing_call(code: ir.Code, constant: ast.Constant) -> bool:
    return any(
        isinstance(n, ast.Call) and getattr(n.func, "id", "") in TIMING and constant in n.args
        for n in ast.walk(code.expr.tree)
    )


def _problem(where: ir.Location, message: str) -> Problem:
    return Problem(where.file, where.line, where.col, where.path, message)


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


@dataclasses.dataclass
class _Function:
    name: str
    args: str
    body: list[str] = dataclasses.field(default_factory=list)


class _JsGenerator:
    """Builds the functions of one task; spec names are bound as `$name` locals from the runtime's records."""

    STEP = "_c, _v, _s, _perf, _start, _end, action, target, t"

    def __init__(self, task: ir.TaskIR):
        self.task = task
        self.expr = JsExpression(p.name for p in task.periods)
        self.constant = {p.name for p in task.params} | {g.name for g in task.action} | {n for n, _ in task.rewards}
        self.constant.add("dt")
        self.variables = {v.name for v in task.variables} | {s.name for s in task.session}
        self.state = {s.name for s in task.state}
        self.history = history_names(v.name for v in task.variables)
        self.order = {p.name: i for i, p in enumerate(task.periods)}

    def js(self, code: ir.Code) -> str:
        return self.expr.render(code)

    def bind(self, codes: Iterable[ir.Code | None], skip: Iterable[str] = ()) -> list[str]:
        names: set[str] = set()
        for code in codes:
            if code is not None:
                names |= {n for n in code.names if ":" not in n}
        lines = []
        for name in sorted(names - set(skip) - CONSTANTS - {"True", "False"}):
            local = identifier(name)
            if name in self.constant:
                lines.append(f"const {local} = _c[{literal(name)}];")
            elif name in self.variables:
                lines.append(f"const {local} = _v[{literal(name)}];")
            elif name in self.state:
                lines.append(f"const {local} = _s[{literal(name)}];")
            elif name in OUTCOME:
                lines.append(f"const {local} = _perf;")
            elif name in self.history:
                lines.append(f"const {local} = _last[{literal(name)}];")
            elif name in ("t", "rep", "action", "target"):
                lines.append(f"const {local} = {name};")
            else:
                raise ValueError(f"the name {name!r} has no value here")  # unsupported() refuses it first
        return lines

    def sizes(self) -> _Function:
        task = self.task
        method = _Function("sizes", "_c")
        method.body += self.bind(g.size for g in (*task.observation, *task.action))
        pairs = {
            kind: ", ".join(f"[{literal(g.name)}, {self.js(g.size)}]" for g in groups)
            for kind, groups in (("observation", task.observation), ("action", task.action))
        }
        method.body.append(f"return {{observation: [{pairs['observation']}], action: [{pairs['action']}]}};")
        return method

    def session(self) -> list[_Function]:
        task = self.task
        names = [s.name for s in task.session]
        first = _Function("sessionInit", "_rng, _c")
        first.body += self.bind((s.init for s in task.session), skip=names)
        first.body += [f"const {identifier(s.name)} = +({self.js(s.init)});" for s in task.session]
        first.body.append("return {" + ", ".join(f"{literal(n)}: {identifier(n)}" for n in names) + "};")
        step = _Function("sessionNext", "_rng, _c, _prev, _last")
        step.body += self.bind((s.next for s in task.session), skip=names)
        step.body += [f"let {identifier(n)} = _prev[{literal(n)}];" for n in names]
        step.body += [f"{identifier(s.name)} = +({self.js(s.next)});" for s in task.session]
        step.body.append("return {" + ", ".join(f"{literal(n)}: {identifier(n)}" for n in names) + "};")
        return [first, step]

    def sample_trial(self) -> _Function:
        task = self.task
        method = _Function("sampleTrial", "_rng, _c, _session, _fixed")
        own = [s.name for s in task.session] + [v.name for v in task.variables] + [s.name for s in task.state]
        codes = [v.value for v in task.variables] + [p.duration for p in task.periods] + [s.init for s in task.state]
        method.body += self.bind(codes, skip=own)
        method.body += [f"const {identifier(s.name)} = _session[{literal(s.name)}];" for s in task.session]
        for v in task.variables:
            key = literal(v.name)
            method.body.append(f"const {identifier(v.name)} = {key} in _fixed ? _fixed[{key}] : {self.js(v.value)};")
        for s in task.state:
            method.body.append(f"const {identifier(s.name)} = +({self.js(s.init)});")
        method.body.append("const _durations = {};")
        for p in task.periods:
            method.body.append(f"_durations[{literal(p.name)}] = +({self.js(p.duration)});")
        method.body.append("return [{" + ", ".join(f"{literal(n)}: {identifier(n)}" for n in own) + "}, _durations];")
        return method

    def observe(self) -> _Function:
        task = self.task
        method = _Function("observe", "_rng, _c, _v, _s, _perf, _start, _end, t, rep, _columns, _ob")
        method.body += self.bind(c for i in task.inputs for c in (i.value, i.noise))
        for i in task.inputs:
            value = "null" if i.value is None else self.js(i.value)
            noise = "null" if i.noise is None else self.js(i.noise)
            inside = f"fn.inside({literal(list(i.periods))}, _start, _end, t)"
            method.body.append(f"if ({inside}) fn.place(_ob, _columns[{i.index}], true, {value}, {noise}, _rng);")
        method.body.append("return _ob;")
        return method

    def target(self) -> _Function:
        task = self.task
        method = _Function("target", "_c, _v, _start, _end, t, rep, _gt")
        method.body += self.bind(g.value for g in task.targets)
        for g in task.targets:
            inside = f"fn.inside({literal(list(g.periods))}, _start, _end, t)"
            method.body.append(f"if ({inside}) _gt = +({self.js(g.value)});")
        method.body.append("return _gt;")
        return method

    def state_next(self) -> _Function:
        task = self.task
        names = [s.name for s in task.state]
        method = _Function("stateNext", self.STEP)
        method.body += self.bind((s.next for s in task.state), skip=names)
        method.body += [f"let {identifier(n)} = _s[{literal(n)}];" for n in names]
        for s in task.state:  # in order: each sees those above it already updated
            inside = f"fn.inside({literal(list(s.periods))}, _start, _end, t)"
            method.body.append(f"if ({inside}) {identifier(s.name)} = +({self.js(s.next)});")
        method.body.append("return {" + ", ".join(f"{literal(n)}: {identifier(n)}" for n in names) + "};")
        return method

    def rules(self, name: str, rules: tuple[ir.RuleIR, ...], args: str) -> _Function:
        method = _Function(name, args)
        method.body += self.bind(c for r in rules for c in (r.when, r.reward, r.performance))
        method.body.append("const _outcomes = new fn.Outcomes();")
        for r in rules:
            hit = f"fn.inside({literal(list(r.periods))}, _start, _end, t) && fn.truth({self.js(r.when)})"
            performance = "null" if r.performance is None else self.js(r.performance)
            goto = -1 if r.goto is None else self.order[r.goto]
            # only the first matching rule's reward and performance are evaluated, as in the Python step
            method.body.append(
                f"if (_outcomes.open && {hit}) _outcomes.rule(true, {self.js(r.reward)}, {performance}, "
                f"{literal(r.end_trial)}, {goto});"
            )
        method.body.append("return _outcomes;")
        return method

    def until(self) -> _Function:
        periods = [p for p in self.task.periods if p.until is not None]
        method = _Function("until", self.STEP)
        method.body += self.bind(p.until for p in periods)
        method.body.append("const _held = {};")
        for p in periods:
            assert p.until is not None
            method.body.append(f"_held[{literal(p.name)}] = fn.truth({self.js(p.until)});")
        method.body.append("return _held;")
        return method

    def methods(self) -> list[_Function]:
        task = self.task
        return [
            self.sizes(),
            *self.session(),
            self.sample_trial(),
            self.observe(),
            self.target(),
            self.state_next(),
            self.rules("judge", task.rules, self.STEP),
            self.rules("timeout", task.timeouts, "_c, _v, _s, _perf, _start, _end, t"),
            self.until(),
        ]


def generate_js(task: ir.TaskIR, settings: dict[str, Any]) -> str:
    """JavaScript source defining the task for taskspec-runtime.js (call `unsupported` first).

    `settings` are the values of the env the task is made for, already checked by the Python env:
    `params`, `rewards`, `dt`, `timing` (fixed period lengths in ms), `kinds` (observation group ->
    "fixation", "ring" or "scalar"), `fixate` (the action group meaning "no response", or None)."""
    generator = _JsGenerator(task)
    for name in [*settings["params"], *settings["rewards"], *settings["kinds"]]:
        identifier(name)
    periods = [
        {
            "name": p.name,
            "after": p.after,
            "copy": p.copy,
            "fixed": settings["timing"].get(p.name),
        }
        for p in task.periods
    ]
    flow = [[p.name, p.until is not None, p.then, p.otherwise] for p in task.periods if p.until or p.then or p.otherwise]
    record = {
        "name": task.name,
        "description": task.description,
        "dt": settings["dt"],
        "params": settings["params"],
        "rewards": settings["rewards"],
        "kinds": settings["kinds"],
        "fixate": settings["fixate"],
        "periods": periods,
        "flow": flow,
        "inputs": [list(i.groups) for i in task.inputs],
        "variables": [v.name for v in task.variables],
        "sessionVariables": [s.name for s in task.session],
        "stateVariables": [s.name for s in task.state],
        "episodic": task.episode == "trial",
        "interactive": task.interactive,
        "readsHistory": task.reads_history,
    }
    fields = [(identifier(key)[1:], literal(value)) for key, value in record.items()]
    return _ENV.get_template("task.js.jinja").render(
        name=literal(task.name), fields=fields, methods=generator.methods()
    )
