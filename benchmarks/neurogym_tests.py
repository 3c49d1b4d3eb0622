"""Run NeuroGym's own test suite against taskspec, through a fake `neurogym` package that only renames.

    python benchmarks/neurogym_tests.py PATH/TO/neurogym/tests [--per-env] [extra pytest arguments]

PATH is the `tests` folder of a NeuroGym checkout (its repository's `tests/`; the sdist on
PyPI does not carry them). Nothing of NeuroGym is imported or copied: the script writes a
package named `neurogym` into a temporary folder whose modules bind NeuroGym's names to
taskspec's objects (`neurogym.core.TrialEnv` is `taskspec.TrialEnv`, `neurogym.wrappers.noise.Noise`
is `taskspec.wrappers.Noise`, ...), puts it first on the path and runs pytest on the files
for envs, reset/step, data, random helpers and wrappers. With `--per-env` it runs instead each
check of NeuroGym's `test_envs.py` (run, dataset, new_trial, seeding, plot) on each env as a test of
its own, so that one env's failure does not hide the others'. The only code in the shim beyond renaming:

- `all_envs`, `all_tags` and `get_collection` list taskspec's bundled tasks as NeuroGym's ids
  (`Name-v0`, `yang19.dm1-v0`); each task is also registered with gymnasium under that id
  (`taskspec.register`), and `make` is NeuroGym's: `gymnasium.make(id, disable_env_checker=True)`,
  so ids resolve as in NeuroGym (`GoNogo` is `GoNogo-v0`, `GoNogo-v99` is an `UnregisteredEnv`);
- NeuroGym's `env.seed(s)` is taskspec's `env.reseed(s)`, bound under NeuroGym's name;
- an env class whose constructor takes only arguments (`AnnubesEnv(**kwargs)`) is
  `taskspec.make` of that task;
- `_PSYCHOPY_INSTALLED` is False (taskspec has no PsychoPy tasks), `_SB3_INSTALLED` says whether
  Stable-Baselines3 is importable;
- a NeuroGym name that taskspec lacks (`neurogym.config.Config`) raises NotImplementedError where a
  test uses it.

Each remaining failure and its reason is listed in docs/migration.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

# The NeuroGym test files this compares (relative to its tests folder).
TEST_FILES = (
    "test_envs.py",
    "test_reset_step.py",
    "test_data.py",
    "test_random.py",
    "envs",
    "wrappers",
)

REGISTRATION = """
import gymnasium
import taskspec

_TASKS = taskspec.list_tasks()


def all_envs(tag=None, psychopy=False, contrib=False, collections=False):
    return [f"{name}-v0" for name in taskspec.list_tasks(tag)]


def all_tags():
    return sorted({tag for name in _TASKS for tag in taskspec.load(name).tags})


def make(id_, **kwargs):
    return gymnasium.make(id_, disable_env_checker=True, **kwargs)


# NeuroGym seeds with env.seed(s); taskspec calls it reseed (gymnasium's checker warns about any callable `seed`)
taskspec.TrialEnv.seed = taskspec.TrialEnv.reseed

for _name in _TASKS:
    if f"{_name}-v0" not in gymnasium.registry:
        taskspec.register(f"{_name}-v0", _name)
"""

COLLECTIONS = """
import taskspec


def get_collection(collection):
    return [f"{name}-v0" for name in taskspec.list_tasks() if name.startswith(collection + ".")]
"""

# A name that taskspec lacks fails where a test uses it, so the other tests of its file still run.
MISSING = """
def _missing(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"taskspec has no {name}")
    return refuse
