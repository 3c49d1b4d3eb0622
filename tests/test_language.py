"""Language features beyond the bundled tasks: continuous actions, distributions, overlaps."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

import taskspec

REACH = textwrap.dedent("""
    task: Reach
    dt: 100
    observation: {cue: 2}
    action_type: continuous
    action_bounds: [-1, 1]
    action: {x: 1, y: 1}
    trial:
      angle: uniform(0, 2 * pi)
    periods: {cue: 200, reach: 300}
    inputs:
      - {during: cue, where: cue, value: "[cos(angle), sin(angle)]"}
    target:
      - {during: reach, value: "[cos(angle), sin(angle)]"}
    outcomes:
      - during: reach
        when: True
        reward: "1 - sqrt((action[0] - target[0]) ** 2 + (action[1] - target[1]) ** 2) / 2"
    timeout:
      - {performance: 1}
""")


def test_continuous_actions(tmp_path):
    spec = tmp_path / "reach.yaml"
    spec.write_text(REACH)
    env = taskspec.make(spec)
    assert env.action_space.shape == (2,) and env.action_space.name == {"x": 0, "y": 1}
    env.reset(seed=0)
    assert env.gt.shape == (5, 2)
    angle = env.trial["angle"]
    np.testing.assert_allclose(env.gt[2:], [[np.cos(angle), np.sin(angle)]] * 3, rtol=1e-5)
    total = 0.0
    for _ in range(5):
        _, reward, _, _, info = env.step(np.asarray(env.gt_now, dtype=np.float32))
        total += reward
    assert info["new_trial"] and info["performance"] == 1
    assert total == pytest.approx(3.0, abs=1e-5)


DISTRIBUTIONS = textwrap.dedent("""
    task: Distributions
    dt: 10
    observation: {x: 1}
    action: {fixation: 1}
    trial:
      a: choice([1, 2, 3], p=[0.2, 0.3, 0.5])
      b: integers(0, 4)
      c: bernoulli(0.25)
      d: normal(5, 2)
      total: a + b
    periods:
      first: uniform(100, 200)
      second: "choice([0, 50])"
      third: {duration: 30, after: first}
""")


def test_distributions_and_overlapping_periods(tmp_path):
    spec = tmp_path / "dist.yaml"
    spec.write_text(DISTRIBUTIONS)
    env = taskspec.make(spec)
    batch = env.generate(np.random.default_rng(0), 20000)
    v = batch.variables
    np.testing.assert_allclose([np.mean(v["a"] == k) for k in (1, 2, 3)], [0.2, 0.3, 0.5], atol=0.015)
    assert set(np.unique(v["b"])) == {0, 1, 2, 3}
    assert abs(v["c"].mean() - 0.25) < 0.015 and abs(v["d"].mean() - 5) < 0.05 and abs(v["d"].std() - 2) < 0.05
    np.testing.assert_array_equal(v["total"], v["a"] + v["b"])
    first = batch.end["first"] - batch.start["first"]
    assert first.min() >= 10 and first.max() <= 20
    assert np.all(batch.start["third"] == batch.end["first"])  # overlaps "second"
    assert np.all(batch.length == np.maximum(batch.end["second"], batch.end["third"]))


def test_runtime_errors_point_at_the_spec_line(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(REACH.replace('[cos(angle), sin(angle)]"}\ntarget', '[cos(angle), mod(angle, 0)]"}\ntarget'))
    with pytest.raises(taskspec.SpecError, match=r"bad.yaml:12:\d+: inputs\[0\].value: cannot evaluate: mod"):
        taskspec.load(spec)


def test_shape_mismatches_are_found_before_anything_runs(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(REACH.replace('[cos(angle), sin(angle)]"}\ntarget', '[1, 2, 3]"}\ntarget'))
    message = r"bad.yaml:12:\d+: inputs\[0\].value: the value is a vector of 3 values, but 'cue' has 2 column"
    with pytest.raises(taskspec.SpecError, match=message):
        taskspec.load_spec(spec)  # validation alone: no class is compiled, no trial is drawn


def test_group_size_from_parameter_is_checked_at_make():
    with pytest.raises(taskspec.SpecError, match="below the minimum"):
        taskspec.make("PerceptualDecisionMaking", dim_ring=1)


def test_huge_trials_are_refused_before_allocation(tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text("task: Long\ndt: 0.001\nobservation: {x: 1}\naction: {a: 1}\nperiods: {p: 600000}\n")
    message = r"long.yaml:5:\d+: periods.p: a duration of 600000 ms is more than 100000 steps"
    with pytest.raises(taskspec.SpecError, match=message):
        taskspec.load(spec)
    wide = tmp_path / "wide.yaml"
    wide.write_text("task: Wide\ndt: 1\nobservation: {x: 10000}\naction: {a: 1}\nperiods: {p: 90000}\n")
    with pytest.raises(taskspec.SpecError, match="would need .* GiB"):
        taskspec.load(wide)


# ----- vector-valued draws: errors in the spec's sizes, not the batch's shapes -----

_DRAWS = """\
task: DrawSizes
dt: 100
observation: {x: 1}
action: {fixation: 1}
trial:
  TRIAL
