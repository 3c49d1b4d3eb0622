"""Behaviour of taskspec.wrappers: each wrapper does what it says and keeps the timing contract.

Every wrapper is exercised on `taskspec.make(name)` and on `gymnasium.make("taskspec/<Name>-v0")`
(the `make` fixture), and passes gymnasium's `check_env`.
"""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import taskspec
from taskspec.wrappers import (
    Monitor,
    Noise,
    PassAction,
    PassReward,
    RandomGroundTruth,
    ReactionTime,
    ScheduleEnvs,
    SideBias,
    TrialHistory,
)

PDM = "PerceptualDecisionMaking"
SHORT = {"timing": {"stimulus": 100}}  # PerceptualDecisionMaking in 3 steps: many trials per second


@pytest.fixture(params=["taskspec", "gymnasium"])
def make(request):
    if request.param == "taskspec":
        return taskspec.make
    return lambda name, **kwargs: gym.make(f"taskspec/{name}-v0", **kwargs)


def oracle(env):
    """The ground-truth action of the step about to be answered."""
    return env.unwrapped.gt_now


def run_trials(env, policy, trials, seed=0):
    """Step until `trials` trials ended; return every step as (obs before, action, reward, obs after, info)."""
    ob, _ = env.reset(seed=seed)
    steps, done = [], 0
    while done < trials:
        action = policy(env)
        new_ob, reward, terminated, truncated, info = env.step(action)
        assert not terminated and not truncated
        steps.append((ob, action, reward, new_ob, info))
        ob, done = new_ob, done + info["new_trial"]
    return steps


def trial_values(steps, name="ground_truth"):
    return np.array([info["trial"][name] for *_, info in steps if info["new_trial"]])


# ----- check_env on every wrapper -----

WRAPPERS = {
    "Monitor": lambda env, tmp: Monitor(env, tmp, save_every=5),
    "Noise": lambda env, tmp: Noise(env, 0.3),
    "PassReward": lambda env, tmp: PassReward(env),
    "PassAction": lambda env, tmp: PassAction(env),
    "ReactionTime": lambda env, tmp: ReactionTime(env),
    "SideBias": lambda env, tmp: SideBias(env, [[0.8, 0.2], [0.2, 0.8]], block_dur=3),
    "RandomGroundTruth": lambda env, tmp: RandomGroundTruth(env, [0.3, 0.7]),
    "TrialHistory": lambda env, tmp: TrialHistory(env, [[0.9, 0.1], [0.1, 0.9]]),
    "stack": lambda env, tmp: Monitor(PassAction(PassReward(Noise(SideBias(ReactionTime(env), [[0.5, 0.5]], 2), 0.1))),
                                      tmp),
}


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_check_env(wrapper, make, tmp_path):
    env = WRAPPERS[wrapper](make(PDM), tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the env is wrapped" and "no render modes" notices
        check_env(env, skip_render_check=True)


def test_check_env_schedule(make):
    env = ScheduleEnvs([make(PDM), make("ContextDecisionMaking")], schedule="random")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)


# ----- Monitor -----

def test_monitor_file_matches_the_rewards_seen(make, tmp_path):
    env = Monitor(make(PDM, **SHORT), tmp_path, save_every=10, name="run")
    steps = run_trials(env, lambda e: e.action_space.sample(), 25)
    ends = [i for i, (*_, info) in enumerate(steps) if info["new_trial"]]
    trial_rewards = [sum(s[2] for s in steps[a + 1:b + 1]) for a, b in zip([-1, *ends], ends, strict=False)]
    with np.load(tmp_path / "run.npz") as saved:  # written at trial 20
        assert len(saved["reward"]) == 20
    env.close()
    with np.load(env.path) as saved:
        np.testing.assert_allclose(saved["cum_reward"], trial_rewards)
        np.testing.assert_allclose(saved["reward"], [steps[i][2] for i in ends])
        np.testing.assert_array_equal(saved["action"], [steps[i][1] for i in ends])
        np.testing.assert_array_equal(saved["performance"], [steps[i][4]["performance"] for i in ends])
        np.testing.assert_array_equal(saved["trial.ground_truth"], trial_values(steps))
        np.testing.assert_array_equal(saved["n_steps"], np.diff([-1, *ends]))
    assert env.data["trial.coh"] == list(trial_values(steps, "coh"))


