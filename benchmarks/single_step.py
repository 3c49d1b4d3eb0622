"""CPU time and Python work per step of one env (no vector env), per task: a before/after check of `TrialEnv.step`.

Run: PYTHONPATH=TREE python benchmarks/single_step.py [TASK ...] [--steps 20000] [--rounds 5]
     python benchmarks/single_step.py --compare OLD_TREE NEW_TREE [TASK ...]

For each task (default: the bundled tasks whose actions shape timing or later trials, plus
PerceptualDecisionMaking, its reaction-time variant, DawTwoStep and yang19.dm1) the env made by
`gymnasium.make("taskspec/<task>-v0")` is stepped (its `unwrapped` step, so gymnasium's wrappers,
the same in every tree, are left out) with seeded random actions. Reported per step: the CPU time
(`time.process_time`, the median of several rounds, so other processes on the machine weigh less
than in wall-clock time) and the Python bytecode instructions run (`sys.settrace` opcode events:
the same on every run of a tree). `--compare` runs both trees in turn, round after round, in fresh
processes, and prints new/old ratios of steps per CPU second (>= 1: the new tree is as fast or faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

TASKS = (
    "perceptualdecisionmaking.fixationhold",
    "perceptualdecisionmaking.feedback",
    "perceptualdecisionmaking.staircase",
    "perceptualdecisionmaking.correction",
    "perceptualdecisionmaking.curriculum",
    "stopsignal",
    "PerceptualDecisionMaking",
    "PerceptualDecisionMakingRT",
    "DawTwoStep",
    "yang19.dm1",
)


def stepper(task: str, steps: int) -> tuple[Any, list[Any]]:
    """The task's env, reset with seed 0 and warmed up (its first trials built), and `steps` actions."""
    import gymnasium as gym
    import numpy as np

    import taskspec  # noqa: F401 - registers the taskspec/ envs

    env = gym.make(f"taskspec/{task}-v0").unwrapped
    env.reset(seed=0)
    space = env.action_space
    rng = np.random.default_rng(0)
    if hasattr(space, "n"):
        actions: list[Any] = rng.integers(0, space.n, steps).tolist()
    else:
        actions = list(rng.uniform(-1, 1, (steps, *space.shape)).astype(np.float32))
    for a in actions[: steps // 4]:
        _, _, done, _, _ = env.step(a)
        if done:
            env.reset()
    return env, actions


def cpu_per_step(task: str, steps: int) -> float:
    """CPU microseconds per step, one round."""
    env, actions = stepper(task, steps)
    step, reset = env.step, env.reset
    start = time.process_time()
    for a in actions:
        if step(a)[2]:
            reset()
    return (time.process_time() - start) / steps * 1e6


def opcodes_per_step(task: str, steps: int) -> float:
    env, actions = stepper(task, steps)
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        frame.f_trace_opcodes = True
        count += event == "opcode"
        return tracer

    sys.settrace(tracer)
    for a in actions:
        if env.step(a)[2]:
            env.reset()
    sys.settrace(None)
    return count / steps


def known(task: str) -> bool:
    import gymnasium as gym

    import taskspec  # noqa: F401 - registers the taskspec/ envs

    return f"taskspec/{task}-v0" in gym.registry


def measure(tasks: list[str], steps: int, rounds: int, opcodes: bool) -> dict[str, dict[str, float]]:
    """Per task the tree has (an older tree may lack a newer task), CPU us and opcodes per step."""
    out = {}
    for task in tasks:
        if not known(task):
            continue
        times = [cpu_per_step(task, steps) for _ in range(rounds)]
        row = {"us": statistics.median(times)}
        if opcodes:
            row["opcodes"] = opcodes_per_step(task, min(steps, 4000))
        out[task] = row
    return out


def compare(old: str, new: str, tasks: list[str], steps: int, rounds: int) -> None:
    """Both trees in turn, one round each at a time, in fresh processes; medians and ratios."""
    runs: dict[str, dict[str, list[float]]] = {old: {}, new: {}}
    ops: dict[str, dict[str, float]] = {old: {}, new: {}}
    for r in range(rounds):
        for tree in (old, new) if r % 2 == 0 else (new, old):
            command = [sys.executable, __file__, *tasks, "--steps", str(steps), "--rounds", "1", "--json"]
            if r == 0:
                command.append("--opcodes")
            env = {**os.environ, "PYTHONPATH": tree}
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
            result = json.loads(done.stdout)
            for task, row in result.items():
                runs[tree].setdefault(task, []).append(row["us"])
                if "opcodes" in row:
                    ops[tree][task] = row["opcodes"]
    print(f"{'task':40} {'old us':>8} {'new us':>8} {'ratio':>6} {'old ops':>8} {'new ops':>8}")
    for task in tasks:
        if task not in runs[old] or task not in runs[new]:
            print(f"{task:40} (not in both trees)")
            continue
        a, b = statistics.median(runs[old][task]), statistics.median(runs[new][task])
        print(f"{task:40} {a:8.2f} {b:8.2f} {a / b:6.2f} {ops[old][task]:8.0f} {ops[new][task]:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=list(TASKS))
    parser.add_argument("--steps", type=int, default=20000, help="steps timed per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="two source trees, run in turn")
    parser.add_argument("--opcodes", action="store_true", help="count opcodes too (with --json; always otherwise)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare, args.tasks, args.steps, args.rounds)
        return
    result = measure(args.tasks, args.steps, args.rounds, args.opcodes or not args.json)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{'task':40} {'CPU us/step':>12} {'opcodes/step':>13}")
    for task in set(args.tasks) - set(result):
        print(f"{task:40} (not in this tree)")
    for task, row in result.items():
        print(f"{task:40} {row['us']:12.2f} {row['opcodes']:13.0f}")


if __name__ == "__main__":
    main()
