"""IR to Python source for the JAX backend: pure functions of one trial or one env.

The functions are written for a single trial (numbers, not batches) and `jax.vmap` makes
batches of them; expressions are rendered from their checked trees (`render.render_jax`),
spec names become locals through `repr`, and nothing else of the spec enters the source.

A function is emitted only when the task gives it something to do (a task without session
variables has no `session_init`); taskspec.jax supplies the do-nothing versions. Each statement
rendered from a spec expression ends with a `# see _SPEC_LOCATIONS[i]` mark, and the module ends
with the table of those marks' lines and spec locations (data, never code), as the NumPy backend's.

`unsupported` is the one place that decides which spec features the backend handles: it
knows every field of the IR it was written for, and any other field that is set (a feature
added to the language later) or any function it has no JAX version of is refused, with the
spec location, so a new feature is refused until this backend learns it.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import jinja2

from ..errors import Problem
from . import ir
from .language import BUILTIN_NAMES, CONSTANTS, MATH, OUTCOME, RANDOM, SHAPES, TIMING, history_names
from .refusals import declared_names, problem, refusals
from .render import render_jax

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # noqa: S701 - this renders Python, not HTML; literals go through repr
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)

# The IR fields this backend was written for; any other field that holds a value is a feature it lacks.
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
    ir.Code: frozenset({"expr", "where"}),
    ir.Location: frozenset({"path", "file", "line", "col"}),
    ir.LossIR: frozenset({"weights", "default", "grace", "groups"}),  # batches carry the weights (JaxEnv)
}
# TaskIR's own fields as they were when this backend was written (new ones are refused when set).
TASK_FIELDS = frozenset(
    {
        "name", "class_name", "description", "paper", "url", "tags", "source", "dt", "params", "rewards",
        "observation", "action", "action_type", "action_bounds", "variables", "session", "state", "episode",
        "periods", "inputs", "targets", "rules", "timeouts", "loss", "reads_history", "reads_performance",
        "window_sizes",  # checked by the NumPy env every JaxEnv is made from
    }
)  # fmt: skip
KNOWN_FIELDS[ir.TaskIR] = TASK_FIELDS
FUNCTIONS = MATH | RANDOM | TIMING | SHAPES  # the functions taskspec.jax.functions implements
BUILTINS = (BUILTIN_NAMES - {"None"}) | CONSTANTS  # the language's own names this backend binds
KEYWORDS = frozenset({"p", "size", "replace"})  # the keywords taskspec.jax.functions' draws take


@dataclasses.dataclass
class _Function:
    name: str
    args: str
    body: list[str] = dataclasses.field(default_factory=list)


def unsupported(task: ir.TaskIR) -> list[Problem]:
    """Every spec feature in `task` that the JAX backend cannot run, located in the spec."""
    declared = declared_names(task, BUILTINS)
    return refusals(task, KNOWN_FIELDS, "JAX", lambda code, where: _code_problems(code, where, declared))


def _code_problems(code: ir.Code, where: ir.Location, declared: set[str]) -> list[Problem]:
    problems = []
    for call in ast.walk(code.expr.tree):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id not in FUNCTIONS:
            problems.append(problem(where, f"the JAX backend has no version of '{call.func.id}()' yet"))
        elif isinstance(call, ast.Call) and any(k.arg not in KEYWORDS for k in call.keywords):
            keywords = ", ".join(f"{k.arg}=" for k in call.keywords if k.arg not in KEYWORDS)
            name = getattr(call.func, "id", "")
            problems.append(problem(where, f"the JAX backend has no version of '{name}(..., {keywords})' yet"))
    for name in sorted(n for n in code.names if ":" not in n and n not in declared):
        problems.append(problem(where, f"the JAX backend does not know the name '{name}' yet"))
    return problems


class SpecMarks:
    """The spec location of each marked statement, collected while the functions are built."""

    MARK = re.compile(r"# see _SPEC_LOCATIONS\[(\d+)\]$")

    def __init__(self) -> None:
        self.found: list[ir.Location] = []

    def at(self, code: ir.Code | None) -> str:
        """The mark to end a statement rendered from `code` with."""
        if code is None:
            return ""
        self.found.append(code.where)
        return f"  # see _SPEC_LOCATIONS[{len(self.found) - 1}]"

    def table(self, source: str) -> str:
        """The module's table: (generated line, YAML path, file, line, column) per mark, in mark order.
        A statement the formatter spread over several lines is found by its first line, where a
        traceback into it may point first."""
        text = source.splitlines()
        lines = {}
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.Module)):
                for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                    mark = self.MARK.search(text[number - 1])
                    if mark:
                        lines[int(mark.group(1))] = node.lineno
        rows = "".join(f"    {(lines[i], w.path, w.file, w.line, w.col)!r},\n" for i, w in enumerate(self.found))
        return (
            "\n\n# Where the statements above come from in the spec, for error messages: the line of each\n"
            "# 'see' comment, then the YAML path, file, line and column. Data, never code.\n"
            f"_SPEC_LOCATIONS = (\n{rows})\n"
        )


class _JaxGenerator:
    """Builds the functions of one task; locals are bound from dicts keyed by each name's repr."""

    def __init__(self, task: ir.TaskIR):
        self.task = task
        self.marks = SpecMarks()
        # Everything fixed for a run (parameters, action groups, rewards, dt) comes in one dict `_c`.
        self.constant = {p.name for p in task.params} | {g.name for g in task.action} | {n for n, _ in task.rewards}
        self.constant.add("dt")
        self.variables = {v.name for v in task.variables} | {s.name for s in task.session}
        self.state = {s.name for s in task.state}
        self.history = history_names(v.name for v in task.variables)
        self.order = {p.name: i for i, p in enumerate(task.periods)}  # goto targets travel as period indices

    def bind(self, codes: Iterable[ir.Code | None], state: str = "_s", timing: bool = True) -> list[str]:
        names: set[str] = set()
        for code in codes:
            if code is not None:
                names |= code.names
        lines = []
        for name in sorted(names):
            if name in self.constant:
                lines.append(f"{name} = _c[{name!r}]")
            elif name in self.variables:
                lines.append(f"{name} = _v[{name!r}]")
            elif name in self.state:
                lines.append(f"{name} = {state}[{name!r}]")
            elif name in OUTCOME:  # the current trial's performance so far
                lines.append(f"{name} = _perf")
            elif name in self.history:  # the finished trial, as a session variable's `next` reads it
                lines.append(f"{name} = _last[{name!r}]")
        return lines

    def session(self) -> list[_Function]:
        task = self.task
        first = _Function("session_init", "_rng, _c")
        first.body += ["_n = 1", *self.bind(s.init for s in task.session), "_new = {}"]
        first.body += [
            f"_new[{s.name!r}] = fn.float32({render_jax(s.init.expr)}){self.marks.at(s.init)}" for s in task.session
        ]
        first.body.append("return _new")
        step = _Function("session_next", "_rng, _c, _prev, _last")
        step.body += ["_n = 1", *[line for line in self.bind(s.next for s in task.session) if "_v[" not in line]]
        step.body += [f"{s.name} = _prev[{s.name!r}]" for s in task.session]
        step.body += [f"{s.name} = fn.float32({render_jax(s.next.expr)}){self.marks.at(s.next)}" for s in task.session]
        step.body.append("return {" + ", ".join(f"{s.name!r}: {s.name}" for s in task.session) + "}")
        return [first, step]

    def sample_trial(self) -> _Function:
        task = self.task
        method = _Function("sample_trial", "_rng, _c, _session")
        codes = [v.value for v in task.variables] + [p.duration for p in task.periods] + [s.init for s in task.state]
        method.body += ["_n = 1", *[line for line in self.bind(codes) if "_v[" not in line and "_s[" not in line]]
        method.body += [f"{s.name} = _session[{s.name!r}]" for s in task.session]
        for v in task.variables:
            method.body.append(f"{v.name} = fn.asarray({render_jax(v.value.expr)}){self.marks.at(v.value)}")
        for s in task.state:
            method.body.append(f"{s.name} = fn.float32({render_jax(s.init.expr)}){self.marks.at(s.init)}")
        method.body.append("_durations = {}")
        for p in task.periods:
            duration = f"fn.float32({render_jax(p.duration.expr)})"
            method.body.append(f"_durations[{p.name!r}] = {duration}{self.marks.at(p.duration)}")
        names = [s.name for s in task.session] + [v.name for v in task.variables] + [s.name for s in task.state]
        method.body.append("return {" + ", ".join(f"{n!r}: {n}" for n in names) + "}, _durations")
        return method

    def observe(self) -> _Function:
        """One observation row at time t, with the current state for the inputs that follow it."""
        task = self.task
        method = _Function("observe", "_rng, _c, _v, _s, _perf, _start, _end, t, rep, _columns, _ob")
        method.body += self.bind(c for i in task.inputs for c in (i.value, i.noise))
        for i in task.inputs:
            value = "None" if i.value is None else render_jax(i.value.expr)
            noise = "None" if i.noise is None else render_jax(i.noise.expr)
            inside = f"fn.inside({i.periods!r}, _start, _end, t)"
            mark = self.marks.at(i.value or i.noise)
            method.body.append(f"_ob = fn.place(_ob, _columns[{i.index}], {inside}, {value}, {noise}, _rng){mark}")
        method.body.append("return _ob")
        return method

    def target(self) -> _Function:
        task = self.task
        method = _Function("target", "_c, _v, _start, _end, t, rep, _gt")
        method.body += self.bind(g.value for g in task.targets)
        for g in task.targets:
            inside = f"fn.inside({g.periods!r}, _start, _end, t)"
            method.body.append(f"_gt = fn.where({inside}, {render_jax(g.value.expr)}, _gt){self.marks.at(g.value)}")
        method.body.append("return _gt")
        return method

    def state_next(self) -> _Function:
        task = self.task
        method = _Function("state_next", "_c, _v, _s, _perf, _start, _end, action, target, t")
        method.body += [line for line in self.bind(s.next for s in task.state) if "_s[" not in line]
        method.body += [f"{s.name} = _s[{s.name!r}]" for s in task.state]
        for s in task.state:  # in order: each sees those above it already updated
            inside = f"fn.inside({s.periods!r}, _start, _end, t)"
            settled = f"fn.settle({s.name}, {inside}, {render_jax(s.next.expr)})"
            method.body.append(f"{s.name} = {settled}{self.marks.at(s.next)}")
        method.body.append("return {" + ", ".join(f"{s.name!r}: {s.name}" for s in task.state) + "}")
        return method

    def rules(self, name: str, rules: tuple[ir.RuleIR, ...], args: str) -> _Function:
        method = _Function(name, args)
        method.body += self.bind(c for r in rules for c in (r.when, r.reward, r.performance))
        method.body.append("_outcomes = fn.Outcomes()")
        for r in rules:
            hit = f"fn.all_of(fn.inside({r.periods!r}, _start, _end, t), {render_jax(r.when.expr)})"
            performance = "None" if r.performance is None else render_jax(r.performance.expr)
            goto = -1 if r.goto is None else self.order[r.goto]
            reward = render_jax(r.reward.expr)
            mark = self.marks.at(r.when)
            method.body.append(f"_outcomes.rule({hit}, {reward}, {performance}, {r.end_trial!r}, {goto!r}){mark}")
        method.body.append("return _outcomes")
        return method

    def until(self) -> _Function:
        """Each `until` condition, by period, after the step's state update and rules (as NumPy's `_until`)."""
        periods = [p for p in self.task.periods if p.until is not None]
        method = _Function("until", "_c, _v, _s, _perf, _start, _end, action, target, t")
        method.body += self.bind(p.until for p in periods)
        method.body.append("_held = {}")
        for p in periods:
            assert p.until is not None
            method.body.append(f"_held[{p.name!r}] = fn.truth({render_jax(p.until.expr)}){self.marks.at(p.until)}")
        method.body.append("return _held")
        return method

    def methods(self) -> list[_Function]:
        """The functions the task gives something to do, in a fixed order."""
        task = self.task
        step = "_c, _v, _s, _perf, _start, _end, action, target, t"
        functions = self.session() if task.session else []
        functions.append(self.sample_trial())
        if task.inputs:
            functions.append(self.observe())
        if task.targets:
            functions.append(self.target())
        if task.state:
            functions.append(self.state_next())
        if task.rules:
            functions.append(self.rules("judge", task.rules, step))
        if task.timeouts:
            functions.append(self.rules("timeout", task.timeouts, "_c, _v, _s, _perf, _start, _end, t"))
        if any(p.until is not None for p in task.periods):
            functions.append(self.until())
        return functions


def generate_jax(task: ir.TaskIR, layout: Callable[[str], str] | None = None) -> str:
    """Python source of a module of pure functions for the task (call `unsupported` first).

    `layout` (e.g. a formatter) is applied before the table of spec locations is computed, so the
    table's line numbers are those of the module as written."""
    generator = _JaxGenerator(task)
    source = _ENV.get_template("jax.py.jinja").render(methods=generator.methods())
    if layout is not None:
        source = layout(source)
    source += generator.marks.table(source)
    return layout(source) if layout is not None else source
