"""Traps with a targeted message: YAML 1.1 booleans, mistakes found only when a spec runs, the dt warning."""

import warnings
from pathlib import Path

import pytest

import taskspec
from taskspec.compiler.loader import load_text

SPEC = """
task: Hints
dt: 100
params: {vals: [1, 2], n: 2}
observation: {fixation: 1, on: 1}
action: {fixation: 1, choice: n}
trial: {k: "integers(0, 3)", v: "vals[k]"}
periods: {fixation: 300, decision: 200}
inputs:
  - {during: fixation, where: on, value: 1}
"""


def test_yaml_words_stay_text_so_on_names_a_group():
    env = taskspec.make(spec_text=SPEC.replace('v: "vals[k]"', "v: 0"))
    ob, _ = env.reset(seed=0)
    assert list(ob) == [0.0, 1.0]  # the group named 'on' is lit during fixation
    words = load_text("a: true\nb: False\nc: [on, off, yes, no]\n").data
    assert words == {"a": True, "b": False, "c": ["on", "off", "yes", "no"]}  # YAML 1.2: only true/false


def test_an_index_past_the_end_is_said_in_spec_terms():
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.generate_trials(taskspec.load_text(SPEC), 64, seed=0)
    message = str(info.value)
    assert "trial.v: cannot evaluate: index 2 is outside a list of 2 values (numbered 0 to 1)" in message
    assert "bounds" not in message and "axis" not in message


def test_a_group_compared_with_one_action_at_run_time_is_said_in_spec_terms():
    # `choice + 0` is not a plain group name, so the check falls to run time
    text = SPEC.replace('v: "vals[k]"', "v: 0") + 'outcomes: [{when: "action == choice + 0", reward: 1}]\n'
    with pytest.raises(taskspec.SpecError, match="compares several values at once") as info:
        env = taskspec.make(spec_text=text)  # building the class plays a step to check the rules
        env.reset(seed=0)
        env.step(0)
    assert "truth value" not in str(info.value)


def test_the_rounding_warning_points_at_the_duration():
    text = SPEC.replace('v: "vals[k]"', "v: 0").replace("fixation: 300,", "fixation: 350,")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        taskspec.make(spec_text=text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "350" in row)
    column = text.splitlines()[line - 1].index("350") + 1
    assert {str(w.message) for w in caught} == {
        f"<string>:{line}:{column}: periods.fixation: 350 ms is not a multiple of dt=100 ms; "
        "it is rounded down to 300 ms"
    }
    with pytest.warns(taskspec.SpecWarning, match=r"^Hints: periods.decision: 250 ms"):  # an override: no spec line
        taskspec.make(spec_text=SPEC.replace('v: "vals[k]"', "v: 0"), timing={"decision": 250})


# ----- where each name may be read (compiler/places.py): hints from one table -----

_PLACES = """\
task: Places
dt: 100
params: {cohs: [0, 6.4, 12.8]}
observation: {fixation: 1}
action: {fixation: 1, choice: 2}
trial:
  direction: choice(2)
  TRIAL
state:
  score: {init: 0, next: "score + 1"}
periods: {fixation: 100}
"""


@pytest.mark.parametrize(
    ("trial", "message"),
    [
        ("again: last_direction", "'last_direction' (the finished trial's value) cannot be read in trial variables; "
         "it can be read in session variables' 'next'"),
        ("coh: choice(cohz)", "unknown name 'cohz' (did you mean 'cohs'?)"),  # not 'coh', the name being defined
        ("acted: action", "'action' cannot be read in trial variables; it can be read in outcome rules, 'until' "
         "and state variables' 'next'"),
        ("s: score", "'score' (a state variable) cannot be read in trial variables; it can be read in inputs; "
         "targets; outcome rules, 'until' and state variables' 'next'; timeout rules"),
    ],
)  # fmt: skip
def test_a_name_read_in_the_wrong_place_says_where_it_can_be_read(trial, message):
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(_PLACES.replace("TRIAL", trial))
    (problem,) = info.value.problems
    assert problem.message == message


def test_every_place_of_the_table_is_used_by_the_lowerer():
    from taskspec.compiler import lower, placements
    from taskspec.compiler.places import PLACES

    source = Path(lower.__file__).read_text() + Path(placements.__file__).read_text()
    source += (Path(lower.__file__).parent / "compose.py").read_text()
    unused = [key for key in PLACES if f'at("{key}"' not in source]
    assert not unused