def test_monitor_aligns_columns_of_different_tasks(tmp_path):
    tasks = ScheduleEnvs([taskspec.make(PDM, **SHORT), taskspec.make("ContextDecisionMaking")])
    env = Monitor(tasks, tmp_path, save_every=None)
    run_trials(env, lambda e: e.unwrapped.task.gt_now, 6)
    env.close()
    with np.load(env.path) as saved:
        np.testing.assert_array_equal(saved["task"], [0, 1, 0, 1, 0, 1])
        assert np.all(np.isnan(saved["trial.coh"][1::2])) and not np.any(np.isnan(saved["trial.coh"][::2]))
        assert np.all(np.isnan(saved["trial.coh_1"][::2]))
        np.testing.assert_array_equal(saved["performance"], 1)


# ----- Noise -----

def test_noise_is_reproducible_and_leaves_the_trials_alone(make):
    def observations(env, seed):
        return np.array([s[3] for s in run_trials(env, lambda e: 0, 40, seed=seed)])

    clean = observations(make(PDM), 1)
    noisy = observations(Noise(make(PDM), std=0.5), 1)
    np.testing.assert_array_equal(noisy, observations(Noise(make(PDM), std=0.5), 1))
    assert not np.array_equal(noisy, observations(Noise(make(PDM), std=0.5), 2))
    difference = noisy - clean  # same seed, same trials: what is left is the noise
    assert abs(difference.mean()) < 0.05 and abs(difference.std() - 0.5) < 0.05


# ----- PassReward, PassAction -----

def test_pass_reward_appends_the_previous_reward(make):
    env = PassReward(make(PDM, **SHORT))
    assert env.observation_space.name == {"fixation": 0, "stimulus": [1, 2], "reward": 3}
    steps = run_trials(env, lambda e: e.action_space.sample(), 30)
    assert steps[0][0][3] == 0  # nothing earned before the first step
    rewards = {round(s[2], 6) for s in steps}
    assert len(rewards) > 1  # aborts, fails and corrects all occurred
    for _, _, reward, new_ob, _ in steps:
        assert new_ob.shape == (4,) and new_ob[3] == np.float32(reward)


def test_pass_action_appends_the_previous_action_as_one_column(make):
    env = PassAction(make(PDM, **SHORT))  # NeuroGym's form: the action's number
    assert env.observation_space.name["action"] == 3 and env.observation_space.shape == (4,)
    steps = run_trials(env, lambda e: e.action_space.sample(), 30)
    assert steps[0][0][3] == 0
    assert {a for _, a, *_ in steps} == {0, 1, 2}
    for _, action, _, new_ob, _ in steps:
        assert new_ob[3] == action


def test_pass_action_appends_the_previous_action_one_hot(make):
    env = PassAction(make(PDM, **SHORT), one_hot=True)
    assert env.observation_space.name["action"] == [3, 4, 5]
    steps = run_trials(env, lambda e: e.action_space.sample(), 30)
    np.testing.assert_array_equal(steps[0][0][3:], 0)
    for _, action, _, new_ob, _ in steps:
        np.testing.assert_array_equal(new_ob[3:], np.eye(3)[action])


# ----- ReactionTime -----

def test_reaction_time_answers_at_stimulus_onset(make):
    env = ReactionTime(make(PDM))
    steps = run_trials(env, oracle, 50)
    ends = [s for s in steps if s[4]["new_trial"]]
    assert all(info["period"] == "stimulus" and info["rt"] == 100 and info["performance"] == 1 for *_, info in ends)
    assert all(reward == 1.0 for _, _, reward, _, _ in ends)
    assert len(steps) == 2 * 50  # one fixation step, one answer
    assert all(info["gt"] == action for _, action, _, _, info in steps)


