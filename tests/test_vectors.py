"""Vectors wherever numbers go (issue 19): per-trial lists, per-trial bounds, multi-hot displays,
vector session variables, indexing by a per-trial index; in every backend."""

from pathlib import Path

import numpy as np
import pytest

import taskspec
from taskspec.rl.vector import make_vector

ROOT = Path(__file__).resolve().parent.parent
CHANGE = str(ROOT / "examples" / "change_detection.yaml")

_SPEC = """\
task: Vectors
dt: 100
observation: {fixation: 1, stimulus: 4}
action: {fixation: 1, choice: 4}
TRIAL
periods: {fixation: 100, stimulus: 200}
inputs:
  - {during: stimulus, where: stimulus, value: INPUT}
target:
  - {during: stimulus, value: 0}
"""


def batch_of(trial: str, n: int = 200, value: str = "0") -> taskspec.Batch:
    cls = taskspec.load_text(_SPEC.replace("TRIAL", trial).replace("INPUT", f'"{value}"'))
    return taskspec.generate_trials(cls, n, seed=0)


@pytest.mark.parametrize("tests", ["[d3, d3 if catch else s]", "[d3, where(catch, d3, s)]"])
def test_a_list_of_numbers_per_trial_validates_again(tests):
    trial = f'trial:\n  catch: bernoulli(0.5)\n  d3: choice(4)\n  s: choice(4)\n  tests: "{tests}"'
    v = batch_of(trial).variables
    assert v["tests"].shape == (200, 2)
    np.testing.assert_array_equal(v["tests"][:, 0], v["d3"])
    np.testing.assert_array_equal(v["tests"][:, 1], np.where(v["catch"] == 1, v["d3"], v["s"]))


def test_draws_with_bounds_per_trial_stay_inside_them():
    v = batch_of("trial:\n  k: integers(1, 7)\n  j: integers(0, k)\n  m: integers(k, 2 * k)").variables
    assert np.all((0 <= v["j"]) & (v["j"] < v["k"])) and np.all((v["k"] <= v["m"]) & (v["m"] < 2 * v["k"]))
    assert set(np.unique(v["j"])) == set(range(6))  # every allowed value occurs


def test_indexing_a_vector_per_trial_by_an_index_per_trial_gives_one_value_each():
    v = batch_of(
        "trial:\n  colors: choice(8, size=6)\n  j: choice(6)\n  picked: colors[j]\n  hit: j in colors"
    ).variables
    assert v["picked"].shape == (200,)
    np.testing.assert_array_equal(v["picked"], v["colors"][np.arange(200), v["j"]])
    np.testing.assert_array_equal(v["hit"], [j in row for j, row in zip(v["j"], v["colors"], strict=True)])


def test_an_entry_of_a_vector_per_trial_goes_into_an_input():
    batch = batch_of("trial:\n  colors: choice(8, size=6)", value="colors[0] + 0 * arange(4)")
    shown = batch.ob[:, 1, 1:]  # the first stimulus step: four columns of colors[0]
    np.testing.assert_array_equal(shown, np.repeat(batch.variables["colors"][:, :1], 4, axis=1))


def test_onehot_is_numeric_and_marks_every_index_of_a_vector():
    batch = batch_of("trial:\n  i: choice(4)", value="onehot(i, 4) - 0.25 + onehot([0, 2], 4)")
    expected = (np.arange(4) == batch.variables["i"][:, None]) - 0.25 + np.array([1, 0, 1, 0])
    np.testing.assert_allclose(batch.ob[:, 1, 1:], expected, atol=1e-6)


def test_sums_means_counts_and_comparisons_over_vectors():
    trial = "trial:\n  x: choice(5, size=6)\n  total: sum(x)\n  average: mean(x)\n  big: sum(x > 2)\n  n: len(x)"
    v = batch_of(trial).variables
    np.testing.assert_array_equal(v["total"], v["x"].sum(1))
    np.testing.assert_allclose(v["average"], v["x"].mean(1))
    np.testing.assert_array_equal(v["big"], (v["x"] > 2).sum(1))
    assert np.all(v["n"] == 6)


def test_a_vector_session_variable_starts_constant_and_updates_one_entry():
    session = (
        "session:\n  counts: {init: '[0, 0, 0]', next: 'where(arange(3) == mod(trials_done, 3), "
        "counts[mod(trials_done, 3)] + 1, counts)'}\ntrial:\n  seen: sum(counts)"
    )
    env = taskspec.make(spec_text=_SPEC.replace("TRIAL", session).replace("INPUT", "0"))
    env.reset(seed=0)
    seen = [list(env.trial["counts"])]
    while len(seen) < 12:
        *_, info = env.step(0)  # no rules: each trial runs its three steps
        if info["new_trial"]:
            seen.append(list(env.trial["counts"]))
    # `next` runs before the first trial too (trials_done 0), then after each finished trial
    assert seen[0] == [1, 0, 0] and seen[1] == [1, 1, 0] and seen[3] == [2, 1, 1] and seen[11] == [4, 4, 4]
    assert env.trial["seen"] == 12


def test_change_detection_display_in_numpy():
    batch = taskspec.generate_trials(CHANGE, 300, seed=1)
    v, n = batch.variables, 300
    assert np.all((1 <= v["set_size"]) & (v["set_size"] <= 6)) and np.all(v["probe"] < v["set_size"])
    np.testing.assert_array_equal(v["shown"], np.arange(6) < v["set_size"][:, None])
    rows = np.arange(n)
    assert np.all(v["new_color"] != v["colors"][rows, v["probe"]])
    changed_at = v["test_colors"] != v["colors"]
    np.testing.assert_array_equal(changed_at.sum(1), v["changed"])  # at most the probe changes
    assert np.all(changed_at[rows, v["probe"]] == (v["changed"] == 1))
    for period, colors in (("sample", v["colors"]), ("test", v["test_colors"])):
        display = batch.ob[rows, batch.start[period], 1:].reshape(n, 6, 8)
        expected = (np.arange(8) == colors[:, :, None]) & v["shown"][:, :, None]
        np.testing.assert_array_equal(display, expected.astype(np.float32))
    np.testing.assert_array_equal(v["ground_truth"], 1 + v["changed"])


