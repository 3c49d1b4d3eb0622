"""Reinforcement-learning throughput: single-env and vector-env steps per second.

Run: python benchmarks/bench_rl.py [--seconds S]

Measured in one run, with random actions:
- a trivial no-op gymnasium env through `gymnasium.make` (the cost of the API itself),
- each task's single env through `gymnasium.make("taskspec/<Name>-v0")`,
- the native vector env through `gymnasium.make_vec(..., num_envs=N)` for N = 64 and 1024.
Each figure is printed with its ratio to the no-op env and to NeuroGym 2.3.1's env.step figure
measured on the project's standard 2-core machine (the figures below, copied from the project's
reference measurements). With
`--neurogym-python PATH` (a venv with NeuroGym 2.3.1, see benchmarks/neurogym_rates.py), NeuroGym
is also measured in this run, just before each task's figures, and the ratios to that are printed:
the like-for-like comparison when the machine is slower or busier than when the reference was taken.
Targets: single env >= 2x NeuroGym; vector env at N = 1024 >= 60x NeuroGym's single env (issue 14,
part 7; it was 30x before).
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
from _neurogym import neurogym_rate

import taskspec  # noqa: F401 - registers the taskspec/ envs

NEUROGYM_STEP = {
    "PerceptualDecisionMaking": 241_000,
    "ContextDecisionMaking": 170_000,
    "yang19.dm1": 59_000,
    "DelayMatchSample": 245_000,
}
VECTOR_TARGET = 60  # the native vector env at N = 1024, in NeuroGym single-env steps


class NoOp(gym.Env):
    """The cheapest env gymnasium allows: a fixed observation, zero reward."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    action_space = gym.spaces.Discrete(3)
    _ob = np.zeros(3, np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._ob.copy(), {}

    def step(self, action):
        return self._ob.copy(), 0.0, False, False, {}


def single_rate(env: gym.Env, seconds: float) -> float:
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, env.action_space.n, 200_000).tolist()
    best = 0.0
    for _ in range(3):
        start, done = time.perf_counter(), 0
        while time.perf_counter() - start < seconds / 3:
            for a in actions[:20_000]:
                env.step(a)
            done += 20_000
        best = max(best, done / (time.perf_counter() - start))
    return best


def vector_rate(env: gym.vector.VectorEnv, seconds: float) -> float:
    env.reset(seed=0)
    n = env.num_envs
    actions = np.random.default_rng(0).integers(0, env.single_action_space.n, (64, n))
    best = 0.0
    for _ in range(3):
        start, done = time.perf_counter(), 0
        while time.perf_counter() - start < seconds / 3:
            for a in actions:
                env.step(a)
            done += 64 * n
        best = max(best, done / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per figure")
    parser.add_argument("--neurogym-python", help="python of a venv with NeuroGym 2.3.1, to measure it in this run")
    args = parser.parse_args()
    gym.register("bench/NoOp-v0", entry_point=NoOp)
    noop = single_rate(gym.make("bench/NoOp-v0"), args.seconds)
    print(f"{'what':40} {'steps/s':>11} {'/no-op':>7} {'/NG ref':>8} {'/NG now':>8} {'target':>7}")
    print(f"{'no-op gymnasium env (gymnasium.make)':40} {noop:11,.0f} {1:7.2f}")
    for task, reference in NEUROGYM_STEP.items():
        now = neurogym_rate(args.neurogym_python, "step", task, args.seconds)
        if now is not None:
            print(f"{'NeuroGym ' + task + ' (this run)':40} {now:11,.0f} {now / noop:7.2f} {now / reference:7.2f}x")
        base = now or reference  # targets are judged against NeuroGym measured now, when available
        single = single_rate(gym.make(f"taskspec/{task}-v0"), args.seconds)
        _row(f"{task} single", single, noop, reference, now, "met" if single >= 2 * base else "MISSED")
        for n in (64, 1024):
            vec = vector_rate(gym.make_vec(f"taskspec/{task}-v0", num_envs=n), args.seconds)
            mark = ("met" if vec >= VECTOR_TARGET * base else "MISSED") if n == 1024 else ""
            _row(f"{task} vector N={n}", vec, noop, reference, now, mark)


def _row(label: str, value: float, noop: float, reference: float, now: float | None, mark: str) -> None:
    same_run = f"{value / now:7.1f}x" if now else f"{'':8}"
    print(f"{label:40} {value:11,.0f} {value / noop:7.2f} {value / reference:7.1f}x {same_run} {mark:>7}")


if __name__ == "__main__":
    main()
