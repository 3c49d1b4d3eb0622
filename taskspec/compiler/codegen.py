"""Stage 4: IR to Python source.

Each generated method is built here as a list of lines from the IR: the spec names its
expressions read become local variables (bound as each method's scope says), expressions
are rendered from their checked trees (`render.py`), and literals go through `repr`. The
jinja2 template only lays out the class. The same source is exec'd at load time and
written by `compile`.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import ir
from .expressions import Checked
from .render import render, translate

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # noqa: S701 - this renders Python, not HTML; literals go through repr
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)

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


def _codes(task: ir.TaskIR) -> list[ir.Code]:
    """Every expression of the task that runs with the trials (not the groups' sizes)."""
    codes: list[ir.Code | None] = [v.value for v in task.variables]
    codes += [c for s in task.session for c in (s.init, s.next)] + [c for s in task.state for c in (s.init, s.next)]
    codes += [c for p in task.periods for c in (p.duration, p.until)]
    codes += [c for i in task.inputs for c in (i.value, i.noise)] + [t.value for t in task.targets]
    codes += [c for r in (*task.rules, *task.timeouts) for c in (r.when, r.reward, r.performance)]
    return [c for c in codes if c is not None]


def _names(pair: tuple[ast.expr, ast.expr]) -> set[str]:
    return {n.id for node in pair for n in ast.walk(node) if isinstance(n, ast.Name)} - {"len"}


def _rendered(length: ast.expr) -> str:
    """A length (an expression of parameters, from a checked tree) as scalar code."""
    return ast.unparse(translate(Checked(length, frozenset(), False, ast.unparse(length)), False))


def _rows(code: ir.Code) -> str:
    """The runtime function that lines a value up with the batch: one value (or vector) per trial, or
    a vector the same for every trial (the shape checks know which; the arrays alone cannot tell)."""
    return "fn.same_rows" if code.expr.fixed_vector else "fn.per_trial"


def _literal(value: Any) -> str:
    """repr, except that non-finite floats become expressions that evaluate (repr gives `nan`, a bad name),
    and long text becomes adjacent literals in parentheses, so generated lines stay short."""
    if isinstance(value, str) and len(value) > 70:
        return "(\n" + "".join(f"            {part!r}\n" for part in _pieces(value)) + "        )"
    if isinstance(value, float) and not math.isfinite(value):
        return "float('nan')" if math.isnan(value) else ("float('inf')" if value > 0 else "float('-inf')")
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _pieces(text: str, width: int = 70) -> list[str]:
    """`text` cut at spaces into pieces of about `width` characters, which join back into it."""
    parts, line = [], ""
    for word in re.findall(r"\S+\s*|\s+", text):
        if line and len(line) + len(word) > width:
            parts.append(line)
            line = ""
        line += word
    return [*parts, line] if line or not parts else parts


def _dict_lines(mapping: dict[str, Any], indent: int = 4) -> str:
    """A dict literal with one entry per line, so generated lines stay short."""
    if not mapping:
        return "{}"
    pad = " " * indent
    return "{\n" + "".join(f"{pad}    {k!r}: {_literal(v)},\n" for k, v in mapping.items()) + pad + "}"


def _loss_literal(loss: ir.LossIR | None) -> str:
    """The loss weights as the runtime reads them (`TaskInfo.loss`): a dict of checked names and numbers."""
    if loss is None:
        return "None"
    return _literal(
        {
            "weights": dict(loss.weights),
            "default": loss.default,
            "grace": dict(loss.grace),
            "groups": dict(loss.groups),
        }
    )


def _docstring(text: str) -> str:
    """The class docstring, assigned to `__doc__`: one `repr` literal per line of the description.

    Spec text only ever enters the source through `repr`; the adjacent literals form one string.
    """
    lines = [piece for line in text.splitlines(keepends=True) for piece in _pieces(line, 90)] or [""]
    if len(lines) == 1:
        return "__doc__ = " + repr(lines[0])
    return "__doc__ = (\n" + "".join(f"        {line!r}\n" for line in lines) + "    )"


class _Locations:
    """The spec location of each marked statement, collected while methods are built."""

    MARK = re.compile(r"# see _SPEC_LOCATIONS\[(\d+)\]$")

    def __init__(self) -> None:
        self.found: list[ir.Location] = []

    def mark(self, where: ir.Location) -> str:
        self.found.append(where)
        return f"# see _SPEC_LOCATIONS[{len(self.found) - 1}]"

    def table(self, source: str) -> str:
        """The module's location table: (generated line, YAML path, file, line, column) per mark."""
        lines = {}
        for number, line in enumerate(source.splitlines(), start=1):
            mark = self.MARK.search(line)
            if mark:
                lines[int(mark.group(1))] = number
        rows = "".join(
            f"    {_literal((lines[i], w.path, w.file, w.line, w.col))},\n" for i, w in enumerate(self.found)
        )
        return (
            "\n\n# Where the statements above come from in the spec, for error messages: the line of each\n"
            "# 'see' comment, then the YAML path, file, line and column. Data, never code.\n"
            f"_SPEC_LOCATIONS = (\n{rows})\n"
        )


@dataclass
class _Method:
    name: str
    args: str
    body: list[str] = field(default_factory=list)


class _Generator:
    def __init__(self, task: ir.TaskIR):
        self.task = task
        self.where = _Locations()
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

    # ----- methods -----

    def group_sizes(self) -> _Method:
        """The groups' sizes for the parameters given to `make`, and the lengths of vectors that meet
        entry by entry compared for them (shapes.py found which; they follow parameters)."""
        task = self.task
        groups = [("observation", g) for g in task.observation] + [("action", g) for g in task.action]
        agreements = [(code.where, pair) for code in _codes(task) for pair in code.expr.agreements]
        agreements = [(where, pair) for where, pair in agreements if self._of_params(pair)]
        reads = self.reads(g.size for _, g in groups) | {n for _, pair in agreements for n in _names(pair)}
        reads |= self.reads(task.window_sizes)
        kept = [
            (c.where, k) for c in _codes(task) if (k := c.expr.kept) and self._of_params((k.length, k.start_length))
        ]
        reads |= {n for _, k in kept for n in _names((k.length, k.start_length))}
        method = _Method("_group_sizes", "self, _params")
        method.body += self.bind(reads, {"param": "_params[{}]", "dt": "self.dt"})
        method.body.append("_sizes = {'observation': [], 'action': []}")
        for space, g in groups:
            method.body += [
                self.where.mark(g.size.where),
                f"_sizes[{space!r}].append(({g.name!r}, fn.size({render(g.size.expr, False)})))",
            ]
        for where, k in kept:  # said in words of the variable and its start value (shapes.keeps_shape)
            lengths = f"{_rendered(k.length)}, {_rendered(k.start_length)}"
            method.body += [
                self.where.mark(where),
                f"fn.keeps_length({lengths}, {k.kind!r}, {k.variable!r}, {k.start!r})",
            ]
        for where, (a, b) in agreements:
            method.body += [self.where.mark(where), f"fn.same_length({_rendered(a)}, {_rendered(b)})"]
        for size in task.window_sizes:  # a window over past trials spans at most machine.WINDOW of them
            method.body += [self.where.mark(size.where), f"fn.window_size({render(size.expr, False)})"]
        method.body.append("return _sizes")
        return method

    def _of_params(self, pair: tuple[ast.expr, ast.expr]) -> bool:
        return all(self.kinds.get(name) == "param" or name == "dt" for name in _names(pair))

    def session(self) -> list[_Method]:
        task = self.task
        if not task.session:
            return []
        first = _Method("_session_init", "self, _rng, _n")
        first.body += self.bind(self.reads(s.init for s in task.session), TRIALS)
        first.body.append("_new = {}")
        for s in task.session:
            first.body += [
                self.where.mark(s.init.where),
                f"_new[{s.name!r}] = {_rows(s.init)}(_n, fn.bounded({render(s.init.expr, True)}))",
            ]
        first.body.append("return _new")
        # `_last`: the finished trial's outcome and variables, when a `next` reads them
        step = _Method(
            "_session_next", "self, _rng, _n, _prev, _last" if task.reads_history else "self, _rng, _n, _prev"
        )
        step.body += self.bind(self.reads(s.next for s in task.session), {**TRIALS, "history": "_last[{}]"})
        step.body += [f"{s.name} = _prev[{s.name!r}]" for s in task.session]
        for s in task.session:  # in order: each sees those above it already updated
            # Updated again and again: fn.bounded refuses a value that overflows, before it compounds.
            step.body += [
                self.where.mark(s.next.where),
                f"{s.name} = {_rows(s.next)}(_n, fn.bounded({render(s.next.expr, True)}))",
            ]
        step.body.append("return " + self.returns(s.name for s in task.session))
        return [first, step]

    def sample_trials(self) -> _Method:
        task = self.task
        method = _Method("_sample_trials", "self, _rng, _n, _fixed, _session")
        method.body += self.bind(
            self.reads(
                [v.value for v in task.variables] + [p.duration for p in task.periods] + [s.init for s in task.state]
            ),
            TRIALS,
        )
        method.body += [f"{s.name} = _session[{s.name!r}]" for s in task.session]
        for v in task.variables:
            value = render(v.value.expr, True)
            method.body += [
                self.where.mark(v.value.where),
                f"{v.name} = {_rows(v.value)}(_n, _fixed[{v.name!r}] if {v.name!r} in _fixed else {value})",
            ]
        for s in task.state:
            method.body += [
                self.where.mark(s.init.where),
                f"{s.name} = {_rows(s.init)}(_n, {render(s.init.expr, True)})",
            ]
        method.body.append("_durations = {}")
        for p in task.periods:
            method.body += [
                self.where.mark(p.duration.where),
                f"_durations[{p.name!r}] = fn.per_trial(_n, {render(p.duration.expr, True)})",
            ]
        names = [s.name for s in task.session] + [v.name for v in task.variables] + [s.name for s in task.state]
        method.body.append(f"return {self.returns(names)}, _durations")
        return method

    def fill(self) -> _Method:
        task = self.task
        method = _Method("_fill", "self, _trials, _vars, _start, _end, t")
        codes = [c for i in task.inputs for c in (i.value, i.noise)] + [g.value for g in task.targets]
        codes += [r.value for r in task.regression]
        # A state variable read here is its initial value, a trial variable of the batch.
        method.body += self.bind(
            self.reads(codes), {**TRIALS, "var": "_vars[{}]", "state": "_vars[{}]", "rep": "_trials.rep"}
        )
        for i in task.inputs:
            value = "None" if i.value is None else render(i.value.expr, True)
            noise = "None" if i.noise is None else render(i.noise.expr, True)
            method.body.append(self.where.mark((i.value or i.noise).where))  # type: ignore[union-attr]
            if i.follows_state:
                method.body += [
                    "# the value follows the agent's state: stepping adds it; batches show its start",
                    f"_trials.add_input({i.index}, {i.periods!r}, None if _trials.serving else {value}, {noise})",
                ]
            else:
                method.body.append(f"_trials.add_input({i.index}, {i.periods!r}, {value}, {noise})")
        for g in task.targets:
            method.body += [
                self.where.mark(g.value.where),
                f"_trials.set_target({g.periods!r}, {render(g.value.expr, True)})",
            ]
        for k, r in enumerate(task.regression):
            method.body += [
                self.where.mark(r.value.where),
                f"_trials.add_regression({k}, {r.periods!r}, {render(r.value.expr, True)})",
            ]
        if not method.body:
            method.body.append("pass  # no inputs and no targets: observations and ground truth stay 0")
        return method

    def judge(self) -> _Method:
        """The outcome rules for one step: the first that matches decides."""
        method = _Method("_judge", "self, action, target, t")
        rules = self.task.rules
        guards = [self.reads([r.when], r.periods) for r in rules]
        method.body += self.bind(set().union(*guards), STEP)
        bound = set(method.body)
        # the rule that ends the trial, for `last_rule`: only where a session variable reads it
        tracked = any(s.next.names & {"last_rule", "past_rule"} for s in self.task.session)
        for index, rule in enumerate(rules):
            tests = [
                test
                for test in (
                    self.inside(rule.periods),
                    None if self.always(rule.when) else translate(rule.when.expr, False),
                )
                if test is not None
            ]
            # the third value ends the trial (True) or names the period the trial goes on with
            result = (
                f"return {self.scalar_value(rule.reward, 'reward')}, "
                f"{self.scalar_value(rule.performance, 'performance')}, {rule.goto or rule.end_trial!r}"
            )
            # Names only a reward or performance reads are bound inside the branch: most steps match no rule.
            late = [line for line in self.bind(self.reads([rule.reward, rule.performance]), STEP) if line not in bound]
            if tracked and rule.end_trial:
                late.append(f"self.ended_rule = {index!r}")
            method.body.append(self.where.mark(rule.when.where))
            if not tests:  # matches every step: later rules can never apply
                method.body += [*late, result]
                return method
            test = tests[0] if len(tests) == 1 else ast.BoolOp(ast.And(), tests)
            method.body += [f"if {ast.unparse(test)}:", *(f"    {line}" for line in late), f"    {result}"]
        method.body.append("return 0.0, None, False")
        return method

    def timeout(self) -> list[_Method]:
        """What happens when a trial reaches its last step without a rule ending it (only if the spec says)."""
        timeouts = self.task.timeouts
        if not timeouts:
            return []
        step = _Method("_timeout", "self")
        step.body += self.bind(self.reads(c for r in timeouts for c in (r.when, r.reward, r.performance)), STEP)
        for rule in timeouts:
            result = (
                f"return {self.scalar_value(rule.reward, 'reward')}, "
                f"{self.scalar_value(rule.performance, 'performance')}"
            )
            step.body.append(self.where.mark(rule.when.where))
            if self.always(rule.when):
                step.body.append(result)
                break
            step.body += [f"if {render(rule.when.expr, False)}:", f"    {result}"]
        else:
            step.body.append("return 0.0, None")
        envs = _Method("_timeout_all", "self, t, _vars, _states")
        envs.body += self.bind(self.reads(c for r in timeouts for c in (r.when, r.reward, r.performance)), ENVS)
        envs.body.append("_outcomes = fn.Outcomes(t)")
        for rule in timeouts:
            envs.body += [self.where.mark(rule.when.where), self.array_rule(rule, (), True)]
        envs.body.append("return _outcomes")
        return [step, envs]

    def array_rule(self, rule: ir.RuleIR, periods: tuple[str, ...], end: bool) -> str:
        hit: ast.expr | None = None if self.always(rule.when) else translate(rule.when.expr, True)
        if periods:
            mask = ast.Call(
                ast.Attribute(ast.Name("_outcomes"), "inside"),
                [ast.Constant(periods), ast.Name("_start"), ast.Name("_end")],  # type: ignore[arg-type]
                [],
            )
            if hit is None:
                hit = mask
            elif isinstance(rule.when.expr.tree, (ast.Compare, ast.BoolOp)):  # truth values: `&` is the fast and
                hit = ast.BinOp(mask, ast.BitAnd(), hit)
            else:  # a name or a call may hold numbers (a state variable is held as floats): a logical and
                hit = ast.Call(ast.Attribute(ast.Name("fn"), "all_of"), [mask, hit], [])
        performance = "None" if rule.performance is None else render(rule.performance.expr, True)
        goto = "" if rule.goto is None else f", {[p.name for p in self.task.periods].index(rule.goto)!r}"
        return (
            f"_outcomes.rule({ast.unparse(hit) if hit is not None else 'True'}, {render(rule.reward.expr, True)}, "
            f"{performance}, {end!r}{goto})"
        )

    def judge_all(self) -> _Method:
        rules = self.task.rules
        method = _Method("_judge_all", "self, action, target, t, _vars, _start, _end, _states")
        method.body += self.bind(self.reads(c for r in rules for c in (r.when, r.reward, r.performance)), ENVS)
        method.body.append("_outcomes = fn.Outcomes(t)")
        for rule in rules:
            method.body += [self.where.mark(rule.when.where), self.array_rule(rule, rule.periods, rule.end_trial)]
        method.body.append("return _outcomes")
        return method

    def state(self) -> list[_Method]:
        """State variables moved by the agent, and the inputs that show them: for one env and for many."""
        task = self.task
        moved = [i for i in task.inputs if i.follows_state]
        if not task.state and not moved:
            return []
        names = [s.name for s in task.state]
        step = _Method("_state_next", "self, action, target, t")
        step.body += self.bind(
            self.reads([s.next for s in task.state], [p for s in task.state for p in s.periods]),
            {k: v for k, v in STEP.items() if k != "state"},
        )
        step.body += [f"{s.name} = self._state[{s.name!r}]" for s in task.state]
        for s in task.state:  # in order: each sees those above it already updated
            value = f"fn.state_value({render(s.next.expr, False)})"
            test = self.inside(s.periods)
            step.body.append(self.where.mark(s.next.where))
            step.body += (
                [f"{s.name} = {value}"] if test is None else [f"if {ast.unparse(test)}:", f"    {s.name} = {value}"]
            )
        step.body.append("return " + self.returns(names))
        show = _Method("_add_state_inputs", "self, _ob, t")
        show.body += self.bind(self.reads([i.value for i in moved], [p for i in moved for p in i.periods]), STEP)
        for i in moved:
            assert i.value is not None
            add = f"_ob[self._input_columns[{i.index}]] += {render(i.value.expr, False)}"
            test = self.inside(i.periods)
            show.body.append(self.where.mark(i.value.where))
            show.body += [add] if test is None else [f"if {ast.unparse(test)}:", f"    {add}"]
        show.body.append("return _ob")
        envs = _Method("_state_next_all", "self, action, target, t, _vars, _start, _end, _states")
        envs.body += self.bind(self.reads(s.next for s in task.state), {k: v for k, v in ENVS.items() if k != "state"})
        envs.body += [f"{s.name} = _states[{s.name!r}]" for s in task.state]
        for s in task.state:  # each env's values shaped as before the step (one number, or a vector)
            value = render(s.next.expr, True)
            envs.body.append(self.where.mark(s.next.where))
            envs.body.append(
                f"{s.name} = fn.state_values({s.name}, {value}, fn.inside({s.periods!r}, _start, _end, t))"
                if s.periods
                else f"{s.name} = fn.state_values({s.name}, {value})"
            )
        envs.body.append("return " + self.returns(names))
        # Per-env numbers as columns, so vectors broadcast per env; the period masks use the arguments.
        shown = _Method("_add_state_inputs_all", "self, _ob, t, _vars, _period_start, _period_end, _states")
        shown.body.append("_now, t = t, t[:, None]  # expressions see t as a column, so vectors broadcast per env")
        shown.body += self.bind(
            self.reads(i.value for i in moved),
            {
                **ENVS,
                "var": "fn.column(_vars[{}])",  # a vector per env (n, length) is left as it is
                "state": "fn.column(_states[{}])",
                "outcome": "fn.column(_states[{}])",
                "start": "{k: v[:, None] for k, v in _period_start.items()}",
                "end": "{k: v[:, None] for k, v in _period_end.items()}",
            },
        )
        for i in moved:
            assert i.value is not None
            value = render(i.value.expr, True)
            shown.body.append(self.where.mark(i.value.where))
            shown.body.append(
                f"_ob[:, self._input_columns[{i.index}]] += "
                + (
                    f"fn.where(fn.inside({i.periods!r}, _period_start, _period_end, _now)[:, None], {value}, 0)"
                    if i.periods
                    else value
                )
            )
        shown.body.append("return _ob")
        return [step, show, envs, shown] if task.state else [show, shown]

    def until(self) -> list[_Method]:
        """The `until` conditions that end periods early: for one env, and for every env at once."""
        periods = [p for p in self.task.periods if p.until is not None]
        if not periods:
            return []
        step = _Method("_until", "self, _period, action, target, t")
        envs = _Method("_until_all", "self, _period, action, target, t, _vars, _start, _end, _states")
        step.body += self.bind(self.reads(p.until for p in periods), STEP)
        envs.body += self.bind(self.reads(p.until for p in periods), ENVS)
        for p in periods:
            assert p.until is not None
            step.body += [
                self.where.mark(p.until.where),
                f"if _period == {p.name!r}:",
                f"    return bool({render(p.until.expr, False)})",
            ]
            envs.body += [
                self.where.mark(p.until.where),
                f"if _period == {p.name!r}:",
                f"    return fn.per_env(action, {render(p.until.expr, True)}) != 0",
            ]
        step.body.append("return False")
        envs.body.append("return fn.per_env(action, False) != 0")
        return [step, envs]

    def attributes(self) -> list[tuple[str, str]]:
        """The keyword arguments of the class's TaskInfo record, as source."""
        task = self.task
        params = "".join(
            f"\n            ParamInfo({p.name!r}, {p.kind!r}, {_literal(p.default)}, {_literal(p.low)}, "
            f"{_literal(p.high)}, {_literal(p.doc)}),"
            for p in task.params
        )
        fields = [
            ("name", repr(task.name)),
            ("dt", repr(task.dt)),
            ("paper", _literal(task.paper)),
            ("url", _literal(task.url)),
            ("tags", _literal(task.tags)),
            ("params", f"({params}\n        )" if params else "()"),
            ("rewards", _dict_lines(dict(task.rewards), 8)),
            (
                "timing",
                _dict_lines({p.name: p.constant_ms if p.constant_ms is not None else p.text for p in task.periods}, 8),
            ),
            ("period_after", _dict_lines({p.name: p.after for p in task.periods}, 8)),
            ("period_copy", _dict_lines({p.name: p.copy for p in task.periods if p.copy is not None}, 8)),
            ("trial_variables", _literal(tuple(v.name for v in task.variables))),
            ("session_variables", _literal(tuple(s.name for s in task.session))),
            ("state_variables", _literal(tuple(s.name for s in task.state))),
            ("input_groups", _literal(tuple(i.groups for i in task.inputs))),
            ("state_inputs", _literal(tuple(i.index for i in task.inputs if i.follows_state))),
            ("has_target", repr(bool(task.targets))),
            ("regression_groups", _literal(tuple(r.groups for r in task.regression))),
            ("episode", repr(task.episode)),
            ("action_type", repr(task.action_type)),
            ("action_bounds", _literal(task.action_bounds)),
            (
                "flow",
                _dict_lines(
                    {p.name: (p.until is not None, p.then, p.otherwise) for p in task.periods if p.until or p.then},
                    8,
                ),
            ),
            ("goto_targets", _literal(tuple(sorted({r.goto for r in task.rules if r.goto})))),
            ("reads_history", repr(task.reads_history)),
            ("reads_performance", repr(task.reads_performance)),
            ("loss", _loss_literal(task.loss)),
        ]
        defaults = {
            "paper": "None",
            "url": "None",
            "tags": "()",
            "params": "()",
            "rewards": "{}",
            "timing": "{}",
            "period_after": "{}",
            "period_copy": "{}",
            "trial_variables": "()",
            "session_variables": "()",
            "state_variables": "()",
            "input_groups": "()",
            "state_inputs": "()",
            "has_target": "False",
            "regression_groups": "()",
            "episode": "'continuing'",
            "action_type": "'discrete'",
            "flow": "{}",
            "goto_targets": "()",
            "reads_history": "False",
            "reads_performance": "False",
            "action_bounds": "(-1.0, 1.0)",
            "loss": "None",
        }
        return [(name, value) for name, value in fields if defaults.get(name) != value]

    def methods(self) -> list[_Method]:
        return [
            self.group_sizes(),
            *self.session(),
            self.sample_trials(),
            self.fill(),
            self.judge(),
            *self.state(),
            self.judge_all(),
            *self.until(),
            *self.timeout(),
        ]


def generate(task: ir.TaskIR, layout: Callable[[str], str] | None = None) -> str:
    """Python source of a module defining the task's env class.

    `layout` (e.g. a formatter) is applied before the table of spec locations is computed, so
    the table's line numbers are those of the module as written.
    """
    generator = _Generator(task)
    imports = ", ".join(["ParamInfo"] * bool(task.params) + ["TaskInfo", "TrialEnv", "fn"])
    source = _ENV.get_template("env.py.jinja").render(
        imports=imports,
        class_name=task.class_name,
        docstring=_docstring(task.description),
        attributes=generator.attributes(),
        methods=generator.methods(),
    )
    if layout is not None:
        source = layout(source)
    source += generator.where.table(source)
    return layout(source) if layout is not None else source
