"""A simulated participant in Python, writing the log the browser page writes (docs/people.md).

It plays the Python env with the decision-noise model of `tools.analysis.rollout_choices` (the
ground truth, except that at the first response step it answers correctly with probability
logistic(|x| / noise)), presses 50 ms into the step it answers at, and records each trial as
taskspec-session.js does, so `read_human` can be checked against the env's own data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import taskspec
from taskspec.library import as_env
from taskspec.tools.analysis import _options


def plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


def simulated_log(task: str, variable: str, trials: int, seed: int, noise: float) -> dict[str, Any]:
    env = as_env(task)
    options, _ = _options(env)
    fixate = int(env.action_space.name["fixation"])
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    records = []
    for index in range(trials):
        trial = {k: plain(v) for k, v in env.trial.items()}
        periods = {p: [float(env.start_ind[p] * env.dt), float(env.end_ind[p] * env.dt)] for p in env.start_ind}
        steps: dict[str, list[Any]] = {"action": [], "reward": [], "period": [], "gt": []}
        decided = False
        while True:
            action = target = int(env.gt_now)
            if not decided and target in options:
                p_right = 1 / (1 + np.exp(-abs(float(env.trial[variable])) / noise))
                action = target if rng.random() < p_right else options[1 - options.index(target)]
                decided = True
            _, reward, _, _, info = env.step(action)
            for name, value in (("action", action), ("reward", reward), ("period", info["period"]), ("gt", target)):
                steps[name].append(plain(value))
            if info["new_trial"]:
                break
        pressed = [k for k, a in enumerate(steps["action"]) if a != fixate]
        asked = [k for k in pressed if steps["gt"][k] != fixate]  # the response, as taskspec-session.js takes it
        k = asked[0] if asked else pressed[0] if pressed else -1
        records.append(
            {
                "index": index,
                "trial": trial,
                "periods": periods,
                "steps": steps,
                "performance": float(info["performance"]),
                "reward": float(sum(steps["reward"])),
                "timed_out": k < 0,
                "choice": steps["action"][k] if k >= 0 else -1,
                "response_time_ms": k * env.dt + 50.0 if k >= 0 else None,
                "choice_step": k,
                "target": steps["gt"][k] if k >= 0 else -1,
                "press_ms": [k * env.dt + 50.0 if a != fixate else None for k, a in enumerate(steps["action"])],
                "onsets_ms": {p: b[0] for p, b in periods.items() if b[1] > b[0]},
            }
        )
    return {
        "format": "taskspec-human-log",
        "version": 1,
        "task": env.task_name,
        "params": {},
        "dt": env.dt,
        "seed": seed,
        "generator": "numpy (simulated participant)",
        "keys": {"f": options[0], "j": options[1]},
        "period_names": list(env.start_ind),
        "user_agent": f"tests/human_sim.py, taskspec {taskspec.__version__}",
        "trials": records,
    }
