"""Train a PPO agent (stable-baselines3) on PerceptualDecisionMaking and compare it with baselines.

    pip install torch==2.13.0 stable-baselines3     # or: pip install 'taskspec[rl]' after torch
    python examples/train_rl.py [--steps 60000] [--seed 0]

Training runs on `taskspec.rl.sb3.VecEnv`, the native vector env in SB3's protocol; the script
first measures, in the same run, env steps per second through SB3's interface for it and for
SB3's usual `DummyVecEnv` of single envs (`make_vec_env`), with 64 envs and random actions.

The agent sees only the current observation (an MLP policy, no memory), so the best it
can learn is to hold fixation and then answer in the decision period; telling the two
stimuli apart needs memory of the stimulus (a recurrent policy, e.g. sb3-contrib's
RecurrentPPO). Reward per trial and performance are printed for the trained agent, a
uniformly random policy and an always-fixate policy, each over the same seeded trials.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

import taskspec  # noqa: F401 - registers taskspec/ envs
from taskspec.rl.sb3 import VecEnv

ENV_ID = "taskspec/PerceptualDecisionMaking-v0"


def evaluate(policy: Callable[[np.ndarray], int], trials: int = 300, seed: int = 123) -> tuple[float, float]:
    """Mean reward per trial and mean performance of `policy` over `trials` trials."""
    env = gym.make(ENV_ID)
    ob, _ = env.reset(seed=seed)
    rewards, performance, total = [], [], 0.0
    while len(rewards) < trials:
        ob, reward, _, _, info = env.step(policy(ob))
        total += reward
        if info["new_trial"]:
            rewards.append(total)
            performance.append(info["performance"])
            total = 0.0
    return float(np.mean(rewards)), float(np.mean(performance))


def steps_per_second(env, seconds: float = 2.0) -> float:
    """Env steps per second of random actions through SB3's VecEnv interface."""
    env.reset()
    actions = np.random.default_rng(0).integers(0, env.action_space.n, size=(256, env.num_envs))
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a in actions:
            env.step(a)
        steps += len(actions) * env.num_envs
    return steps / (time.perf_counter() - start)


def throughput(num_envs: int = 64, seconds: float = 2.0) -> dict[str, float]:
    return {"taskspec.rl.sb3.VecEnv": steps_per_second(VecEnv("PerceptualDecisionMaking", num_envs, seed=0), seconds),
            "DummyVecEnv": steps_per_second(make_vec_env(ENV_ID, n_envs=num_envs, seed=0), seconds)}


def train(steps: int, seed: int = 0) -> PPO:
    env = VecEnv("PerceptualDecisionMaking", num_envs=8, seed=seed)
    model = PPO("MlpPolicy", env, n_steps=128, batch_size=256, learning_rate=3e-3, gamma=0.9, seed=seed, verbose=0,
                device="cpu")
    return model.learn(total_timesteps=steps)


def baselines(model: PPO | None) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(0)
    results = {"random": evaluate(lambda ob: int(rng.integers(0, 3))), "always fixate": evaluate(lambda ob: 0)}
    if model is not None:
        results["trained PPO"] = evaluate(lambda ob: int(model.predict(ob, deterministic=True)[0]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60_000, help="environment steps of training")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rates = throughput()
    for name, rate in rates.items():
        print(f"{name:>20}: {rate:12,.0f} env steps/s (64 envs, random actions)")
    print(f"{'':>20}  {rates['taskspec.rl.sb3.VecEnv'] / rates['DummyVecEnv']:.1f}x with the native vector env")
    start = time.perf_counter()
    model = train(args.steps, args.seed)
    print(f"trained {args.steps} steps in {time.perf_counter() - start:.0f} s")
    for name, (reward, performance) in baselines(model).items():
        print(f"{name:>14}: reward per trial {reward:6.3f}   performance {performance:5.3f}")


if __name__ == "__main__":
    main()