"""

TOP = (
    "from importlib.util import find_spec\n"
    "from taskspec import Dataset, TrialEnv\nfrom taskspec.wrappers import TrialWrapper\n"
    "from . import core, envs, utils, wrappers\nfrom .envs.registration import make\n"
    "_PSYCHOPY_INSTALLED = False  # taskspec has no PsychoPy tasks\n"
    "_SB3_INSTALLED = find_spec('stable_baselines3') is not None\n"
)


def task_class(task: str) -> str:
    return f"import functools\nimport taskspec\n\n{task} = functools.partial(taskspec.make, {task!r})\n"


MODULES = {
    "neurogym/__init__.py": TOP,
    "neurogym/core.py": (
        "from taskspec import TrialEnv\nfrom taskspec import TrialEnv as BaseEnv\n"
        "from taskspec.wrappers import TrialWrapper\n"
    ),
    "neurogym/envs/__init__.py": "from .registration import all_envs, all_tags, make\n",
    "neurogym/envs/registration.py": REGISTRATION,
    "neurogym/envs/collections.py": COLLECTIONS,
    "neurogym/envs/native/__init__.py": "",
    "neurogym/envs/native/annubes.py": task_class("AnnubesEnv"),
    "neurogym/envs/native/contextdecisionmaking.py": task_class("ContextDecisionMaking"),
    "neurogym/config/__init__.py": "",
    "neurogym/config/config.py": MISSING + "\nConfig = _missing('Config')\n",
    "neurogym/utils/__init__.py": (
        "from . import data, logging, ngym_random, plotting, scheduler, spaces\nfrom .plotting import plot_env\n"
    ),
    "neurogym/utils/data.py": "from taskspec import Dataset\n",
    "neurogym/utils/logging.py": "import logging\n\nlogger = logging.getLogger('neurogym')\n",
    "neurogym/utils/ngym_random.py": "from taskspec.tools.neurogym_compat import TruncExp\n",
    "neurogym/utils/plotting.py": "from taskspec.tools.neurogym_compat import plot_env\n",
    "neurogym/utils/scheduler.py": (
        "from taskspec.tools.neurogym_compat import (RandomBlockSchedule, RandomSchedule, SequentialBlockSchedule,"
        " SequentialSchedule)\n"
    ),
    "neurogym/utils/spaces.py": "from taskspec.runtime import NamedBox as Box, NamedDiscrete as Discrete\n",
    "neurogym/wrappers/__init__.py": (
        "from taskspec.wrappers import Monitor, Noise, PassAction, PassReward, RandomGroundTruth, ReactionTime,"
        " ScheduleEnvs, SideBias\nfrom taskspec.wrappers import TrialHistory as TrialHistoryV2\n"
    ),
    "neurogym/wrappers/block.py": (
        "from taskspec.wrappers import RandomGroundTruth, ScheduleEnvs\n"
        "from taskspec.wrappers import TrialHistory as TrialHistoryV2\n"
    ),
    "neurogym/wrappers/monitor.py": "from taskspec.wrappers import Monitor\n",
    "neurogym/wrappers/noise.py": "from taskspec.wrappers import Noise\n",
    "neurogym/wrappers/pass_action.py": "from taskspec.wrappers import PassAction\n",
    "neurogym/wrappers/pass_reward.py": "from taskspec.wrappers import PassReward\n",
    "neurogym/wrappers/reaction_time.py": "from taskspec.wrappers import ReactionTime\n",
    "neurogym/wrappers/side_bias.py": "from taskspec.wrappers import SideBias\n",
}


def write_shim(folder: Path) -> None:
    for relative, text in MODULES.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (folder / "pytest.ini").write_text("[pytest]\n")  # NeuroGym's own pytest settings are not used


# --per-env: each check of NeuroGym's test_envs.py on each env, one pytest test apiece, so a failure names
# its env instead of stopping the loop over all envs. The checks are test_envs.py's own helpers, called as
# its loops call them; only the plot check (inline in its loop) and the two-run comparison of seeding are
# written out here, as the loops write them.
PER_ENV = """
import importlib.util
import sys

import numpy as np
import pytest
from matplotlib import pyplot as plt

TESTS = {tests!r}
sys.path.insert(0, str(__import__("pathlib").Path(TESTS).parent))  # NeuroGym's tests import `tests`
_spec = importlib.util.spec_from_file_location("neurogym_test_envs", TESTS + "/test_envs.py")
upstream = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(upstream)
ENVS = sorted(upstream.ENVS)
ANNUBES = getattr(sys.modules.get("tests"), "ANNUBES_KWS", {{}})


@pytest.mark.parametrize("env_name", ENVS)
def test_run(env_name):
    upstream._test_run(env_name)


@pytest.mark.parametrize("env_name", sorted(upstream.all_envs()))
def test_dataset(env_name):
    upstream._test_dataset(env_name)


@pytest.mark.parametrize("env_name", ENVS)
def test_trialenv(env_name):
    upstream._test_trialenv(env_name)


@pytest.mark.parametrize("env_name", sorted(upstream.ENVS_NOPSYCHOPY))
def test_seeding(env_name):
    (obs1, rews1, acts1), (obs2, rews2, acts2) = upstream._test_seeding(env_name), upstream._test_seeding(env_name)
    assert (obs1 == obs2).all() and (rews1 == rews2).all() and (acts1 == acts2).all()


@pytest.mark.parametrize("env_name", [e for e in ENVS if not e.startswith("Null")])
def test_plot(env_name):
    kwargs = {{"dt": 20, **(ANNUBES if env_name.startswith("Annubes") else {{}})}}
    env = upstream.make(env_name, **kwargs)
    action = np.zeros_like(env.action_space.sample())
    try:
        upstream.ngym.utils.plotting.plot_env(env, num_trials=2, def_act=action)
    finally:
        plt.close("all")
"""


def main(argv: list[str]) -> int:
    per_env = "--per-env" in argv
    argv = [a for a in argv if a != "--per-env"]
    if not argv or not Path(argv[0]).is_dir():
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        print("give the path of NeuroGym's tests folder", file=sys.stderr)
        return 2
    tests, extra = Path(argv[0]).resolve(), argv[1:]
    with tempfile.TemporaryDirectory(prefix="neurogym-shim-") as tmp:
        write_shim(Path(tmp))
        if per_env:
            (Path(tmp) / "test_per_env.py").write_text(PER_ENV.format(tests=str(tests)))
            targets = [str(Path(tmp) / "test_per_env.py")]
        else:
            targets = [str(tests / name) for name in TEST_FILES if (tests / name).exists()]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH")]))}
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
            "-c", str(Path(tmp) / "pytest.ini"), "--rootdir", str(tests if not per_env else tmp), "-rfE",
            "--continue-on-collection-errors", *targets, *extra,
        ]  # fmt: skip
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603 - our own interpreter


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
