"""Helpers of tests/test_js_backend.py: the Python env's trials as scripted jobs, run again in Node.

The Python env draws each trial; its variables (session variables included) and period lengths go to
the JavaScript env as overrides, with the actions a scripted participant took, so both envs play the
same trial and every step can be compared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

import taskspec
from taskspec.web import runtime_script, task_script
from taskspec.web.scripts import _lowered as lowered  # lowered once per class

NODE = shutil.which("node") or "/usr/bin/node"
HERE = Path(__file__).parent / "js"
RUNTIME = Path(taskspec.__file__).parent / "web" / "static" / "taskspec-runtime.js"


def node_available() -> bool:
    return os.path.exists(NODE)


def plain(value: Any) -> Any:
    """numpy values as JSON data."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value)


def run_node(driver: str, jobs: list[dict[str, Any]], scripts: dict[str, str], tmp: Path) -> Any:
    """Write each task's script to `tmp`, run `driver` over all jobs in one Node process."""
    paths = []
    for name, text in scripts.items():
        path = tmp / f"task{len(paths)}.js"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
        assert name
    payload = json.dumps({"runtime": str(RUNTIME), "scripts": paths, "jobs": jobs})
    done = subprocess.run(
        [NODE, str(HERE / driver)], input=payload, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def noisy_columns(env: Any) -> set[int]:
    """Observation columns some input adds noise to (their values differ between generators)."""
    task = lowered(type(env))
    columns: set[int] = set()
    for placement, cols in zip(task.inputs, env.input_columns, strict=True):
        if placement.noise is not None:
            columns |= set(np.arange(env.observation_space.shape[0])[cols].tolist())
    return columns


def scripted_trials(
    name: str, n_trials: int, seed: int, **params: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], Any]:
    """`n_trials` trials of the Python env with a scripted participant: mostly the ground truth,
    sometimes fixating, sometimes a random key. Returns the Node job, what Python did and the env."""
    env = taskspec.make(name, **params)
    ob, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    n_actions = int(env.action_space.n)
    names = env.action_space.name
    fixate = names["fixation"] if isinstance(names.get("fixation"), int) else 0
    trials, records = [], []
    for _ in range(n_trials):
        overrides = plain(env.trial)
        durations = {p: float((env.end_ind[p] - env.start_ind[p]) * env.dt) for p in env.start_ind}
        record: dict[str, Any] = {"first": ob.tolist(), "steps": []}
        actions = []
        for _ in range(100_000):
            draw = rng.random()
            action = int(env.gt_now) if draw < 0.55 else fixate if draw < 0.8 else int(rng.integers(n_actions))
            actions.append(action)
            ob, reward, terminated, _, info = env.step(action)
            row = {"reward": reward, "period": info["period"], "gt": int(info["gt"]), "end": info["new_trial"]}
            row["obs"] = ob.tolist()
            if terminated:
                row["terminated"] = True
            if info["new_trial"]:
                row["performance"] = float(info["performance"])
            record["steps"].append(row)
            if info["new_trial"]:
                break
        if terminated:
            ob, _ = env.reset()
        trials.append({"overrides": overrides, "durations": durations, "actions": actions})
        records.append(record)
    job = {"task": type(env).task_name, "seed": seed, "params": {}, "trials": trials}
    return job, records, env


def mismatches(env: Any, records: list[dict[str, Any]], played: Any, all_columns: bool = False) -> list[str]:
    """Every step where the JavaScript env differs from the Python env (an empty list: none)."""
    if isinstance(played, dict):
        return [f"the JavaScript env failed: {played['error']}"]
    keep = np.ones(env.observation_space.shape[0], bool)
    if not all_columns:
        keep[sorted(noisy_columns(env))] = False
    found = []
    for i, (mine, theirs) in enumerate(zip(records, played, strict=True)):
        if not np.allclose(np.array(mine["first"])[keep], np.array(theirs["first"])[keep], atol=1e-5):
            found.append(f"trial {i}: first observation {mine['first']} != {theirs['first']}")
        if len(mine["steps"]) != len(theirs["steps"]):
            found.append(f"trial {i}: {len(mine['steps'])} steps in Python, {len(theirs['steps'])} in JavaScript")
        for k, (a, b) in enumerate(zip(mine["steps"], theirs["steps"], strict=False)):
            where = f"trial {i} step {k}"
            for key in ("period", "gt", "end", "terminated"):
                if a.get(key) != b.get(key):
                    found.append(f"{where}: {key} {a[key]!r} != {b[key]!r}")
            if abs(a["reward"] - b["reward"]) > 1e-6:
                found.append(f"{where}: reward {a['reward']} != {b['reward']}")
            if a["end"] and abs(a["performance"] - b.get("performance", np.nan)) > 1e-6:
                found.append(f"{where}: performance {a['performance']} != {b.get('performance')}")
            if not a["end"] and not np.allclose(np.array(a["obs"])[keep], np.array(b["obs"])[keep], atol=1e-5):
                found.append(f"{where}: observation {a['obs']} != {b['obs']}")
    return found


def script_of(name: str, **params: Any) -> str:
    return task_script(name, **params)


__all__ = ["mismatches", "node_available", "run_node", "runtime_script", "script_of", "scripted_trials"]
