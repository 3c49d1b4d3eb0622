"""Python work per env step, counted instead of timed: a before/after check the machine's load cannot blur.

Run: PYTHONPATH=TREE python benchmarks/step_work.py [--sizes 0 64 1024] [--steps 2560] [--tasks T ...] [--top K]

For each bundled task of the benchmarks and each size (0: the single env through `gymnasium.make`;
N: the native vector env of N envs), it steps with random actions, then counts the Python bytecode
instructions run per step (`sys.settrace` with opcode events) and the calls into C functions per
step (`sys.setprofile`). Both are the same on every run of the same tree; run it once per tree to
compare them. With `--top K`, the K functions that run the most opcodes per step and the K C
functions called most per step are listed under each row: where a difference between trees comes
from. They count Python overhead only: the time of the NumPy work inside a C call is not
in them, so timings (benchmarks/compare_trees.py) are still needed for large N.
"""

from __future__ import annotations

import argparse
import collections
import sys
from typing import Any

import gymnasium as gym
import numpy as np

import taskspec  # noqa: F401 - registers the taskspec/ envs

TASKS = ("PerceptualDecisionMaking", "ContextDecisionMaking", "yang19.dm1", "DelayMatchSample")


def counts(task: str, n: int, steps: int) -> tuple[collections.Counter[str], collections.Counter[str]]:
    """(opcodes, C calls) of `task`'s single env (n=0) or vector env of n envs over `steps` steps,
    by function (`file:function` for Python, the qualified name for C)."""
    env: Any = gym.make_vec(f"taskspec/{task}-v0", num_envs=n) if n else gym.make(f"taskspec/{task}-v0")
    env.reset(seed=0)
    space = env.single_action_space if n else env.action_space
    actions = np.random.default_rng(0).integers(0, space.n, (steps, n) if n else steps)
    actions = actions if n else actions.tolist()
    for a in actions[: steps // 4]:  # warm up: the first chunks of trials are built
        env.step(a)
    opcodes: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            opcodes[f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}"] += 1
        return tracer

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event == "c_call":
            calls[getattr(arg, "__qualname__", "?")] += 1

    sys.settrace(tracer)
    for a in actions:
        env.step(a)
    sys.settrace(None)
    sys.setprofile(profiler)
    for a in actions:
        env.step(a)
    sys.setprofile(None)
    return opcodes, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[0, 64, 1024])
    parser.add_argument("--steps", type=int, default=2560, help="steps counted (several chunks of trials)")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), help="bundled task names")
    parser.add_argument("--top", type=int, default=0, help="list the K costliest functions under each row")
    args = parser.parse_args()
    print(f"{'task':28} {'envs':>6} {'opcodes/step':>13} {'C calls/step':>13}")
    for task in args.tasks:
        for n in args.sizes:
            opcodes, c_calls = counts(task, n, args.steps)
            total_ops, total_calls = sum(opcodes.values()) / args.steps, sum(c_calls.values()) / args.steps
            print(f"{task:28} {n or 'single':>6} {total_ops:13.0f} {total_calls:13.1f}")
            if args.top:
                for (name, ops), (c_name, c_count) in zip(
                    opcodes.most_common(args.top), c_calls.most_common(args.top), strict=False
                ):
                    print(f"    {name[:40]:40} {ops / args.steps:8.1f}    {c_name[:40]:40} {c_count / args.steps:6.2f}")


if __name__ == "__main__":
    main()
