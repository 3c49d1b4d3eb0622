"""Generated methods of what the agent moves within a trial: state variables and the inputs that
show them (`_state_next`, `_add_state_inputs`, ...), and the `until` conditions that end periods."""

from __future__ import annotations

import ast

from .codegen_scope import ENVS, STEP, Scope
from .codegen_text import Method
from .render import render


class FlowMethods(Scope):
    """The builders of the state and `until` methods, for one env and for many."""

    def state(self) -> list[Method]:
        """State variables moved by the agent, and the inputs that show them: for one env and for many."""
        task = self.task
        moved = [i for i in task.inputs if i.follows_state]
        if not task.state and not moved:
            return []
        names = [s.name for s in task.state]
        step = Method("_state_next", "self, action, target, t")
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
        show = Method("_add_state_inputs", "self, _ob, t")
        show.body += self.bind(self.reads([i.value for i in moved], [p for i in moved for p in i.periods]), STEP)
        for i in moved:
            assert i.value is not None
            add = f"_ob[self._input_columns[{i.index}]] += {render(i.value.expr, False)}"
            test = self.inside(i.periods)
            show.body.append(self.where.mark(i.value.where))
            show.body += [add] if test is None else [f"if {ast.unparse(test)}:", f"    {add}"]
        show.body.append("return _ob")
        envs = Method("_state_next_all", "self, action, target, t, _vars, _start, _end, _states")
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
        shown = Method("_add_state_inputs_all", "self, _ob, t, _vars, _period_start, _period_end, _states")
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

    def until(self) -> list[Method]:
        """The `until` conditions that end periods early: for one env, and for every env at once."""
        periods = [p for p in self.task.periods if p.until is not None]
        if not periods:
            return []
        step = Method("_until", "self, _period, action, target, t")
        envs = Method("_until_all", "self, _period, action, target, t, _vars, _start, _end, _states")
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
