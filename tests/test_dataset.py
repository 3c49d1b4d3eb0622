"""Batched trials and the supervised Dataset: aligned with the env, seeded, vectorized."""

import numpy as np
import pytest

import taskspec


def _env_trials(task, n, seed):
    env = taskspec.make(task)
    env.reset(seed=seed)
    if env.info.interactive:
        return _ground_truth_trials(env, n)
    trials = [(env.ob.copy(), env.gt.copy(), dict(env.trial))]
    while len(trials) < n:
        env.new_trial()
        trials.append((env.ob.copy(), env.gt.copy(), dict(env.trial)))
    return trials


def _ground_truth_trials(env, n):
    """Agent-contingent tasks: the steps the ground-truth policy is served, trial after trial."""
    trials = []
    while len(trials) < n:
        variables, obs, gts = dict(env.trial), [env.ob[0].copy()], []
        while True:
            ob, _, _, _, info = env.step(env.gt_now)
            gts.append(info["gt"])
            if info["new_trial"]:
                break
            obs.append(ob.copy())
        trials.append((np.array(obs), np.array(gts), variables))
    return trials


def test_generate_trials_equals_the_env_with_its_chunk_size(task):
    batch = taskspec.generate_trials(task, 150, seed=4, chunk_size=taskspec.TrialEnv.chunk_size)
    # Inputs that follow the agent's state: a batch shows the initial state, the env adds them as the
    # agent acts (docs/tutorial.md); every other column must be identical.
    env = taskspec.make(task)
    moving = np.zeros(env.observation_space.shape[0], bool)
    for i in env.state_inputs:
        moving[env._input_columns[i]] = True
    for i, (ob, gt, variables) in enumerate(_env_trials(task, 150, seed=4)):
        length = batch.length[i]
        assert length == len(ob)
        np.testing.assert_array_equal(batch.ob[i, :length][:, ~moving], ob[:, ~moving])
        np.testing.assert_array_equal(batch.gt[i, :length], gt)
        assert {k: v[i].tolist() for k, v in batch.variables.items()} == variables
        assert not batch.mask[i, length:].any() and np.all(batch.ob[i, length:] == 0)


def test_default_chunks_keep_distributions_and_layout():
    small = taskspec.generate_trials("ContextDecisionMaking", 3000, seed=1, chunk_size=64)
    large = taskspec.generate_trials("ContextDecisionMaking", 3000, seed=1)
    assert small.ob.shape[2] == large.ob.shape[2]
    assert abs(small.length.mean() - large.length.mean()) < 0.5
    for name in ("ground_truth", "coh_1"):
        assert abs(small.variables[name].mean() - large.variables[name].mean()) < 0.05 * small.variables[name].mean()
    assert set(large.start) == set(small.start) == {"fixation", "stimulus", "delay", "decision"}


def test_generate_trials_is_seeded_and_takes_parameters():
    a = taskspec.generate_trials("PerceptualDecisionMaking", 100, seed=3, sigma=0.0)
    b = taskspec.generate_trials("PerceptualDecisionMaking", 100, seed=3, sigma=0.0)
    np.testing.assert_array_equal(a.ob, b.ob)
    stim = a.ob[:, 1:21, 1:]
    assert np.all(stim == stim[:, :1])  # no noise: constant within the stimulus period


def test_dataset_matches_neurogym_shapes_and_dtypes():
    ds = taskspec.Dataset("PerceptualDecisionMaking", batch_size=16, seq_len=100, seed=0)
    inputs, target = ds()
    assert inputs.shape == (100, 16, 3) and inputs.dtype == np.float32
    assert target.shape == (100, 16) and target.dtype == np.int64
    inputs, target = next(iter(taskspec.Dataset("PerceptualDecisionMaking", batch_size=8, seq_len=50,
                                                batch_first=True)))
    assert inputs.shape == (8, 50, 3) and target.shape == (8, 50)


def test_dataset_rows_are_whole_trials_back_to_back():
    ds = taskspec.Dataset("PerceptualDecisionMaking", batch_size=4, seq_len=110, seed=2, batch_first=True)
    inputs, target = ds()
    for row_ob, row_gt in zip(inputs, target, strict=True):
        # every trial is 22 steps: fixation input on at each trial onset, decision target at its end
        np.testing.assert_array_equal(row_ob[::22, 0], 1)
        assert np.all(row_gt[21::22] > 0) and np.all(np.delete(row_gt, np.s_[21::22]) == 0)
    second, _ = ds()
    assert second[0, 0, 0] == 1  # 110 = 5 trials: the next batch continues at a trial onset


def test_dataset_is_reproducible_and_aligned():
    a = taskspec.Dataset("ContextDecisionMaking", batch_size=8, seq_len=60, seed=5)
    b = taskspec.Dataset("ContextDecisionMaking", batch_size=8, seq_len=60, seed=5)
    for _ in range(30):  # crosses several cache refills
        (xa, ya), (xb, yb) = a(), b()
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    # alignment: a non-zero target (the decision step) never coincides with the fixation input or a stimulus
    assert (ya > 0).any() and np.all(xa[ya > 0] == 0)


def test_dataset_per_trial_rows_with_mask():
    ds = taskspec.Dataset("ContextDecisionMaking", batch_size=32, per_trial=True, seed=0)
    inputs, target, mask = ds()
    assert inputs.shape[1] == 32 and mask.shape == target.shape == inputs.shape[:2]
    lengths = mask.sum(axis=0)
    assert lengths.min() >= 14 and mask[0].all()
    assert np.all(target[lengths - 1, np.arange(32)] > 0)  # each trial ends on its decision


def test_dataset_needs_ground_truth(tmp_path):
    spec = tmp_path / "no_target.yaml"
    spec.write_text("task: NoTarget\ndt: 100\nobservation: {x: 1}\naction: {a: 2}\nperiods: {p: 300}\n")
    with pytest.raises(ValueError, match="no ground truth"):
        taskspec.Dataset(spec, batch_size=2, seq_len=10)
