"""Specs given as text and specs registered under an id of the user's choosing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import taskspec
from taskspec import SpecError
from taskspec.rl.vector import TrialVectorEnv

ROOT = Path(__file__).resolve().parent.parent
GONOGO = (ROOT / "tasks" / "GoNogo.yaml").read_text()


def test_load_text_and_make_from_text_equal_the_file() -> None:
    from_text = taskspec.make(spec_text=GONOGO)
    from_file = taskspec.make("GoNogo")
    a, _ = from_text.reset(seed=3)
    b, _ = from_file.reset(seed=3)
    assert np.array_equal(a, b) and np.array_equal(from_text.gt, from_file.gt)
    assert taskspec.load_text(GONOGO) is type(from_text)


def test_make_needs_exactly_one_source() -> None:
    with pytest.raises(TypeError):
        taskspec.make()
    with pytest.raises(TypeError):
        taskspec.make("GoNogo", spec_text=GONOGO)


def test_errors_in_text_are_located_under_the_given_name() -> None:
    with pytest.raises(SpecError) as info:
        taskspec.load_text(GONOGO.replace("dt: 100", "dt: fast"), name="lab spec")
    assert info.value.problems[0].file == "<lab spec>" and info.value.problems[0].line > 0


def test_register_a_file_then_make_and_make_vec(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GONOGO.replace("task: GoNogo", "task: Mine"))
    assert taskspec.register("lab/Mine-v0", path, dt=50) == "lab/Mine-v0"
    path.unlink()  # the registration holds the text: the file is no longer needed
    env = gym.make("lab/Mine-v0")
    assert env.unwrapped.task_name == "Mine" and env.unwrapped.dt == 50
    vec = gym.make_vec("lab/Mine-v0", num_envs=3)
    assert isinstance(vec, TrialVectorEnv)
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (3, env.observation_space.shape[0])


def test_register_text_with_parameter_defaults() -> None:
    taskspec.register("lab/Quiet-v0", spec_text=(ROOT / "tasks" / "PerceptualDecisionMaking.yaml").read_text(),
                      sigma=0.0)
    assert gym.make("lab/Quiet-v0").unwrapped.params["sigma"] == 0.0
    assert gym.make("lab/Quiet-v0", sigma=0.3).unwrapped.params["sigma"] == 0.3


def test_register_reports_spec_errors_at_once() -> None:
    with pytest.raises(SpecError):
        taskspec.register("lab/Broken-v0", spec_text="task: Broken\n")
    assert "lab/Broken-v0" not in gym.registry


def test_register_a_file_under_its_task_name_then_make_vec_natively(tmp_path: Path) -> None:
    path = tmp_path / "my_task.yaml"
    path.write_text(GONOGO.replace("task: GoNogo", "task: MyFileTask"))
    env_id = taskspec.register(path)
    assert env_id == "taskspec/MyFileTask-v0"
    assert taskspec.register(str(path)) == env_id  # the same spec again: the same id, no error
    assert gym.make(env_id).unwrapped.task_name == "MyFileTask"
    native = gym.make_vec(env_id, num_envs=2)
    assert isinstance(native, TrialVectorEnv)  # through gymnasium's vector_entry_point
    sync = gym.make_vec(env_id, 2, vectorization_mode="sync")
    assert isinstance(sync, gym.vector.SyncVectorEnv)
    a, _ = native.reset(seed=5)
    b, _ = sync.reset(seed=5)
    assert np.array_equal(a, b)  # sub-env i is seeded seed + i in both
    for _ in range(3):
        actions = np.zeros(2, dtype=np.int64)
        a, ra, *_ = native.step(actions)
        b, rb, *_ = sync.step(actions)
        assert np.array_equal(a, b) and np.array_equal(ra, rb)


def test_register_text_under_its_task_name_and_refuse_a_different_spec_there() -> None:
    text = GONOGO.replace("task: GoNogo", "task: TextTask")
    assert taskspec.register(spec_text=text) == "taskspec/TextTask-v0"
    assert taskspec.register(spec_text=text) == "taskspec/TextTask-v0"
    with pytest.raises(ValueError, match="already registered to a different spec"):
        taskspec.register(spec_text=text.replace("dt: 100", "dt: 50"))
    with pytest.raises(ValueError, match="different spec or different defaults"):
        taskspec.register(spec_text=text, dt=50)
    # a bundled task's own text is its bundled registration; an edited copy is refused
    assert taskspec.register(spec_text=GONOGO) == "taskspec/GoNogo-v0"
    with pytest.raises(ValueError, match="taskspec/GoNogo-v0"):
        taskspec.register(spec_text=GONOGO.replace("dt: 100", "dt: 50"))


def test_register_refuses_an_id_gymnasium_cannot_parse() -> None:
    with pytest.raises(ValueError, match="not a gymnasium id"):
        taskspec.register("lab/My Task", spec_text=GONOGO)


# ----- issue 22: registrations are shared with Ray Tune's registry for RLlib's env runners -----

def test_registrations_are_recorded_for_rllib_with_their_spec_text(tmp_path) -> None:
    from taskspec.rl.rllib_registry import _ids, rllib_env

    spec = tmp_path / "mine.yaml"
    spec.write_text(GONOGO.replace("task: GoNogo", "task: SharedGoNogo"))
    env_id = taskspec.register(spec)
    spec.unlink()  # a worker never reads the file: the registration holds the text
    registration = _ids[env_id]
    assert [text for _, text in registration["sources"]] and "SharedGoNogo" in registration["sources"][0][1]
    env = rllib_env(registration, {})
    assert env.task_name == "SharedGoNogo"
    assert "taskspec/GoNogo-v0" in _ids  # the bundled tasks too


def test_importing_taskspec_imports_no_ray() -> None:
    code = "import sys, taskspec; print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
