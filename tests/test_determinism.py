"""`Dataset` and `generate_trials` give the same data for a seed whatever the threads do (issue 10, item 5).

The rows of a Dataset are built in parts on two threads. Each part owns its generator and its
own copy of the task: tasks with session variables (blocks, reversals) carry state from one
trial to the next, and a shared copy made the output depend on which thread ran first.
"""

from concurrent.futures import Future

import numpy as np
import pytest

import taskspec
from taskspec.data.dataset import Dataset

SESSION_TASKS = [name for name in taskspec.list_tasks() if taskspec.load(name).session_variables]


class _LastFirst:
    """A stand-in thread pool that runs the jobs submitted so far in reverse order, when a result is asked."""

    def __init__(self):
        self.pending = []

    def submit(self, fn, *args):
        future = Future()
        self.pending.append((future, fn, args))
        return _Lazy(self, future)

    def run(self):
        while self.pending:
            future, fn, args = self.pending.pop()
            future.set_result(fn(*args))


class _Lazy:
    def __init__(self, pool, future):
        self.pool, self.future = pool, future

    def result(self):
        self.pool.run()
        return self.future.result()


def _batches(task, count, **kwargs):
    ds = Dataset(task, batch_size=4, seq_len=40, seed=11, cache_len=120, **kwargs)
    return [ds() for _ in range(count)]


def test_session_tasks_are_listed():
    assert {"perceptualdecisionmaking.ibl20", "HierarchicalReasoning", "DawTwoStep"} <= set(SESSION_TASKS)


@pytest.mark.parametrize("task", SESSION_TASKS)
def test_dataset_on_session_tasks_ignores_thread_order(task, monkeypatch):
    threaded = _batches(task, 7)  # 7 windows of 40 cross two refills of 120 steps
    pools = {}
    monkeypatch.setattr(Dataset, "_pool", lambda self, name, threads: pools.setdefault(name, _LastFirst()))
    reversed_order = _batches(task, 7)
    for (xa, ya), (xb, yb) in zip(threaded, reversed_order, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_generate_trials_does_not_depend_on_the_env_history():
    env = taskspec.make("perceptualdecisionmaking.ibl20")
    first = taskspec.generate_trials(env, 300, seed=2)
    env.reset(seed=5)
    for _ in range(500):
        env.step(0)
    again = taskspec.generate_trials(env, 300, seed=2)
    fresh = taskspec.generate_trials("perceptualdecisionmaking.ibl20", 300, seed=2)
    for other in (again, fresh):
        np.testing.assert_array_equal(first.ob, other.ob)
        assert all(np.array_equal(first.variables[k], other.variables[k]) for k in first.variables)


def test_dataset_is_reproducible_on_every_task(task):
    if not taskspec.load(task).has_target:  # e.g. Bandit: reward only, no supervised data
        with pytest.raises(ValueError, match="no ground truth"):
            Dataset(task, batch_size=2, seq_len=20)
        return
    a, b = (Dataset(task, batch_size=2, seq_len=20, seed=3, cache_len=40) for _ in range(2))
    for _ in range(3):
        (xa, ya), (xb, yb) = a(), b()
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
