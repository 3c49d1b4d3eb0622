"""Types and shapes checked at compile time (compiler/types.py, shapes.py).

The bad-shape corpus (tests/bad_specs/shape_*.yaml) gives one located sentence each and exit 1
from `validate`; a hypothesis property over generated expressions, placed in a trial variable,
a session variable's `next`, a duration, an input and an outcome rule, checks that whatever the
combination, the answer is a working env or located sentences in the spec's words, never a
library's message.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import taskspec
from taskspec.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHAPES = sorted((HERE / "bad_specs").glob("shape_*.yaml"))
NUMPY_WORDS = re.compile(
    r"ndarray|0-dimensional|broadcast|\bindices\b|ufunc|dtype|bitwise|shape \(|Traceback|jax|numpy", re.IGNORECASE
)
LOCATED = re.compile(r"^[^:\n]+:\d+:\d+: \S")


@pytest.mark.parametrize("spec", SHAPES, ids=[s.stem for s in SHAPES])
def test_each_bad_shape_is_one_located_sentence_and_exit_1(spec, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = main(["validate", str(spec.relative_to(ROOT))])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    assert LOCATED.match(err[0]) and not NUMPY_WORDS.search(err[0]), err[0]


def test_the_corpus_covers_the_places_a_shape_can_be_wrong():
    assert len(SHAPES) >= 12


# ----- generated expressions -----------------------------------------------------------------

_SPEC = """\
task: Generated
dt: 100
params: {n_items: 3, cohs: [0.1, 0.2, 0.4]}
observation: {fixation: 1, stimulus: 3}
action: {fixation: 1, choice: 3}
session:
  recent: {init: "[0, 0, 0]", next: EXPR_SESSION}
trial:
  k: integers(1, 4)
  coh: choice(cohs)
  colors: choice(5, size=3)
  value: EXPR_TRIAL
periods: {fixation: 100, stimulus: EXPR_DURATION, decision: 100}
inputs:
  - {during: stimulus, where: stimulus, value: EXPR_INPUT}
target:
  - {during: decision, value: 1}
outcomes:
  - {during: decision, when: EXPR_RULE, reward: 1, end_trial: true}
"""

LEAVES = ["k", "coh", "colors", "cohs", "recent", "n_items", "1", "2.5", "True", "arange(3)", "[1, 2]", "value"]


def _expressions() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(LEAVES)

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        two = st.tuples(inner, inner)
        return st.one_of(
            st.builds(lambda ab, op: f"({ab[0]} {op} {ab[1]})", two, st.sampled_from(["+", "-", "*", "/", "==", "<"])),
            st.builds(lambda ab: f"{ab[0]}[{ab[1]}]", two),
            st.builds(lambda ab: f"[{ab[0]}, {ab[1]}]", two),
            st.builds(lambda a, f: f"{f}({a})", inner, st.sampled_from(["sum", "mean", "len", "cos", "not "])),
            st.builds(lambda ab: f"onehot({ab[0]}, {ab[1]})", two),
            st.builds(lambda ab, c: f"where({c}, {ab[0]}, {ab[1]})", two, inner),
            st.builds(lambda ab, c: f"({ab[0]} if {c} else {ab[1]})", two, inner),
            st.builds(lambda ab: f"integers({ab[0]}, {ab[1]})", two),
            st.builds(lambda a, b: f"{b} in {a}", inner, inner),
        )

    return st.recursive(leaf, grow, max_leaves=5)


def _answer(text: str) -> str:
    """'ok', or the SpecError's lines; any other exception fails the property."""
    try:
        cls = taskspec.load_text(text, "generated.yaml")
        env = cls()
        env.reset(seed=0)
        for _ in range(6):
            env.step(0)
    except taskspec.SpecError as exc:
        return str(exc)
    return "ok"


RING = "where(arange(3) == mod(trials_done, 3), last_performance, recent)"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    trial=_expressions(),
    placed=_expressions(),
    rule=_expressions(),
    later=st.one_of(st.just(RING), _expressions()),  # often valid, so the other places get to run
    ms=st.one_of(st.just("2"), _expressions()),
)
def test_no_expression_gets_a_library_message_or_an_unlocated_error(trial, placed, rule, later, ms):
    text = (
        _SPEC.replace("EXPR_TRIAL", f'"{trial.replace("value", "coh")}"')
        .replace("EXPR_INPUT", f'"{placed}"')
        .replace("EXPR_RULE", f'"{rule}"')
        .replace("EXPR_SESSION", f'"{later.replace("value", "recent")}"')
        .replace("EXPR_DURATION", f'"100 * {ms}"')
    )
    answer = _answer(text)
    if answer == "ok":
        return
    for line in answer.splitlines():
        assert LOCATED.match(line), line
        assert not NUMPY_WORDS.search(line), line


# ----- where: {by: ...} outside `among` (issue 22) --------------------------------------------

_CHOSEN = """\
task: Chosen
dt: 100
observation: {fixation: 1, left: 1, right: 1}
action: {fixation: 1}
trial:
  side: SIDE
periods: {fixation: 100, stimulus: 200}
inputs:
  - {during: stimulus, where: {by: BY, among: [left, right]}, value: 1}
"""


