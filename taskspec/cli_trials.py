"""The CLI's commands that play or write trials: `run` (a task under a ground-truth and a random policy) and
`dataset` (trials to an .npz or Parquet file)."""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import taskspec

from .cli_arguments import UsageError, parse_sets
from .cli_output import OutputRefused, check_output, write_output
from .cli_printing import dump_json, section, space_line
from .library import spec_files


def _simulate(env: taskspec.TrialEnv, policy: Callable[[], Any], trials: int, seed: int) -> dict[str, Any]:
    """Whole trials under one policy; per-trial sums make policies with different trial lengths comparable."""
    env.reset(seed=seed)
    rewards: list[float] = []
    perfs: list[float] = []
    steps: list[int] = []
    total, count = 0.0, 0
    while len(steps) < trials:
        _, reward, _, _, info = env.step(policy())
        total, count = total + reward, count + 1
        if info["new_trial"]:
            rewards.append(total)
            perfs.append(float(info["performance"]))
            steps.append(count)
            total, count = 0.0, 0
    return {
        "reward_per_trial": float(np.mean(rewards)),
        "performance": float(np.mean(perfs)),
        "steps_per_trial": {"mean": float(np.mean(steps)), "min": min(steps), "max": max(steps)},
    }


def cmd_run(args: argparse.Namespace) -> int:
    """The end-to-end check: a spec is only useful if the ground truth earns clearly more than chance."""
    overrides = parse_sets(args.set)
    env = taskspec.load(args.task)(**overrides)
    truth = _simulate(env, lambda: env.gt_now, args.trials, args.seed)
    env.action_space.seed(args.seed)
    chance = _simulate(env, env.action_space.sample, args.trials, args.seed)
    result = {
        "task": env.task_name,
        "dt": env.dt,
        "trials": args.trials,
        "seed": args.seed,
        "overrides": overrides,
        "observation_space": space_line(env.observation_space),
        "action_space": space_line(env.action_space),
        "steps_per_trial": truth["steps_per_trial"],
        "policies": {"ground_truth": truth, "random": chance},
    }
    if args.json:
        dump_json(result)
        return 0
    section(
        None,
        [
            ("task", env.task_name),
            ("dt", f"{env.dt:g} ms"),
            ("trials", f"{args.trials} (seed {args.seed})"),
            ("observation", result["observation_space"]),
            ("action", result["action_space"]),
        ],
        indent="",
    )
    rows = [
        (
            name,
            f"{p['steps_per_trial']['mean']:.1f}",
            p["steps_per_trial"]["min"],
            p["steps_per_trial"]["max"],
            f"{p['reward_per_trial']:.3f}",
            f"{p['performance']:.3f}",
        )
        for name, p in result["policies"].items()
    ]
    section(None, rows, ("policy", "steps/trial", "min", "max", "reward/trial", "performance"), indent="")
    print(RUN_COLUMNS)
    return 0


# What the columns of `taskspec run` mean, printed under its table (tests/test_lab_conventions.py checks
# each against a run whose answer it knows).
RUN_COLUMNS = """
ground_truth acts the target at every step; random draws actions uniformly.
steps/trial, min, max: mean, shortest and longest trial in steps of dt.
reward/trial: mean of each trial's summed reward.
performance: mean over trials of the performance each trial ended with: the value the spec's rules
  (or `response`) set, e.g. 1 for a correct answer, and 0 for a trial no rule scored."""


def cmd_dataset(args: argparse.Namespace) -> int:
    """Trials to disk for training elsewhere: streamed in chunks, so a million trials fit in little memory."""
    import time

    from .data.export import plan, write_npz, write_parquet

    overrides = parse_sets(args.set)
    env = taskspec.load(args.task)(**overrides)
    output, reads = Path(args.output), spec_files(args.task)
    check_output(args.output, reads)  # before the work: refused at once, not after minutes of trials
    fmt = args.format or ("parquet" if output.suffix == ".parquet" else "npz")
    shard = _shard(args.shard)
    if shard is not None and args.seed is None:
        raise UsageError("--shard needs --seed: every shard must draw from the same seed")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError("--format parquet needs pyarrow: pip install 'taskspec[parquet]'") from None
    started = time.perf_counter()
    writer = write_parquet if fmt == "parquet" else write_npz
    manifests: list[dict[str, Any]] = []
    try:
        plan(env, args.n, output, shard)  # budget and disk refused in the target's name, before the temporary file
        write_output(
            args.output,
            lambda path: manifests.append(
                writer(env, args.n, path, args.seed, overrides, progress=not args.quiet, shard=shard)
            ),
            reads,
        )
    except OutputRefused:
        raise
    except taskspec.SpecError as exc:
        raise _dataset_advice(exc) from None
    except ValueError as exc:  # e.g. a shard with no trials
        raise UsageError(str(exc)) from None
    manifest = manifests[0]
    rate = manifest["trials_written"] / max(time.perf_counter() - started, 1e-9)
    part = f" (shard {shard[0]}/{shard[1]} of {args.n:,})" if shard else ""
    print(
        f"wrote {manifest['trials_written']:,} trials{part} of {manifest['task']} to {output} "
        f"({fmt}, {rate:,.0f} trials/s)"
    )
    return 0


def _shard(text: str | None) -> tuple[int, int] | None:
    """'i/k' (0-based part i of k) as a tuple; a usage error otherwise."""
    if text is None:
        return None
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise UsageError(f"--shard expects I/K with 0 <= I < K (e.g. 0/4), got '{text}'")
    return int(index), int(count)


def _dataset_advice(exc: taskspec.SpecError) -> taskspec.SpecError:
    """The batch-size advice of the library names `chunk_size`, which this command does not have.

    `dataset` sizes its chunks to the trials' length but never below an env's own chunk (what
    `step` builds); what a user of the command can change is the length of the trials.
    """
    advice = (
        "; that is the smallest chunk `taskspec dataset` builds: shorten the trials "
        "(--set timing={period: ms}) or use a larger step (--set dt=...)"
    )
    library_advice = r";[^;]*(?:chunk_size|fewer trials at once)[^;]*$"
    return taskspec.SpecError(
        [dataclasses.replace(p, message=re.sub(library_advice, advice, p.message)) for p in exc.problems]
    )
