"""Run NeuroGym's own test suite against taskspec, through a fake `neurogym` package that only renames.

    python benchmarks/neurogym_tests.py PATH/TO/neurogym/tests [extra pytest arguments]

PATH is the `tests` folder of a NeuroGym checkout (its repository's `tests/`; the sdist on
PyPI does not carry them). Nothing of NeuroGym is imported or copied: the script writes a
package named `neurogym` into a temporary folder whose modules bind NeuroGym's names to
taskspec's objects (`neurogym.core.TrialEnv` is `taskspec.TrialEnv`, `neurogym.wrappers.noise.Noise`
is `taskspec.wrappers.Noise`, ...), puts it first on the path and runs pytest on the files
for envs, reset/step, data and wrappers. The only code in the shim beyond renaming:

- `all_envs`, `all_tags` and `get_collection` list taskspec's bundled tasks as NeuroGym's ids
  (`Name-v0`); each task is also registered with gymnasium under that id (`taskspec.register`);
- an env class whose constructor takes only arguments (`AnnubesEnv(**kwargs)`) is
  `taskspec.make` of that task;
- a NeuroGym name that taskspec lacks (`neurogym.config.Config`, and the schedule objects
  if this taskspec has none) raises NotImplementedError where a test uses it.

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

REGISTRATION = '''
import gymnasium
import taskspec
from taskspec import make

_TASKS = taskspec.list_tasks()


def all_envs(tag=None, psychopy=False, contrib=False, collections=False):
    return [f"{name}-v0" for name in taskspec.list_tasks(tag)]


def all_tags():
    return sorted({tag for name in _TASKS for tag in taskspec.load(name).tags})


for _name in _TASKS:
    if f"{_name}-v0" not in gymnasium.registry:
        taskspec.register(f"{_name}-v0", _name)
'''

COLLECTIONS = '''
import taskspec


def get_collection(collection):
    return [f"{name}-v0" for name in taskspec.list_tasks() if name.startswith(collection + ".")]
'''

# A name that taskspec lacks fails where a test uses it, so the other tests of its file still run.
MISSING = '''
def _missing(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"taskspec has no {name}")
    return refuse
'''

TOP = (
    "from importlib.util import find_spec\n"
    "from taskspec import Dataset, TrialEnv, make\nfrom taskspec.wrappers import TrialWrapper\n"
    "from . import core, envs, utils, wrappers\n"
    "_PSYCHOPY_INSTALLED = False  # taskspec has no PsychoPy tasks\n"
    "_SB3_INSTALLED = find_spec('stable_baselines3') is not None\n"
)

def task_class(task: str) -> str:
    return f"import functools\nimport taskspec\n\n{task} = functools.partial(taskspec.make, {task!r})\n"


MODULES = {
    "neurogym/__init__.py": TOP,
    "neurogym/core.py": "from taskspec import TrialEnv\nfrom taskspec import TrialEnv as BaseEnv\nfrom taskspec.wrappers import TrialWrapper\n",
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
    "neurogym/utils/ngym_random.py": "from taskspec.neurogym_compat import TruncExp\n",
    "neurogym/utils/plotting.py": "from taskspec.neurogym_compat import plot_env\n",
    "neurogym/utils/scheduler.py": (
        "from taskspec.neurogym_compat import (RandomBlockSchedule, RandomSchedule, SequentialBlockSchedule,"
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


def main(argv: list[str]) -> int:
    if not argv or not Path(argv[0]).is_dir():
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        print("give the path of NeuroGym's tests folder", file=sys.stderr)
        return 2
    tests, extra = Path(argv[0]).resolve(), argv[1:]
    targets = [str(tests / name) for name in TEST_FILES if (tests / name).exists()]
    with tempfile.TemporaryDirectory(prefix="neurogym-shim-") as tmp:
        write_shim(Path(tmp))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH")]))}
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
            "-c", str(Path(tmp) / "pytest.ini"), "--rootdir", str(tests), "-rfE", "--continue-on-collection-errors",
            *targets, *extra,
        ]  # fmt: skip
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603 - our own interpreter


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