def test_reaction_time_judges_a_wrong_early_answer_and_a_silent_trial(make):
    env = ReactionTime(make(PDM), end_on_stimulus=True)
    env.reset(seed=3)
    task = env.unwrapped
    stimulus, decision = task.start_ind["stimulus"], task.start_ind["decision"]
    assert np.all(task.gt[stimulus:task.end_ind["stimulus"]] == task.gt[decision])  # the answer is visible early
    wrong = 3 - task.gt[decision]  # the other choice (actions 1 and 2)
    env.step(0)
    *_, reward, _, _, info = env.step(wrong)
    assert info["new_trial"] and info["performance"] == 0 and reward == task.rewards["fail"]
    stimulus_end, steps, info = task.end_ind["stimulus"], 0, {"new_trial": False}
    while not info["new_trial"]:  # never answer: the trial ends with the stimulus
        *_, reward, _, _, info = env.step(0)
        steps += 1
    assert steps == stimulus_end and info["period"] == "stimulus"
    assert info["performance"] == 0 and reward == 0


def test_reaction_time_keeps_the_decision_period_when_asked(make):
    env = ReactionTime(make(PDM), end_on_stimulus=False)
    steps = run_trials(env, lambda e: 0 if e.unwrapped.in_period("stimulus") else oracle(e), 20)
    ends = [info for *_, info in steps if info["new_trial"]]
    assert all(info["period"] == "decision" and info["performance"] == 1 for info in ends)


def test_reaction_time_under_side_bias_and_monitor(make, tmp_path):
    env = Monitor(SideBias(ReactionTime(make(PDM)), [[1.0, 0.0], [0.0, 1.0]], block_dur=5), tmp_path)
    steps = run_trials(env, oracle, 20)
    assert len(steps) == 40  # every trial answered at stimulus onset
    np.testing.assert_array_equal(env.data["block"], np.repeat(env.data["block"][::5], 5))
    np.testing.assert_array_equal(env.data["trial.ground_truth"], env.data["block"])
    np.testing.assert_array_equal(env.data["rt"], 100)


def test_reaction_time_refuses_what_it_cannot_serve(make):
    with pytest.raises(TypeError, match="directly"):
        ReactionTime(PassReward(make(PDM)))
    with pytest.raises(ValueError, match="periods"):
        ReactionTime(make("ReadySetGo"))


# ----- SideBias, RandomGroundTruth -----

def test_side_bias_blocks_follow_their_probabilities(make):
    probs = [[0.9, 0.1], [0.25, 0.75]]
    env = SideBias(make(PDM, **SHORT), probs, block_dur=40)
    steps = run_trials(env, oracle, 3000)
    ends = [info for *_, info in steps if info["new_trial"]]
    blocks, truth = np.array([i["block"] for i in ends]), np.array([i["trial"]["ground_truth"] for i in ends])
    for b, row in enumerate(probs):
        assert (blocks == b).sum() > 1000
        assert abs(np.mean(truth[blocks == b] == 0) - row[0]) < 0.03
    switches = np.flatnonzero(np.diff(blocks)) + 1
    assert set(np.diff(switches)) == {40} and switches[0] <= 40  # whole blocks, and a block always changes
    assert all(info["performance"] == 1 for info in ends)  # the stimulus agrees with the biased ground truth


def test_side_bias_uses_the_tasks_own_values_and_seed(make):
    env = SideBias(make("ContextDecisionMaking", timing={"delay": 0}), [[0.0, 1.0], [1.0, 0.0]], block_dur=(5, 8))
    assert env.values == [1, 2]
    first, again = run_trials(env, oracle, 60, seed=4), run_trials(env, oracle, 60, seed=4)
    truth = trial_values(first)
    np.testing.assert_array_equal(truth, trial_values(again))
    runs = np.diff(np.flatnonzero(np.diff(truth)))
    assert runs.min() >= 5 and runs.max() <= 8


def test_random_ground_truth_frequencies(make):
    env = RandomGroundTruth(make(PDM, **SHORT), [0.2, 0.8])
    truth = trial_values(run_trials(env, oracle, 2000))
    assert abs(truth.mean() - 0.8) < 0.03


