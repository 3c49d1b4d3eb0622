"""Actions are checked against the action space, in the single env and the vector envs alike.

A refused action raises `InvalidAction` (a ValueError and gymnasium's InvalidAction) that
names the space, before the env changes any state: the run continues exactly as if the
bad call had never been made.
"""

import textwrap

import gymnasium as gym
import numpy as np
import pytest

import taskspec
from taskspec import InvalidAction
from taskspec.rl.vector import SteppedVectorEnv, TrialVectorEnv

# A continuous task with a state variable moved by the action and shown in the observation:
# a NaN reaching the state would poison every later step.
DRIFT = textwrap.dedent("""
    task: Drift
    dt: 100
    observation: {position: 1, cue: 1}
    action_type: continuous
    action_bounds: [-1, 1]
    action: {move: 1, respond: 1}
    trial:
      goal: uniform(-1, 1)
    state:
      position: {init: 0, next: "clip(position + action[0] / 10, -1, 1)"}
    periods: {cue: 300, reach: 500}
    inputs:
      - {where: position, value: position}
      - {during: cue, where: cue, value: goal}
    target:
      - {value: "[0, goal]"}
    outcomes:
      - {during: cue, when: "action[1] > 0.5", reward: -0.1}
      - {during: reach, when: "action[1] > 0.5", reward: "1 - abs(position - goal)", end_trial: true}
    timeout:
      - {reward: -0.5}
""")

BAD_DISCRETE = [3, 99, -1, 2.7, 1.0, "1", True, False, np.bool_(True), None, np.array([1]), np.array(1.0),
                np.float64(2.0), [1], np.uint64(2**63)]
BAD_CONTINUOUS = [np.nan, np.inf, -np.inf, [0.0, np.nan], [np.inf, 0.0], "1", ["0", "1"], [True, False], None,
                  [0.0, 0.0, 0.0], {"move": 0}]


@pytest.fixture(scope="module")
def drift(tmp_path_factory):
    path = tmp_path_factory.mktemp("actions") / "drift.yaml"
    path.write_text(DRIFT)
    return path


def play(env, actions, bad=(), seed=3):
    """Step `actions` from `reset(seed)`; before each, every action in `bad` is tried and must be refused."""
    ob, _ = env.reset(seed=seed)
    seen = [np.array(ob)]
    for action in actions:
        for wrong in bad:
            with pytest.raises(InvalidAction):
                env.step(wrong)
        ob, reward, terminated, truncated, info = env.step(action)
        seen.append((np.array(ob), np.asarray(reward).tolist(), np.asarray(info["new_trial"]).tolist()))
    return seen


def same(a, b):
    assert len(a) == len(b)
    np.testing.assert_array_equal(a[0], b[0])
    for (ob_a, *rest_a), (ob_b, *rest_b) in zip(a[1:], b[1:], strict=True):
        np.testing.assert_array_equal(ob_a, ob_b)
        assert rest_a == rest_b


# ----- single env -----

@pytest.mark.parametrize("action", BAD_DISCRETE, ids=repr)
def test_discrete_action_outside_the_space_is_refused_naming_it(action):
    env = taskspec.make("PerceptualDecisionMaking")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"^action .* is not in the action space Discrete\(3\): expected an integer "
                                         r"from 0 to 2$") as caught:
        env.step(action)
    assert isinstance(caught.value, gym.error.InvalidAction)
    assert not isinstance(caught.value, taskspec.SpecError)  # the agent's mistake, not the spec's
    assert "\n" not in str(caught.value)


def test_discrete_refusals_leave_the_env_unchanged():
    actions = np.random.default_rng(0).integers(0, 3, 300).tolist()
    clean = play(taskspec.make("PerceptualDecisionMaking"), actions)
    with_bad = play(taskspec.make("PerceptualDecisionMaking"), actions, bad=[99, -1, 2.7, "1", True])
    same(clean, with_bad)


def test_integer_types_that_samplers_give_are_accepted():
    """numpy integers and 0-d integer arrays (action_space.sample(), SB3) act exactly as plain ints."""
    actions = np.random.default_rng(1).integers(0, 3, 200)
    plain = play(taskspec.make("PerceptualDecisionMaking"), actions.tolist())
    for convert in (np.int64, np.int32, np.uint8, np.intp, np.array):
        same(plain, play(taskspec.make("PerceptualDecisionMaking"), [convert(a) for a in actions]))
    env = taskspec.make("PerceptualDecisionMaking")
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(50):
        env.step(env.action_space.sample())


