"""Session variables (across trials), state variables (moved by the agent), episodes, repeated periods."""

import textwrap

import gymnasium as gym
import numpy as np
import pytest

import taskspec
from taskspec.rl.vector import SteppedVectorEnv, TrialVectorEnv, make_vector

COUNTER = textwrap.dedent("""
    task: Counter
    dt: 100
    observation: {cue: 1}
    action: {wait: 1, press: 1}
    session:
      count: {init: 0, next: count + 1}           # 1, 2, 3, ...
      previous: {init: -1, next: count - 1}       # reads the count already updated above it
      coin: {init: 0, next: bernoulli(0.5)}
    trial:
      twice: 2 * count
    state:
      presses: {init: 0, next: "presses + (action == press)"}
      doubled: {init: 0, next: 2 * presses}        # sees this step's presses
    periods: {first: 200, second: 100}
    inputs:
      - {where: cue, value: presses}
    target:
      - {value: press}
    outcomes:
      - {during: second, reward: doubled, performance: "presses == 3", end_trial: true}
""")


def write(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_session_variables_update_in_order_before_each_trial(tmp_path):
    env = taskspec.make(write(tmp_path, COUNTER))
    env.reset(seed=0)
    trials = [dict(env.trial)] + [dict(env.new_trial()) for _ in range(4)]
    assert [t["count"] for t in trials] == [1, 2, 3, 4, 5]
    assert [t["previous"] for t in trials] == [0, 1, 2, 3, 4]
    assert [t["twice"] for t in trials] == [2, 4, 6, 8, 10]
    assert {t["coin"] for t in trials} <= {0, 1}
    env.reset(seed=0)  # a seeded reset starts the session again
    assert env.trial["count"] == 1


def test_session_continues_in_generated_batches(tmp_path):
    batch = taskspec.generate_trials(write(tmp_path, COUNTER), 150, seed=1)  # several chunks
    np.testing.assert_array_equal(batch.variables["count"], np.arange(1, 151))


def test_state_variables_follow_actions_and_show_in_observations(tmp_path):
    env = taskspec.make(write(tmp_path, COUNTER))
    ob, _ = env.reset(seed=0)
    assert ob[0] == 0
    ob, reward, *_ = env.step(1)  # press: presses 1, shown at the next step
    assert ob[0] == 1 and reward == 0
    ob, reward, *_ = env.step(0)
    assert ob[0] == 1
    ob, reward, _, _, info = env.step(1)  # second period: presses 2, doubled 4, trial ends
    assert reward == 4 and info["new_trial"] and info["performance"] == 0
    assert ob[0] == 0 and env.t_ind == 0  # the next trial starts from the initial state
    for _ in range(3):
        _, reward, _, _, info = env.step(1)
    assert reward == 6 and info["performance"] == 1


def test_generated_batches_show_the_initial_state(tmp_path):
    batch = taskspec.generate_trials(write(tmp_path, COUNTER), 4, seed=0)
    assert np.all(batch.ob[batch.mask] == 0)
    assert np.all(batch.variables["presses"] == 0)


def test_vector_env_follows_each_envs_actions(tmp_path):
    path = write(tmp_path, COUNTER)
    vec = make_vector(str(path), 3)
    assert isinstance(vec, TrialVectorEnv)
    vec.reset(seed=0)
    obs, rewards, *_ = vec.step(np.array([1, 0, 1]))
    np.testing.assert_array_equal(obs[:, 0], [1, 0, 1])


def test_state_errors_are_located(tmp_path):
    bad = COUNTER.replace("- {value: press}", "- {value: presses}").replace("count - 1", "cuont - 1")
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.make(write(tmp_path, bad))
    message = str(err.value)
    assert "spec.yaml:8:30: session.previous.next: unknown name 'cuont' (did you mean 'count'?)" in message
    assert "target[0].value: the target cannot depend on state variables" in message


EPISODES = textwrap.dedent("""
    task: OneShot
    dt: 100
    episode: trial
    observation: {cue: 1}
    action: {wait: 1, go: 1}
    session:
      number: {init: 0, next: number + 1}
    periods: {wait: 200, respond: 200}
    inputs:
      - {during: respond, where: cue, value: 1}
    target:
      - {during: respond, value: go}
    outcomes:
      - {during: respond, when: action == go, reward: 1, performance: 1, end_trial: true}
""")


def test_one_episode_per_trial(tmp_path):
    env = taskspec.make(write(tmp_path, EPISODES))
    env.reset(seed=0)
    assert env.trial["number"] == 1
    _, _, terminated, _, _ = env.step(0)
    assert not terminated
    _, _, terminated, _, _ = env.step(0)
    assert not terminated
    _, reward, terminated, truncated, info = env.step(1)
    assert terminated and not truncated and reward == 1 and info["new_trial"]
    with pytest.raises(gym.error.ResetNeeded):
        env.step(0)
    env.reset()  # the next episode is the session's next trial
    assert env.trial["number"] == 2
    for _ in range(4):  # running out also ends the episode
        _, _, terminated, _, _ = env.step(0)
    assert terminated


def test_episodes_autoreset_in_the_vector_env(tmp_path):
    vec = make_vector(str(write(tmp_path, EPISODES)), 2)
    assert isinstance(vec, SteppedVectorEnv)
    vec.reset(seed=0)
    terminated = np.zeros(2, bool)
    for _ in range(3):
        _, _, terminated, _, info = vec.step(np.array([0, 1]))
        if terminated.any():
            break
    assert terminated.tolist() == [False, True]
    _, reward, terminated, _, _ = vec.step(np.array([1, 1]))  # env 1 resets: its action is ignored
    assert reward[1] == 0 and not terminated[1] and vec.envs[1].trial["number"] == 2


PULSES = textwrap.dedent("""
    task: Pulses
    dt: 10
    observation: {left: 1, right: 1}
    action: {wait: 1}
    trial:
      heights: "uniform(0, 1, size=3)"
      order: "choice([10, 20, 30], size=3)"
    periods:
      start: 20
      train:
        repeat: 3
        periods: {pulse: 10, gap: 20}
      end: 10
    inputs:
      - {during: pulse, where: left, value: "heights[rep]"}
      - {during: gap1, where: right, value: "sum(heights) + order[rep]"}
""")


def test_repeated_periods_and_vector_variables(tmp_path):
    env = taskspec.make(write(tmp_path, PULSES))
    assert list(env.timing) == ["start", "pulse0", "gap0", "pulse1", "gap1", "pulse2", "gap2", "end"]
    env.reset(seed=3)
    heights, order = np.array(env.trial["heights"]), np.array(env.trial["order"])
    assert heights.shape == (3,) and set(order) <= {10, 20, 30}
    for k in range(3):
        np.testing.assert_allclose(env.ob[env.start_ind[f"pulse{k}"], 0], heights[k], rtol=1e-6)
        assert env.ob[env.start_ind[f"gap{k}"], 0] == 0
    np.testing.assert_allclose(env.ob[env.start_ind["gap1"], 1], heights.sum() + order[1], rtol=1e-6)
    assert env.ob[env.start_ind["gap0"], 1] == 0
    batch = taskspec.generate_trials(write(tmp_path, PULSES), 50, seed=0)
    assert batch.variables["heights"].shape == (50, 3)


def test_repeated_period_names_must_resolve(tmp_path):
    bad = PULSES.replace("during: gap1", "during: gap5")
    with pytest.raises(taskspec.SpecError, match=r"inputs\[1\].during: unknown period 'gap5' \(did you mean"):
        taskspec.make(write(tmp_path, bad))


def test_repeated_copies_can_start_at_one(tmp_path):
    spec = PULSES.replace("repeat: 3\n", "repeat: 3\n    first: 1\n").replace('[rep]', '[rep - 1]')
    spec = spec.replace("during: gap1", "during: gap3")
    env = taskspec.make(write(tmp_path, spec))
    assert list(env.timing) == ["start", "pulse1", "gap1", "pulse2", "gap2", "pulse3", "gap3", "end"]
    env.reset(seed=0)
    np.testing.assert_allclose(env.ob[env.start_ind["pulse1"], 0], env.trial["heights"][0], rtol=1e-6)
