"""Memory matters: RecurrentPPO (an LSTM policy, sb3-contrib) beats any memoryless policy on a cue-delay task.

    pip install torch==2.13.0 'taskspec[rl]'       # stable-baselines3 and sb3-contrib
    python examples/train_recurrent.py [--steps 20000] [--seed 0] [--envs 32]

The task (SPEC below, loaded from text) shows a cue of +1 or -1 for one step, then a blank
two-step delay, then asks for the choice the cue named; the trial ends at the first choice.
At the decision step the observation is the same whatever the cue was, so a policy that sees
only the current observation is right half the time at best, however long it trains. The
script computes that bound from the task itself (the best fixed action for each observation
seen at decision time, counted over seeded trials) rather than assuming it, trains
RecurrentPPO on `taskspec.rl.sb3.VecEnv` (one episode per trial, so the LSTM starts afresh with
each trial), scores it greedily on new seeded trials and exits 0 only if its performance
beats the bound by at least MARGIN.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict

import numpy as np
from sb3_contrib import RecurrentPPO

import taskspec
from taskspec.rl.sb3 import VecEnv

SPEC = """
task: CueDelayChoice
description: A cue for one step, a blank two-step delay, then the choice the cue named.
dt: 100
episode: trial
observation: {fixation: 1, cue: 1}
action: {fixation: 1, choice: 2}
trial:
  ground_truth: choice([0, 1])
  cue: "1 if ground_truth == 1 else -1"
periods: {cue: 100, delay: 200, decision: 100}
inputs:
  - {during: [cue, delay], where: fixation, value: 1}
  - {during: cue, where: cue, value: cue}
target:
  - {during: decision, value: "choice[ground_truth]"}
outcomes:
  - {during: [cue, delay], when: action != fixation, reward: -0.1}
  - {during: decision, when: action == target, reward: 1, performance: 1, end_trial: true}
  - {during: decision, when: action != fixation, end_trial: true}
"""
MARGIN = 0.15  # the trained policy must beat the memoryless bound by this much performance


def memoryless_bound(spec_text: str = SPEC, trials: int = 2000, seed: int = 7) -> float:
    """Best performance of any memoryless policy: per observation seen when a choice is due, the
    share of trials its most often correct action is correct, weighted by how often it is seen.
    A stochastic memoryless policy mixes these fixed actions, so it cannot do better. For SPEC
    the exact value is 0.5; counting seeded trials estimates it slightly above (the majority
    of a finite sample)."""
    env = taskspec.make(spec_text=spec_text)
    seen: defaultdict[tuple[float, ...], Counter[int]] = defaultdict(Counter)
    for trial in range(trials):
        ob, _ = env.reset(seed=seed + trial)
        while True:
            before = tuple(np.round(ob, 6).tolist())
            # fixate until the trial asks for a choice; info["gt"] then names the correct action
            ob, _, terminated, _, info = env.step(0)
            if info["gt"] != 0:
                seen[before][int(info["gt"])] += 1
            if terminated:  # fixating through the decision ends the trial without a choice
                break
    counts = [c for per_ob in seen.values() for c in per_ob.values()]
    return sum(max(per_ob.values()) for per_ob in seen.values()) / sum(counts)


def train(steps: int, seed: int, num_envs: int) -> RecurrentPPO:
    env = VecEnv(spec_text=SPEC, num_envs=num_envs, seed=seed)
    model = RecurrentPPO("MlpLstmPolicy", env, n_steps=32, batch_size=256, n_epochs=4, learning_rate=3e-3,
                         gamma=0.9, ent_coef=0.01, seed=seed, device="cpu", verbose=0,
                         policy_kwargs={"lstm_hidden_size": 32, "net_arch": [32]})
    return model.learn(total_timesteps=steps)


def evaluate(model: RecurrentPPO, trials: int = 1000, seed: int = 10_000) -> tuple[float, float]:
    """Mean reward per trial and performance (fraction correct) over `trials` new trials, greedy actions."""
    env = VecEnv(spec_text=SPEC, num_envs=16, seed=seed)
    obs = env.reset()
    state, starts = None, np.ones(env.num_envs, bool)
    rewards: list[float] = []
    performance: list[float] = []
    while len(rewards) < trials:
        action, state = model.predict(obs, state=state, episode_start=starts, deterministic=True)
        obs, _, starts, infos = env.step(action)
        for info in infos:
            if "episode" in info:
                rewards.append(info["episode"]["r"])
                performance.append(info["performance"])
    return float(np.mean(rewards[:trials])), float(np.mean(performance[:trials]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="environment steps of training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--envs", type=int, default=32, help="sub-envs of the vector env")
    parser.add_argument("--eval-trials", type=int, default=1000)
    args = parser.parse_args(argv)
    bound = memoryless_bound()
    print(f"best memoryless policy: performance {bound:.3f} (reward per trial {bound:.3f})")
    start = time.perf_counter()
    model = train(args.steps, args.seed, args.envs)
    seconds = time.perf_counter() - start
    reward, performance = evaluate(model, args.eval_trials)
    print(f"RecurrentPPO (LSTM)   : performance {performance:.3f} (reward per trial {reward:.3f}) "
          f"after {args.steps:,} steps in {seconds:.0f} s")
    beaten = performance >= bound + MARGIN
    print(f"{'beats' if beaten else 'does NOT beat'} the memoryless bound by {MARGIN:.2f} "
          f"(margin {performance - bound:+.3f})")
    return 0 if beaten else 1


if __name__ == "__main__":
    sys.exit(main())
