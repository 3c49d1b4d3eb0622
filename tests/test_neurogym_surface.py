"""NeuroGym's surface beyond Dataset: env.reseed (NeuroGym's env.seed), trial_length_stats, wrappers
that read the task through, trial wrappers written as in NeuroGym, Monitor's evaluation and plot,
SideBias's and Noise's NeuroGym arguments, AnnubesEnv's session, and the refusal of hand-written TrialEnv subclasses."""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest

import taskspec
from taskspec.wrappers import Monitor, Noise, PassAction, PassReward, SideBias, TrialWrapper

matplotlib.use("Agg")

PDM = "PerceptualDecisionMaking"
SHORT = {"timing": {"stimulus": 100}}


def play(env, steps, policy=None, seed=None):
    """Observations and rewards of `steps` steps after `reset(seed=seed)`."""
    ob, _ = env.reset(seed=seed)
    obs, rewards = [ob], []
    for _ in range(steps):
        ob, reward, *_ = env.step(policy(env) if policy else env.action_space.sample())
        obs.append(ob)
        rewards.append(reward)
    return np.array(obs), np.array(rewards)


# ----- the task -----


def test_seed_then_reset_gives_the_trials_of_reset_with_that_seed():
    env = taskspec.make("ReadySetGo")
    assert env.reseed(5) == [5]
    seeded = play(env, 80)
    env.action_space.seed(5)
    np.testing.assert_array_equal(play(env, 80, seed=5)[0], seeded[0])
    env.reseed(5)
    again = play(env, 80)
    np.testing.assert_array_equal(again[0], seeded[0])
    np.testing.assert_array_equal(again[1], seeded[1])  # the sampled actions repeat too
    env.reseed(6)
    assert not np.array_equal(play(env, 80)[0], seeded[0])


def test_trial_length_stats_measures_without_touching_the_trials():
    fixed = taskspec.make(PDM).trial_length_stats(200)
    assert fixed == {"mean": 22.0, "std": 0.0, "percentile_95": 22.0, "max": 22}  # 100 + 2000 + 100 ms at dt=100
    env = taskspec.make("ReadySetGo")
    env.reset(seed=1)
    stats = env.trial_length_stats(1500)
    after = play(env, 60, policy=lambda e: e.gt_now)
    env.reset(seed=1)
    again = play(env, 60, policy=lambda e: e.gt_now)
    np.testing.assert_array_equal(again[0], after[0])  # the env's own stream went on untouched
    lengths = taskspec.generate_trials("ReadySetGo", 1500, seed=2).length
    assert abs(stats["mean"] - lengths.mean()) < 4 * lengths.std() / np.sqrt(1500)
    assert stats["std"] > 0 and stats["mean"] < stats["percentile_95"] <= stats["max"] <= lengths.max() + 5
    with pytest.raises(ValueError, match="num_trials"):
        env.trial_length_stats(0)


def test_a_hand_written_subclass_is_refused_with_the_way_to_a_spec():
    with pytest.raises(TypeError, match=r"subclasses taskspec\.TrialEnv by hand.*docs/migration\.md"):

        class MyTask(taskspec.TrialEnv):
            def _new_trial(self, **kwargs):
                return {}

    class Variant(taskspec.load(PDM)):  # a subclass of a compiled task stays possible
        pass

    assert Variant().reset(seed=0)[0].shape == (3,)


# ----- wrappers read NeuroGym's task attributes through -----


def test_wrappers_read_the_tasks_neurogym_attributes(tmp_path):
    task = taskspec.make(PDM, **SHORT)
    env = PassAction(PassReward(Noise(Monitor(SideBias(task, [[1.0, 0.0], [0.0, 1.0]], block_dur=100)))))
    env.reset(seed=0)
    env.step(0)
    assert env.t_ind == task.t_ind == 1 and env.gt_now == task.gt_now and env.ob is task.ob
    assert env.trial is task.trial and env.rewards == task.rewards and env.in_period("stimulus")
    block = env.unwrapped.trial["ground_truth"]
    assert all(env.new_trial()["ground_truth"] == block for _ in range(5))  # through SideBias
    assert env.reseed(3) == [3] and env.trial_length_stats(10)["max"] == 3
    with pytest.raises(AttributeError, match="no attribute 'gt_nwo'"):
        env.gt_nwo  # noqa: B018 - only NeuroGym's names are read through, not typos


