"""The generated `_settle`: the step machine's second half for one env, written for one task's flow.

`runtime/machine.py` says once what a step means, over an array namespace; the single env could
run it over plain numbers (`runtime/scalar.py`), but a general machine pays at every step for
what most tasks never use (gotos, `until`, `then`, timeout rules). Here the machine's `settle`
is rendered for one task from the IR, over plain Python numbers: a task without `until` gets no
`until` code, one without timeout rules no timeout rules, and so on. tests/test_scalar_settle.py
holds it equal, step for step on every bundled task, to `machine.settle` over `runtime/scalar.py`
(`TrialEnv.machine_settle`).

The method takes what the scalar `_judge` returned (the reward, the performance or None, and
True, False or the period a `goto` names) and returns the machine's `Step` as the single env
reads it: (the rules' reward, the timeout's reward or None if the trial did not run out, the
performance, whether the trial ended, the step after k).
"""

from __future__ import annotations

from . import ir
from .codegen_scope import STEP, Scope
from .codegen_text import Method
from .render import render

# The names `_settle`'s expressions read: as in `_judge`, but the performance is the method's own
# local (after this step's rule, as the machine hands it to `until` and the timeout rules).
SETTLE = {kind: local for kind, local in STEP.items() if kind != "outcome"}


class SettleMethods(Scope):
    """The builder of `_settle`."""

    def flow_links(self) -> dict[str, tuple[ir.Code | None, str | None, str | None]]:
        """Each period with an `until` or a `then`: (its `until`, `then`, `otherwise`), as `TaskInfo.flow`."""
        return {p.name: (p.until, p.then, p.otherwise) for p in self.task.periods if p.until or p.then}

    def settle(self) -> Method:
        """`machine.settle` for one env of this task (see the module's docstring)."""
        method = Method("_settle", "self, _k, action, target, t, _judged, _performed, _ended")
        body = method.body
        # kept(): a rule that sets no performance leaves it as it was (fn.scalar refuses NaN, so None is unset)
        body += ["performance = self.performance if _performed is None else _performed", "_nxt = _k + 1"]
        links = self.flow_links()
        gotos = any(r.goto for r in self.task.rules)
        if links or gotos:
            body.append("_dest = None  # the period the trial enters next, if any ('end': the trial's end)")
        if links:
            body += ["if _ended is False:", "    _period = self._period_at[_k]"]
            body += [f"    {line}" for line in self.next_period(links)]
        if gotos:  # the rule's goto: `_judge` returns the period's name in place of True or False
            body += [
                "elif _ended is not True:" if links else "if _ended is not True and _ended is not False:",
                "    _dest, _ended = _ended, False",
            ]
        if links or gotos:
            body += ["if _dest is not None:", *(f"    {line}" for line in self.enter(links))]
        body += ["_late = None", "if _nxt >= self._length and not _ended:  # the trial ran out"]
        body += [f"    {line}" for line in self.timeout_lines()]
        body += ["    _ended = True", "return _judged, _late, performance, _ended, _nxt"]
        return method

    def next_period(self, links: dict[str, tuple[ir.Code | None, str | None, str | None]]) -> list[str]:
        """machine.next_step's first loop: a period whose `until` holds goes on with its `then` (or the
        step after its laid-out end); one that ran its full length with its `otherwise` or `then`."""
        lines = []
        for index, (name, (until, then, otherwise)) in enumerate(links.items()):
            lines.append(f"{'if' if index == 0 else 'elif'} _period == {name!r}:")
            towards = otherwise or then
            full = f"_nxt >= self.end_ind[{name!r}]"
            if until is not None:
                hit = f"_dest = {then!r}" if then is not None else f"_nxt = self.end_ind[{name!r}]"
                lines += [f"    {line}" for line in self.bind(self.reads([until]), SETTLE)]
                lines += [
                    f"    {self.where.mark(until.where)}",
                    f"    if {render(until.expr, False)}:",
                    f"        {hit}",
                ]
                if towards is not None:
                    lines += [f"    elif {full}:", f"        _dest = {towards!r}"]
            elif towards is not None:
                lines += [f"    if {full}:", f"        _dest = {towards!r}"]
            else:
                lines.append("    pass")
        return lines

    def enter(self, links: dict[str, tuple[ir.Code | None, str | None, str | None]]) -> list[str]:
        """machine.next_step's last part: a period of no steps passes on to its `then` (one pass per period
        at most, as jumps only go forward); the step after k is the first of the period entered."""
        passing = [(name, then) for name, (_, then, _) in links.items() if then is not None]
        lines = []
        if passing:
            lines += [f"for _ in range({len(self.task.periods)}):", "    _moved = False"]
            for name, then in passing:
                lines += [
                    f"    if _dest == {name!r} and self.start_ind[{name!r}] == self.end_ind[{name!r}]:",
                    f"        _dest, _moved = {then!r}, True",
                ]
            lines += ["    if not _moved:", "        break"]
        return [*lines, "_nxt = self._length if _dest == 'end' else self.start_ind[_dest]"]

    def timeout_lines(self) -> list[str]:
        """The timeout rules (the hook `_timeout`'s, reading this step's performance): `_late` and the
        performance they set; with none, the trial ends with no more reward."""
        timeouts = self.task.timeouts
        if not timeouts:
            return ["_late = 0.0"]
        lines = self.bind(self.reads(c for r in timeouts for c in (r.when, r.reward, r.performance)), SETTLE)
        performs = any(r.performance is not None for r in timeouts)  # else the performance stays as it is
        for index, rule in enumerate(timeouts):
            late = self.scalar_value(rule.reward, "reward")
            values = [
                f"_late, _performed = {late}, {self.scalar_value(rule.performance, 'performance')}"
                if performs
                else f"_late = {late}"
            ]
            lines.append(self.where.mark(rule.when.where))
            if self.always(rule.when):
                lines += values if index == 0 else ["else:", *(f"    {line}" for line in values)]
                break
            test = render(rule.when.expr, False)
            lines += [f"{'if' if index == 0 else 'elif'} {test}:", *(f"    {line}" for line in values)]
        else:
            lines += ["else:", "    _late, _performed = 0.0, None" if performs else "    _late = 0.0"]
        return [*lines, "if _performed is not None:", "    performance = _performed"] if performs else lines
