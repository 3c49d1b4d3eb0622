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
from .expressions import Context
from .loader import Path_
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

    for i, (_, timing, path, _, copy) in enumerate(lowerer.flat):
        if not isinstance(timing, PeriodTiming):
            continue
        keys = {k: getattr(timing, k) for k in ("until", "then", "otherwise") if getattr(timing, k) is not None}
        if not keys:
            continue
        flows = True
        if copy is not None:
            lowerer.fail(path, f"{', '.join(keys)} cannot be used inside a block of repeated periods")
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