def test_every_bundled_discrete_task_accepts_its_whole_space_and_nothing_beyond():
    for task in taskspec.list_tasks():
        env = taskspec.make(task)
        if env.action_type != "discrete":
            continue
        env.reset(seed=0)
        n = int(env.action_space.n)
        for a in range(n):
            env.step(a)
        for a in (n, -1):
            with pytest.raises(InvalidAction, match=rf"Discrete\({n}\)"):
                env.step(a)


@pytest.mark.parametrize("action", BAD_CONTINUOUS, ids=repr)
def test_continuous_nan_inf_and_non_numbers_are_refused_naming_the_space(drift, action):
    env = taskspec.make(drift)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action.* the action space Box\(-1\.0, 1\.0, \(2,\), float32\)") as caught:
        env.step(action)
    assert not isinstance(caught.value, taskspec.SpecError)
    assert "\n" not in str(caught.value)


def test_continuous_refusals_leave_the_env_and_its_state_unchanged(drift):
    """NaN is refused before the action moves the state variable, so later steps are unaffected."""
    rng = np.random.default_rng(2)
    actions = [rng.uniform(-1, 1, 2) for _ in range(200)]
    clean = play(taskspec.make(drift), actions)
    with_bad = play(taskspec.make(drift), actions, bad=[np.nan, [0.0, np.inf], "x"])
    same(clean, with_bad)
    assert all(np.isfinite(ob).all() for ob, *_ in with_bad[1:])


def test_continuous_numbers_of_any_numeric_type_are_accepted(drift):
    rng = np.random.default_rng(4)
    actions = [rng.uniform(-1, 1, 2) for _ in range(60)]
    reference = play(taskspec.make(drift), actions)
    same(reference, play(taskspec.make(drift), [a.tolist() for a in actions]))
    same(play(taskspec.make(drift), [0.25] * 60), play(taskspec.make(drift), [[0.25, 0.25]] * 60))
    same(play(taskspec.make(drift), [1] * 30), play(taskspec.make(drift), [np.array([1.0, 1.0], np.float32)] * 30))


def test_bundled_continuous_tasks_refuse_nan(drift):
    for task in ("ReachingDelayResponse", "SpatialSuppressMotion"):
        env = taskspec.make(task)
        env.reset(seed=0)
        with pytest.raises(InvalidAction, match="NaN and infinite values are refused"):
            env.step(np.full(env.action_space.shape, np.nan))
        env.step(env.action_space.sample())


# ----- vector envs -----

def vector_play(venv, actions, bad=(), seed=5):
    ob, _ = venv.reset(seed=seed)
    seen = [np.array(ob)]
    for action in actions:
        for wrong in bad:
            with pytest.raises(InvalidAction):
                venv.step(wrong)
        ob, reward, _, _, info = venv.step(action)
        seen.append((np.array(ob), reward.tolist(), info["new_trial"].tolist()))
    return seen


def test_vector_discrete_refuses_bad_actions_naming_the_sub_env():
    venv = gym.make_vec("taskspec/PerceptualDecisionMaking-v0", num_envs=4)
    assert isinstance(venv, TrialVectorEnv)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"^actions\[2\] = 99 is not in the action space Discrete\(3\)"):
        venv.step([0, 1, 99, 0])
    with pytest.raises(ValueError, match=r"^actions\[0\] = -1 is not in the action space Discrete\(3\)"):
        venv.step(np.array([-1, 1, 2, 0]))
    for wrong in ([0, 1, 2], np.zeros(4), np.full(4, 1.5), ["1"] * 4, [True] * 4, [[0], [1], [2], [0]], 1):
        with pytest.raises(InvalidAction, match=r"^actions must be 4 integers from 0 to 2 \(the action space "
                                                r"Discrete\(3\) of each sub-env\)"):
            venv.step(wrong)


