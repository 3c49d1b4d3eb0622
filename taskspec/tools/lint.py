"""Checks a spec can only fail at run time: a short ground-truth rollout looks for rewards nobody earns.

A spec can validate and still be silently wrong, e.g. a one-step target
`go if t - start('set') == ts` never fires when `ts` is not a whole number of steps, and the
ground-truth policy quietly earns nothing. `check_rollout` plays a few dozen trials with the
ground truth as the action (a fixed seed, default parameters) and reports, as located
`SpecWarning`s:

(a) a target entry that names an action (e.g. `go`) which some outcome rule rewards during the
    target's periods, while the target never takes that value on the rule's steps;
(b) a ground-truth policy that earns no positive reward at all, although some rule can pay one.

Tasks without a target have no ground-truth policy to follow and are not checked.
"""

from __future__ import annotations

import ast
import operator
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Problem, SpecWarning
from ..library import load, task_ir
from ..runtime import TrialEnv

if TYPE_CHECKING:
    from ..compiler.ir import Location, RuleIR, TaskIR

__all__ = ["check_rollout"]

_ARITHMETIC: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@dataclass
class _Step:
    """What the rollout saw at one step: which periods held it, the ground truth and the reward."""

    periods: frozenset[str]
    gt: Any
    reward: float


def check_rollout(
    task: str | Path | type[TrialEnv], trials: int = 40, seed: int = 0, warn: bool = True
) -> list[Problem]:
    """Play `trials` trials of `task` with the ground-truth policy and return (and, with `warn`,
    issue as `SpecWarning`s) the located problems described in this module's docstring.

    `task` is a bundled task name, a spec path or a class from `taskspec.load`/`load_text`.
    """
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise ValueError(f"trials must be a whole number >= 1, got {trials!r}")
    cls = task if isinstance(task, type) else load(task)
    origin = getattr(cls, "spec_origin", None)
    if not (isinstance(cls, type) and issubclass(cls, TrialEnv)) or origin is None:
        raise TypeError("check_rollout needs a task name, a spec path or a class made by taskspec.load")
    if not cls.info.has_target:
        return []
    spec_ir = task_ir(origin)
    env = cls()
    steps = _rollout(env, trials, seed)
    problems = _unreached_targets(spec_ir, env, steps, trials, seed) + _nothing_earned(
        spec_ir, env, steps, trials, seed
    )
    if warn:
        for problem in problems:
            warnings.warn(str(problem), SpecWarning, stacklevel=2)
    return problems


def _rollout(env: TrialEnv, trials: int, seed: int) -> list[_Step]:
    """Steps of `trials` whole trials answered with the ground truth (the action judged at each step)."""
    env.reset(seed=seed)
    steps: list[_Step] = []
    done = 0
    while done < trials:
        t = env.t
        held = frozenset(p for p, start in env.start_t.items() if start <= t < env.end_t.get(p, start))
        action = env.gt_now
        _, reward, terminated, truncated, info = env.step(action)
        steps.append(_Step(held, info["gt"], float(reward)))
        if info["new_trial"]:
            done += 1
        if terminated or truncated:
            env.reset()
    return steps


def _in(periods: tuple[str, ...], step: _Step) -> bool:
    return not periods or not step.periods.isdisjoint(periods)


def _pays(rule: RuleIR, env: TrialEnv) -> bool:
    """Whether a rule can pay a positive reward: its reward's value when it is fixed by rewards,
    parameters and numbers, else (it depends on the trial or the time) assumed to."""
    value = _fixed_value(rule.reward.expr.tree, {**env.params, **env.rewards, "dt": env.dt})
    return value is None or value > 0


def _fixed_value(node: ast.expr, names: Mapping[str, Any]) -> float | None:
    """The number an expression of named numbers and arithmetic stands for; None if anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        value = names.get(node.id)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _fixed_value(node.operand, names)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _fixed_value(node.left, names), _fixed_value(node.right, names)
        if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
            return None
        return _ARITHMETIC[type(node.op)](left, right)
    return None


def _rewarded_actions(rule: RuleIR, actions: Mapping[str, Any]) -> set[str]:
    """Single actions a rule's condition requires, `action == go` alone or in an `and`."""
    tree = rule.when.expr.tree
    terms = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    found = set()
    for term in terms:
        if isinstance(term, ast.Compare) and len(term.ops) == 1 and isinstance(term.ops[0], ast.Eq):
            sides = {n.id for n in (term.left, term.comparators[0]) if isinstance(n, ast.Name)}
            if "action" in sides:
                found |= {name for name in sides if name in actions}
    return found


def _rule_name(rule: RuleIR) -> str:
    return rule.when.where.path.split(".")[0]  # "outcomes[2]"


def _during(periods: tuple[str, ...]) -> str:
    return "the whole trial" if not periods else ", ".join(periods)


def _problem(where: Location, message: str) -> Problem:
    return Problem(where.file, where.line, where.col, where.path, message)


def _unreached_targets(task: TaskIR, env: TrialEnv, steps: list[_Step], trials: int, seed: int) -> list[Problem]:
    """(a): a target naming an action that a paying rule rewards, never taking that value on the rule's steps."""
    # single actions only: a group of several columns has no one index to compare with the ground truth
    actions = {name: index for name, index in env.action_index.items() if isinstance(index, (int, np.integer))}
    if env.action_type != "discrete" or not actions:
        return []
    problems = []
    for target in task.targets:
        named = target.value.names & actions.keys()
        for rule in task.rules:
            if not _pays(rule, env):
                continue
            shared = set(rule.periods) & set(target.periods) if rule.periods and target.periods else True
            for name in sorted(_rewarded_actions(rule, actions) & named):
                index = actions[name]
                if shared and not any(_in(rule.periods, s) and int(s.gt) == index for s in steps):
                    problems.append(
                        _problem(
                            target.value.where,
                            f"the target is never '{name}' during {_during(rule.periods)} in a ground-truth "
                            f"rollout of {trials} trials (seed {seed}), so {_rule_name(rule)}, which rewards "
                            f"action '{name}' there, never pays; check its condition (e.g. a time that is not "
                            f"a whole number of dt = {env.dt:g} ms steps never matches t)",
                        )
                    )
    return problems


def _nothing_earned(task: TaskIR, env: TrialEnv, steps: list[_Step], trials: int, seed: int) -> list[Problem]:
    """(b): the ground-truth policy earns no positive reward although some rule can pay one."""
    paying = [rule for rule in task.rules if _pays(rule, env)]
    if not paying or any(s.reward > 0 for s in steps):
        return []
    rule = paying[0]
    return [
        _problem(
            rule.when.where,
            f"the ground-truth policy earned no positive reward in {trials} trials (seed {seed}), though "
            "this rule can pay one; check that the target leads to the rules that pay",
        )
    ]
