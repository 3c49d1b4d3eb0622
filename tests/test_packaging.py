"""Packaging that users' tools rely on: `py.typed` in the wheel (type checkers read taskspec's
annotations), `python -m taskspec` as the command line, and gymnasium's `check_env` without the
warning about a NeuroGym-style `env.seed` (NeuroGym's seeding is `env.reseed(s)`)."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

from gymnasium.utils.env_checker import check_env

import taskspec

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_is_marked_typed_and_the_wheel_ships_the_whole_package():
    assert (ROOT / "taskspec" / "py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    wheel = pyproject.split("[tool.hatch.build.targets.wheel]\n", 1)[1].split("\n[", 1)[0]
    assert wheel.strip() == 'packages = ["taskspec"]'  # hatch ships every file of the package folder, py.typed too


def test_python_dash_m_taskspec_is_the_command_line():
    run = [sys.executable, "-m", "taskspec"]
    listed = subprocess.run([*run, "list", "--json"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert listed.returncode == 0 and json.loads(listed.stdout) == taskspec.list_tasks()
    wrong = subprocess.run([*run, "info", "NoSuchTask"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert wrong.returncode == 1 and wrong.stderr.startswith("NoSuchTask: no bundled task named 'NoSuchTask'")


def test_check_env_does_not_warn_about_seed_and_reseed_keeps_neurogym_seeding():
    env = taskspec.make("GoNogo")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)
    assert not [w for w in caught if "seed" in str(w.message)], [str(w.message) for w in caught]
    assert not callable(getattr(env, "seed", None))
    assert env.reseed(3) == [3]
    first = env.reset()[0], env.step(env.gt_now)[0]
    second = env.reset(seed=3)[0], env.step(env.gt_now)[0]
    assert all((a == b).all() for a, b in zip(first, second, strict=True))