periods: {fixation: 100}
"""


@pytest.mark.parametrize(
    ("trial", "path", "message"),
    [
        (
            "a: uniform(0, 1, size=3)\n  b: normal(0, 1, size=5)\n  c: a * b",
            "trial.c",
            "'a' is a vector of 3 values per trial and 'b' is a vector of 5 values per trial: vectors combine "
            "entry by entry only when they have the same length",
        ),
        (
            "a: uniform(0, 1, size=3)\n  b: normal(a, 1, size=5)",
            "trial.b",
            "normal() draws 5 values (size=5) but its arguments hold 3 per trial",
        ),
    ],
)
def test_vector_draw_errors_name_spec_sizes(trial, path, message):
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(_DRAWS.replace("TRIAL", trial))
    (problem,) = info.value.problems
    assert problem.path == path and problem.message.startswith(message)
    assert "(4," not in problem.message and "broadcast" not in problem.message  # no batch shapes, no numpy words


def test_a_number_per_trial_combines_with_a_vector_per_trial():
    trial = "coh: uniform(0, 1)\n  noise: normal(0, 1, size=3)\n  x: coh + noise"
    batch = taskspec.generate_trials(taskspec.load_text(_DRAWS.replace("TRIAL", trial)), 5, seed=0)
    v = batch.variables
    assert v["x"].shape == (5, 3)
    np.testing.assert_allclose(v["x"], v["coh"][:, None] + v["noise"])


def test_vectors_of_one_size_and_fixed_numbers_still_combine():
    trial = "a: uniform(0, 1, size=3)\n  b: 2 * a + normal(a, 1, size=3)"
    env = taskspec.make(spec_text=_DRAWS.replace("TRIAL", trial))
    env.reset(seed=0)
    assert np.shape(env.trial["b"]) == (3,)


def test_integers_excludes_its_upper_bound_and_rep_counts_from_first_as_documented():
    reference = (Path(__file__).resolve().parent.parent / "docs" / "spec-reference.md").read_text()
    assert "`integers(lo, hi)` draws whole numbers from `lo` up to `hi - 1`" in reference
    assert "`rep`\nis 1, 2, 3 in them" in reference
    spec = """\
task: DocProbe
dt: 100
observation: {x: 1}
action: {fixation: 1}
trial:
  die: integers(1, 7, size=2000)
periods:
  fixation: 100
  tests: {repeat: 3, first: 1, periods: {test: 100}}
inputs:
  - {during: test, where: x, value: rep}
"""
    env = taskspec.make(spec_text=spec)
    env.reset(seed=0)
    assert set(np.unique(env.trial["die"])) == {1, 2, 3, 4, 5, 6}
    assert list(env.ob[:, 0]) == [0, 1, 2, 3] and list(env.start_t) == ["fixation", "test1", "test2", "test3"]
