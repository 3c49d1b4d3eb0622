"""Measure the reference statistics of Yang et al. (2019)'s own task generator.

Run once, by hand, with NumPy (no taskspec needed), on a checkout of gyyang/multitask:

    python tests/data/yang19paper/measure.py /path/to/gyyang/multitask > tests/data/yang19paper/reference.json

It imports that checkout's `task.py` unmodified (under Python 3 it only needs the name
`six.string_types`, supplied here) with Yang's default hyperparameters (train.get_default_hp:
dt 20, alpha 0.2, sigma_x 0.01, 32 units per ring, the 20 rules of ruleset 'all', lsq loss),
draws N trials per rule one at a time (Yang draws timing once per batch; a batch of one gives
the per-trial distribution), and summarises them with `tests/yang_paper_stats.py`, the same
function the parity test applies to the bundled family. Tests only read the JSON it writes.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np

N = 2000
SEED = 20190101


def _step(value, default: int) -> int:
    """An epoch bound: Yang writes None for the trial's start or end, and a number or a batch's array."""
    return default if value is None else int(np.asarray(value).reshape(-1)[0])


def main(repo: str) -> None:
    six = types.ModuleType("six")
    six.string_types = (str,)  # type: ignore[attr-defined]
    sys.modules["six"] = six
    sys.path.insert(0, repo)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import task  # type: ignore[import-not-found]  # Yang's task.py
    from yang_paper_stats import summarise, trial_statistics, two_stimuli

    rules = task.rules_dict["all"]
    hp = {
        "dt": 20,
        "alpha": 0.2,
        "sigma_x": 0.01,
        "n_eachring": 32,
        "num_ring": 2,
        "n_rule": 20,
        "rule_start": 65,
        "n_input": 85,
        "n_output": 33,
        "loss_type": "lsq",
        "ruleset": "all",
    }
    out: dict = {"source": "gyyang/multitask task.py", "n_trials": N, "dt": 20, "rules": {}}
    noise = []
    for r, rule in enumerate(rules):
        hp["rng"] = np.random.RandomState(SEED + r)
        np.random.seed(SEED + r)  # multidm draws part of its strengths from NumPy's global generator
        rows = []
        for _ in range(N):
            trial = task.generate_trials(rule, hp, "random", noise_on=False, batch_size=1)
            x, y = trial.x[:, 0], trial.y[:, 0]
            c = trial.c_mask.reshape(trial.tdim, 1, -1)[:, 0]
            bounds = {k: (_step(a, 0), _step(b, trial.tdim)) for k, (a, b) in trial.epochs.items()}
            row = trial_statistics(x, y, c, {k: b - a for k, (a, b) in bounds.items()})
            if rule.startswith(("dms", "dmc")):
                row.update(two_stimuli(x, bounds))
            rows.append(row)
        out["rules"][rule] = summarise(rows)
        # the input noise: the same trial drawn twice from one seed, with and without noise
        both_ways = []
        for with_noise in (False, True):
            hp["rng"] = np.random.RandomState(SEED)
            np.random.seed(SEED)
            both_ways.append(task.generate_trials(rule, hp, "random", noise_on=with_noise, batch_size=16).x)
        noise.append(both_ways[1] - both_ways[0])
        print(rule, file=sys.stderr)
    both = np.concatenate([n.reshape(-1, 85) for n in noise])
    out["input_noise_sd"] = float(both.std())
    out["input_noise_sd_per_column_min"] = float(both.std(axis=0).min())
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv[1])
