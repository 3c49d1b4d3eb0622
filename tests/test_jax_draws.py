"""`choice(..., replace=False)` in the JAX backend: the same distribution as the NumPy backend's.

The generators differ, so the values differ draw by draw; what must agree is the distribution.
Each backend draws N trials; every row holds distinct values, and each position's frequency of
each value (and, for the weighted draw, of each ordered pair) agrees with NumPy's within 5
standard errors of the difference of two frequencies, and with the probabilities worked out by
hand. A draw that cannot be made (more distinct values than options) is refused when the env is
made, with the spec location, as NumPy refuses it when it draws a trial.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import taskspec  # noqa: E402
import taskspec.jax as tj  # noqa: E402
from taskspec import SpecError  # noqa: E402

N = 6000
SPEC = """
task: distinct
dt: 10
params: {cohs: [5, 10, 20, 40], k: 3}
observation: {fixation: 1, coh: 1}
action: {fixation: 1, choice: 2}
trial:
  picked: choice(cohs, size=k, replace=False)
  one: choice(cohs, replace=False)
  weighted: choice(5, size=2, replace=False, p=[0.5, 0.25, 0.25, 0, 0])
  items: choice(8, size=6, replace=False)
  shown: integers(1, 7)
  used: arange(6) < shown
periods: {fixation: 100, decision: 100}
inputs:
  - {during: fixation, where: fixation, value: 1}
  - {during: decision, where: coh, value: "picked[0]"}
"""


@pytest.fixture(scope="module")
def task():
    return taskspec.load_text(SPEC, "distinct.yaml")


@pytest.fixture(scope="module")
def both(task):
    jax_batch = tj.generate_trials(task, jax.random.key(3), N)
    numpy_batch = taskspec.generate_trials(task, N, seed=3)
    return (
        {k: np.asarray(v) for k, v in jax_batch.variables.items()},
        {k: np.asarray(v) for k, v in numpy_batch.variables.items()},
    )


def _agree(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """Two frequencies of N draws each agree within 5 standard errors of their difference."""
    pooled = (a + b) / 2
    tolerance = 5 * np.sqrt(np.maximum(pooled * (1 - pooled), 1 / N) * 2 / N)
    assert np.all(np.abs(a - b) <= tolerance), f"{what}: JAX {a} against NumPy {b}"


def _frequencies(draws: np.ndarray, values: list[int]) -> np.ndarray:
    """Per position, the fraction of trials holding each value."""
    draws = draws.reshape(len(draws), -1)
    return np.array([[np.mean(draws[:, i] == v) for v in values] for i in range(draws.shape[1])])


@pytest.mark.parametrize(
    "name, values",
    [("picked", [5, 10, 20, 40]), ("one", [5, 10, 20, 40]), ("weighted", [0, 1, 2, 3, 4]), ("items", list(range(8)))],
)
def test_distinct_and_equal_in_distribution(both, name, values):
    jax_draws, numpy_draws = both[0][name], both[1][name]
    assert jax_draws.shape == numpy_draws.shape
    rows = jax_draws.reshape(N, -1)
    assert all(len(set(row)) == len(row) for row in rows.tolist()), f"{name}: a value drawn twice in a trial"
    assert set(np.unique(rows)) <= set(values)
    _agree(_frequencies(jax_draws, values), _frequencies(numpy_draws, values), name)


def test_weighted_draws_follow_the_probabilities_one_by_one(both):
    """Drawn one by one and renormalised: P(first = 0) = 1/2, P(second = 0) = 1/2 * (1/4) / (3/4) * 2 = 1/3;
    options of probability 0 never drawn; every ordered pair as often as in NumPy."""
    jax_draws, numpy_draws = both[0]["weighted"], both[1]["weighted"]
    assert jax_draws.max() <= 2
    expected = np.array([0.5, 1 / 3])
    assert np.all(np.abs(np.mean(jax_draws == 0, axis=0) - expected) <= 5 * np.sqrt(expected * (1 - expected) / N))
    pairs = list(itertools.permutations(range(3), 2))
    jax_pairs = np.array([np.mean((jax_draws[:, 0] == a) & (jax_draws[:, 1] == b)) for a, b in pairs])
    numpy_pairs = np.array([np.mean((numpy_draws[:, 0] == a) & (numpy_draws[:, 1] == b)) for a, b in pairs])
    _agree(jax_pairs, numpy_pairs, "ordered pairs")


def test_every_subset_equally_often(both):
    """3 of 4 options: each of the 4 subsets in a quarter of the trials, in JAX as in NumPy."""
    subsets = [frozenset(s) for s in itertools.combinations([5, 10, 20, 40], 3)]

    def shares(draws: np.ndarray) -> np.ndarray:
        seen = [frozenset(row) for row in draws.tolist()]
        return np.array([seen.count(s) / N for s in subsets])

    _agree(shares(both[0]["picked"]), shares(both[1]["picked"]), "subsets")
    assert np.all(np.abs(shares(both[0]["picked"]) - 0.25) <= 5 * np.sqrt(0.25 * 0.75 / N))


def test_the_env_steps_through_distinct_draws(task):
    env = tj.make(task)
    obs, state = jax.jit(env.reset)(jax.random.key(0))
    picked = np.asarray(state.variables["picked"])
    assert picked.shape == (3,) and len(set(picked.tolist())) == 3


@pytest.mark.parametrize(
    "text, params, message",
    [
        ("choice(cohs, size=k, replace=False)", {"k": 5}, "cannot draw 5 distinct values out of 4"),
        ("choice(4, size=k, replace=False, p=[0.5, 0.5, 0, 0])", {}, "cannot draw 3 distinct values out of 2"),
    ],
)
def test_an_impossible_draw_is_refused_when_the_env_is_made(text, params, message):
    """NumPy refuses it when it draws a trial; a jitted draw cannot raise, so `make` draws one NumPy
    trial with the parameters given, and the error is the NumPy backend's located sentence."""
    spec = SPEC.replace("picked: choice(cohs, size=k, replace=False)", f'picked: "{text}"')
    spec = spec.replace('value: "picked[0]"', "value: 1")
    cls = taskspec.load_text(spec.replace("k: 3", "k: 1"), "distinct.yaml")  # fine with its defaults
    with pytest.raises(SpecError) as caught:
        tj.make(cls, **{"k": 3, **params})
    text_of = str(caught.value)
    assert "<distinct.yaml>:" in text_of and "trial.picked" in text_of and message in text_of, text_of


def test_the_trial_drawn_at_make_leaves_a_given_env_as_it_was():
    """The NumPy trial `make` draws comes from a copy: an env handed to it goes on (generator, trial,
    step, session) exactly as an env that was not handed to it."""
    given, untouched = (taskspec.make("perceptualdecisionmaking.staircase") for _ in range(2))
    for env in (given, untouched):
        env.reset(seed=0)
        for _ in range(30):
            env.step(0)
    tj.make(given)
    for _ in range(60):
        assert repr(given.step(1)) == repr(untouched.step(1))
    assert (repr(given.trial), given.num_tr) == (repr(untouched.trial), untouched.num_tr)
