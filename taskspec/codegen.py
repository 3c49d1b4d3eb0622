"""Stage 4: IR to Python source through one jinja2 template.

This module decides which names each generated method binds (only those its
expressions read) and renders every literal with `repr`; the template only lays
the pieces out. The same source is exec'd at load time and written by `compile`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from . import ir

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # noqa: S701 - this renders Python, not HTML; literals go through repr
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
def _literal(value: Any) -> str:
    """repr, except that non-finite floats become expressions that evaluate (repr gives `nan`, a bad name)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "float('nan')" if math.isnan(value) else ("float('inf')" if value > 0 else "float('-inf')")
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


_ENV.filters["py"] = _literal


def _docstring(text: str) -> str:
    """The class docstring: one `repr` literal per line of the description, concatenated.

    Adjacent literals form a single string constant, so Python still sees a docstring, and
    spec text only ever enters the source through `repr`.
    """
    lines = text.splitlines(keepends=True) or [""]
    if len(lines) == 1:
        return repr(lines[0])
    return "(\n" + "".join(f"        {line!r}\n" for line in lines) + "    )"


class _Locations:
    """Collects the spec location of each marked statement while the template renders."""

    MARK = re.compile(r"# see _SPEC_LOCATIONS\[(\d+)\]$")

    def __init__(self) -> None:
        self.found: list[ir.Location] = []

    def __call__(self, where: ir.Location) -> int:
        self.found.append(where)
        return len(self.found) - 1

    def table(self, source: str) -> str:
        """The module's location table: (generated line, YAML path, file, line, column) per mark."""
        lines = {}
        for number, line in enumerate(source.splitlines(), start=1):
            mark = self.MARK.search(line)
            if mark:
                lines[int(mark.group(1))] = number
        rows = "".join(f"    {_literal((lines[i], w.path, w.file, w.line, w.col))},\n"
                       for i, w in enumerate(self.found))
        return ("\n\n# Where the statements above come from in the spec, for error messages: the line of each\n"
                "# 'see' comment, then the YAML path, file, line and column. Data, never code.\n"
                f"_SPEC_LOCATIONS = (\n{rows})\n")


def _dict_lines(mapping: dict[str, Any]) -> str:
    """A dict literal with one entry per line, so generated lines stay short."""
    if not mapping:
        return "{}"
    return "{\n" + "".join(f"        {k!r}: {_literal(v)},\n" for k, v in mapping.items()) + "    }"


@dataclasses.dataclass(frozen=True)
class _Method:
    bindings: list[str]


def _bind(task: ir.TaskIR, codes: Iterable[ir.Code | None], sources: dict[str, str]) -> _Method:
    """Local assignments for the spec names that `codes` read, in a stable order."""
    used: set[str] = set()
    for code in codes:
        if code is not None:
            used |= code.names
    kinds = {p.name: "param" for p in task.params}
    kinds.update({name: "reward" for name, _ in task.rewards})
    kinds.update({g.name: "group" for g in task.action})
    kinds.update({v.name: "var" for v in task.variables})
    kinds.update({v.name: "var" for v in task.session})
    kinds.update({v.name: "state" for v in task.state})
    lines = []
    if any(n.startswith("start:") for n in used):
        lines.append(sources["start"])
    if any(n.startswith("end:") for n in used):
        lines.append(sources["end"])
    if "dt" in used:
        lines.append("dt = self.dt")
    if "rep" in used:
        lines.append("rep = _b.rep")
    for name in sorted(n for n in used if n in kinds):
        kind = kinds[name] if kinds[name] in sources or kinds[name] != "state" else "var"
        lines.append(f"{name} = {sources[kind].format(name=repr(name))}")
    return _Method(lines)


def _inside(periods: tuple[str, ...]) -> str:
    """The scalar test that time `t` lies in one of `periods` (empty: always)."""
    inside = [f"_s[{p!r}] <= t < _e[{p!r}]" for p in periods]
    if not inside:
        return "True"
    return inside[0] if len(inside) == 1 else "(" + " or ".join(inside) + ")"


_ENV.filters["inside"] = _inside


def _guard(rule: ir.RuleIR) -> str:
    inside = [f"_s[{p!r}] <= t < _e[{p!r}]" for p in rule.periods]
    parts = []
    if inside:
        parts.append(inside[0] if len(inside) == 1 else "(" + " or ".join(inside) + ")")
    if rule.when.code != "True":
        parts.append(rule.when.code)
    return " and ".join(parts) or "True"


