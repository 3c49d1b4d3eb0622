"""The step machine (runtime/machine.py) gives the same steps with NumPy and with jax.numpy.

The vector env runs it with NumPy (tests/test_vector.py checks that against the single env's
scalar path on every bundled task), the JAX env with jax.numpy (tests/test_jax_flow.py checks it
against NumPy on scripted sessions). Here the one definition is run on both namespaces over many
random situations, and on a few whose answer is known by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = jax.numpy

from taskspec.runtime import machine  # noqa: E402

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


Situation = tuple[machine.Position, dict[str, np.ndarray], np.ndarray, np.ndarray]


def _situation(rng: np.random.Generator, n: int) -> Situation:
    durations = rng.integers(0, 4, (n, len(PERIODS)))
    durations[:, 0] = np.maximum(durations[:, 0], 1)
    stop = np.cumsum(durations, axis=1)
    start = stop - durations
    length = stop[:, -1]
    k = rng.integers(0, length)
    period = np.array([np.flatnonzero((start[i] <= k[i]) & (k[i] < stop[i]))[-1] for i in range(n)])
    at = machine.Position(
        k, k * 100.0, period, {p: start[:, j] for j, p in enumerate(PERIODS)},
        {p: stop[:, j] for j, p in enumerate(PERIODS)}, length,
    )  # fmt: skip
    held = {p: rng.random(n) < 0.3 for p in PERIODS}
    end = rng.random(n) < 0.2
    goto = np.where(rng.random(n) < 0.2, rng.integers(0, len(PERIODS), n), -1)
    return at, held, end, goto


def _fields(at: machine.Position) -> tuple:  # type: ignore[type-arg]
    return (at.k, at.t, at.period, dict(at.start), dict(at.stop), at.length)


def _traced(run):  # type: ignore[no-untyped-def]
    """`run(at, *arrays)` under jit, as the JAX env runs the machine (one compiled call, not op by op)."""
    return jax.jit(lambda fields, *arrays: run(machine.Position(*fields), *arrays))


def test_next_step_is_the_same_with_numpy_and_jax() -> None:
    rng = np.random.default_rng(0)
    at, held, end, goto = _situation(rng, 2048)  # many envs at once: every branch is taken somewhere
    expected = machine.next_step(np, FLOW, at, end, goto, held.__getitem__)
    run = _traced(lambda at, end, goto, held: machine.next_step(jnp, FLOW, at, end, goto, held.__getitem__))
    got = run(_fields(at), end, goto, held)
    np.testing.assert_array_equal(np.asarray(got), expected)
    assert len(set(expected - at.k)) > 3  # jumps of several lengths, not only the next step


def test_next_step_follows_the_rules_by_hand() -> None:
    # one env: fixation 0-1, stimulus 2-3, delay empty at 4, decision 4-5, feedback 6
    start = {"fixation": 0, "stimulus": 2, "delay": 4, "decision": 4, "feedback": 6}
    stop = {"fixation": 2, "stimulus": 4, "delay": 4, "decision": 6, "feedback": 7}

    def step(k: int, period: str, end: bool = False, goto: int = -1, held: tuple[str, ...] = ()) -> int:
        at = machine.Position(
            np.array([k]), np.array([k * 100.0]), np.array([PERIODS.index(period)]),
            {p: np.array([v]) for p, v in start.items()}, {p: np.array([v]) for p, v in stop.items()}, np.array([7]),
        )  # fmt: skip
        held_fn = lambda p: np.array([p in held])  # noqa: E731
        return int(machine.next_step(np, FLOW, at, np.array([end]), np.array([goto]), held_fn)[0])

    assert step(0, "fixation") == 1  # nothing happens: the next step
    assert step(0, "fixation", held=("fixation",)) == 2  # until holds: then -> stimulus
    assert step(2, "stimulus", held=("stimulus",)) == 4  # until without then: after its laid-out end
    assert step(3, "stimulus") == 6  # ran its full length: otherwise -> feedback
    assert step(0, "fixation", goto=PERIODS.index("delay")) == 4  # an empty delay passes on to the decision
    assert step(4, "decision", held=("decision",)) == 7  # then: end -> the trial's length
    assert step(0, "fixation", end=True, held=("fixation",)) == 1  # a trial that ended moves nowhere


class _Rules:
    """Rules of a toy task: reward 1 and the end of the trial when the action is 1; timeout reward -1."""

    moves = False  # no state variables

    def __init__(self, xp):  # type: ignore[no-untyped-def]
        self.xp = xp

    def state_next(self, action, target, t, states, performance):  # type: ignore[no-untyped-def]
        return states

    def judge(self, action, target, t, states, performance):  # type: ignore[no-untyped-def]
        hit = action == 1
        outcome = type("Outcome", (), {})()
        outcome.reward = self.xp.where(hit, 1.0, 0.0)
        outcome.performance = self.xp.where(hit, 1.0, self.xp.nan)
        outcome.end, outcome.goto = hit, self.xp.full(action.shape, -1)
        outcome.ended_by = self.xp.where(hit, 0, -1)  # the one rule, index 0, ends the trials it hits
        return outcome

    def until(self, period, action, target, t, states, performance):  # type: ignore[no-untyped-def]
        return action == 2

    def timeout(self, t, states, performance):  # type: ignore[no-untyped-def]
        return self.xp.full(t.shape, -1.0), self.xp.full(t.shape, 0.0)


def test_step_is_the_same_with_numpy_and_jax() -> None:
    rng = np.random.default_rng(1)
    at, _, _, _ = _situation(rng, 256)
    action = rng.integers(0, 3, 256)
    performance = np.zeros(256)
    done = machine.step(np, FLOW, _Rules(np), at, action, action, performance, {}, 256, True)
    rules, zeros = _Rules(jnp), jnp.zeros(256)
    fields = ("reward", "performance", "ended", "timed_out", "decided", "next", "ended_by")

    def judged(at: machine.Position, action: object) -> dict[str, object]:
        step = machine.step(jnp, FLOW, rules, at, action, action, zeros, {}, 256, True)
        return {field: getattr(step, field) for field in fields}

    traced = _traced(judged)(_fields(at), action)
    for field in fields:
        np.testing.assert_allclose(np.asarray(traced[field]), getattr(done, field), err_msg=field)
    assert done.ended[action == 1].all() and (done.reward[action == 1] == 1).all()
    assert (done.ended_by == np.where(action == 1, 0, -1)).all()  # which rule ended the trial (`last_rule`)
    ran_out = done.timed_out
    assert ran_out.any() and (done.reward[ran_out] == -1).all() and not (ran_out & (action == 1)).any()
