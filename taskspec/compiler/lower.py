"""Stage 3: meaning checks a schema cannot express, and lowering to the IR.

Names must resolve (with "did you mean"), periods must exist and be ordered, names
must not collide across parameters, trial variables, rewards and action groups, and
every expression is parsed, checked and rendered here. All problems are collected
and raised together.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import Problem, SpecError, did_you_mean
from . import ir, places
from .compose import check_defines, check_merge_keys, parse_defines, repeat_count, trial_variables
from .expressions import Checked, check_expression, from_second_trial
from .language import HISTORY, OUTCOME, PAST, RESERVED, Context, ExprError, history_names
from .loader import Document, Path_, dotted
from .loss import lower_loss
from .models import PeriodTiming, RepeatedPeriods, TaskSpec
from .names import class_name, name_problem
from .placements import lower_inputs, lower_targets
from .places import PLACES
from .regression import lower_regression
from .rules import lower_flow, lower_windows, response_rules, rule
from .shapes import ShapeChecker, group_length

FLOAT32_MAX = 3.4028234663852886e38
MAX_GROUPS, MAX_PERIODS, MAX_RULES, MAX_PARAMS = 64, 200, 200, 200
MAX_PLACEMENTS, MAX_VARIABLES = 200, 200  # inputs and targets; trial, session and state variables (each)


def copy_spans(
    flat: list[tuple[str, Any, Path_, str | None, int | None]],
) -> tuple[tuple[tuple[int, str, str], ...], dict[str, tuple[tuple[str, str, str, str], ...]]]:
    """Each copy of a repeated block as (number, first period, last period), and for a block's name and
    each of its periods, per copy: (the copy's first and last period, the periods it stands for there)."""
    members: dict[tuple[str, int], list[tuple[str, str]]] = {}  # (block, copy) -> (inner name, period)
    for name, _, path, _, copy in flat:
        if copy is not None:
            members.setdefault((str(path[1]), copy), []).append((str(path[3]), name))
    spans = tuple((copy, periods[0][1], periods[-1][1]) for (_, copy), periods in members.items())
    copies: dict[str, list[tuple[str, str, str, str]]] = {}
    for (block, _), periods in members.items():
        first, last = periods[0][1], periods[-1][1]
        copies.setdefault(block, []).append((first, last, first, last))
        for inner, period in periods:
            copies.setdefault(inner, []).append((first, last, period, period))
    return spans, {name: tuple(rows) for name, rows in copies.items()}


class _Lowerer:
    def __init__(self, spec: TaskSpec, doc: Document):
        self.spec, self.doc = spec, doc
        self.problems: list[Problem] = []
        self.codes: list[tuple[Path_, ir.Code, bool]] = []  # every lowered expression, for the shape checks
        self.quiet: set[int] = set()  # ids of codes the compiler wrote out: their shape problems repeat others
        self.window_sizes: list[ir.Code] = []  # windows' sizes of parameters, each at its call (checked at make)
        self.names: dict[str, str] = {"dt": "builtin"}
        # Repeated blocks are expanded: copy k of period p is "p<k>"; p and the block's name stand for all copies.
        self.flat: list[tuple[str, Any, Path_, str | None, int | None]] = []  # name, timing, path, after, copy
        self.aliases: dict[str, list[str]] = {}
        self.fixed_params: dict[str, str] = {}  # parameters that set a number of repeats -> why fixed
        self.defines = parse_defines(self)
        for name, timing in spec.periods.items():
            if isinstance(timing, RepeatedPeriods):
                for k in range(timing.first, timing.first + repeat_count(self, name, timing)):
                    for inner, inner_timing in timing.periods.items():
                        after = inner_timing.after if isinstance(inner_timing, PeriodTiming) else None
                        if after in timing.periods:
                            after = f"{after}{k}"
                        self.flat.append((f"{inner}{k}", inner_timing, ("periods", name, "periods", inner), after, k))
                        self.aliases.setdefault(inner, []).append(f"{inner}{k}")
                        self.aliases.setdefault(name, []).append(f"{inner}{k}")
            else:
                after = timing.after if isinstance(timing, PeriodTiming) else None
                self.flat.append((name, timing, ("periods", name), after, None))
        self.periods = frozenset(name for name, *_ in self.flat)
        self.repeated = any(copy is not None for *_, copy in self.flat)
        self.spans, self.copies = copy_spans(self.flat)

    def fail(self, path: Path_, message: str, offset: tuple[int, int] | None = None) -> None:
        self.problems.append(self.doc.problem(path, message, offset))

    def where(self, path: Path_) -> ir.Location:
        line, col, _ = self.doc.where(path)
        return ir.Location(dotted(path), self.doc.file_of(path), line, col)

    def check_name(self, path: Path_, name: str, kind: str) -> bool:
        problem = name_problem(name, kind)
        if problem:
            self.fail(path, problem)
        return problem is None

    def expr(self, path: Path_, source: Any, ctx: Context, typed: bool = True) -> ir.Code:
        """`source` checked in `ctx`; `typed`: its shape is checked for its place (see shapes.py)."""
        try:
            checked = check_expression(source, ctx)
        except ExprError as exc:
            self.fail(path, exc.message, (exc.line, exc.col) if isinstance(source, str) else None)
            return ir.Code(check_expression(0, ctx), self.where(path))
        code = ir.Code(checked, self.where(path))
        if typed:
            self.codes.append((path, code, isinstance(source, str)))
        return code

    def declare(self, path: Path_, name: str, kind: str) -> None:
        """Add a user name to the shared namespace, refusing collisions and reserved words."""
        problem = name_problem(name, "identifier", RESERVED)
        if problem:
            self.fail(path, problem)
        elif f"last_{name}" in HISTORY and kind in ("session variable", "trial variable"):
            self.fail(path, f"'{name}': 'last_{name}' already names a value of the finished trial; rename it")
        elif name.startswith(("last_", "past_")):
            kept = "the previous trial's values" if name.startswith("last_") else "the windows over past trials"
            self.fail(path, f"'{name}': names starting with '{name[:5]}' are kept for {kept}")
        elif name in self.names:
            kind = self.names[name]
            self.fail(
                path,
                f"'{name}' is already defined as {'an' if kind[0] in 'aeiou' else 'a'} {kind}; "
                "parameters, session, trial and state variables, rewards and action groups "
                "need distinct names",
            )
        else:
            self.names[name] = kind

    def check_periods(self, path: Path_, names: str | list[str] | None) -> tuple[str, ...]:
        if names is None:
            return ()
        listed = [names] if isinstance(names, str) else names
        if not listed:
            self.fail(path, "name at least one period, or leave 'during' out for the whole trial")
        expanded: list[str] = []
        for i, name in enumerate(listed):
            if name in self.aliases and name not in self.periods:
                expanded += self.aliases[name]
                continue
            if name not in self.periods:
                sub = path if isinstance(names, str) else (*path, i)
                self.fail(sub, f"unknown period '{name}'{did_you_mean(name, self.periods | set(self.aliases))}")
            expanded.append(name)
        return tuple(expanded)

    def wide_groups(self) -> frozenset[str]:
        """Action groups of more than one action, as far as their sizes are known before `make`."""
        wide = set()
        for name, size in self.spec.action.items():
            if isinstance(size, str) and size.strip() in self.spec.params:
                size = self.spec.params[size.strip()].default  # type: ignore[assignment]
            if isinstance(size, (int, float)) and not isinstance(size, bool) and size != 1:
                wide.add(name)
        return frozenset(wide) if self.spec.action_type == "discrete" else frozenset()

    def at(self, key: str, defining: str = "") -> Context:
        """The context of an expression written at place `key` of the table in places.py."""
        place = PLACES[key]
        names = {n: k for n, k in self.names.items() if k in place.kinds or n == "dt"}
        for name in place.builtins:
            if name in ("last_*", "past_*"):
                names.update({f"{name[:4]}_{v}": "history" for v in self.spec.trial})
            elif name != "rep" or self.repeated:
                names[name] = "outcome" if name in OUTCOME else "history" if name in HISTORY | PAST else "builtin"
        declared = self.all_names()
        trial = set(self.spec.trial)

        def elsewhere(name: str) -> str | None:
            if name in declared:
                return places.elsewhere(name, declared[name], key)
            language = name in HISTORY | PAST | OUTCOME | {"t", "action", "target"} or (name == "rep" and self.repeated)
            if language or (name[:5] in ("last_", "past_") and name[5:] in trial):
                return places.elsewhere(name, None, key)
            return None

        return Context(
            names,
            self.periods,
            random=place.random,
            timing=place.timing,
            wide=self.wide_groups(),
            defines=self.defines,
            defining=defining,
            elsewhere=elsewhere,
            copies=self.copies if place.timing else {},
            spans=self.spans,
            current_rep=place.timing and "rep" in names and key not in ("input", "target"),
            order=tuple(name for name, *_ in self.flat),
            rules=self.rule_labels(),
        )

    def rule_labels(self) -> tuple[tuple[str | None, bool], ...]:
        """Each outcome rule in order (`last_rule` counts them): its name and whether it can end a trial.
        `response:` stands for rules placed after the explicit ones (rules.py), named for their rewards."""
        labels = [(r.name, r.end_trial) for r in self.spec.outcomes]
        response = self.spec.response
        if response is not None:
            if response.hold:
                labels.append(("abort", response.abort_ends_trial))
            labels += [("correct", True), ("fail", True)]
        return tuple(labels)

    def all_names(self) -> dict[str, str]:
        """Every name the spec declares, and its kind, whether or not declared yet (for hints)."""
        spec = self.spec
        sections: list[tuple[str, Iterable[str]]] = [("param", spec.params), ("reward", spec.rewards)]
        sections += [("action group", spec.action)]
        sections += [("session variable", spec.session), ("trial variable", spec.trial)]
        sections += [("state variable", spec.state)]
        return {name: kind for kind, names in sections for name in names}

    def run(self) -> ir.TaskIR:
        """Each section in the order its names become visible to the next ones."""
        self.check_labels()
        params = tuple(self.lower_param(name, p) for name, p in self.spec.params.items())
        for name in self.spec.rewards:
            self.declare(("rewards", name), name, "reward")
        observation = self.groups("observation", self.spec.observation, self.at("size"))
        action = self.groups("action", self.spec.action, self.at("size"))
        for name in self.spec.action:
            if name_problem(name, "identifier") is None:  # other labels name columns but cannot be read
                self.declare(("action", name), name, "action group")
        session = self.lower_session()
        variables = trial_variables(self)
        state_init = {
            name: self.expr(("state", name, "init"), var.init, self.at("state init", name))
            for name, var in self.spec.state.items()
        }
        for name in self.spec.state:
            self.declare(("state", name), name, "state variable")
        periods = self.lower_periods()
        inputs = lower_inputs(self, self.at("input"))
        targets = lower_targets(self, self.at("target"))
        regression = lower_regression(self, self.at("target"), set(self.spec.state) | OUTCOME)
        rule_ctx = self.at("rule")
        state = self.lower_state(state_init, rule_ctx)
        rules = [
            dataclasses.replace(
                rule(
                    self,
                    ("outcomes", i),
                    r.during if r.each is None or r.during else r.each,
                    r.when,
                    r.reward,
                    r.performance,
                    r.end_trial,
                    rule_ctx,
                ),
                goto=r.goto,
            )
            for i, r in enumerate(self.spec.outcomes)
        ]
        rules += response_rules(self, rule_ctx)
        rules, windows = lower_windows(self, rules, rule_ctx, state_init)
        state += windows
        periods = lower_flow(self, periods, rules, rule_ctx)
        timeouts = [
            rule(self, ("timeout", i), None, r.when, r.reward, r.performance, True, self.at("timeout"))
            for i, r in enumerate(self.spec.timeout)
        ]
        self.check_action_bounds()
        loss = lower_loss(self, self.spec.loss, self.spec.action)
        self.check_shapes(params, observation, action, session, variables, state_init)
        check_defines(self)
        check_merge_keys(self)
        if self.problems:
            raise SpecError(self.problems)
        parts: dict[str, Any] = {"params": params, "observation": observation, "action": action}
        parts["variables"] = tuple(variables)
        parts |= {"session": tuple(session), "state": state, "periods": periods, "inputs": tuple(inputs)}
        parts |= {"targets": tuple(targets), "rules": tuple(rules), "timeouts": tuple(timeouts), "loss": loss}
        parts["regression"] = regression
        parts["window_sizes"] = tuple(self.window_sizes)
        return self.task_ir(parts)

    def check_labels(self) -> None:
        """The task's name, tags and block names, and the number of entries of each section."""
        spec = self.spec
        self.check_name(("task",), spec.task, "label")
        for i, tag in enumerate(spec.tags):
            self.check_name(("tags", i), tag, "tag")
        for name, timing in spec.periods.items():
            if isinstance(timing, RepeatedPeriods):
                self.check_name(("periods", name), name, "label")
        for key, limit, size in (
            ("params", MAX_PARAMS, len(spec.params)),
            ("periods", MAX_PERIODS, len(self.flat)),
            ("outcomes", MAX_RULES, len(spec.outcomes)),
            ("observation", MAX_GROUPS, len(spec.observation)),
            ("action", MAX_GROUPS, len(spec.action)),
            ("timeout", MAX_RULES, len(spec.timeout)),
            ("inputs", MAX_PLACEMENTS, len(spec.inputs)),
            ("target", MAX_PLACEMENTS, len(spec.target)),
            ("trial", MAX_VARIABLES, len(spec.trial)),
            ("session", MAX_VARIABLES, len(spec.session)),
            ("state", MAX_VARIABLES, len(spec.state)),
        ):
            if size > limit:
                self.fail((key,), f"at most {limit} entries are allowed, found {size}")

    def lower_session(self) -> list[ir.SessionIR]:
        for name in self.spec.session:
            self.declare(("session", name), name, "session variable")
        lowered = []
        order = list(self.spec.session)
        for i, (name, var) in enumerate(self.spec.session.items()):
            path = ("session", name)
            if (var.init is None) == (var.first is None):
                self.fail(
                    path,
                    "give 'init' (the value before the first trial; 'next' also runs before it) or "
                    "'first' (the first trial's value; 'next' runs between trials), one of them",
                )
            key = "init" if var.first is None else "first"
            source = var.first if var.first is not None else var.init if var.init is not None else 0
            start = self.expr((*path, key), source, self.at("session init", name))
            ctx = self.at("session next", name)
            later = set(order[i + 1 :])  # read before their update in this pass: only as old(x)
            ctx = dataclasses.replace(ctx, old=frozenset(later | {name}), below=frozenset(later))
            step = self.expr((*path, "next"), var.next, ctx, typed=var.first is None)
            for size, line, col in step.expr.windows:
                at = self.doc.problem((*path, "next"), "", (line, col))
                names = frozenset(n.id for n in ast.walk(size) if isinstance(n, ast.Name))
                checked = Checked(size, names, False, ast.unparse(size))
                self.window_sizes.append(ir.Code(checked, ir.Location(at.path, at.file, at.line, at.column)))
            if var.first is not None:
                step = ir.Code(from_second_trial(step.expr, name), step.where)
                self.codes.append(((*path, "next"), step, isinstance(var.next, str)))
            lowered.append(ir.SessionIR(name, start, step))
        return lowered

    def lower_state(self, init: dict[str, ir.Code], ctx: Context) -> tuple[ir.StateIR, ...]:
        return tuple(
            ir.StateIR(
                name,
                init[name],
                self.expr(("state", name, "next"), var.next, ctx),
                self.check_periods(("state", name, "during"), var.during),
            )
            for name, var in self.spec.state.items()
        )

    def check_action_bounds(self) -> None:
        bounds = self.spec.action_bounds
        if self.spec.action_type == "continuous" and bounds[0] >= bounds[1]:
            self.fail(("action_bounds",), "low must be smaller than high")
        if any(abs(b) > FLOAT32_MAX for b in bounds):
            self.fail(("action_bounds",), f"bounds must lie within +-{FLOAT32_MAX:.3g} (float32 actions)")

    def check_shapes(
        self,
        params: tuple[ir.ParamIR, ...],
        observation: tuple[ir.GroupIR, ...],
        action: tuple[ir.GroupIR, ...],
        session: list[ir.SessionIR],
        variables: list[ir.VariableIR],
        state_init: dict[str, ir.Code],
    ) -> None:
        """Every expression's shape against its place, once every name's type is known (shapes.py)."""
        shapes = ShapeChecker(self, params, action)
        shapes.learn(session, variables, state_init)
        widths = {g.name: group_length(g) for g in observation}
        shapes.lengths |= {str(w): g.size.expr.tree for g in observation if isinstance(w := group_length(g), str)}
        for where, code, located in self.codes:
            before = len(self.problems)
            shapes.check(where, code, located, widths)
            if id(code) in self.quiet:  # written out by the compiler around texts checked where written
                del self.problems[before:]

    def task_ir(self, parts: dict[str, Any]) -> ir.TaskIR:
        spec = self.spec
        rules, timeouts, periods = parts["rules"], parts["timeouts"], parts["periods"]
        history = history_names(spec.trial)
        outcome_codes = [
            *(c for r in (*rules, *timeouts) for c in (r.when, r.reward, r.performance)),
            *(p.until for p in periods),
            *(i.value for i in parts["inputs"]),
        ]
        return ir.TaskIR(
            name=spec.task,
            class_name=class_name(spec.task),
            description=spec.description.strip(),
            paper=spec.reference.paper if spec.reference else None,
            url=spec.reference.url if spec.reference else None,
            tags=tuple(spec.tags),
            source=self.doc.file,
            dt=float(spec.dt),
            rewards=tuple(spec.rewards.items()),
            action_type=spec.action_type,
            action_bounds=(spec.action_bounds[0], spec.action_bounds[1]),
            episode=spec.episode,
            reads_history=any(s.next.names & history for s in parts["session"]),
            reads_performance=any(code is not None and bool(code.names & OUTCOME) for code in outcome_codes),
            **parts,
        )

    def lower_param(self, name: str, param: Any) -> ir.ParamIR:
        path = ("params", name)
        self.declare(path, name, "param")
        default = param.default
        kind = (
            "bool"
            if isinstance(default, bool)
            else "int"
            if isinstance(default, int)
            else "float"
            if isinstance(default, float)
            else "list"
        )
        if kind == "list" and any(isinstance(v, bool) for v in default):
            self.fail((*path, "default"), "list parameters hold numbers only")
        if (param.min is not None or param.max is not None) and kind in ("bool", "list"):
            self.fail(path, "'min' and 'max' apply to number parameters only")
        elif kind in ("int", "float"):
            if param.min is not None and default < param.min:
                self.fail((*path, "default"), f"default {default} is below min {param.min}")
            if param.max is not None and default > param.max:
                self.fail((*path, "default"), f"default {default} is above max {param.max}")
        if name in self.fixed_params:  # it shapes the periods, which are laid out when the spec is compiled
            note = (
                f"fixed when the spec is compiled: it sets how many times block '{self.fixed_params[name]}' "
                "repeats; change its default in a variant"
            )
            doc = f"{param.doc} ({note})" if param.doc else note
            return ir.ParamIR(name, default, kind, default, default, doc)
        return ir.ParamIR(name, default, kind, param.min, param.max, param.doc)

    def groups(self, key: str, groups: Mapping[str, Any], ctx: Context) -> tuple[ir.GroupIR, ...]:
        if not groups:
            self.fail((key,), f"the {key} space needs at least one group")
        out = []
        for name, size in groups.items():
            self.check_name((key, name), name, "label")
            if isinstance(size, (int, float)) and (size != int(size) or size < 1):
                self.fail((key, name), f"a group size must be a whole number of at least 1, got {size}")
            out.append(ir.GroupIR(name, self.expr((key, name), size, ctx)))
        return tuple(out)

    def lower_periods(self) -> tuple[ir.PeriodIR, ...]:
        ctx = self.at("duration")
        seen: list[str] = []
        out = []
        for name, timing, path, after, copy in self.flat:
            self.check_name(path, name, "label")
            if copy is None and name in self.aliases:
                self.fail(path, f"'{name}' names both a period and a block of repeated periods")
            source = timing.duration if isinstance(timing, PeriodTiming) else timing
            sub = (*path, "duration") if isinstance(timing, PeriodTiming) else path
            if after is not None and after not in seen:
                hint = did_you_mean(after, seen) if after not in self.periods else " (it must be listed earlier)"
                self.fail((*path, "after"), f"unknown period '{after}'{hint}")
            try:
                constant = float(source) if isinstance(source, (int, float)) and not isinstance(source, bool) else None
            except OverflowError:
                self.fail(sub, "a duration this large cannot be a number of ms")
                constant = None
            if constant is not None and constant < 0:
                self.fail(sub, f"a duration cannot be negative, got {constant:g}")
            out.append(
                ir.PeriodIR(
                    name,
                    self.expr(sub, source, ctx),
                    after if after is not None else (seen[-1] if seen else None),
                    constant,
                    str(source),
                    copy,
                )
            )
            seen.append(name)
        if len(set(seen)) != len(seen):
            twice = sorted({n for n in seen if seen.count(n) > 1})
            self.fail(("periods",), f"period names must be unique after repeats are expanded; repeated: {twice}")
        if not out:
            self.fail(("periods",), "a task needs at least one period")
        return tuple(out)


def lower(spec: TaskSpec, doc: Document) -> ir.TaskIR:
    """Check the spec's meaning and lower it; raises `SpecError` with every problem found."""
    return _Lowerer(spec, doc).run()