def test_bias_wrappers_check_their_arguments(make):
    with pytest.raises(ValueError, match="sum to 1"):
        SideBias(make(PDM), [[0.5, 0.6]])
    with pytest.raises(ValueError, match="columns"):
        SideBias(make(PDM), [[0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match="block_dur"):
        SideBias(make(PDM), [[0.5, 0.5]], block_dur=0)
    with pytest.raises(ValueError, match="no trial variable"):
        SideBias(make("ReadySetGo"), [[0.5, 0.5]])
    with pytest.raises(ValueError, match="square"):
        TrialHistory(make(PDM), [[0.5, 0.5]])


def test_a_wrapper_that_fails_to_build_leaves_the_task_alone(make):
    env = make(PDM)
    with pytest.raises(ValueError):
        SideBias(env, [[0.5, 0.6]])
    with pytest.raises(TypeError):
        ReactionTime(PassReward(env))
    assert "new_trial" not in vars(env.unwrapped)
    run_trials(env, oracle, 3)


# ----- TrialHistory -----

def test_trial_history_transitions_match_the_matrix(make):
    matrix = np.array([[0.8, 0.2], [0.3, 0.7]])
    env = TrialHistory(make(PDM, **SHORT), matrix)
    truth = trial_values(run_trials(env, oracle, 3000))
    counts = np.zeros((2, 2))
    np.add.at(counts, (truth[:-1], truth[1:]), 1)
    np.testing.assert_allclose(counts / counts.sum(axis=1, keepdims=True), matrix, atol=0.04)


def test_trial_history_follows_an_explicit_trial():
    env = TrialHistory(taskspec.make(PDM), [[0.0, 1.0], [1.0, 0.0]])  # strict alternation
    env.reset(seed=0)
    task = env.unwrapped
    task.new_trial(ground_truth=1)
    previous = task.trial["ground_truth"]
    for _ in range(10):
        assert task.new_trial()["ground_truth"] == 1 - previous
        previous = task.trial["ground_truth"]


# ----- ScheduleEnvs -----

def test_schedule_alternates_tasks_with_a_one_hot_input(make):
    first, second = make(PDM), make("ContextDecisionMaking", timing={"delay": 0})
    env = ScheduleEnvs([first, second])
    names = env.observation_space.name
    rule = names["rule"]
    assert rule == [env.observation_space.shape[0] - 2, env.observation_space.shape[0] - 1]
    # columns are aligned by group name: each task's groups keep their names
    assert set(first.observation_space.name) | set(second.observation_space.name) | {"rule"} == set(names)
    only_second = [c for g in second.observation_space.name if g not in first.observation_space.name
                   for c in np.atleast_1d(names[g])]
    steps = run_trials(env, lambda e: e.task.gt_now, 10)
    assert steps[0][0][rule].tolist() == [1, 0]
    current = 0
    for ob, _, _, _, info in steps:
        assert info["task"] == current and ob[rule[current]] == 1 and ob[rule].sum() == 1
        if current == 0:
            np.testing.assert_array_equal(ob[only_second], 0)  # groups PerceptualDecisionMaking lacks: zeros
        if info["new_trial"]:
            current = 1 - current
            assert info["performance"] == 1
    assert [info["task"] for *_, info in steps if info["new_trial"]] == [0, 1] * 5


def test_schedule_random_is_seeded_and_uses_every_task(make):
    def order(seed):
        env = ScheduleEnvs([make(PDM, **SHORT), make("DelayMatchSample")], schedule="random", env_input=False)
        assert env.observation_space.shape == (3,)
        return [info["task"] for *_, info in run_trials(env, lambda e: e.task.gt_now, 40, seed=seed)
                if info["new_trial"]]

    first = order(5)
    assert first == order(5) and first != order(6)
    assert 10 < sum(first) < 30


def test_schedule_resumes_each_task_where_it_stopped():
    single = taskspec.make(PDM, **SHORT)
    alone = trial_values(run_trials(single, oracle, 5, seed=0), "coh")
    env = ScheduleEnvs([taskspec.make(PDM, **SHORT), taskspec.make("DelayMatchSample")])
    steps = run_trials(env, lambda e: e.task.gt_now, 10, seed=0)  # task 0 is seeded with 0 + 0
    scheduled = [info["trial"]["coh"] for *_, info in steps if info["new_trial"] and info["task"] == 0]
    np.testing.assert_array_equal(scheduled, alone)


def test_schedule_needs_one_action_space():
    with pytest.raises(ValueError, match="one action space"):
        ScheduleEnvs([taskspec.make(PDM), taskspec.make("GoNogo")])