@pytest.mark.parametrize("by", ["5", "-3", "0.5"])
def test_a_constant_chosen_group_outside_among_is_refused_at_validate(by):
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(_CHOSEN.replace("SIDE", "choice(2)").replace("BY", by))
    (problem,) = info.value.problems
    assert problem.path == "inputs[0].where.by" and "'among' lists 2 groups" in problem.message


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # log(-1): NaN, on purpose
@pytest.mark.parametrize("side", ["2 + 0 * choice(2)", "uniform(0.2, 0.8)", "log(0 * choice(2) - 1)"])
def test_a_chosen_group_per_trial_outside_among_is_a_located_run_time_error(side):
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(_CHOSEN.replace("SIDE", f'"{side}"').replace("BY", "side"))  # the dry run draws trials
    (problem,) = info.value.problems
    assert problem.line == 9 and "cannot evaluate: 'by' is" in problem.message
    assert "must be a whole number from 0 to 1" in problem.message and not NUMPY_WORDS.search(problem.message)


def test_a_chosen_group_inside_among_shows_where_it_says():
    batch = taskspec.generate_trials(taskspec.load_text(_CHOSEN.replace("SIDE", "choice(2)").replace("BY", "side")), 50)
    shown = batch.ob[:, 1, 1:]  # the first stimulus step: left, right
    np.testing.assert_array_equal(shown, np.eye(2)[batch.variables["side"]])


def test_lengths_that_follow_a_parameter_are_compared_when_the_env_is_made(tmp_path):
    spec = tmp_path / "sym.yaml"
    spec.write_text(
        "task: Sym\ndt: 100\nparams: {dim_ring: 3}\nobservation: {fixation: 1, s: dim_ring}\naction: {fixation: 1}\n"
        "trial:\n  w: uniform(0, 1, size=3)\n  x: ring(dim_ring) + w\nperiods: {fixation: 100}\n"
    )
    taskspec.make(spec).reset(seed=0)  # as written, the lengths agree
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.make(spec, dim_ring=4)  # compared when the env is made, before any trial
    (problem,) = info.value.problems
    assert problem.line == 8 and "a vector of 3 values meets one of 4 entry by entry" in problem.message
    assert not NUMPY_WORDS.search(problem.message)


def test_an_input_whose_length_follows_another_parameter_than_its_group_is_compared_when_made(tmp_path):
    spec = tmp_path / "widths.yaml"
    spec.write_text(
        "task: Widths\ndt: 100\nparams: {n: 3, m: 3}\nobservation: {fixation: 1, s: n}\naction: {fixation: 1}\n"
        "periods: {fixation: 100}\ninputs:\n  - {during: fixation, where: s, value: ring(m)}\n"
    )
    taskspec.make(spec, n=4, m=4).reset(seed=0)
    with pytest.raises(taskspec.SpecError, match=r"widths.yaml:8:\d+: inputs\[0\].value: .* 3 values meets one of 4"):
        taskspec.make(spec, m=4)


_KEPT = (
    "task: Kept\ndt: 100\nparams: {n: 3, m: 3}\nobservation: {fixation: 1}\naction: {fixation: 1}\n"
    'periods: {fixation: 100}\nsession:\n  score: {START, next: "NEXT"}\n'
)


@pytest.mark.parametrize("start", ["init: arange(n)", "first: arange(n)", "init: '[0, 0, 0]'"])
def test_a_session_variable_whose_next_changes_length_with_the_parameters_is_named_when_made(tmp_path, start):
    """Lengths that follow parameters: compared when the env is made, in one located sentence naming the
    variable, its start value and both lengths (not as any two vectors that meet)."""
    spec = tmp_path / "kept.yaml"
    spec.write_text(_KEPT.replace("START", start).replace("NEXT", "score[0] + arange(m)"))
    key = start.split(":")[0]
    env = taskspec.make(spec)  # as written, the lengths agree
    env.reset(seed=0)
    for _ in range(3):
        env.step(0)
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.make(spec, m=4)
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (8, "session.score.next")
    assert problem.message == (
        "with these parameters, 'next' gives a vector of 4 values, but the start value of session variable "
        f"'score' ('{key}') is a vector of 3 values: a session variable keeps the length of its start value"
    )
    assert LOCATED.match(str(info.value)) and not NUMPY_WORDS.search(str(info.value))


@pytest.mark.parametrize(
    ("start", "shown"), [("init: '[0, 0, 0]'", "[0, 0, 0]"), ("first: 0 * arange(3)", "0 * arange(3)")]
)
def test_a_session_variable_whose_next_changes_its_written_length_is_named_when_validated(start, shown):
    """Lengths written in the spec: refused when the spec is checked, naming the start value's text."""
    text = _KEPT.replace("START", start).replace("NEXT", "score[0] + arange(2)")
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(text)
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (8, "session.score.next")
    key = start.split(":")[0]
    assert problem.message == (
        "'next' gives a vector of 2 values per trial, but the start value of session variable 'score' "
        f"('{key}': {shown}) is a vector of 3 values per trial: a session variable keeps the length of its start value"
    )
