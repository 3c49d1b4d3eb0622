"""The RL example learns: a short PPO run beats the random policy."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import train_rl  # noqa: E402


def test_short_ppo_run_beats_random():
    model = train_rl.train(steps=12_000, seed=0)
    results = train_rl.baselines(model)
    trained_reward, trained_perf = results["trained PPO"]
    random_reward, random_perf = results["random"]
    assert trained_reward > random_reward + 0.1, results
    assert trained_perf > random_perf, results
    assert results["always fixate"] == (0.0, 0.0)


def test_the_native_vector_env_is_faster_through_sb3():
    rates = train_rl.throughput(num_envs=64, seconds=0.5)
    assert rates["taskspec.rl.sb3.VecEnv"] > 2 * rates["DummyVecEnv"], rates