class FixedCoherence(TrialWrapper):
    """A trial wrapper written as in NeuroGym: it overrides new_trial only and never calls install()."""

    def __init__(self, env, coh):
        super().__init__(env)
        self.coh = coh

    def new_trial(self, **kwargs):
        trial = self.env.new_trial(coh=self.coh, **kwargs)
        self.ob = self.ob + 10.0  # edits the trial's observations, as NeuroGym wrappers do
        return trial


def test_a_neurogym_style_trial_wrapper_works_without_install():
    env = PassReward(FixedCoherence(taskspec.make(PDM, **SHORT), coh=51.2))
    ob, info = env.reset(seed=0)
    assert info["trial"]["coh"] == 51.2 and ob[0] == 11.0  # fixation input 1, plus 10
    seen = [ob]
    for _ in range(12):
        ob, _, _, _, info = env.step(env.gt_now)
        seen.append(ob)
        if info["new_trial"]:
            assert info["trial"]["coh"] == 51.2 and info["performance"] == 1
    assert np.all(np.array(seen)[:, :3] >= 10.0 - 4.0)  # every row came from the edited trials
    assert env.new_trial()["coh"] == 51.2


# ----- Monitor: no folder, evaluate_policy, plot_training_history -----


class Oracle:
    """A model with stable-baselines3's predict: it answers the ground truth of the task it watches."""

    def __init__(self, task):
        self.task = task

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return self.task.gt_now, state


def test_monitor_without_a_folder_evaluates_a_policy():
    task = taskspec.make(PDM, **SHORT)
    monitor = Monitor(task, save_every=5)
    play(monitor, 30, seed=0)
    logged = monitor.num_tr
    assert logged == len(monitor.data["reward"]) > 0 and monitor.path is None
    with pytest.raises(ValueError, match="in memory only"):
        monitor.save()
    monitor.close()  # nothing to write: no error
    result = monitor.evaluate_policy(num_trials=25, model=Oracle(task), seed=1)
    assert len(result["rewards"]) == len(result["cum_rewards"]) == 25
    assert result["mean_reward"] == 1.0 and result["mean_performance"] == 1.0
    assert result["mean_cum_reward"] == pytest.approx(task.rewards["correct"])
    assert len(monitor.data_eval["reward"]) == 25 and monitor.num_tr == logged  # not in the training log
    random = monitor.evaluate_policy(num_trials=40, seed=1)
    assert random == monitor.evaluate_policy(num_trials=40, seed=1)
    assert 0 < random["mean_reward"] < 1 and random["mean_performance"] < 1


