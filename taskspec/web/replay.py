"""Replaying a browser log in the Python env: the check that the page ran the same task.

The page logs, for each trial, its trial variables, its period bounds and, step by step, the
action taken and the period, reward and ground truth the JavaScript env gave back
(docs/people.md, "The log"). `replay` re-runs each trial in the Python env with the same trial
and session variables, the same period durations and the same actions, and lists every step where the two
disagree: a wrong period, reward or ground truth, or a trial that ends at another step. Equal
logs are what "the same spec for networks and people" means in practice; observations are not
compared (their noise is drawn by each side's own generator).

`python_log` writes a log of the same shape by stepping the Python env itself with a policy: the
reference a browser log is compared against, and a test of `replay` that needs no browser.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..runtime import TrialEnv

LOG_FORMAT = "taskspec-human-log"
LOG_VERSION = 1
_TOLERANCE = 1e-9  # rewards and performance are float64 on both sides; sums of a few terms may differ in the last bit


@dataclass(frozen=True)
class Mismatch:
    """One step (or trial) where the log and the Python env disagree."""

    trial: int  # the trial's index in the log
    step: int | None  # the step within the trial; None for a trial-level value
    what: str  # "period", "reward", "gt", "end", "performance", "periods" or "trial"
    logged: Any
    replayed: Any

    def __str__(self) -> str:
        where = f"trial {self.trial}" + (f", step {self.step}" if self.step is not None else "")
        return f"{where}: {self.what} is {self.logged!r} in the log but {self.replayed!r} in the Python env"


@dataclass
class Replay:
    """What `replay` found: every mismatch, and how much was compared."""

    task: str
    trials: int = 0
    steps: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.mismatches

    def summary(self) -> str:
        head = f"{self.task}: {self.trials} trials, {self.steps} steps replayed, {len(self.mismatches)} mismatches"
        return "\n".join([head, *(f"  {m}" for m in self.mismatches[:20])])


def read_log(log: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """A log as a dict: given as one already, or as the path of the JSON file the page wrote."""
    data = dict(log) if isinstance(log, Mapping) else json.loads(Path(log).read_text())
    if data.get("format") != LOG_FORMAT:
        raise ValueError(f"not a taskspec log: its 'format' is {data.get('format')!r}, expected {LOG_FORMAT!r}")
    if data.get("version") != LOG_VERSION:
        raise ValueError(f"taskspec log version {data.get('version')!r}; this taskspec reads version {LOG_VERSION}")
    return data


def replay(log: Mapping[str, Any] | str | Path, task: Any = None) -> Replay:
    """Re-run every trial of `log` in the Python env (`task`: the log's task unless given: a bundled
    name, a spec path or a TrialEnv subclass) and list where it differs from what the page logged."""
    data = read_log(log)
    task = data["task"] if task is None else task
    result = Replay(task=str(data["task"]))
    envs: dict[tuple[tuple[str, float], ...], TrialEnv] = {}
    previous: TrialEnv | None = None
    for number, trial in enumerate(data["trials"]):
        durations = _durations(trial["periods"])
        key = tuple(sorted(durations.items()))
        if key not in envs:  # period durations are fixed through `timing`: one env per distinct set
            envs[key] = _env(task, data, durations)
        env = envs[key]
        if previous is not None and previous is not env:
            env.adopt_session(previous)  # session variables and trial history go on across envs
        index = int(trial.get("index", number))
        result.mismatches += _replay_trial(env, trial, index)
        result.trials += 1
        result.steps += len(trial["steps"]["action"])
        previous = env
    return result


def _env(task: Any, data: Mapping[str, Any], durations: dict[str, float]) -> TrialEnv:
    """An env of `task` with the log's parameters and dt, period durations fixed, one episode per trial."""
    from ..library import make

    kwargs = {**data.get("params", {}), "dt": data["dt"], "timing": durations, "episode": "trial"}
    env = task(**kwargs) if isinstance(task, type) and issubclass(task, TrialEnv) else make(task, **kwargs)
    env.reset(seed=int(data.get("seed", 0)))
    env.adopt_session(env.private())  # reset drew trials ahead; the log's first trial starts the session
    return env


def _durations(periods: Mapping[str, Any]) -> dict[str, float]:
    return {name: float(end) - float(start) for name, (start, end) in periods.items()}


def _replay_trial(env: TrialEnv, trial: Mapping[str, Any], index: int) -> list[Mismatch]:
    logged_vars = trial["trial"]
    replayed_vars = _start_trial(env, logged_vars)
    found = [
        Mismatch(index, None, "trial", {name: value}, {name: _plain(replayed_vars.get(name))})
        for name, value in logged_vars.items()
        if not _same(value, replayed_vars.get(name))
    ]
    bounds = {name: [env.start_t[name], env.end_t[name]] for name in env.start_t}
    if not _same(_durations(trial["periods"]), _durations(bounds)) or set(bounds) != set(trial["periods"]):
        found.append(Mismatch(index, None, "periods", dict(trial["periods"]), bounds))
    steps = trial["steps"]
    actions = steps["action"]
    ended_at = None
    for k, action in enumerate(actions):
        _, reward, terminated, truncated, info = env.step(int(action))
        for what, replayed in (("period", info["period"]), ("reward", reward), ("gt", info["gt"])):
            if not _same(steps[what][k], replayed):
                found.append(Mismatch(index, k, what, steps[what][k], _plain(replayed)))
        if info["new_trial"]:
            ended_at = k
            break
    last = len(actions) - 1
    if ended_at != last:
        found.append(Mismatch(index, last, "end", f"ends after step {last}", _ending(ended_at)))
    elif not _same(trial.get("performance"), env.performance):
        found.append(Mismatch(index, None, "performance", trial.get("performance"), _plain(env.performance)))
    return found


