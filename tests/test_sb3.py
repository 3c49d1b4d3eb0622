"""SB3 on the native vector env (issue 13, item 4; issue 22): protocol, equality with gymnasium's vector env,
episodes, evaluate_policy."""

import warnings

import gymnasium as gym
import numpy as np
import pytest

import taskspec

pytest.importorskip("stable_baselines3", reason="the SB3 adapter needs stable-baselines3 (pip install 'taskspec[rl]')")
from stable_baselines3 import A2C, PPO  # noqa: E402

from taskspec.rl.sb3 import VecEnv  # noqa: E402


def test_steps_equal_the_native_vector_env():
    ours = VecEnv("perceptualdecisionmaking.ibl20", num_envs=5, seed=3)
    native = gym.make_vec("taskspec/perceptualdecisionmaking.ibl20-v0", num_envs=5)
    np.testing.assert_array_equal(ours.reset(), native.reset(seed=3)[0])
    actions = np.random.default_rng(0).integers(0, 3, size=(300, 5))
    trials = 0
    for a in actions:
        obs, rewards, dones, infos = ours.step(a)
        n_obs, n_rewards, _, _, n_info = native.step(a)
        np.testing.assert_array_equal(obs, n_obs)
        np.testing.assert_allclose(rewards, n_rewards)
        assert len(infos) == 5
        ended = [i for i, info in enumerate(infos) if "episode" in info]
        assert ended == np.flatnonzero(n_info["new_trial"]).tolist() == np.flatnonzero(dones).tolist()
        for i in ended:  # a truncated episode: the session goes on from the observation returned
            assert infos[i]["TimeLimit.truncated"] is True
            np.testing.assert_array_equal(infos[i]["terminal_observation"], obs[i])
        trials += len(ended)
    assert trials > 20


def test_trial_returns_are_reported_as_episodes():
    env = VecEnv("PerceptualDecisionMaking", num_envs=2, seed=0)
    env.reset()
    episodes = []
    for _ in range(44):  # trials of 22 steps: each env ends two
        _, rewards, _, infos = env.step(np.array([1, 0]))  # env 0 answers at once (abort penalty), env 1 fixates
        episodes += [(i, e["episode"]["l"], e["episode"]["r"]) for i, e in enumerate(infos) if "episode" in e]
    assert [e for e in episodes if e[0] == 1] == [(1, 22, 0.0), (1, 22, 0.0)]  # no reward at the timeout
    assert len([e for e in episodes if e[0] == 0]) == 2 and all(e[2] < 0 for e in episodes if e[0] == 0)


@pytest.mark.parametrize("algo", [PPO, A2C])
def test_sb3_algorithms_accept_it_and_log_trial_returns(algo):
    env = VecEnv("PerceptualDecisionMaking", num_envs=8, seed=0)
    extra = {"n_epochs": 1, "batch_size": 128} if algo is PPO else {}  # quick: the point is the protocol
    model = algo("MlpPolicy", env, n_steps=32, seed=0, device="cpu", verbose=0, **extra)
    model.learn(total_timesteps=1024)
    assert model.num_timesteps >= 1024 and len(model.ep_info_buffer) > 20  # ep_rew_mean is logged
    assert all(info["l"] == 22 for info in model.ep_info_buffer)


def test_episode_per_trial_mode():
    env = VecEnv("PerceptualDecisionMaking", num_envs=3, seed=1, episode="trial")
    obs = env.reset()
    single = taskspec.make("PerceptualDecisionMaking", episode="trial")
    np.testing.assert_array_equal(obs[0], single.reset(seed=1)[0])
    for _ in range(22):
        obs, rewards, dones, infos = env.step(np.array([single.gt_now] * 3))
        ob, reward, terminated, _, _ = single.step(single.gt_now)
        assert dones[0] == terminated and rewards[0] == reward
    assert dones.all() and rewards[0] == 1.0
    np.testing.assert_array_equal(infos[0]["terminal_observation"], ob)
    assert infos[0]["episode"]["l"] == 22 and infos[0]["episode"]["r"] == 1.0
    np.testing.assert_array_equal(obs[0], single.reset()[0])  # the next trial starts at once


def test_episode_override_in_make_and_gymnasium():
    env = taskspec.make("GoNogo", episode="trial")
    assert env.episode == "trial" and type(env).episode == "continuing"
    assert gym.make("taskspec/GoNogo-v0", episode="trial").unwrapped.episode == "trial"
    assert type(gym.make_vec("taskspec/GoNogo-v0", num_envs=2, episode="trial")).__name__ == "SteppedVectorEnv"
    with pytest.raises(ValueError, match="episode must be 'trial' or 'continuing'"):
        taskspec.make("GoNogo", episode="session")


def test_recurrent_ppo_accepts_it():
    sb3_contrib = pytest.importorskip("sb3_contrib", reason="needs sb3-contrib (pip install 'taskspec[rl]')")
    model = sb3_contrib.RecurrentPPO("MlpLstmPolicy", VecEnv("DelayMatchSample", num_envs=4, seed=0), n_steps=32,
                                     batch_size=128, n_epochs=1, seed=0, device="cpu", verbose=0)
    model.learn(total_timesteps=256)
    assert model.num_timesteps >= 256


def _evaluate(model, env, episodes):
    from stable_baselines3.common.evaluation import evaluate_policy

    calls = [0]

    def guard(local_vars, global_vars):  # evaluate_policy waits for `done`: fail instead of hanging
        calls[0] += 1
        if calls[0] > 50_000:
            raise AssertionError("evaluate_policy saw no episode end in 50,000 env steps")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "not wrapped with a Monitor" warning: the env reports episodes itself
        return evaluate_policy(model, env, n_eval_episodes=episodes, callback=guard, return_episode_rewards=True)


def test_evaluate_policy_counts_trials_on_continuing_tasks():
    env = VecEnv("PerceptualDecisionMaking", num_envs=4, seed=0)
    model = PPO("MlpPolicy", env, n_steps=16, batch_size=64, n_epochs=1, seed=0, device="cpu", verbose=0)
    returns, lengths = _evaluate(model, env, 12)
    assert len(returns) == 12 and lengths == [22] * 12  # PerceptualDecisionMaking's trials last 22 steps
    assert all(r <= 1.0 for r in returns)  # at most the reward for a correct choice
    model.learn(total_timesteps=256)
    assert model.ep_info_buffer and all(info["l"] == 22 for info in model.ep_info_buffer)


def test_evaluate_policy_on_episodic_sub_envs_and_trials_kept_in_one_episode():
    env = VecEnv("GoNogo", num_envs=2, seed=0, episode="trial")
    model = A2C("MlpPolicy", env, n_steps=8, seed=0, device="cpu", verbose=0)
    returns, _ = _evaluate(model, env, 4)
    assert len(returns) == 4
    session = VecEnv("PerceptualDecisionMaking", num_envs=2, seed=0, trials_as_episodes=False)
    session.reset()
    for _ in range(44):
        _, _, dones, infos = session.step(np.array([0, 0]))
        assert not dones.any()
    assert "episode" in infos[0] and "terminal_observation" not in infos[0]  # trials reported, memory kept
