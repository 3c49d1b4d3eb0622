"""NeuroGym's own throughput, measured in this run, for same-run ratios in bench_rl.py and bench_data.py.

NeuroGym 2.3.1 pins gymnasium 0.29 and numpy 2.2, so it cannot share an environment with
taskspec. Install it in a separate venv and point the benchmarks at that venv's python:

    python3 -m venv ../ngvenv && ../ngvenv/bin/pip install torch==2.13.0 neurogym==2.3.1
    python benchmarks/bench_rl.py --neurogym-python ../ngvenv/bin/python

This script runs inside that venv and prints one JSON object: steps/s of env.step with random
actions and timesteps/s of Dataset(batch_size=64, seq_len=100), per task, measured the same
way as the taskspec figures (best of three windows).
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np


def best_rate(fn, seconds: float) -> float:
    fn()
    best = 0.0
    for _ in range(3):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            done += fn()
        best = max(best, done / (time.perf_counter() - start))
    return best


def main() -> None:
    warnings.filterwarnings("ignore")
    import gymnasium as gym
    import neurogym as ngym

    what, seconds, tasks = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    rates = {}
    for task in tasks:
        if what == "step":
            env = gym.make(f"{task}-v0", disable_env_checker=True)
            env.reset(seed=0)
            actions = np.random.default_rng(0).integers(0, env.action_space.n, 20_000).tolist()

            def steps(env=env, actions=actions) -> int:
                for a in actions:
                    env.step(a)
                return len(actions)

            rates[task] = best_rate(steps, seconds)
        else:
            ds = ngym.Dataset(f"{task}-v0", batch_size=64, seq_len=100)
            rates[task] = best_rate(lambda ds=ds: int(ds()[1].size), seconds)
    print(json.dumps(rates))


if __name__ == "__main__":
    main()