def test_monitor_plots_its_training_history(tmp_path):
    with pytest.warns(UserWarning, match="no finished trial"):
        assert Monitor(taskspec.make(PDM)).plot_training_history() is None
    monitor = Monitor(taskspec.make(PDM, **SHORT), tmp_path, save_every=10, name="run")
    play(monitor, 100, seed=0)
    fig = monitor.plot_training_history()
    reward_axes, performance_axes = fig.axes
    x, y = reward_axes.lines[0].get_data()
    assert list(x) == [10, 20, 30, min(40, monitor.num_tr)][: len(x)] and len(x) == -(-monitor.num_tr // 10)
    np.testing.assert_allclose(y[0], np.mean(monitor.data["reward"][:10]))
    np.testing.assert_allclose(performance_axes.lines[0].get_ydata()[0], np.mean(monitor.data["performance"][:10]))
    assert (tmp_path / "run_training_history.png").stat().st_size > 0
    with pytest.raises(TypeError, match="Config objects are not taken"):
        Monitor(taskspec.make(PDM), object())


# ----- SideBias, Noise: NeuroGym's arguments and attribute names -----


def test_side_bias_takes_neurogyms_block_durations_and_names():
    probs = [[0.8, 0.2], [0.2, 0.8], [0.5, 0.5]]
    env = SideBias(taskspec.make(PDM, **SHORT), probs, block_dur=0.25)
    assert env.block_dur == 0.25 and env.n_block == 3 and env.choices == [0, 1] and env.curr_block is None
    np.testing.assert_array_equal(env.choice_prob, probs)
    env.reset(seed=0)
    blocks = []
    for _ in range(400):
        env.new_trial()
        blocks.append(env.curr_block)
    switches = np.count_nonzero(np.diff(blocks))
    assert 0.25 * 399 - 30 < switches < 0.25 * 399 + 30  # a switch before each trial with probability 0.25
    assert SideBias(taskspec.make(PDM), probs, block_dur=(2, 4)).block_dur == (2, 4)
    for bad, error in (("long", TypeError), (1.5, ValueError), (0.0, ValueError), ((3, 2), ValueError)):
        with pytest.raises(error, match="block_dur"):
            SideBias(taskspec.make(PDM), probs, block_dur=bad)


def test_noise_takes_neurogyms_std_noise():
    by_name = play(Noise(taskspec.make(PDM), std_noise=0.4), 30, policy=lambda e: 0, seed=2)[0]
    np.testing.assert_array_equal(by_name, play(Noise(taskspec.make(PDM), 0.4), 30, policy=lambda e: 0, seed=2)[0])
    assert Noise(taskspec.make(PDM), std_noise=0.4).std_noise == 0.4
    with pytest.raises(TypeError, match="not both"):
        Noise(taskspec.make(PDM), 0.1, std_noise=0.2)


# ----- AnnubesEnv's session -----


def test_annubes_maps_neurogyms_session_onto_p_visual():
    assert taskspec.make("AnnubesEnv", session={"v": 1, "a": 3}).params["p_visual"] == 0.25
    env = taskspec.make("AnnubesEnv", session={"v": 1}, catch_prob=0.0)
    trials = env.generate(np.random.default_rng(0), 200).variables
    assert np.all(trials["stimulus"] == 0)  # visual only
    import gymnasium as gym

    assert gym.make("taskspec/AnnubesEnv-v0", session={"a": 2}).unwrapped.params["p_visual"] == 0.0
    with pytest.raises(ValueError, match=r"\['av'\] are not modelled.*p_visual="):
        taskspec.make("AnnubesEnv", session={"v": 0.3, "a": 0.3, "av": 0.3})
    with pytest.raises(ValueError, match="not both"):
        taskspec.make("AnnubesEnv", session={"v": 1}, p_visual=0.5)


def test_the_trial_wrapper_of_the_docs_runs():
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "wrappers.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", page, flags=re.S) if "class FixedCoherence" in b)
    scope: dict = {}
    exec(compile(block, "docs/wrappers.md", "exec"), scope)  # noqa: S102 - our own documentation
    env = scope["FixedCoherence"](taskspec.make(PDM, **SHORT), coh=6.4)
    _, info = env.reset(seed=0)
    ends = [env.step(env.gt_now)[4] for _ in range(9)]
    assert {info["trial"]["coh"]} | {i["trial"]["coh"] for i in ends if i["new_trial"]} == {6.4}


# ----- NeuroGym's helpers: plot_env, TruncExp, schedule objects, ids -----


def test_plot_env_takes_neurogyms_arguments(tmp_path):
    from taskspec.tools.neurogym_compat import plot_env

    env = taskspec.make(PDM, **SHORT)
    fig = plot_env(env, num_trials=2, def_act=np.zeros_like(env.action_space.sample()))
    assert "2 trials" in fig._suptitle.get_text() and "given policy" in fig._suptitle.get_text()
    heat = fig.axes[1]  # the observation heatmap: one column per step of the two trials (1 + 1 + 1 steps each)
    assert heat.images[0].get_array().shape == (3, 6)
    matplotlib.pyplot.close(fig)
    seen = []

    class Model:  # Stable-Baselines3's predict
        def predict(self, ob, deterministic=False):
            seen.append(np.asarray(ob).copy())
            return 1, None

    fig = plot_env(env, num_steps=5, model=Model(), name="five steps", fname=tmp_path / "env.png")
    assert len(seen) == 5 and (tmp_path / "env.png").stat().st_size > 0  # stops inside the second trial
    assert fig._suptitle.get_text() == "five steps"
    with pytest.raises(ValueError, match="ob_traces"):
        plot_env(env, num_trials=1, ob_traces=["fixation"])
    with pytest.raises(ValueError, match="not both"):
        plot_env(env, num_trials=1, def_act=0, model=Model())


