"""Vector state variables (issue 19): a state that holds one value per location, moved by the
agent within a trial, read by rules and `until`, shown in an input, in every backend.

The example (examples/visual_search.yaml) asks the agent to select each of k targets once. Scripts
are written in terms of each env's own trial (its target locations), so the random draws, which
the backends make differently, do not change what is compared step by step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import taskspec
from taskspec.cli import main
from taskspec.rl.vector import make_vector

EXAMPLE = str(Path(__file__).resolve().parent.parent / "examples" / "visual_search.yaml")
N_ITEMS, K = 6, 3
SELECTED = slice(1 + N_ITEMS, 1 + 2 * N_ITEMS)  # the observation columns that show `found`

# One script per trial, one code per step (then fixation until the trial ends). F: fixate;
# T: the next target, last pick first (an order the ground truth does not use); A: the first
# target selected again; W: a location that is no target.
SCRIPTS = ["FFTTT", "FFTA", "FFW", "FT", "FFT", "FFTTW", "FFTTT"]


def _action(code: str, picks: list[int], chosen: int) -> int:
    if code == "T":
        return 1 + picks[-1 - chosen]
    if code == "A":
        return 1 + picks[-1]
    if code == "W":
        return 1 + min(set(range(N_ITEMS)) - set(picks))
    return 0


def _seen(ob: np.ndarray, picks: list[int]) -> tuple:
    """What the agent is shown of the state, independent of where the targets are: each target's
    mark in pick order, and how many locations are marked."""
    selected = np.asarray(ob, np.float64)[SELECTED]
    return tuple(float(selected[p]) for p in picks), float(selected.sum())


def _play(backend, scripts=SCRIPTS) -> list:
    trace = []
    for script in scripts:
        picks, chosen, k = backend.picks(), 0, 0
        while True:
            code = script[k] if k < len(script) else "F"
            ob, reward, ended, period = backend.step(
                lambda picks, code=code, chosen=chosen: _action(code, picks, chosen)
            )
            chosen += code == "T"
            k += 1
            trace.append((period, round(float(reward), 4), bool(ended), None if ended else _seen(ob, picks)))
            if ended:
                break
    return trace


class _Single:
    def __init__(self, cls):
        self.env = cls()
        self.env.reset(seed=0)

    def picks(self):
        return [int(p) for p in self.env.trial["picks"]]

    def step(self, choose):
        ob, reward, _, _, info = self.env.step(choose(self.picks()))
        return ob, reward, info["new_trial"], info["period"]


class _Vector:
    """Two envs of the native vector env, both following the script (env `which` is traced)."""

    def __init__(self, which=1):
        self.vec, self.which = make_vector(EXAMPLE, 2), which
        self.vec.reset(seed=0)

    def picks(self):
        return [int(p) for p in self.vec._vars["picks"][self.which]]

    def step(self, choose):
        picks = [[int(p) for p in row] for row in self.vec._vars["picks"]]
        ob, reward, _, _, info = self.vec.step(np.array([choose(p) for p in picks]))
        assert info["new_trial"][0] == info["new_trial"][1] and reward[0] == reward[1]
        w = self.which
        return ob[w], reward[w], info["new_trial"][w], str(info["period"][w])


class _Jax:
    def __init__(self):
        jax = pytest.importorskip("jax")
        import taskspec.jax as tj

        self.jax, self.env = jax, tj.make(EXAMPLE)
        self.jitted = jax.jit(self.env.step)
        _, self.state = jax.jit(self.env.reset)(jax.random.key(0))  # compiled: faster than op by op
        self.key = 0

    def picks(self):
        return [int(p) for p in np.asarray(self.state.variables["picks"])]

    def step(self, choose):
        self.key += 1
        key, action = self.jax.random.key(self.key), choose(self.picks())
        ob, self.state, reward, _, _, info = self.jitted(key, self.state, action)
        return np.asarray(ob), reward, bool(info["new_trial"]), self.env.period_names[int(info["period"])]


def test_the_example_validates(capsys):
    assert main(["validate", EXAMPLE]) == 0
    out, err = capsys.readouterr()
    assert out == f"OK: {EXAMPLE}\n" and err == ""  # no warning: the ground truth earns the reward


def test_the_state_marks_each_selection_and_the_rules_read_it():
    trace = _play(_Single(taskspec.load(EXAMPLE)))
    steps = iter(trace)
    first = [next(steps) for _ in range(5)]  # all three targets, last pick first: rewarded
    assert [s[0] for s in first] == ["fixation", "fixation", "select0", "select1", "select2"]
    assert [s[1] for s in first] == [0, 0, 0, 0, 1.0] and first[-1][2]
    # shown after each selection (`until` moved on to the next copy after each one)
    assert first[2][3] == ((0.0, 0.0, 1.0), 1.0) and first[3][3] == ((0.0, 1.0, 1.0), 2.0)
    again = [next(steps) for _ in range(4)]  # a target selected twice ends the trial unrewarded
    assert again[-1][:3] == ("select1", 0.0, True) and again[2][3] == ((0.0, 0.0, 1.0), 1.0)
    wrong = [next(steps) for _ in range(3)]
    assert wrong[-1][:3] == ("select0", 0.0, True)
    broke = [next(steps) for _ in range(2)]  # a selection during fixation aborts
    assert broke[-1][:3] == ("fixation", -0.1, True)
    timed_out = [next(steps) for _ in range(2 + 1 + 10 + 10)]  # one target, then two copies run out
    assert [s[2] for s in timed_out].count(True) == 1 and timed_out[-1][:3] == ("select2", 0.0, True)
    assert timed_out[-2][3] == ((0.0, 0.0, 1.0), 1.0)  # the state kept its mark through the copies


def test_each_trial_starts_from_its_own_start_values():
    env = taskspec.make(EXAMPLE)
    env.reset(seed=3)
    for _ in range(5):
        picks = [int(p) for p in env.trial["picks"]]
        assert len(set(picks)) == K
        np.testing.assert_array_equal(env.trial["left"], np.isin(np.arange(N_ITEMS), picks))
        ob, *_ = env.step(0)
        ob, *_ = env.step(0)
        assert not ob[SELECTED].any()  # `found` starts at zero in every trial
        while True:
            ob, _, _, _, info = env.step(1 + picks[0])
            if info["new_trial"]:
                break


@pytest.mark.parametrize("backend", ["vector", "jax"])
def test_every_backend_steps_as_the_single_env(backend):
    single = _play(_Single(taskspec.load(EXAMPLE)))
    other = _play(_Vector() if backend == "vector" else _Jax())
    assert other == single


def test_the_vector_env_equals_single_envs_on_random_and_ground_truth_actions():
    from test_vector import _compare

    _compare(EXAMPLE, num_envs=3, steps=300)


def test_the_compiled_module_plays_as_the_loaded_class(tmp_path, monkeypatch):
    (tmp_path / "compiled_search.py").write_text(taskspec.compile_source(EXAMPLE))
    monkeypatch.syspath_prepend(str(tmp_path))
    compiled = __import__("compiled_search").VisualSearchAll
    loaded, written = _Single(taskspec.load(EXAMPLE)), _Single(compiled)
    for script in SCRIPTS:
        picks, chosen = loaded.picks(), 0
        assert written.picks() == picks
        for code in script + "F" * 30:
            choose = lambda picks, code=code, chosen=chosen: _action(code, picks, chosen)  # noqa: E731
            chosen += code == "T"
            a, b = loaded.step(choose), written.step(choose)
            np.testing.assert_array_equal(a[0], b[0])
            assert a[1:] == b[1:]
            if a[2]:
                break


def _check_batch(ob, gt, length, picks):
    """The ground truth selects picks[0], picks[1], ... in turn; each selection is shown at the next step."""
    assert np.all(length == 2 + K)
    for i in range(len(length)):
        np.testing.assert_array_equal(gt[i, : length[i]], [0, 0, *(1 + picks[i])])
        for j in range(K):
            shown = ob[i, 2 + j, SELECTED]
            np.testing.assert_array_equal(shown, np.isin(np.arange(N_ITEMS), picks[i, :j]))


def test_batches_show_the_state_the_ground_truth_moves():
    batch = taskspec.generate_trials(EXAMPLE, 40, seed=0)
    _check_batch(batch.ob, batch.gt, batch.length, batch.variables["picks"])
    assert batch.variables["found"].shape == (40, N_ITEMS) and not batch.variables["found"].any()
    inputs, target = taskspec.Dataset(EXAMPLE, batch_size=4, seq_len=25, seed=0, cache_len=100)()
    assert inputs.shape == (25, 4, 1 + 2 * N_ITEMS) and target.shape == (25, 4)
    assert inputs[..., SELECTED].sum() > 0  # the stream shows the state too


def test_jax_batches_show_the_state_the_ground_truth_moves():
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    batch = tj.generate_trials(EXAMPLE, jax.random.key(0), 16)
    picks = np.asarray(batch.variables["picks"])
    _check_batch(np.asarray(batch.ob), np.asarray(batch.gt), np.asarray(batch.length), picks)


TALLY = """\
task: Tally
dt: 100
observation: {fixation: 1, counts: 3}
action: {fixation: 1, choice: 3}
trial:
  bias: choice(3)
