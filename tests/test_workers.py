"""Beyond one process (issue 13): DataLoader workers get their own streams; everything pickles."""

import multiprocessing
import pickle
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import taskspec
from taskspec import Dataset, Problem, SpecError

torch = pytest.importorskip("torch", reason="the DataLoader tests need torch (pip install torch==2.13.0)")
from torch.utils.data import DataLoader  # noqa: E402

from taskspec.data.torch_data import TorchDataset  # noqa: E402


def _load_all(method, workers=2, max_batches=7, seed=0, task="perceptualdecisionmaking.ibl20"):
    data = TorchDataset(task, batch_size=3, seq_len=25, seed=seed, max_batches=max_batches)
    loader = DataLoader(data, batch_size=None, num_workers=workers,
                        multiprocessing_context=multiprocessing.get_context(method) if workers else None)
    return [tuple(t.numpy() for t in batch) for batch in loader]


FAST = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _worker_stream(worker, count, task="perceptualdecisionmaking.ibl20"):
    """What worker `worker` of 2 yields: the stream of SeedSequence(0).spawn(2)[worker], from its start."""
    ds = Dataset(task, batch_size=3, seq_len=25, seed=0)
    ds._restart((worker,))
    return [ds() for _ in range(count)]


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_dataloader_workers_yield_distinct_batches_as_many_as_asked(method):
    batches = _load_all(method)
    assert len(batches) == 7  # split 4 + 3 between the two workers, not 7 each
    inputs = [b[0] for b in batches]
    for i in range(len(inputs)):
        for j in range(i + 1, len(inputs)):
            assert not np.array_equal(inputs[i], inputs[j]), (method, i, j)
    # reproducible and documented: the DataLoader takes batches from the workers in turn (0, 1, 0, 1, ...)
    streams = {w: _worker_stream(w, 4 - w) for w in (0, 1)}
    for k, (x, y) in enumerate(batches):
        ex, ey = streams[k % 2][k // 2]
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)


def test_one_worker_gives_the_plain_stream():
    for a, b in zip(_load_all(FAST, workers=0), _load_all(FAST, workers=1), strict=True):
        np.testing.assert_array_equal(a[0], b[0])


def test_reseeding_between_epochs_gives_new_batches():
    data = TorchDataset("PerceptualDecisionMaking", batch_size=2, seq_len=22, seed=0, max_batches=2)
    loader = DataLoader(data, batch_size=None, num_workers=2, multiprocessing_context=FAST)
    first = [b[0].numpy() for b in loader]
    data.dataset.seed(1)
    second = [b[0].numpy() for b in loader]
    assert not any(np.array_equal(a, b) for a in first for b in second)


@pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes")  # 3 workers on 2 cores
def test_max_batches_split_keeps_the_total_for_any_worker_count():
    assert len(_load_all(FAST, workers=2, max_batches=1)) == 1
    assert len(_load_all(FAST, workers=2, max_batches=0)) == 0
    assert len(_load_all(FAST, workers=3, max_batches=8)) == 8


# ----- pickling -----

def _round_trip(obj):
    return pickle.loads(pickle.dumps(obj))


def test_spec_error_pickles_with_its_problems():
    try:
        taskspec.load("PerceptualDecisonMaking")
    except SpecError as exc:
        error = exc
    copy = _round_trip(error)
    assert copy.problems == error.problems and str(copy) == str(error)


def test_a_spec_error_in_a_pool_worker_reaches_the_caller():
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        with pytest.raises(SpecError, match="did you mean 'PerceptualDecisionMaking'"):
            pool.apply(taskspec.load, ("PerceptualDecisonMaking",))


@pytest.mark.parametrize("task", ["PerceptualDecisionMaking", "perceptualdecisionmaking.ibl20", "Reaching1D"])
def test_dataset_pickled_mid_stream_continues_identically(task):
    ds = Dataset(task, batch_size=4, seq_len=30, seed=5, cache_len=60)
    for _ in range(3):
        ds()  # a refill is under way in the background now
    copy = _round_trip(ds)
    for _ in range(5):
        (xa, ya), (xb, yb) = ds(), copy()
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_objects_unpickle_in_a_fresh_process(tmp_path):
    env = taskspec.make("perceptualdecisionmaking.ibl20", sigma=0.3)
    env.reset(seed=1)
    vec = gym.make_vec("taskspec/DawTwoStep-v0", num_envs=3)
    vec.reset(seed=2)
    ds = Dataset("HierarchicalReasoning", batch_size=2, seq_len=20, seed=3)
    path = tmp_path / "objects.pkl"
    path.write_bytes(pickle.dumps((env, vec, ds, SpecError([Problem("f.yaml", 1, 2, "p", "m")]))))
    expected = (env.step(0)[0], vec.step(np.zeros(3, int))[0], ds()[0])
    code = ("import pickle, sys, numpy as np; env, vec, ds, err = pickle.load(open(sys.argv[1], 'rb')); "
            "np.save(sys.argv[2], np.concatenate([env.step(0)[0].ravel(), vec.step(np.zeros(3, int))[0].ravel(),"
            " ds()[0].ravel()])); print(err.problems[0].line)")
    out = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "got.npy")], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "1"
    np.testing.assert_array_equal(np.load(tmp_path / "got.npy"), np.concatenate([e.ravel() for e in expected]))


_text = st.text(max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.builds(Problem, _text, st.integers(0, 10**6), st.integers(0, 10**6), _text, _text), max_size=4))
def test_property_spec_errors_and_problems_round_trip(problems):
    error = SpecError(problems)
    copy = _round_trip(error)
    assert copy.problems == error.problems and str(copy) == str(error)
    assert all(_round_trip(p) == p for p in problems)


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(taskspec.list_tasks()), st.integers(0, 2**32 - 1), st.integers(0, 30))
def test_property_envs_round_trip_mid_trial(task, seed, steps):
    env = taskspec.make(task)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed)

    def draw():  # any action the space allows (Null's has one)
        if env.action_type == "continuous":
            return env.action_space.sample()
        return int(actions.integers(env.action_space.n))

    for _ in range(steps):
        env.step(draw())
    copy = _round_trip(env)
    for _ in range(10):
        action = draw()
        a, b = env.step(action), copy.step(action)
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1:4] == b[1:4]
