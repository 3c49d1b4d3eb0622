"""Lowering of the rules of a step: outcome rules, `response:` (the rules it stands for) and
agent-contingent timing (`until`, `then`, `otherwise` on periods, `goto` on rules).

Kept apart from `lower.py` (as `placements.py` is): these functions only need the lowerer's
checks (`fail`, `expr`, `check_periods`) and its spec and periods.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import did_you_mean
from . import ir
from .expressions import check_expression
from .language import Context, ExprError
from .loader import Path_, dotted
from .models import PeriodTiming, Response


def lower_flow(
    lowerer: Any, periods: tuple[ir.PeriodIR, ...], rules: list[ir.RuleIR], ctx: Context
) -> tuple[ir.PeriodIR, ...]:
    """Agent-contingent timing: `until`, `then` and `otherwise` on periods, `goto` on rules.

    Jumps only go forward (to a period listed later), so a trial cannot loop, and every period
    must be reachable: from the start, from the period before it, or as the target of a jump.
    """
    order = {p.name: i for i, p in enumerate(periods)}
    out = list(periods)
    flows = False

    def target(path: Path_, name: str, after: int, allow_end: bool = True) -> None:
        if name == "end" and allow_end:
            return
        if name not in order:
            choices = set(order) | ({"end"} if allow_end else set())
            lowerer.fail(path, f"unknown period '{name}'{did_you_mean(name, choices)}")
        elif order[name] <= after:
            lowerer.fail(path, f"'{name}' is not listed after the period it follows; the trial can only move forward")

    in_copies: dict[Path_, ir.Code] = {}  # a block's period's `until`, checked once for all its copies
    refused: set[Path_] = set()
    for i, (_, timing, path, _, copy) in enumerate(lowerer.flat):
        if not isinstance(timing, PeriodTiming):
            continue
        keys = {k: getattr(timing, k) for k in ("until", "then", "otherwise") if getattr(timing, k) is not None}
        if not keys:
            continue
        flows = True
        if copy is not None:
            jumps = [key for key in keys if key != "until"]
            if jumps:  # each copy goes on with the next one laid out: `until` ends it early, nothing jumps
                if path not in refused:
                    refused.add(path)
                    lowerer.fail(path, f"{', '.join(jumps)} cannot be used inside a block of repeated periods")
                continue
            if path not in in_copies:
                in_copies[path] = lowerer.expr((*path, "until"), timing.until, ctx)
            out[i] = dataclasses.replace(out[i], until=in_copies[path])
            continue
        if timing.otherwise is not None and timing.until is None:
            lowerer.fail(
                (*path, "otherwise"), "'otherwise' says where an 'until' period goes when it runs out; add 'until'"
            )
        for key in ("then", "otherwise"):
            if keys.get(key) is not None:
                target((*path, key), keys[key], i)
        until = None if timing.until is None else lowerer.expr((*path, "until"), timing.until, ctx)
        out[i] = dataclasses.replace(out[i], until=until, then=timing.then, otherwise=timing.otherwise)
    for j, rule in enumerate(rules):
        if rule.goto is None:
            continue
        flows = True
        path = ("outcomes", j)
        if rule.end_trial:
            lowerer.fail((*path, "goto"), "a rule either ends the trial or goes to a period, not both")
        if not rule.periods:
            lowerer.fail((*path, "goto"), "a rule with 'goto' needs 'during': the periods it may leave")
            continue
        target((*path, "goto"), rule.goto, max(order.get(p, 0) for p in rule.periods), allow_end=False)
    if not flows:
        return periods
    for _, timing, path, _, _ in lowerer.flat:
        if isinstance(timing, PeriodTiming) and timing.after is not None:
            lowerer.fail((*path, "after"), "'after' (overlapping periods) cannot be combined with until/then/goto")
    jumped_to = {r.goto for r in rules} | {p.then for p in out} | {p.otherwise for p in out}
    reached: list[bool] = []
    for i, p in enumerate(out):
        # a period without `then` flows into the next one when it ends (or when its `until` holds)
        reached.append(i == 0 or p.name in jumped_to or (reached[i - 1] and out[i - 1].then is None))
        if not reached[i]:
            lowerer.fail(
                ("periods", p.name),
                f"period '{p.name}' can never start: the period before it goes elsewhere and no "
                "'then', 'otherwise' or 'goto' leads to it",
            )
    return tuple(out)


def rule(
    lowerer: Any, path: Path_, during: Any, when: Any, reward: Any, performance: Any, end: bool, ctx: Context
) -> ir.RuleIR:
    return ir.RuleIR(
        lowerer.check_periods((*path, "during"), during),
        lowerer.expr((*path, "when"), when, ctx),
        lowerer.expr((*path, "reward"), reward, ctx),
        None if performance is None else lowerer.expr((*path, "performance"), performance, ctx),
        end,
    )


def response_rules(lowerer: Any, ctx: Context) -> list[ir.RuleIR]:
    """The rules `response:` stands for, placed after the explicit ones (see models.Response)."""
    response = lowerer.spec.response
    if response is None:
        return []
    path: Path_ = ("response",)
    before = len(lowerer.problems)
    rules = _response_rules(lowerer, response, path, ctx)
    if lowerer.doc.file_of(path) != lowerer.doc.file:  # inherited: say how to drop it
        lowerer.problems[before:] = [
            dataclasses.replace(p, message=f"{p.message} (this 'response' is inherited; 'response: ~' drops it)")
            for p in lowerer.problems[before:]
        ]
    return rules


def _response_rules(lowerer: Any, response: Response, path: Path_, ctx: Context) -> list[ir.RuleIR]:
    if lowerer.spec.action_type != "discrete":
        lowerer.fail(path, "'response' judges discrete actions; write the rules of continuous actions as outcomes")
        return []
    group = response.fixation
    known = lowerer.names.get(group) == "action group"
    if not known:
        hint = did_you_mean(group, lowerer.spec.action)
        lowerer.fail(
            (*path, "fixation"), f"unknown action group '{group}'{hint}; name the group that means 'no answer'"
        )
    hold = lowerer.check_periods((*path, "hold"), response.hold)
    during = lowerer.check_periods((*path, "during"), response.during)
    both = [name for name in during if name in hold]
    if both:
        lowerer.fail(
            (*path, "hold"),
            f"period '{both[0]}' is both in 'hold' and in 'during'; the agent either holds or answers",
        )
    rewards = {}
    for key in ("abort", "correct", "fail"):
        value = getattr(response, key)
        if key not in response.model_fields_set and key == "correct" and "correct" not in lowerer.spec.rewards:
            lowerer.fail(
                (*path, "correct"),
                "no reward is named 'correct': declare it under 'rewards', or set 'correct' here",
            )
            value = 0
        elif value is None:  # abort and fail default to the reward of that name, if declared
            value = key if key in lowerer.spec.rewards else 0
        rewards[key] = lowerer.expr((*path, key), value, ctx)
    if not known:
        return []
    # `group` passed the identifier check when it was declared, so these texts parse as written
    left = lowerer.expr((*path, "hold"), f"action != {group}", ctx)
    right = lowerer.expr((*path, "during"), f"action != {group} and action == target", ctx)
    wrong = lowerer.expr((*path, "during"), f"action != {group}", ctx)
    performance = lowerer.expr((*path, "correct"), 1, ctx)
    rules = [ir.RuleIR(hold, left, rewards["abort"], None, response.abort_ends_trial)] if hold else []
    rules.append(ir.RuleIR(during, right, rewards["correct"], performance, True))
    rules.append(ir.RuleIR(during, wrong, rewards["fail"], None, True))
    return rules


def lower_windows(
    lowerer: Any, rules: list[ir.RuleIR], ctx: Context, state_init: dict[str, ir.Code]
) -> tuple[list[ir.RuleIR], tuple[ir.StateIR, ...]]:
    """Rules with `each: W` score the first response in each copy of W (a block, a block's period, or
    a plain period, which has one copy) without ending the trial.

    Written out in the core language, so every backend runs it through the one step machine: two
    state variables per window, `_answeredJ` (the copy last answered, -1 at first) and
    `_answeredJ_before` (its value before this step, listed first so it reads the old value). A
    copy counts as answered at the first step where one of the window's conditions holds; the
    window's rules apply only while the copy was not answered before the step, and each adds its
    performance divided by the number of copies, so the trial's performance is the mean over copies.
    """
    groups: dict[str, list[int]] = {}
    for i, outcome in enumerate(lowerer.spec.outcomes):
        if outcome.each is not None:
            groups.setdefault(outcome.each, []).append(i)
    hidden: list[ir.StateIR] = []
    out = list(rules)
    for j, (window, members) in enumerate(groups.items()):
        path: Path_ = ("outcomes", members[0], "each")
        copies = None if window in lowerer.periods else lowerer.copies.get(window)
        if window not in lowerer.periods and copies is None:
            choices = lowerer.periods | set(lowerer.aliases)
            lowerer.fail(path, f"unknown period or block '{window}'{did_you_mean(window, choices)}")
            continue
        written = tuple(dotted(("outcomes", i)) for i in members)
        if any(p.path.startswith(written) for p in lowerer.problems):
            continue  # reported where the spec wrote it: written out again it would only repeat that
        problems = len(lowerer.problems)
        for i in members:
            outcome = lowerer.spec.outcomes[i]
            if outcome.end_trial or outcome.goto is not None:
                lowerer.fail(
                    ("outcomes", i, "each"),
                    "a rule with 'each' scores a copy and lets the trial go on; it cannot end the trial or 'goto'",
                )
            if rules[i].periods != rules[members[0]].periods:
                lowerer.fail(("outcomes", i, "during"), f"the rules with 'each: {window}' must share one 'during'")
        if len(lowerer.problems) > problems:
            continue
        current = "rep" if copies else "0"  # the copy the step is in (a plain period has one, 0)
        count = len(copies) if copies else 1
        seen, before = f"_answered{j}", f"_answered{j}_before"
        inner = dataclasses.replace(ctx, names={**ctx.names, seen: "state variable", before: "state variable"})
        whens = [lowerer.spec.outcomes[i].when for i in members]
        # The spec's texts were checked where written (the rules above); here they are re-parsed and
        # checked again inside the written-out conditions.
        any_hit = " or ".join(f"({_text(w)})" for w in whens)
        for name in (before, seen):
            state_init[name] = lowerer.expr(path, -1, lowerer.at("state init"))
        hidden.append(ir.StateIR(before, state_init[before], _written_out(lowerer, path, seen, inner), ()))
        # the spec's conditions first: a step without an answer never works out the current copy
        moved = f"{current} if ({any_hit}) and {seen} != {current} else {seen}"
        periods = rules[members[0]].periods
        hidden.append(ir.StateIR(seen, state_init[seen], _written_out(lowerer, path, moved, inner), periods))
        for i in members:
            outcome = lowerer.spec.outcomes[i]
            text = f"({_text(outcome.when)}) and {before} != {current}"
            when = _written_out(lowerer, ("outcomes", i, "when"), text, inner)
            performance = None
            if outcome.performance is not None:
                # the sum so far times the copies is a whole number again: each step rounds only once
                text = f"(performance * {count} + ({_text(outcome.performance)})) / {count}"
                performance = _written_out(lowerer, ("outcomes", i, "performance"), text, inner)
            out[i] = dataclasses.replace(out[i], when=when, performance=performance)
    return out, tuple(hidden)


def _written_out(lowerer: Any, path: Path_, text: str, ctx: Context) -> ir.Code:
    """An expression the compiler wrote around the spec's own texts. Those were checked (names and
    shapes) where the spec wrote them, with their positions; problems here would repeat them at
    columns of a text the spec never held, so they are left to that check (`lowerer.quiet`)."""
    try:
        checked = check_expression(text, ctx)
    except ExprError as exc:
        lowerer.fail(path, exc.message)
        checked = check_expression(0, ctx)
    code = ir.Code(checked, lowerer.where(path))
    lowerer.codes.append((path, code, False))
    lowerer.quiet.add(id(code))
    return code


def _text(value: Any) -> str:
    """A spec expression (text, number or truth value) as text to embed in a written-out one."""
    return value if isinstance(value, str) else repr(value)
