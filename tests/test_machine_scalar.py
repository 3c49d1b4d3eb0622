"""The step machine over plain numbers (runtime/scalar.py), as the single env runs it, gives each env
the step NumPy gives it among many; and `machine.uneventful`, the single env's shortcut, claims only
what `machine.settle` does.

tests/test_vector.py checks the single env against the vector env on every bundled task; here the
machine itself is run over random situations where every branch is taken somewhere.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from taskspec.runtime import machine, scalar

PERIODS = ("fixation", "stimulus", "delay", "decision", "feedback")
FLOW = machine.Flow(
    PERIODS,
    {
        "fixation": (True, "stimulus", None),  # until: on to stimulus early
        "stimulus": (True, None, "feedback"),  # until: on after its laid-out end; ran out: feedback
        "delay": (False, "decision", None),  # empty delays pass on to the decision
        "decision": (True, "end", "feedback"),
    },
)
N = 512


def _situation(rng: np.random.Generator) -> machine.Position:
    durations = rng.integers(0, 4, (N, len(PERIODS)))
    durations[:, 0] = np.maximum(durations[:, 0], 1)
    stop = np.cumsum(durations, axis=1)
    start = stop - durations
    length = stop[:, -1]
    k = rng.integers(0, length)
    period = np.array([np.flatnonzero((start[i] <= k[i]) & (k[i] < stop[i]))[-1] for i in range(N)])
    return machine.Position(
        k, k * 100.0, period, {p: start[:, j] for j, p in enumerate(PERIODS)},
        {p: stop[:, j] for j, p in enumerate(PERIODS)}, length,
    )  # fmt: skip


def _one(at: machine.Position, i: int) -> machine.Position:
    """Env i's position in plain Python numbers, as the single env holds it."""
    return machine.Position(
        int(at.k[i]), float(at.t[i]), int(at.period[i]), {p: int(v[i]) for p, v in at.start.items()},
        {p: int(v[i]) for p, v in at.stop.items()}, int(at.length[i]),
    )  # fmt: skip


class _Outcome:
    def __init__(self, reward: Any, performance: Any, end: Any, goto: Any, ended_by: Any):
        self.reward, self.performance, self.end, self.goto = reward, performance, end, goto
        self.ended_by = ended_by  # the rule that ended the trial (`last_rule`)


class _Rules:
    """Given outcomes, `until` conditions and timeout rules, for many envs (arrays) or env i (numbers)."""

    moves = False

    def __init__(self, outcome: _Outcome, held: dict[str, np.ndarray], late: np.ndarray, i: int | None = None):
        self.outcome, self.held, self.late, self.i = outcome, held, late, i

    def _pick(self, value: np.ndarray) -> Any:
        return value if self.i is None else value[self.i].item()

    def judge(self, *_: Any) -> _Outcome:
        o = self.outcome
        return (
            o
            if self.i is None
            else _Outcome(*(self._pick(v) for v in (o.reward, o.performance, o.end, o.goto, o.ended_by)))
        )

    def until(self, period: str, *_: Any) -> Any:
        return self._pick(self.held[period])

    def timeout(self, *_: Any) -> tuple[Any, Any]:
        return self._pick(self.late[0]), self._pick(self.late[1])


def _random_step(seed: int, interactive: bool) -> tuple[machine.Position, _Rules, np.ndarray]:
    rng = np.random.default_rng(seed)
    at = _situation(rng)
    if not interactive:  # a task without flow: steps go on one by one, and some trials run out
        at.k = np.where(rng.random(N) < 0.3, at.length - 1, at.k)
    end = rng.random(N) < 0.2
    goto = (
        np.where(~end & (rng.random(N) < 0.2), rng.integers(0, len(PERIODS), N), -1)
        if interactive
        else -np.ones(N, int)
    )
    outcome = _Outcome(
        rng.normal(size=N), np.where(rng.random(N) < 0.3, rng.random(N), np.nan), end, goto,
        np.where(end, rng.integers(0, 3, N), -1),
    )  # fmt: skip
    held = {p: rng.random(N) < 0.3 for p in PERIODS}
    late = np.stack([rng.normal(size=N), np.where(rng.random(N) < 0.5, rng.random(N), np.nan)])
    return at, _Rules(outcome, held, late), rng.random(N)


def _same(scalar_value: Any, numpy_value: Any) -> bool:
    if isinstance(scalar_value, float) and math.isnan(scalar_value):
        return bool(np.isnan(numpy_value))
    return bool(scalar_value == numpy_value)


def test_settle_over_plain_numbers_is_numpys_for_each_env() -> None:
    fields = ("reward", "judged", "late", "performance", "ended", "timed_out", "decided", "next", "ended_by")
    for interactive in (True, False):
        at, rules, performance = _random_step(0, interactive)
        many = machine.settle(np, FLOW, rules, at, 0, 0, rules.outcome, performance, {}, N, interactive)
        for i in range(N):
            one_rules = _Rules(rules.outcome, rules.held, rules.late, i)
            one = machine.settle(
                scalar, FLOW, one_rules, _one(at, i), 0, 0, one_rules.judge(), float(performance[i]), {}, 1,
                interactive,
            )  # fmt: skip
            for field in fields:
                if field == "decided" and not interactive:
                    assert one.decided is None and many.decided is None
                    continue
                expected = getattr(many, field)
                expected = expected[i] if np.ndim(expected) else expected
                assert _same(getattr(one, field), expected), (interactive, i, field)
        assert many.timed_out.any() and many.ended.any() and (~many.ended).any()
        if interactive:
            assert len(set((many.next - at.k)[~many.ended].tolist())) > 3  # jumps of several lengths


def test_uneventful_steps_only_go_on() -> None:
    """Where the single env skips `settle`, settle would have given step k+1, the rules' reward and the
    performance as it was; and it skips most of the steps of a task without flow."""
    at, rules, performance = _random_step(1, interactive=False)
    skipped = 0
    for i in range(N):
        one_rules = _Rules(rules.outcome, rules.held, rules.late, i)
        here, outcome = _one(at, i), one_rules.judge()
        done = machine.settle(scalar, FLOW, one_rules, here, 0, 0, outcome, float(performance[i]), {}, 1, False)
        if machine.uneventful(outcome, here):
            skipped += 1
            assert (done.next, done.reward, done.late) == (here.k + 1, outcome.reward, 0.0)
            assert done.performance == performance[i] and not done.ended and not done.timed_out
        else:  # something happened: the trial ended, ran out, or a rule set the performance
            assert done.ended or not math.isnan(outcome.performance)
    assert 0.2 * N < skipped < 0.8 * N


def test_the_scalar_namespace_is_the_one_value_case_of_numpys() -> None:
    for condition in (True, False):
        assert scalar.where(condition, 1, 2) == np.where(condition, 1, 2)
        assert scalar.logical_not(condition) == np.logical_not(condition)
    assert scalar.isnan(math.nan) and not scalar.isnan(0.5)
    assert machine.anywhere(scalar, True) and not machine.anywhere(scalar, False)
    assert machine.kept(scalar, 0.25, math.nan) == 0.25 and machine.kept(scalar, 0.25, 1.0) == 1.0
