"""Measures reference statistics from Mod-Cog's own generator, run unmodified; writes modcog_reference.json.

Not part of the test run (tests/test_modcog.py reads the JSON). Run it in a separate venv that
has the NeuroGym Mod-Cog's code was written against (its master of November 2022, commit
8e4bb67c: `ngym.TrialEnv`, `wrappers.block.MultiEnvs`, gym's API; NeuroGym 2.3.1 lacks them),
with `gym` and numpy, and a checkout of mikailkhona/Mod_Cog:

    python -m venv /work/venvs/modcog && /work/venvs/modcog/bin/pip install torch==2.13.0 gym matplotlib
    git clone https://github.com/neurogym/neurogym && git -C neurogym checkout 8e4bb67c
    /work/venvs/modcog/bin/pip install --no-deps -e neurogym
    git clone https://github.com/mikailkhona/Mod_Cog
    /work/venvs/modcog/bin/python tests/data/modcog_reference.py Mod_Cog

Every one of the 93 task functions is measured at dt = 20 ms over N_TRIALS trials from each
task's `new_trial()` (no steps); the seq speed is also measured at dt = 100 and 50 ms. The
match family draws its delay once per env from NumPy's global generator, so a fresh env is
built for every pair of trials (one per modality) to sample that delay's distribution. Each
modality variant gets its own seed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
# tests/data/neurogym (NeuroGym's reference figures) would shadow the installed package
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
from modcog_stats import DIM_RING, Collector  # noqa: E402

N_TRIALS = 1500
SEED = 7
MATCH = ("dms", "dnms", "dmc", "dnmc")
SPEED_TASKS = ("goseqr", "dm1seql", "dmsseqr", "dlydm2intseq")
SPEED_DTS = (100, 50)


def task_names(module) -> list[str]:
    """The task functions of mod_cog_tasks.py: public functions that build an env."""
    names = [
        n
        for n, f in vars(module).items()
        if callable(f)
        and not n.startswith("_")
        and getattr(f, "__module__", "") == module.__name__
        and not isinstance(f, type)
    ]
    return sorted(names)


def current(env):
    """The env that built the last trial (ScheduleEnvs keeps the modality variants in `envs`)."""
    return env.envs[env.i_env].unwrapped if hasattr(env, "envs") else env.unwrapped


def responds(task: str, inner) -> bool:
    if not task.startswith(MATCH):
        return True
    match = inner.trial["ground_truth"] == "match"
    return match == inner.matchgo


def measure(module, task: str, dt: int, n: int, seed: int) -> dict:
    build = getattr(module, task)
    collector = Collector()
    env = None
    for i in range(n):
        if env is None or (task.startswith(MATCH) and i % 2 == 0):  # a new per-env delay
            env = build(dt=dt)
            # ScheduleEnvs.seed gives both modality variants the same seed, so each trial would
            # repeat the previous one's draws in the other modality: seed them apart.
            for k, variant in enumerate(getattr(env, "envs", [env])):
                variant.unwrapped.seed(seed + 2 * i + k)
        env.new_trial()
        inner = current(env)
        length = int(inner._tmax / inner.dt)
        ob = np.asarray(inner.ob[:length], dtype=float)
        gt = np.asarray(inner.gt[:length])
        bounds = {p: (int(inner.start_ind[p]), int(inner.end_ind[p])) for p in inner.start_ind}
        respond = responds(task, inner)
        start, end = bounds["decision"]
        # Mod-Cog writes direction j as action (j + 1) mod dim_ring: action 0 in the decision of a
        # response trial is the last direction (a defect listed in docs/parity.md), decoded here.
        directions = (gt[start:end] - 1) % DIM_RING
        collector.add(ob, bounds, respond, directions)
    return collector.summary()


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(argv[0]).resolve()))
    import mod_cog_tasks as module  # the unmodified file from the Mod_Cog checkout

    np.random.seed(SEED)  # Mod-Cog draws some delays from NumPy's global generator
    out = {
        "about": "statistics of Mod-Cog's mod_cog_tasks.py (mikailkhona/Mod_Cog 4110143) on NeuroGym 8e4bb67c, "
        "measured by tests/data/modcog_reference.py; per figure [mean, sd across trials, trials]",
        "dt": 20,
        "tasks": {},
        "speed": {},
    }
    for task in task_names(module):
        out["tasks"][task] = measure(module, task, 20, N_TRIALS, SEED)
        print(task, flush=True)
    for dt in SPEED_DTS:
        out["speed"][str(dt)] = {task: measure(module, task, dt, 200, SEED)["shift"] for task in SPEED_TASKS}
    (HERE / "modcog_reference.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
