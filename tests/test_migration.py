"""docs/migration.md: NeuroGym's training loop, ported, runs and learns; Dataset takes NeuroGym's arguments."""

import re
from pathlib import Path

import numpy as np
import pytest

import taskspec
from taskspec.wrappers import Monitor, Noise, SideBias

DOC = (Path(__file__).resolve().parent.parent / "docs" / "migration.md").read_text()


def test_the_ported_training_loop_runs_and_learns():
    pytest.importorskip("torch", reason="the training loop needs torch (pip install torch==2.13.0)")
    block = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)[-1]
    scope = {"steps": 60}
    exec(compile(block, "docs/migration.md", "exec"), scope)  # noqa: S102 - our own documentation
    losses = scope["losses"]
    assert len(losses) == 60 and np.mean(losses[-10:]) < 0.6 * np.mean(losses[:5]), losses


def test_neurogym_arguments():
    ds = taskspec.Dataset("PerceptualDecisionMaking-v0", env_kwargs={"dt": 50, "sigma": 0.0}, batch_size=3,
                          seq_len=44, max_batch=4, cache_len=100, seed=1)
    assert ds.env.dt == 50 and ds.env.params["sigma"] == 0.0
    assert ds._cache_len == 132  # rounded up to whole windows, as NeuroGym does
    assert taskspec.Dataset("GoNogo", batch_size=2, seq_len=10, cache_len=1e2)()[0].shape == (10, 2, 3)  # a float too
    batches = list(ds)
    assert len(batches) == 4 == len(ds) and batches[0][0].shape == (44, 3, 3)
    with pytest.raises(StopIteration):
        ds()
    ds.seed(1)  # restarts the stream: the same batches again
    np.testing.assert_array_equal(ds()[0], batches[0][0])
    ds.seed(2)
    assert not np.array_equal(ds()[0], batches[0][0])
    same = taskspec.Dataset("taskspec/PerceptualDecisionMaking-v0", batch_size=3, seq_len=44, seed=1,
                            dt=50, sigma=0.0, cache_len=100)
    np.testing.assert_array_equal(same()[0], batches[0][0])
    with pytest.raises(ValueError, match="both in env_kwargs and as keywords"):
        taskspec.Dataset("GoNogo", env_kwargs={"dt": 50}, dt=50)
    with pytest.raises(TypeError, match="no end"):
        len(taskspec.Dataset("GoNogo"))


def test_env_instances_plain_or_wrapped(tmp_path):
    env = taskspec.make("PerceptualDecisionMaking", sigma=0.0)
    env.reset(seed=3)
    for _ in range(50):
        env.step(0)  # the env's own history does not matter: the Dataset starts from its seed
    by_instance = taskspec.Dataset(env, batch_size=2, seq_len=30, seed=4)()
    by_name = taskspec.Dataset("PerceptualDecisionMaking", batch_size=2, seq_len=30, seed=4, sigma=0.0)()
    np.testing.assert_array_equal(by_instance[0], by_name[0])
    monitored = taskspec.Dataset(Monitor(env, folder=tmp_path), batch_size=2, seq_len=30, seed=4)()
    np.testing.assert_array_equal(monitored[0], by_name[0])
    with pytest.raises(ValueError, match="the wrapper Noise changes what the task produces"):
        taskspec.Dataset(Noise(taskspec.make("PerceptualDecisionMaking"), std=0.1))
    biased = taskspec.make("PerceptualDecisionMaking")
    SideBias(biased, [[0.8, 0.2], [0.2, 0.8]])
    with pytest.raises(ValueError, match="trial wrapper installed"):
        taskspec.Dataset(biased)
    with pytest.raises(ValueError, match="no parameters here"):
        taskspec.Dataset(env, sigma=1.0)
    import gymnasium as gym

    with pytest.raises(ValueError, match="is not a taskspec task"):
        taskspec.Dataset(gym.make("CartPole-v1"))