def test_trunc_exp_is_seeded_and_stays_in_its_bounds():
    from taskspec.tools.neurogym_compat import TruncExp

    te = TruncExp(100, vmin=50, vmax=400)
    te.seed(0)
    a = [te() for _ in range(2000)]
    te.seed(0)
    assert [te() for _ in range(2000)] == a
    assert 50 <= min(a) and max(a) < 400
    # mean of an exponential of mean 100 restricted to [50, 400): 50 + 100 - 350 / (e^3.5 - 1)
    assert abs(np.mean(a) - (150 - 350 / np.expm1(3.5))) < 4 * np.std(a) / np.sqrt(len(a))
    assert TruncExp(100, vmin=300, vmax=200)() == 200  # NeuroGym's: vmax when the bounds cross
    with pytest.raises(ValueError, match="mean"):
        TruncExp(0)


def test_schedules_follow_neurogyms_sequences():
    from taskspec.tools.neurogym_compat import (
        RandomBlockSchedule,
        RandomSchedule,
        SequentialBlockSchedule,
        SequentialSchedule,
    )

    sequential = SequentialSchedule(3)  # i starts at 0: the first call moves on, as NeuroGym's
    assert [sequential() for _ in range(5)] == [1, 2, 0, 1, 2] and sequential.total_count == 5
    blocks = SequentialBlockSchedule(3, block_lens=[2, 1, 3])
    assert [blocks() for _ in range(8)] == [0, 0, 1, 2, 2, 2, 0, 0]  # block i lasts block_lens[i] calls
    random = RandomSchedule(4)
    random.seed(0)
    drawn = [random() for _ in range(400)]
    assert all(a != b for a, b in zip(drawn, drawn[1:], strict=False)) and set(drawn) == {0, 1, 2, 3}
    random.reset()
    random.seed(0)
    assert [random() for _ in range(400)] == drawn
    random_blocks = RandomBlockSchedule(3, block_lens=[2, 2, 2])
    random_blocks.seed(1)
    runs = [len(list(run)) for _, run in itertools.groupby(random_blocks() for _ in range(61))]
    assert runs[1:-1] == [2] * (len(runs) - 2)  # whole blocks of two, never the same condition twice in a row
    with pytest.raises(ValueError, match="one per condition"):
        RandomBlockSchedule(3, block_lens=[5, 5])


def test_schedule_envs_runs_a_neurogym_schedule_object():
    from taskspec.tools.neurogym_compat import RandomSchedule
    from taskspec.wrappers import ScheduleEnvs

    def run(seed):
        envs = [taskspec.make(name) for name in ("yang19.dm1", "yang19.dm2", "yang19.go")]
        env = ScheduleEnvs(envs, schedule=RandomSchedule(len(envs)), env_input=True)
        env.reset(seed=seed)
        chosen = []
        for _ in range(12):
            env.new_trial()
            ob, *_ = env.step(0)  # fixate: the trial goes on, its rule input names the task
            assert int(np.argmax(ob[-3:])) == env.i_env
            chosen.append(env.i_env)
        return chosen

    chosen = run(3)
    assert all(a != b for a, b in zip(chosen, chosen[1:], strict=False)) and set(chosen) == {0, 1, 2}
    assert run(3) == chosen  # reset(seed=...) seeds the schedule object


def test_neurogym_ids_name_the_bundled_tasks():
    import gymnasium

    assert taskspec.make("GoNogo-v0").task_name == taskspec.make("GoNogo").task_name == "GoNogo"
    assert taskspec.make("yang19.dm1-v0").task_name == taskspec.make("yang19.dm1").task_name
    assert gymnasium.make("taskspec/yang19.dm1-v0").spec.id == "taskspec/yang19.dm1-v0"
    with pytest.raises(gymnasium.error.UnregisteredEnv):
        gymnasium.make("taskspec/GoNogo-v99")


def test_a_registered_annubes_id_takes_neurogyms_session(tmp_path):
    import gymnasium

    env_id = taskspec.register("NgAnnubesSession-v0", "AnnubesEnv")
    env = gymnasium.make(env_id, session={"v": 0.3, "a": 0.7}, catch_prob=0.5)
    assert env.unwrapped.params["p_visual"] == pytest.approx(0.3)
