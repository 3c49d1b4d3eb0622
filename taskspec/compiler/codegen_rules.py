"""Generated methods that judge steps: the outcome rules (`_judge`, `_judge_all`) and the timeout
rules of a trial that runs out (`_timeout`, `_timeout_all`)."""

from __future__ import annotations

import ast

from . import ir
from .codegen_scope import ENVS, STEP, Scope
from .codegen_text import Method
from .render import render, translate


class RuleMethods(Scope):
    """The builders of the rule methods, for one env and for many."""

    def judge(self) -> Method:
        """The outcome rules for one step: the first that matches decides."""
        method = Method("_judge", "self, action, target, t")
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

    def timeout(self) -> list[Method]:
        """What happens when a trial reaches its last step without a rule ending it (only if the spec says)."""
        timeouts = self.task.timeouts
        if not timeouts:
            return []
        step = Method("_timeout", "self")
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
        envs = Method("_timeout_all", "self, t, _vars, _states")
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

    def judge_all(self) -> Method:
        rules = self.task.rules
        method = Method("_judge_all", "self, action, target, t, _vars, _start, _end, _states")
        method.body += self.bind(self.reads(c for r in rules for c in (r.when, r.reward, r.performance)), ENVS)
        method.body.append("_outcomes = fn.Outcomes(t)")
        for rule in rules:
            method.body += [self.where.mark(rule.when.where), self.array_rule(rule, rule.periods, rule.end_trial)]
        method.body.append("return _outcomes")
        return method