def test_change_detection_keeps_the_last_outcomes_in_a_ring():
    batch = taskspec.generate_trials(CHANGE, 120, seed=0)  # batches act the ground truth: every trial is correct
    recent = batch.variables["recent"]
    assert recent.shape == (120, 50)
    np.testing.assert_allclose(batch.variables["accuracy"], np.minimum(np.arange(120), 50) / 50)


def test_change_detection_runs_in_the_single_and_vector_envs():
    env = taskspec.make(CHANGE)
    env.reset(seed=0)
    total = 0.0
    for _ in range(200):
        _, reward, *_ = env.step(env.gt_now)
        total += reward
    assert total > 0 and np.shape(env.trial["colors"]) == (6,) and np.shape(env.trial["recent"]) == (50,)
    vector = make_vector(CHANGE, num_envs=3)
    obs, _ = vector.reset(seed=0)
    for _ in range(40):
        obs, reward, *_ = vector.step(np.zeros(3, dtype=np.int64))
    assert obs.shape == (3, 49)


def test_change_detection_runs_in_jax():
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    # the task reads the last outcome, so the batch is played step by step by the JAX step machine
    batch = tj.generate_trials(CHANGE, jax.random.key(0), 16)
    v = {k: np.asarray(x) for k, x in batch.variables.items()}
    ob, rows = np.asarray(batch.ob), np.arange(16)
    display = ob[rows, np.asarray(batch.start["sample"]), 1:].reshape(16, 6, 8)
    expected = (np.arange(8) == v["colors"][:, :, None]) & (np.arange(6) < v["set_size"][:, None])[:, :, None]
    np.testing.assert_array_equal(display, expected.astype(np.float32))
    assert np.all(v["probe"] < v["set_size"]) and v["recent"].shape == (16, 50)
    np.testing.assert_allclose(v["accuracy"], np.arange(16) / 50)  # the ground-truth policy is always right


def test_multihot_and_onehot_are_one_function_chosen_by_the_index_type():
    batch = batch_of("trial:\n  i: choice(4)", value="multihot(i, 4) + onehot([1, 7], 4)")
    expected = (np.arange(4) == batch.variables["i"][:, None]) + np.array([0, 1, 0, 0])  # 7 is marked nowhere
    np.testing.assert_allclose(batch.ob[:, 1, 1:], expected)


def test_truth_values_count_as_0_and_1_in_sums_differences_and_negations():
    trial = "trial:\n  a: uniform(0, 1) < 0.5\n  b: uniform(0, 1) < 0.5\n  d: a - b\n  s: a + b\n  n: -a"
    trial += "\n  v: arange(3) < 2\n  w: v + v"
    v = batch_of(trial).variables
    a, b = v["a"].astype(int), v["b"].astype(int)
    np.testing.assert_array_equal(v["d"], a - b)
    np.testing.assert_array_equal(v["s"], a + b)  # not a logical or
    np.testing.assert_array_equal(v["n"], -a)
    np.testing.assert_array_equal(v["w"], np.tile([2, 2, 0], (200, 1)))


_RULES = """\
task: RuleVectors
dt: 100
observation: {fixation: 1, s: 4}
action: {fixation: 1, choice: 4}
trial:
  colors: choice(4, size=4)
  j: choice(4)
periods: {fixation: 100, decision: 300}
inputs:
  - {during: decision, where: s, value: "onehot(colors[j], 4)"}
target:
  - {during: decision, value: "1 + colors[j]"}
outcomes:
  - {during: decision, when: "action == 1 + colors[j]", reward: "1 + sum(colors == colors[j]) / 10", end_trial: true}
  - {during: decision, when: "action - 1 in colors", reward: 0.5, end_trial: true}
"""


@pytest.mark.parametrize("spec", ["rules", "change_detection"])
def test_vectors_in_rules_and_displays_step_the_same_in_the_vector_env(spec, tmp_path):
    from test_vector import _compare

    path = tmp_path / "rules.yaml"
    path.write_text(_RULES)
    _compare(str(path) if spec == "rules" else CHANGE, num_envs=3, steps=300)


def test_a_rule_reads_a_vector_per_trial():
    env = taskspec.make(spec_text=_RULES)
    env.reset(seed=0)
    rewards = []
    while len(rewards) < 20:
        colors, j = np.array(env.trial["colors"]), env.trial["j"]
        _, reward, *_ = env.step(env.gt_now)
        if reward:
            rewards.append(reward - (1 + np.sum(colors == colors[j]) / 10))
    np.testing.assert_allclose(rewards, 0)


def test_k_different_values_with_k_per_trial_up_to_a_bound():
    trial = "trial:\n  k: integers(1, 7)\n  items: choice(8, size=6, replace=False)\n  used: arange(6) < k"
    trial += "\n  shown: where(used, items, -1)\n  n_shown: sum(used)"
    v = batch_of(trial).variables
    for row, k, n in zip(v["shown"], v["k"], v["n_shown"], strict=True):
        kept = row[row >= 0]
        assert len(kept) == k == n and len(set(kept.tolist())) == k  # k values, all different
