"""len(), choice(..., replace=False) and the step helpers whole_steps(), step_in(), n_steps()."""

import numpy as np
import pytest

import taskspec

SPEC = """
task: t
dt: 10
params: {cohs: [1, 2, 3, 4]}
observation: {fixation: 1, count: 1}
action: {fixation: 1, choice: 2}
trial:
  n: len(cohs)
  picked: choice(cohs, size=3, replace=False)
  weighted: choice(5, size=2, replace=False, p=[0.5, 0.25, 0.25, 0, 0])
  hold: whole_steps(uniform(300, 600))
periods: {fixation: hold, decision: 100}
inputs:
  - {during: fixation, where: fixation, value: step_in('fixation')}
  - {where: count, value: n_steps('fixation')}
target: [{during: decision, value: "choice[0] if step_in('decision') >= 4 else fixation"}]
"""


@pytest.fixture(scope="module")
def batch():
    return taskspec.generate_trials(taskspec.load_text(SPEC), 3000, seed=1)


def test_len_counts_the_entries_of_a_list(batch):
    assert set(np.unique(batch.variables["n"])) == {4}


def test_choice_without_replacement_draws_distinct_values_uniformly(batch):
    picked = np.asarray(batch.variables["picked"])
    assert picked.shape == (3000, 3)
    assert all(len(set(row)) == 3 for row in picked)
    first = np.bincount(picked[:, 0], minlength=5)[1:] / 3000
    np.testing.assert_allclose(first, 0.25, atol=0.03)


def test_choice_without_replacement_follows_the_probabilities(batch):
    weighted = np.asarray(batch.variables["weighted"])
    assert np.all(weighted[:, 0] != weighted[:, 1]) and weighted.max() <= 2  # zero probability: never drawn
    # drawn one by one, renormalised: P(first = 0) = 0.5, P(second = 0) = 0.5 * (0.25 / 0.75) * 2 = 1/3
    np.testing.assert_allclose(np.mean(weighted == 0, axis=0), [0.5, 1 / 3], atol=0.03)


def test_step_helpers_count_steps(batch):
    hold = np.asarray(batch.variables["hold"])
    assert np.all(hold % 10 == 0) and 300 <= hold.min() and hold.max() <= 600  # whole 10 ms steps
    for i in range(5):
        steps = int(hold[i] // 10)
        np.testing.assert_array_equal(batch.ob[i, :steps, 0], np.arange(steps))  # step_in: 0, 1, 2, ...
        assert np.all(batch.ob[i, : steps + 10, 1] == steps)  # n_steps of the fixation period
        np.testing.assert_array_equal(batch.gt[i, steps : steps + 10], [0] * 4 + [1] * 6)


def test_the_env_agrees_with_the_batch():
    env = taskspec.make(spec_text=SPEC)
    ob, _ = env.reset(seed=4)
    steps = int(env.trial["hold"] // 10)
    seen = [ob]
    for _ in range(steps - 1):
        seen.append(env.step(0)[0])
    np.testing.assert_array_equal(np.array(seen)[:, 0], np.arange(steps))
    assert len(set(env.trial["picked"])) == 3


@pytest.mark.parametrize(
    "where, text, message",
    [
        ("trial", "len(cohs, 2)", "len() takes one list or vector"),
        ("trial", "choice(cohs, size=2, replace=no)", "replace= takes True or False"),
        ("trial", "choice(cohs, size=5, replace=False)", "cannot draw 5 distinct values out of 4"),
        ("trial", "step_in('fixation')", "step_in() is only allowed in inputs, targets and outcome rules"),
        ("input", "n_steps(fixation)", "n_steps() takes one period name in quotes"),
        ("input", "step_in('fixaton')", "unknown period 'fixaton' (did you mean 'fixation'?)"),
        ("trial", "whole_steps()", "whole_steps() takes one duration in ms"),
        ("trial", "lenn(cohs)", "unknown function 'lenn' (did you mean 'len'?)"),
    ],
)
def test_mistakes_are_said_in_spec_terms(where, text, message):
    spec = SPEC.replace("n: len(cohs)", f'n: "{text}"') if where == "trial" else SPEC.replace(
        "value: n_steps('fixation')", f'value: "{text}"'
    )
    with pytest.raises(taskspec.SpecError, match=None) as info:
        taskspec.generate_trials(taskspec.load_text(spec), 4, seed=0)
    assert message in str(info.value), str(info.value)


def test_the_vector_env_runs_the_helpers():
    from taskspec.rl.vector import TrialVectorEnv

    vec = TrialVectorEnv(taskspec.load_text(SPEC), 4)
    ob, _ = vec.reset(seed=2)
    np.testing.assert_array_equal(ob[:, 0], 0)  # step_in('fixation') at the first step
    assert np.all(ob[:, 1] >= 30)  # n_steps('fixation'): at least 300 ms of 10 ms steps
    ob, *_ = vec.step(np.zeros(4, dtype=np.int64))
    np.testing.assert_array_equal(ob[:, 0], 1)