def test_vector_discrete_refusals_leave_every_sub_env_unchanged():
    actions = np.random.default_rng(6).integers(0, 3, (150, 4))
    make = lambda: gym.make_vec("taskspec/PerceptualDecisionMaking-v0", num_envs=4)  # noqa: E731
    clean = vector_play(make(), actions)
    same(clean, vector_play(make(), actions, bad=[[0, 1, 2, 3], [0.5, 0, 0, 0], ["a", "b", "c", "d"]]))
    same(clean, vector_play(make(), [list(a) for a in actions]))  # a list of numpy ints is fine too
    same(clean, vector_play(make(), [a.astype(np.int32) for a in actions]))


def test_vector_continuous_refuses_nan_naming_the_sub_env(drift):
    venv = TrialVectorEnv(taskspec.load(drift), 3)
    venv.reset(seed=0)
    actions = np.zeros((3, 2))
    actions[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"^actions\[1\] = .*nan.* is not in the action space Box\(-1\.0, 1\.0, "
                                         r"\(2,\), float32\): NaN and infinite values are refused$"):
        venv.step(actions)
    with pytest.raises(InvalidAction, match=r"^actions\[0\]"):
        venv.step(np.inf)
    with pytest.raises(InvalidAction, match=r"expected shape \(3, 2\)"):
        venv.step(np.zeros((4, 2)))
    with pytest.raises(InvalidAction, match="expected numbers"):
        venv.step([["a", "b"]] * 3)


def test_vector_continuous_refusals_leave_the_states_unchanged(drift):
    rng = np.random.default_rng(7)
    actions = [rng.uniform(-1, 1, (3, 2)) for _ in range(120)]
    nan_row = np.zeros((3, 2))
    nan_row[2, 1] = np.nan
    clean = vector_play(TrialVectorEnv(taskspec.load(drift), 3), actions)
    with_bad = vector_play(TrialVectorEnv(taskspec.load(drift), 3), actions, bad=[nan_row, np.inf])
    same(clean, with_bad)


def test_single_and_vector_envs_refuse_the_same_actions(drift):
    """The same treatment in both: each sub-env of the vector env plays what a single env plays."""
    rng = np.random.default_rng(8)
    actions = [rng.uniform(-1, 1, (2, 2)) for _ in range(80)]
    vector = vector_play(TrialVectorEnv(taskspec.load(drift), 2), actions, bad=[np.full((2, 2), np.nan)], seed=9)
    for i in range(2):
        single = play(taskspec.make(drift), [a[i] for a in actions], bad=[np.full(2, np.nan)], seed=9 + i)
        np.testing.assert_array_equal(single[0], vector[0][i])
        for (ob_s, r_s, new_s), (ob_v, r_v, new_v) in zip(single[1:], vector[1:], strict=True):
            np.testing.assert_array_equal(ob_s, ob_v[i])
            assert (r_s, new_s) == (r_v[i], new_v[i])


def test_stepped_vector_env_checks_all_actions_before_stepping_any(drift, tmp_path):
    """One episode per trial: the stepped vector env refuses a bad action for env 2 before env 0 and 1 step."""
    path = tmp_path / "episodic.yaml"
    path.write_text(drift.read_text().replace("task: Drift", "task: DriftEpisodes\nepisode: trial"))
    rng = np.random.default_rng(10)
    actions = [rng.uniform(-1, 1, (3, 2)) for _ in range(60)]
    nan_last = np.zeros((3, 2))
    nan_last[2] = np.nan
    clean = vector_play(SteppedVectorEnv(taskspec.load(path), 3), actions)
    same(clean, vector_play(SteppedVectorEnv(taskspec.load(path), 3), actions, bad=[nan_last]))
    venv = SteppedVectorEnv(taskspec.load(path), 3)
    venv.reset(seed=0)
    with pytest.raises(InvalidAction, match=r"^actions\[2\]"):
        venv.step(nan_last)
    discrete = SteppedVectorEnv(taskspec.load("PerceptualDecisionMaking"), 2)
    discrete.reset(seed=0)
    with pytest.raises(InvalidAction, match=r"^actions\[1\] = 3 is not in the action space Discrete\(3\)"):
        discrete.step([0, 3])
    discrete.step([0, 2])


def test_step_before_reset_is_a_clear_error_in_both_envs():
    with pytest.raises(gym.error.ResetNeeded):
        taskspec.make("GoNogo").step(0)
    venv = gym.make_vec("taskspec/GoNogo-v0", num_envs=2)
    with pytest.raises(gym.error.ResetNeeded):
        venv.step([0, 0])
    venv.reset(seed=0)
    venv.step([0, 1])
