"""Generated methods that draw and lay out trials: groups' sizes, session variables, trial
variables and durations (`_sample_trials`), inputs and targets (`_fill`)."""

from __future__ import annotations

import ast

from .codegen_scope import TRIALS, Scope, names_in, rows_of, scalar_length, task_codes
from .codegen_text import Method
from .render import render


class TrialMethods(Scope):
    """The builders of the methods that make batches of trials."""

    def group_sizes(self) -> Method:
        """The groups' sizes for the parameters given to `make`, and the lengths of vectors that meet
        entry by entry compared for them (shapes.py found which; they follow parameters)."""
        task = self.task
        groups = [("observation", g) for g in task.observation] + [("action", g) for g in task.action]
        agreements = [(code.where, pair) for code in task_codes(task) for pair in code.expr.agreements]
        agreements = [(where, pair) for where, pair in agreements if self._of_params(pair)]
        reads = self.reads(g.size for _, g in groups) | {n for _, pair in agreements for n in names_in(pair)}
        reads |= self.reads(task.window_sizes)
        kept = [
            (c.where, k) for c in task_codes(task) if (k := c.expr.kept) and self._of_params((k.length, k.start_length))
        ]
        reads |= {n for _, k in kept for n in names_in((k.length, k.start_length))}
        method = Method("_group_sizes", "self, _params")
        method.body += self.bind(reads, {"param": "_params[{}]", "dt": "self.dt"})
        method.body.append("_sizes = {'observation': [], 'action': []}")
        for space, g in groups:
            method.body += [
                self.where.mark(g.size.where),
                f"_sizes[{space!r}].append(({g.name!r}, fn.size({render(g.size.expr, False)})))",
            ]
        for where, k in kept:  # said in words of the variable and its start value (shapes.keeps_shape)
            lengths = f"{scalar_length(k.length)}, {scalar_length(k.start_length)}"
            method.body += [
                self.where.mark(where),
                f"fn.keeps_length({lengths}, {k.kind!r}, {k.variable!r}, {k.start!r})",
            ]
        for where, (a, b) in agreements:
            method.body += [self.where.mark(where), f"fn.same_length({scalar_length(a)}, {scalar_length(b)})"]
        for size in task.window_sizes:  # a window over past trials spans at most machine.WINDOW of them
            method.body += [self.where.mark(size.where), f"fn.window_size({render(size.expr, False)})"]
        method.body.append("return _sizes")
        return method

    def _of_params(self, pair: tuple[ast.expr, ast.expr]) -> bool:
        return all(self.kinds.get(name) == "param" or name == "dt" for name in names_in(pair))

    def session(self) -> list[Method]:
        task = self.task
        if not task.session:
            return []
        first = Method("_session_init", "self, _rng, _n")
        first.body += self.bind(self.reads(s.init for s in task.session), TRIALS)
        first.body.append("_new = {}")
        for s in task.session:
            first.body += [
                self.where.mark(s.init.where),
                f"_new[{s.name!r}] = {rows_of(s.init)}(_n, fn.bounded({render(s.init.expr, True)}))",
            ]
        first.body.append("return _new")
        # `_last`: the finished trial's outcome and variables, when a `next` reads them
        step = Method(
            "_session_next", "self, _rng, _n, _prev, _last" if task.reads_history else "self, _rng, _n, _prev"
        )
        step.body += self.bind(self.reads(s.next for s in task.session), {**TRIALS, "history": "_last[{}]"})
        step.body += [f"{s.name} = _prev[{s.name!r}]" for s in task.session]
        for s in task.session:  # in order: each sees those above it already updated
            # Updated again and again: fn.bounded refuses a value that overflows, before it compounds.
            step.body += [
                self.where.mark(s.next.where),
                f"{s.name} = {rows_of(s.next)}(_n, fn.bounded({render(s.next.expr, True)}))",
            ]
        step.body.append("return " + self.returns(s.name for s in task.session))
        return [first, step]

    def sample_trials(self) -> Method:
        task = self.task
        method = Method("_sample_trials", "self, _rng, _n, _fixed, _session")
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
                f"{v.name} = {rows_of(v.value)}(_n, _fixed[{v.name!r}] if {v.name!r} in _fixed else {value})",
            ]
        for s in task.state:
            method.body += [
                self.where.mark(s.init.where),
                f"{s.name} = {rows_of(s.init)}(_n, {render(s.init.expr, True)})",
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

    def fill(self) -> Method:
        task = self.task
        method = Method("_fill", "self, _trials, _vars, _start, _end, t")
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