def _start_trial(env: TrialEnv, logged: Mapping[str, Any]) -> dict[str, Any]:
    """Make the logged trial current: its trial variables (vectors too) fixed, and its session
    variables as logged when the log holds them all (else the Python env draws its own, and any
    difference shows as a mismatch)."""
    # one trial's values: a number as it is, a vector as a row (trials x size)
    fixed = {
        name: np.asarray(value)[None] if np.ndim(value) else value
        for name, value in logged.items()
        if name in env.trial_variables
    }
    # The page drew the session variables with its own generator: this trial's values come from the log.
    names = env.session_variables
    session = {name: logged[name] for name in names} if names and all(name in logged for name in names) else None
    env.serve(env.generate(env.np_random, 1, fixed, serving=True, session=session), 0)
    return env.trial


def _ending(ended_at: int | None) -> str:
    return "still running" if ended_at is None else f"ends after step {ended_at}"


def _plain(value: Any) -> Any:
    """A NumPy value as the JSON number or list it would be in a log."""
    return value.tolist() if hasattr(value, "tolist") else value


def _same(logged: Any, replayed: Any) -> bool:
    """Equal as a log holds values: numbers to a tolerance, bools as 0/1, vectors element by element."""
    if isinstance(logged, Mapping) and isinstance(replayed, Mapping):
        return logged.keys() == replayed.keys() and all(_same(logged[k], replayed[k]) for k in logged)
    if logged is None or replayed is None or isinstance(logged, str) or isinstance(replayed, str):
        return logged == replayed
    try:
        a, b = np.asarray(logged, dtype=float), np.asarray(replayed, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= _TOLERANCE * np.maximum(1.0, np.abs(b))))


def python_log(
    task: Any,
    policy: Callable[[TrialEnv, int], int],
    trials: int,
    seed: int = 0,
    **params: Any,
) -> dict[str, Any]:
    """A log in the page's format made by stepping the Python env: `policy(env, k)` gives the action at
    step k of the current trial (it may read `env.trial`, `env.gt` and `env.ob`)."""
    from ..library import make

    env = task(**params) if isinstance(task, type) else make(task, **params)
    env.reset(seed=seed)
    log: dict[str, Any] = {
        "format": LOG_FORMAT,
        "version": LOG_VERSION,
        "task": env.task_name,
        "params": {name: value for name, value in params.items() if name != "dt"},
        "dt": env.dt,
        "seed": seed,
        "generator": "numpy PCG64 (python_log)",
        "keys": {},
        "user_agent": "taskspec.web.replay.python_log",
        "trials": [],
    }
    for index in range(trials):
        record = _python_trial(env, policy, index)
        log["trials"].append(record)
    return log


def _python_trial(env: TrialEnv, policy: Callable[[TrialEnv, int], int], index: int) -> dict[str, Any]:
    trial = {name: _plain(value) for name, value in env.trial.items()}
    periods = {name: [env.start_t[name], env.end_t[name]] for name in env.start_t}
    fixate = _fixate_action(env)
    steps: dict[str, list[Any]] = {"action": [], "reward": [], "period": [], "gt": []}
    total, choice, choice_k = 0.0, -1, None
    while True:
        k = env.t_ind
        action = int(policy(env, k))
        _, reward, _, _, info = env.step(action)
        steps["action"].append(action)
        steps["reward"].append(float(reward))
        steps["period"].append(info["period"])
        steps["gt"].append(_plain(info["gt"]))
        total += float(reward)
        if action != fixate and choice_k is None:
            choice, choice_k = action, k
        if info["new_trial"]:
            performance = float(info["performance"])
            break
    length = len(steps["action"])
    ran_out = length * env.dt >= max(end for _, end in periods.values()) and choice_k is None
    return {
        "index": index,
        "trial": trial,
        "periods": periods,
        "steps": steps,
        "performance": performance,
        "reward": total,
        "timed_out": bool(ran_out),
        "choice": choice,
        "response_time_ms": None if choice_k is None else choice_k * env.dt,
        "onsets_ms": {name: start for name, (start, end) in periods.items() if end > start},
    }


def _fixate_action(env: TrialEnv) -> int | None:
    """The action meaning "no response": the fixation group's single action, if the task has one."""
    column = env.action_index.get("fixation")
    return int(column) if isinstance(column, (int, np.integer)) else None


def onset_drift(log: Mapping[str, Any] | str | Path) -> dict[str, dict[str, float]]:
    """Per period, how far the onsets the page measured fall from the spec's (ms): mean, sd, max |drift|,
    over the trials of `log` whose `onsets_ms` holds that period."""
    data = read_log(log)
    drift: dict[str, list[float]] = {}
    for trial in data["trials"]:
        for name, measured in (trial.get("onsets_ms") or {}).items():
            if measured is None or name not in trial["periods"]:
                continue
            drift.setdefault(name, []).append(float(measured) - float(trial["periods"][name][0]))
    table = {}
    for name, values in drift.items():
        a = np.asarray(values)
        table[name] = {
            "n": float(len(a)),
            "mean": float(a.mean()),
            "sd": float(a.std(ddof=1)) if len(a) > 1 else math.nan,
            "max_abs": float(np.abs(a).max()),
        }
    return table