def generate(task: ir.TaskIR) -> str:
    """Python source of a module defining the task's env class."""
    locations = _Locations()
    rewards = frozenset(name for name, _ in task.rewards)
    step_sources = {
        "param": "self.params[{name}]", "reward": "self.rewards[{name}]", "group": "self.action_index[{name}]",
        "var": "self.trial[{name}]", "state": "self._state[{name}]", "start": "_start = self.start_t",
        "end": "_end = self.end_t"}
    # Names only a reward or performance reads are bound inside the matching rule's branch: most
    # steps match no rule, so `step` does not pay for looking them up.
    judge = _bind(task, [r.when for r in task.rules], step_sources)
    late = [[line for line in _bind(task, [r.reward, r.performance], step_sources).bindings
             if line not in judge.bindings] for r in task.rules]
    state_next = _bind(task, [s.next for s in task.state], step_sources)
    # State variables are updated in order inside the method, each seeing those above it already updated.
    state_next.bindings[:] = [b for b in state_next.bindings if "self._state[" not in b]
    if any(s.periods for s in task.state):
        state_next.bindings.insert(0, "_s, _e = self.start_t, self.end_t")
    state_inputs = _bind(task, [i.step_value for i in task.inputs], step_sources)
    if any(i.step_value and i.periods for i in task.inputs):
        state_inputs.bindings.insert(0, "_s, _e = self.start_t, self.end_t")
    session_init = _bind(task, [s.init for s in task.session], {
        "param": "self.params[{name}]", "group": "self.action_index[{name}]"})
    session_next = _bind(task, [s.next for s in task.session], {
        "param": "self.params[{name}]", "group": "self.action_index[{name}]", "var": "_prev[{name}]"})
    # Session variables are updated in order inside the method, each seeing those above it already updated.
    session_next.bindings[:] = [b for b in session_next.bindings if "_prev[" not in b]
    if any(r.periods for r in task.rules):
        judge.bindings.insert(0, "_s, _e = self.start_t, self.end_t")
    timeout = _bind(task, [c for r in task.timeouts for c in (r.when, r.reward, r.performance)], step_sources)
    vector_sources = {"param": "self.params[{name}]", "reward": "self.rewards[{name}]",
                      "group": "self.action_index[{name}]", "var": "_vars[{name}]", "state": "_st[{name}]",
                      "start": "_start = _s", "end": "_end = _e"}
    state_next_all = _bind(task, [s.next_all for s in task.state], vector_sources)
    state_next_all.bindings[:] = [b for b in state_next_all.bindings if "_st[" not in b]
    # Inputs that follow the state, for all envs: per-env numbers as columns, so vectors broadcast per env.
    state_inputs_all = _bind(task, [i.value for i in task.inputs if i.step_value], {
        "param": "self.params[{name}]", "group": "self.action_index[{name}]", "var": "_vars[{name}][:, None]",
        "state": "_st[{name}][:, None]", "start": "_start = {k: v[:, None] for k, v in _s.items()}",
        "end": "_end = {k: v[:, None] for k, v in _e.items()}"})
    judge_all = _bind(task, [c for r in task.rules for c in (r.when_all, r.reward_all, r.performance_all)],
                      vector_sources)
    timeout_all = _bind(task, [c for r in task.timeouts for c in (r.when_all, r.reward_all, r.performance_all)],
                        vector_sources)
    sample = _bind(task, [v.value for v in task.variables] + [p.duration for p in task.periods]
                   + [s.init for s in task.state], {
        "param": "self.params[{name}]", "group": "self.action_index[{name}]", "var": "_over.get({name})"})
    # Session, trial and state variables are defined in order inside the method itself, not bound up front.
    sample.bindings[:] = [b for b in sample.bindings if "_over.get" not in b]
    fill = _bind(task, [c for i in task.inputs for c in (i.value, i.noise)] + [g.value for g in task.targets], {
        "param": "self.params[{name}]", "group": "self.action_index[{name}]", "var": "_vars[{name}]",
        "start": "_start = _start", "end": "_end = _end"})
    fill.bindings[:] = [b for b in fill.bindings if b not in ("_start = _start", "_end = _end")]
    sizes = _bind(task, [g.size for g in (*task.observation, *task.action)], {"param": "_p[{name}]"})
    context: dict[str, Any] = {
        "task": dataclasses.replace(task, rules=tuple(_RuleView(r, rewards, b) for r, b in zip(task.rules, late,  # type: ignore[misc]
                                                                                          strict=True)),
                                    timeouts=tuple(_RuleView(r, rewards) for r in task.timeouts)),  # type: ignore[misc]
        "docstring": _docstring(task.description), "locate": locations,
        "param_specs": _dict_lines({p.name: (p.kind, p.default, p.low, p.high, p.doc) for p in task.params}),
        "rewards": _dict_lines(dict(task.rewards)),
        "timing": _dict_lines({p.name: p.constant_ms if p.constant_ms is not None else p.text for p in task.periods}),
        "period_after": _dict_lines({p.name: p.after for p in task.periods}),
        "period_copy": _dict_lines({p.name: p.copy for p in task.periods if p.copy is not None}),
        "input_groups": repr(tuple(i.groups for i in task.inputs)),
        "judge": judge, "timeout": timeout, "judge_all": judge_all, "timeout_all": timeout_all,
        "sample": sample, "fill": fill, "sizes": sizes, "state_next": state_next, "state_inputs": state_inputs,
        "session_init": session_init, "session_next": session_next, "state_next_all": state_next_all,
        "state_inputs_all": state_inputs_all,
    }
    source = _ENV.get_template("env.py.jinja").render(**context)
    return source + locations.table(source)


def _scalar(code: ir.Code | None, what: str, floats: frozenset[str]) -> str:
    """A reward or performance for `step`: checked by fn.scalar, unless it is already a finite float
    (a named reward, checked when the env was made, or a number written in the spec)."""
    if code is None:
        return "None"
    if code.code in floats:
        return code.code
    try:
        number = float(code.code)
    except (ValueError, OverflowError):  # an expression, or a number too large for a float
        number = math.nan
    if math.isfinite(number):
        return repr(number)
    return f"fn.scalar({code.code})" if what == "reward" else f'fn.scalar({code.code}, "{what}")'


class _RuleView:
    """A rule plus its rendered guard (period test and condition), for the template."""

    def __init__(self, rule: ir.RuleIR, floats: frozenset[str] = frozenset(), late: list[str] | None = None):
        self.when, self.reward, self.performance, self.end_trial = rule.when, rule.reward, rule.performance, \
            rule.end_trial
        self.when_all, self.reward_all, self.performance_all = rule.when_all, rule.reward_all, rule.performance_all
        self.periods = rule.periods
        self.guard = _guard(rule)
        self.late = late or []  # bindings needed only when the rule matches
        self.reward_step = _scalar(rule.reward, "reward", floats)
        self.performance_step = _scalar(rule.performance, "performance", floats)
