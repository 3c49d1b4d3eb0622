"""The JAX backend's throughput beside the NumPy backend's, measured in one run on this machine.

Run: python benchmarks/bench_jax.py [--tasks NAME ...] [--sizes 1024 4096 65536] [--seconds 1.5]

For each task and number of envs N: env-steps/s of `jax.jit(jax.vmap(env.step))` driven by a
`lax.scan` of 100 steps inside one compiled call (PureJaxRL's way of running envs), with random
actions drawn beforehand (a key per env is split at each step, as gymnax's API needs), against
env-steps/s of the NumPy native vector env (`taskspec.rl.vector.TrialVectorEnv`) with random actions;
then trial generation (`env.generate` under `jit` against `taskspec.generate_trials`) in
timesteps/s. Compile time is excluded (printed separately) and every rate is the best of three
windows. It prints the device JAX runs on.

NeuroGym 2.3.1's single-env step rate on the project's standard machine (2 cores) is printed as
a reference: it was measured in a separate venv (NeuroGym pins other numpy and gymnasium
versions), not in this run; the ratios printed are JAX against NumPy, both from this run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import taskspec
import taskspec.jax as tj
from taskspec import SpecError
from taskspec.rl.vector import TrialVectorEnv

# NeuroGym 2.3.1 env.step with random actions, steps/s, on the standard 2-core machine (reference table).
NEUROGYM_STEP = {
    "PerceptualDecisionMaking": 241_000,
    "ContextDecisionMaking": 170_000,
    "yang19.dm1": 59_000,
    "DelayMatchSample": 245_000,
}
SCAN = 100


def best_rate(run: Callable[[], int], seconds: float) -> float:
    best = 0.0
    for _ in range(3):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            done += run()
        best = max(best, done / (time.perf_counter() - start))
    return best


def jax_steps(env: tj.JaxEnv, n: int) -> tuple[Callable[[], int], float]:
    space = env.action_space()
    # random actions drawn beforehand and cycled, as for the NumPy env: the env's cost is measured, not the draws
    actions = jax.vmap(jax.vmap(space.sample))(jax.random.split(jax.random.key(2), (16, n)))

    def many(key, states):
        def body(states, inputs):
            key, i = inputs
            _, states, reward, *_ = jax.vmap(env.step)(jax.random.split(key, n), states, actions[i % 16])
            return states, reward.sum()

        return jax.lax.scan(body, states, (jax.random.split(key, SCAN), jnp.arange(SCAN)))

    start = time.perf_counter()
    _, states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.key(0), n))
    compiled = jax.jit(many).lower(jax.random.key(1), states).compile()
    compile_s = time.perf_counter() - start
    box = {"states": states, "i": 0}

    def run() -> int:
        box["i"] += 1
        box["states"], rewards = compiled(jax.random.key(box["i"]), box["states"])
        rewards.block_until_ready()
        return n * SCAN

    run()
    return run, compile_s


def numpy_steps(task: str, n: int) -> Callable[[], int]:
    vec = TrialVectorEnv(task, n)
    vec.reset(seed=0)
    space = vec.single_action_space
    rng = np.random.default_rng(0)
    actions = [rng.integers(0, space.n, n) for _ in range(16)]  # type: ignore[attr-defined]
    box = {"i": 0}

    def run() -> int:
        box["i"] += 1
        vec.step(actions[box["i"] % 16])
        return n

    run()
    return run


def jax_generation(env: tj.JaxEnv, n: int) -> tuple[Callable[[], int], float]:
    start = time.perf_counter()
    generate = jax.jit(env.generate, static_argnums=1).lower(jax.random.key(0), n).compile()
    compile_s = time.perf_counter() - start
    box = {"i": 0}

    def run() -> int:
        box["i"] += 1
        return int(jnp.sum(generate(jax.random.key(box["i"])).length))

    return run, compile_s


def numpy_generation(task: str, n: int) -> Callable[[], int]:
    box = {"i": 0}

    def run() -> int:
        box["i"] += 1
        return int(taskspec.generate_trials(task, n, seed=box["i"]).length.sum())

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["PerceptualDecisionMaking", "ContextDecisionMaking"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1024, 4096, 65536])
    parser.add_argument("--trials", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=1.5)
    args = parser.parse_args()
    print(f"JAX {jax.__version__} on {jax.devices()[0].device_kind} ({jax.default_backend()}); numpy {np.__version__}")
    for task in args.tasks:
        env = tj.make(task)
        reference = NEUROGYM_STEP.get(task)
        note = f", NeuroGym single env (reference table, not this run): {reference:,} steps/s" if reference else ""
        print(f"\n{task}{note}")
        print(f"  {'N':>6}  {'JAX steps/s':>14}  {'NumPy vector steps/s':>21}  {'JAX / NumPy':>11}  compile")
        for n in args.sizes:
            run, compile_s = jax_steps(env, n)
            jax_rate = best_rate(run, args.seconds)
            try:
                numpy_rate = best_rate(numpy_steps(task, n), args.seconds)
            except (SpecError, ValueError) as exc:  # its memory budget: 64 pre-built trials per env
                print(f"  {n:>6}  {jax_rate:>14,.0f}  {'refused':>21}  {'-':>11}  {compile_s:.1f} s")
                print(f"          NumPy: {str(exc).splitlines()[0][:150]}")
                continue
            ratio = jax_rate / numpy_rate
            print(f"  {n:>6}  {jax_rate:>14,.0f}  {numpy_rate:>21,.0f}  {ratio:>10.2f}x  {compile_s:.1f} s")
        n = args.trials
        jax_trials, compile_s = jax_generation(env, n)
        jax_rate, numpy_rate = best_rate(jax_trials, args.seconds), best_rate(numpy_generation(task, n), args.seconds)
        print(
            f"  trial generation, {n} trials per call: JAX {jax_rate:,.0f} timesteps/s, NumPy {numpy_rate:,.0f} "
            f"timesteps/s, {jax_rate / numpy_rate:.2f}x (compile {compile_s:.1f} s)"
        )


if __name__ == "__main__":
    main()