state:
  tally: {init: "onehot(bias, 3)", next: "tally + onehot(action - 1, 3)", during: respond}
periods: {fixation: 200, respond: 600}
inputs:
  - {during: fixation, where: fixation, value: 1}
  - {where: counts, value: tally / 10}
target:
  - {during: respond, value: 1 + bias}
outcomes:
  - {during: respond, when: "sum(tally) >= 4", reward: "tally[bias] - 1", performance: 1, end_trial: true}
"""


def test_a_vector_state_moves_only_during_its_periods_in_every_env(tmp_path):
    from test_vector import _compare

    path = tmp_path / "tally.yaml"
    path.write_text(TALLY)
    env = taskspec.make(path)
    ob, _ = env.reset(seed=0)
    bias = env.trial["bias"]
    np.testing.assert_allclose(ob[1:], np.eye(3)[bias] / 10, rtol=1e-6)
    ob, *_ = env.step(2)  # fixation: not counted (nor judged)
    np.testing.assert_allclose(ob[1:], np.eye(3)[bias] / 10, rtol=1e-6)
    ob, *_ = env.step(0)
    for _ in range(2):
        ob, reward, *_ = env.step(1 + bias)
    assert reward == 0 and ob[1 + bias] == pytest.approx(0.3)
    _, reward, _, _, info = env.step(1 + (bias + 1) % 3)  # the fourth count ends the trial
    assert info["new_trial"] and reward == 2 and info["performance"] == 1
    _compare(str(path), num_envs=3, steps=200)
