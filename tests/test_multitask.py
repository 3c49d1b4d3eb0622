"""Task mixes (taskspec.data.multitask), loss weights (the spec's `loss:`), ScheduleEnvs with Dataset, MixVectorEnv."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import taskspec
from taskspec.data.multitask import TaskMix, family
from taskspec.rl.multitask_vector import MixVectorEnv
from taskspec.wrappers import ScheduleEnvs

PAIR = ["yang19.go", "yang19.dm1"]


@cache
def yang19() -> TaskMix:
    return TaskMix("yang19")


class Alternate:
    """Shaped like NeuroGym's schedule objects: called, it returns the next task's index; `seed` reseeds it."""

    def __init__(self, n: int):
        self.n, self.i, self.rng = n, 0, np.random.RandomState()

    def seed(self, seed: int | None = None) -> None:
        self.rng = np.random.RandomState(seed)

    def __call__(self) -> int:
        self.i = (self.i + 1 + self.rng.randint(self.n - 1)) % self.n  # never the same task twice
        return self.i


def test_the_yang19_family_lines_up_column_for_column():
    names = family("yang19")
    assert len(names) == 20
    envs = [taskspec.make(name) for name in names]
    layouts = {repr(env.observation_space.name) for env in envs}
    actions = {repr(env.action_space.name) for env in envs}
    assert len(layouts) == 1 and len(actions) == 1
    assert list(taskspec.make("yang19.go").observation_space.name) == ["fixation", "stimulus_mod1", "stimulus_mod2"]


def test_yang19_cost_mask_from_the_spec():
    batch = taskspec.generate_trials("yang19.go", 4, seed=0)
    # dt 100: fixation 500 ms, stimulus 500 ms, delay 0, decision 500 ms; the first 100 ms and the
    # 100 ms after the go cue weigh 0, the response 5, the rest 1; the fixation output twice as much
    expected = np.array([0, 1, 1, 1, 1] + [1] * 5 + [0, 5, 5, 5, 5], np.float32)
    assert batch.weight.shape == (4, 15, 17)
    np.testing.assert_array_equal(batch.weight[:, :, 1:], np.broadcast_to(expected[None, :, None], (4, 15, 16)))
    np.testing.assert_array_equal(batch.weight[:, :, 0], 2 * np.broadcast_to(expected, (4, 15)))


LOSS_SPEC = """
task: Weighted
dt: 10
observation: {fixation: 1}
action: {fixation: 1, choice: 2}
periods: {fixation: "uniform(20, 60)", decision: 50}
inputs: [{during: fixation, where: fixation, value: 1}]
target: [{during: decision, value: "choice[1]"}]
loss: {weights: {fixation: 0.5}, default: 3, grace: {decision: 20}}
"""


def test_loss_weights_follow_varying_periods():
    batch = taskspec.generate_trials(taskspec.load_text(LOSS_SPEC), 64, seed=1)
    assert batch.weight.shape == batch.mask.shape and len(set(batch.start["decision"])) > 1
    for i in range(64):
        first, end = batch.start["decision"][i], batch.length[i]
        want = [0.5] * first + [0, 0] + [3] * (end - first - 2) + [0] * (batch.ob.shape[1] - end)
        np.testing.assert_array_equal(batch.weight[i], want)


def test_without_a_loss_key_the_weight_is_the_mask():
    spec = LOSS_SPEC.replace("loss: {weights: {fixation: 0.5}, default: 3, grace: {decision: 20}}", "")
    batch = taskspec.generate_trials(taskspec.load_text(spec), 16, seed=0)
    assert batch.weight.dtype == np.float32 and not batch.mask.all()
    np.testing.assert_array_equal(batch.weight, batch.mask)


@pytest.mark.parametrize(
    ("loss", "message"),
    [
        ("{weights: {decisoin: 2}}", "unknown period 'decisoin'"),
        ("{grace: {stim: 100}}", "unknown period 'stim'"),
        ("{groups: {fixaton: 2}}", "unknown action group 'fixaton'"),
        ("{weights: {decision: -1}}", "loss.weights.decision: a loss weight must be a number >= 0, got -1"),
    ],
)
def test_loss_mistakes_are_located(loss, message):
    spec = LOSS_SPEC.replace("loss: {weights: {fixation: 0.5}, default: 3, grace: {decision: 20}}", f"loss: {loss}")
    with pytest.raises(taskspec.SpecError) as caught:
        taskspec.load_text(spec)
    problem = caught.value.problems[0]
    assert message in f"{problem.path}: {problem.message}" and problem.line == 9


def test_a_mixed_batch_is_aligned_with_rule_inputs_and_weights():
    mix = yang19()
    batch = taskspec.generate_trials(mix, 400, seed=3)
    rule = mix.observation_space.name["rule"]
    assert mix.observation_space.shape == (53,) and rule == list(range(33, 53))
    task = batch.variables["task"]
    assert set(task) == set(range(20))
    on = batch.ob[:, :, rule]
    expected = np.broadcast_to(task[:, None], batch.mask.shape)
    np.testing.assert_array_equal(on.argmax(-1)[batch.mask], expected[batch.mask])
    np.testing.assert_array_equal(on.sum(-1), batch.mask)  # one rule on during each trial, none on padding
    assert np.all(batch.weight[~batch.mask] == 0) and batch.weight.shape == (*batch.mask.shape, 17)
    for j, name in enumerate(mix.names):  # each trial has its own task's length and periods
        env = taskspec.make(name)
        rows = task == j
        for period in env.period_after:
            assert np.all(batch.start[period][rows] >= 0)
        periods = np.unique(batch.period_id[rows])
        assert {mix.period_names[p] for p in periods if p >= 0} <= set(env.period_after)
    again = taskspec.generate_trials(yang19(), 400, seed=3)
    np.testing.assert_array_equal(batch.ob, again.ob)


def test_each_task_of_a_mix_draws_trials_as_its_spec_says():
    batch = taskspec.generate_trials(PAIR, 600, seed=0)
    for j, name in enumerate(PAIR):
        rows = batch.variables["task"] == j
        alone = taskspec.generate_trials(name, 300, seed=1)
        assert sorted(set(batch.length[rows])) == sorted(set(alone.length))
        assert batch.ob[rows][:, :, 1:33].mean() == pytest.approx(alone.ob[:, :, 1:33].mean(), rel=0.3)


def test_mixing_rules():
    assert set(taskspec.generate_trials(TaskMix(PAIR, mix=[1, 0]), 50, seed=0).variables["task"]) == {0}
    by_dict = taskspec.generate_trials({"yang19.go": 3, "yang19.dm1": 1}, 2000, seed=0).variables["task"]
    assert 0.7 < np.mean(by_dict == 0) < 0.8
    turns = taskspec.generate_trials(TaskMix(PAIR, mix="sequential"), 6, seed=0).variables["task"]
    assert turns.tolist() == [0, 1, 0, 1, 0, 1]
    scheduled = taskspec.generate_trials(TaskMix(PAIR + ["yang19.dm2"], mix=Alternate(3)), 60, seed=4)
    order = scheduled.variables["task"]
    assert np.all(np.diff(order) != 0) and set(order) == {0, 1, 2}
    np.testing.assert_array_equal(
        order, taskspec.generate_trials(TaskMix(PAIR + ["yang19.dm2"], mix=Alternate(3)), 60, seed=4).variables["task"]
    )
    with pytest.raises(ValueError, match="2 weights for 3 tasks"):
        TaskMix(PAIR + ["yang19.dm2"], mix=[1, 2])
    with pytest.raises(ValueError, match="one action space"):
        TaskMix(["yang19.go", "GoNogo"])


def test_groups_are_aligned_by_name_without_a_rule_input():
    mix = TaskMix(["PerceptualDecisionMaking", "DelayMatchSample"], rule_input=False)
    assert "rule" not in mix.observation_space.name
    batch = taskspec.generate_trials(mix, 64, seed=0)
    stimulus = mix.observation_space.name["stimulus"]
    assert np.abs(batch.ob[:, :, stimulus]).sum() > 0


def test_dataset_of_a_schedule_envs():
    envs = ScheduleEnvs([taskspec.make("yang19.go"), taskspec.make("yang19.dm1")])
    assert list(envs.observation_space.name) == ["fixation", "stimulus_mod1", "stimulus_mod2", "rule"]
    inputs, target, weight = taskspec.Dataset(envs, batch_size=8, seq_len=40, seed=0, weights=True, cache_len=80)()
    assert inputs.shape == (40, 8, 35) and target.shape == (40, 8) and weight.shape == (40, 8, 17)
    assert np.all(inputs[:, :, 33:].sum(-1) == 1)  # every step of the stream belongs to one task's trial
    again = taskspec.Dataset(envs, batch_size=8, seq_len=40, seed=0, weights=True, cache_len=80)()
    np.testing.assert_array_equal(inputs, again[0])
    ob, gt, mask, w = taskspec.Dataset(PAIR, batch_size=8, seed=0, per_trial=True, weights=True)()
    assert ob.shape[:2] == gt.shape == mask.shape == w.shape[:2] and np.all(w[~mask] == 0)


def test_schedule_envs_takes_a_schedule_object_and_starts_trials_on_demand():
    envs = ScheduleEnvs([taskspec.make(name) for name in PAIR + ["yang19.dm2"]], schedule=Alternate(3))
    ob, _ = envs.reset(seed=2)
    tasks = []
    for _ in range(12):
        trial = envs.new_trial()
        tasks.append(envs.i_env)
        assert set(trial) >= {"ground_truth"}
        assert envs.task.t_ind == 0
    assert np.all(np.diff(tasks) != 0)
    ob, *_ = envs.step(0)
    assert ob[33 + envs.i_env] == 1


def test_mix_vector_env_for_rl():
    vec = MixVectorEnv(PAIR, num_envs=5)
    assert vec.task_of.tolist() == [0, 1, 0, 1, 0]
    ob, info = vec.reset(seed=0)
    assert ob.shape == (5, 35) and np.all(ob[:, 33:].argmax(1) == vec.task_of)
    rewards = []
    for _ in range(40):
        ob, reward, _, _, info = vec.step(np.zeros(5, int))  # keep fixating
        rewards.append(reward)
        assert info["gt"].shape == (5,) and np.all(ob[:, 33:].argmax(1) == vec.task_of)
    assert np.all(np.array(rewards) == 0)
    again = MixVectorEnv(PAIR, num_envs=5)
    np.testing.assert_array_equal(again.reset(seed=0)[0], vec.reset(seed=0)[0])
    assert MixVectorEnv(PAIR, num_envs=10, weights=[4, 1]).task_of.tolist() == [0] * 8 + [1] * 2


def test_the_multitask_example_trains_on_the_mixed_batches():
    pytest.importorskip("torch", reason="the example needs torch (pip install torch==2.13.0)")
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "multitask_yang19.py"
    spec = importlib.util.spec_from_file_location("multitask_yang19", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    scores = example.main(["--steps", "3", "--batch", "8", "--hidden", "16", "--eval-trials", "200"])
    assert len(scores) == 20 and all(0 <= s <= 1 for s in scores.values())
