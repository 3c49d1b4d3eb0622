"""IR to JavaScript source for the browser: one task's pure functions, for taskspec-runtime.js.

The third rendering of the IR, beside NumPy's (codegen.py) and JAX's (codegen_jax.py), written
for one trial at a time as JAX's is. Nothing of the spec's text enters the source as code:
spec names pass one identifier check and become `$name` locals (so no spec name can be a
JavaScript keyword or shadow the runtime's), literals go through `json.dumps`, and expressions
are re-emitted from their checked trees (render_js.py), every operator as a call of the
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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from ..errors import Problem
from . import ir
from .language import BUILTIN_NAMES, CONSTANTS, OUTCOME, RANDOM, TIMING, history_names
from .refusals import declared_names, problem, refusals
from .render_js import FUNCTIONS, JsExpression, identifier, literal

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
        "window_sizes",  # windows' sizes from parameters: checked in Python when the page's env is made
    }
)  # fmt: skip
KEYWORDS = {"p", "size", "replace"}  # the keyword arguments its random draws take
BUILTINS = (BUILTIN_NAMES - {"None", "inherited"}) | CONSTANTS


def unsupported(task: ir.TaskIR) -> list[Problem]:
    """Every spec feature in `task` that the browser cannot run, located in the spec."""
    problems: list[Problem] = []
    if task.action_type != "discrete":
        where = task.action[0].size.where if task.action else ir.Location("", task.source, 0, 0)
        problems.append(problem(where, "a browser experiment takes key presses: continuous actions cannot run there"))
    declared = declared_names(task, BUILTINS)
    return problems + refusals(
        task, KNOWN_FIELDS, "browser", lambda code, where: _expression_problems(code, where, declared)
    )


def _expression_problems(code: ir.Code, where: ir.Location, declared: set[str]) -> list[Problem]:
    problems = []
    for node in ast.walk(code.expr.tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", "")
            if name not in FUNCTIONS:
                problems.append(problem(where, f"the browser backend has no version of '{name}()' yet"))
            odd = [k.arg for k in node.keywords if k.arg not in KEYWORDS or name not in RANDOM]
            if odd:
                keywords = ", ".join(f"{k}=" for k in odd)
                problems.append(problem(where, f"the browser backend has no version of '{name}(..., {keywords})' yet"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and not _in_timing_call(code, node):
            problems.append(problem(where, "the browser backend takes text only as a period's name in start()/end()"))
    for name in sorted(n for n in code.names if ":" not in n and n not in declared):
        problems.append(problem(where, f"the browser backend does not know the name '{name}' yet"))
    return problems


def _in_timing_call(code: ir.Code, constant: ast.Constant) -> bool:
    return any(
        isinstance(n, ast.Call) and getattr(n.func, "id", "") in TIMING and constant in n.args
        for n in ast.walk(code.expr.tree)
    )


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
        self.spots: list[ir.Location] = []  # the spec location of each marked statement, by its index

    def at(self, code: ir.Code | None) -> str:
        """A statement that records where the next one comes from in the spec (for error messages)."""
        if code is None:
            return ""
        self.spots.append(code.where)
        return f"fn.spot = {len(self.spots) - 1}; "

    def js(self, code: ir.Code) -> str:
        return self.expr.render(code)

    def bind(self, method: _Function, codes: Iterable[ir.Code | None], skip: Iterable[str] = ()) -> list[str]:
        """`const $name = ...;` for each spec name the codes read, from where `method` gets it."""
        names: set[str] = set()
        for code in codes:
            if code is not None:
                names |= {n for n in code.names if ":" not in n}
        lines = []
        given = method.args.split(", ")
        for name in sorted(names - set(skip) - CONSTANTS - {"True", "False"}):
            key = literal(name)
            if name in self.constant:
                record, value = "_c", f"_c[{key}]"
            elif name in self.variables:
                record, value = "_v", f"_v[{key}]"
            elif name in self.state:
                record, value = "_s", f"_s[{key}]"
            elif name in OUTCOME:
                record = value = "_perf"
            elif name in self.history:
                record, value = "_last", f"_last[{key}]"
            else:
                record = value = name  # t, rep, action, target: the function's own arguments
            if record not in given:  # unsupported() and the lowering's scopes refuse such a spec first
                raise ValueError(f"the name {name!r} has no value in {method.name}")
            lines.append(f"const {identifier(name)} = {value};")
        return lines

    def sizes(self) -> _Function:
        task = self.task
        method = _Function("sizes", "_c")
        method.body += self.bind(method, (g.size for g in (*task.observation, *task.action)))
        pairs = {
            kind: ", ".join(f"[{literal(g.name)}, {self.js(g.size)}]" for g in groups)
            for kind, groups in (("observation", task.observation), ("action", task.action))
        }
        first = next(iter((*task.observation, *task.action)), None)
        mark = self.at(first.size if first else None)
        method.body.append(f"{mark}return {{observation: [{pairs['observation']}], action: [{pairs['action']}]}};")
        return method

    def session(self) -> list[_Function]:
        task = self.task
        names = [s.name for s in task.session]
        first = _Function("sessionInit", "_rng, _c")
        first.body += self.bind(first, (s.init for s in task.session), skip=names)
        first.body += [f"{self.at(s.init)}const {identifier(s.name)} = +({self.js(s.init)});" for s in task.session]
        first.body.append("return {" + ", ".join(f"{literal(n)}: {identifier(n)}" for n in names) + "};")
        step = _Function("sessionNext", "_rng, _c, _prev, _last")
        step.body += self.bind(step, (s.next for s in task.session), skip=names)
        step.body += [f"let {identifier(n)} = _prev[{literal(n)}];" for n in names]
        step.body += [f"{self.at(s.next)}{identifier(s.name)} = +({self.js(s.next)});" for s in task.session]
        step.body.append("return {" + ", ".join(f"{literal(n)}: {identifier(n)}" for n in names) + "};")
        return [first, step]

    def sample_trial(self) -> _Function:
        task = self.task
        method = _Function("sampleTrial", "_rng, _c, _session, _fixed")
        own = [s.name for s in task.session] + [v.name for v in task.variables] + [s.name for s in task.state]
        codes = [v.value for v in task.variables] + [p.duration for p in task.periods] + [s.init for s in task.state]
        method.body += self.bind(method, codes, skip=own)
        method.body += [f"const {identifier(s.name)} = _session[{literal(s.name)}];" for s in task.session]
        for v in task.variables:
            key = literal(v.name)
            drawn = f"{key} in _fixed ? _fixed[{key}] : {self.js(v.value)}"
            method.body.append(f"{self.at(v.value)}const {identifier(v.name)} = {drawn};")
        for s in task.state:
            method.body.append(f"{self.at(s.init)}const {identifier(s.name)} = +({self.js(s.init)});")
        method.body.append("const _durations = {};")
        for p in task.periods:
            method.body.append(f"{self.at(p.duration)}_durations[{literal(p.name)}] = +({self.js(p.duration)});")
        method.body.append("return [{" + ", ".join(f"{literal(n)}: {identifier(n)}" for n in own) + "}, _durations];")
        return method

    def observe(self) -> _Function:
        task = self.task
        method = _Function("observe", "_rng, _c, _v, _s, _perf, _start, _end, t, rep, _columns, _ob")
        method.body += self.bind(method, (c for i in task.inputs for c in (i.value, i.noise)))
        for i in task.inputs:
            value = "null" if i.value is None else self.js(i.value)
            noise = "null" if i.noise is None else self.js(i.noise)
            inside = f"fn.inside({literal(list(i.periods))}, _start, _end, t)"
            place = f"fn.place(_ob, _columns[{i.index}], true, {value}, {noise}, _rng);"
            method.body.append(f"{self.at(i.value or i.noise)}if ({inside}) {place}")
        method.body.append("return _ob;")
        return method

    def target(self) -> _Function:
        task = self.task
        method = _Function("target", "_c, _v, _start, _end, t, rep, _gt")
        method.body += self.bind(method, (g.value for g in task.targets))
        for g in task.targets:
            inside = f"fn.inside({literal(list(g.periods))}, _start, _end, t)"
            method.body.append(f"{self.at(g.value)}if ({inside}) _gt = +({self.js(g.value)});")
        method.body.append("return _gt;")
        return method

    def state_next(self) -> _Function:
        task = self.task
        names = [s.name for s in task.state]
        method = _Function("stateNext", self.STEP)
        method.body += self.bind(method, (s.next for s in task.state), skip=names)
        method.body += [f"let {identifier(n)} = _s[{literal(n)}];" for n in names]
        for s in task.state:  # in order: each sees those above it already updated
            inside = f"fn.inside({literal(list(s.periods))}, _start, _end, t)"
            method.body.append(f"{self.at(s.next)}if ({inside}) {identifier(s.name)} = +({self.js(s.next)});")
        method.body.append("return {" + ", ".join(f"{literal(n)}: {identifier(n)}" for n in names) + "};")
        return method

    def rules(self, name: str, rules: tuple[ir.RuleIR, ...], args: str) -> _Function:
        method = _Function(name, args)
        method.body += self.bind(method, (c for r in rules for c in (r.when, r.reward, r.performance)))
        method.body.append("const _outcomes = new fn.Outcomes();")
        for r in rules:
            hit = f"fn.inside({literal(list(r.periods))}, _start, _end, t) && fn.truth({self.js(r.when)})"
            performance = "null" if r.performance is None else self.js(r.performance)
            goto = -1 if r.goto is None else self.order[r.goto]
            # only the first matching rule's reward and performance are evaluated, as in the Python step
            decide = f"_outcomes.rule(true, {self.js(r.reward)}, {performance}, {literal(r.end_trial)}, {goto});"
            method.body.append(f"{self.at(r.when)}if (_outcomes.open && {hit}) {decide}")
        method.body.append("return _outcomes;")
        return method

    def until(self) -> _Function:
        periods = [p for p in self.task.periods if p.until is not None]
        method = _Function("until", self.STEP)
        method.body += self.bind(method, (p.until for p in periods))
        method.body.append("const _held = {};")
        for p in periods:
            assert p.until is not None
            method.body.append(f"{self.at(p.until)}_held[{literal(p.name)}] = fn.truth({self.js(p.until)});")
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
    "fixation", "ring" or "scalar"), `fixate` (the action group meaning "no response", or None), and
    optionally `episode` ("trial" or "continuing", as `make(episode=...)` sets it)."""
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
    flow = [
        [p.name, p.until is not None, p.then, p.otherwise] for p in task.periods if p.until or p.then or p.otherwise
    ]
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
        "episodic": settings.get("episode", task.episode) == "trial",
        "interactive": task.interactive,
        "readsHistory": task.reads_history,
    }
    methods = generator.methods()
    # where each marked statement comes from: YAML path, line, column (no file name: a page is public)
    record["locations"] = [[w.path, w.line, w.col] for w in generator.spots]
    fields = [(identifier(key)[1:], literal(value)) for key, value in record.items()]
    return _ENV.get_template("task.js.jinja").render(name=literal(task.name), fields=fields, methods=methods)
