"""Checks on what a user passes to `make`: parameters, dt, rewards, timing, trial variables.

Overrides get the same types and bounds as the spec declares and the same kind of
error (a `SpecError` naming the key, with "did you mean").
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from ..errors import Problem, SpecError, did_you_mean


def _number(value: Any) -> bool:
    """A finite real number (not a bool): NaN and infinity have no meaning as parameters."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral) and not -(2**63) <= int(value) < 2**63:
        return False  # beyond int64, as a spec's literals may not be: numpy would hold a slow Python int
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _shown(value: Any) -> str:
    """A value in a message: its repr, cut short (an override may be a huge list)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _mapping(value: Any, name: str, what: str, source: str, problems: list[Problem]) -> Mapping[str, Any]:
    """`rewards`/`timing` must map names to numbers; anything else is one problem, not a traceback."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    problems.append(
        Problem(source, 0, 0, name, f"expected a mapping of {what}, e.g. {name}={{name: value}}, got {_shown(value)}")
    )
    return {}


def _check_value(kind: str, value: Any, low: float | None, high: float | None) -> tuple[Any, str | None]:
    """The value converted to the parameter's type, or an explanation of why it does not fit."""
    if kind == "bool":
        return (value, None) if isinstance(value, bool) else (value, f"expected true or false, got {_shown(value)}")
    if kind == "list":
        if not isinstance(value, (list, tuple)) or not all(_number(v) for v in value):
            return value, f"expected a list of numbers, got {_shown(value)}"
        return [v.item() if hasattr(v, "item") else v for v in value], None
    if not _number(value) or (kind == "int" and int(value) != value):
        return value, f"expected {'a whole number' if kind == 'int' else 'a finite number'}, got {_shown(value)}"
    value = int(value) if kind == "int" else float(value)
    if low is not None and value < low:
        return value, f"{value} is below the minimum {low:g}"
    if high is not None and value > high:
        return value, f"{value} is above the maximum {high:g}"
    return value, None


def check_overrides(cls: Any, params: dict[str, Any], dt: Any, rewards: Any, timing: Any) -> tuple[Any, ...]:
    """(params, dt, rewards, timing overrides) for an env of `cls`, or a SpecError listing every problem."""
    source = f"{cls.task_name} (make arguments)"
    problems: list[Problem] = []
    specs = {p.name: p for p in cls.info.params}
    values = {name: spec.default for name, spec in specs.items()}
    for name, value in params.items():
        name = str(name)
        if name not in specs:
            known = list(specs) + ["dt", "rewards", "timing"]
            problems.append(
                Problem(source, 0, 0, f"params.{name}", f"unknown parameter '{name}'{did_you_mean(name, known)}")
            )
            continue
        spec = specs[name]
        values[name], why = _check_value(spec.kind, value, spec.low, spec.high)
        if why and spec.low is not None and spec.low == spec.high:  # e.g. a parameter that counts repeated periods
            why = f"'{name}' is fixed at {spec.low:g}" + (f": {spec.doc}" if spec.doc else "")
        if why:
            problems.append(Problem(source, 0, 0, f"params.{name}", why))
    if dt is None:
        dt = cls.default_dt
    elif not _number(dt) or not 0 < dt < float("inf"):
        problems.append(Problem(source, 0, 0, "dt", f"dt must be a positive number of ms, got {_shown(dt)}"))
    reward_values = dict(cls.default_rewards)
    for name, value in _mapping(rewards, "rewards", "reward names to numbers", source, problems).items():
        name = str(name)
        if name not in reward_values:
            problems.append(
                Problem(source, 0, 0, f"rewards.{name}", f"unknown reward '{name}'{did_you_mean(name, reward_values)}")
            )
        elif not _number(value):
            problems.append(Problem(source, 0, 0, f"rewards.{name}", f"expected a number, got {_shown(value)}"))
        else:
            reward_values[name] = float(value)
    timing_over: dict[str, float] = {}
    for name, value in _mapping(timing, "timing", "period names to durations in ms", source, problems).items():
        name = str(name)
        if name not in cls.default_timing:
            problems.append(
                Problem(
                    source, 0, 0, f"timing.{name}", f"unknown period '{name}'{did_you_mean(name, cls.default_timing)}"
                )
            )
        elif not _number(value) or not 0 <= value < float("inf"):
            problems.append(
                Problem(source, 0, 0, f"timing.{name}", f"expected a duration in ms >= 0, got {_shown(value)}")
            )
        else:
            timing_over[name] = float(value)
    if problems:
        raise SpecError(problems)
    return values, float(dt), reward_values, timing_over


def check_trial_overrides(cls: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """Trial variables fixed by `new_trial(**overrides)` must exist and be numbers."""
    problems = []
    source = f"{cls.task_name} (new_trial arguments)"
    names = cls.trial_variables
    for name, value in overrides.items():
        if name not in names:
            problems.append(
                Problem(source, 0, 0, f"trial.{name}", f"unknown trial variable '{name}'{did_you_mean(name, names)}")
            )
        elif not _number(value) and not isinstance(value, bool):
            problems.append(Problem(source, 0, 0, f"trial.{name}", f"expected a number, got {_shown(value)}"))
    if problems:
        raise SpecError(problems)
    return overrides


def check_session_values(cls: Any, values: Any) -> dict[str, Any]:
    """Session variables given for a trial (`new_trial(session=...)`, `generate(..., session=...)`):
    every one of the task's, each a number or a list of numbers (a vector session variable)."""
    source = f"{cls.task_name} (session values given)"
    names = cls.session_variables
    if not isinstance(values, Mapping):
        raise SpecError(
            [Problem(source, 0, 0, "session", f"expected a mapping of names to values, got {_shown(values)}")]
        )
    problems = [
        Problem(source, 0, 0, f"session.{name}", f"unknown session variable '{name}'{did_you_mean(str(name), names)}")
        for name in values
        if name not in names
    ]
    missing = [name for name in names if name not in values]
    if missing:  # the others' `next` would read values this trial never had
        listed = ", ".join(f"'{name}'" for name in missing)
        problems.append(Problem(source, 0, 0, "session", f"give every session variable a value; missing: {listed}"))
    for name in names:
        value = values.get(name)
        entries = value if isinstance(value, (list, tuple)) else [value]
        if name in values and not all(_number(v) or isinstance(v, bool) for v in entries):
            problems.append(
                Problem(source, 0, 0, f"session.{name}", f"expected a number or a list of numbers, got {_shown(value)}")
            )
    if problems:
        raise SpecError(problems)
    return {name: values[name] for name in names}
