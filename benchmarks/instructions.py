"""Before/after work of two checkouts in CPU instructions, which the machine's load cannot blur.

Run: python benchmarks/instructions.py OLD_TREE NEW_TREE [--work gen:ContextDecisionMaking ...] [--jobs 2]

Wall-clock ratios on a shared 2-core machine scatter by 20-30% between runs of the same code
(compare_trees.py prints that spread). This counts instead: each piece of work runs under
`valgrind --tool=callgrind` (Debian's valgrind) twice per tree, with a small and a large repeat count,
and the difference of the two instruction totals, divided by the extra repeats, is the cost of one
repeat without Python's start-up, imports and compilation. The count covers everything the process
runs, NumPy's kernels included, and is the same on every run of the same tree (one BLAS thread,
a fixed hash seed). The ratio printed is old/new instructions: above 1, the new tree does less work.

Work items, `kind:task`:
  gen     one taskspec.generate_trials(env, 1024)
  ds      one batch of taskspec.Dataset(task, batch_size=64, seq_len=100)  (200 batches a repeat)
  single  one single-env step (gymnasium.make), random actions            (2000 steps a repeat)
  vec     one step of the native vector env of 1024 envs, random actions   (20 steps a repeat)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

WORK = (
    "gen:PerceptualDecisionMaking",
    "gen:ContextDecisionMaking",
    "gen:yang19.dm1",
    "ds:PerceptualDecisionMaking",
    "single:PerceptualDecisionMaking",
    "single:yang19.dm1",
    "single:PerceptualDecisionMakingRT",
    "vec:ContextDecisionMaking",
    "vec:yang19.dm1",
)
UNITS = {"gen": 1, "ds": 200, "single": 2000, "vec": 20}  # units of work per repeat
SMALL, LARGE = 1, 5  # repeats of the two runs whose difference is measured


def work(kind: str, task: str, repeats: int) -> None:
    """The measured process: warm up, then `repeats` repeats of the work item."""
    import gymnasium as gym
    import numpy as np

    import taskspec

    units = UNITS[kind] * repeats
    if kind == "gen":
        env = taskspec.make(task)
        for _ in range(1 + units):
            taskspec.generate_trials(env, 1024)
    elif kind == "ds":
        ds = taskspec.Dataset(task, batch_size=64, seq_len=100, seed=0)
        for _ in range(3 + units):
            ds()
    elif kind == "single":
        single = gym.make(f"taskspec/{task}-v0")
        single.reset(seed=0)
        actions = np.random.default_rng(0).integers(0, single.action_space.n, 1000 + units).tolist()
        for action in actions:
            single.step(action)
    elif kind == "vec":
        vector = gym.make_vec(f"taskspec/{task}-v0", num_envs=1024)
        vector.reset(seed=0)
        for action in np.random.default_rng(0).integers(0, vector.single_action_space.n, (64 + units, 1024)):
            vector.step(action)
    else:
        raise SystemExit(f"unknown kind of work {kind!r}: one of {', '.join(UNITS)}")


def instructions(tree: Path, item: str, repeats: int) -> int:
    """Callgrind's instruction total of one run of `item` with `tree` first on the path."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        args = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--worker",
            item,
            str(repeats),
        ]
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no total for {item} in {tree}")
    return int(found.group(1))


def per_unit(tree: Path, item: str) -> float:
    kind = item.split(":", 1)[0]
    return (instructions(tree, item, LARGE) - instructions(tree, item, SMALL)) / ((LARGE - SMALL) * UNITS[kind])


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        kind, task = sys.argv[2].split(":", 1)
        work(kind, task, int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--work", nargs="+", default=list(WORK), help="kind:task items (see the module docstring)")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at once (each uses one core)")
    args = parser.parse_args()
    with ThreadPoolExecutor(args.jobs) as pool:
        figures = {
            item: (pool.submit(per_unit, args.old, item), pool.submit(per_unit, args.new, item)) for item in args.work
        }
        print(f"{'work':40} {'old instr/unit':>15} {'new instr/unit':>15} {'old/new':>8}")
        for item, (old, new) in figures.items():
            print(f"{item:40} {old.result():15,.0f} {new.result():15,.0f} {old.result() / new.result():8.3f}")


if __name__ == "__main__":
    main()
