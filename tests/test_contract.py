"""The timing contract of DESIGN.md, checked on every bundled task.

reset() returns ob[0]; step(a) answers the observation just returned (index k): the
reward, info["gt"] and info["period"] refer to k, and the returned observation is
ob[k+1], or ob[0] of the next trial once the trial ended at k.
"""

import copy
import pickle
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import taskspec


def test_reset_returns_first_row_without_a_hidden_step(task):
    env = taskspec.make(task)
    ob, info = env.reset(seed=3)
    assert env.t_ind == 0
    np.testing.assert_array_equal(ob, env.ob[0])
    assert info["period"] == next(p for p in env.timing if env.start_ind[p] == 0 and env.end_ind[p] > 0)


def test_step_refers_to_the_step_it_answers(task):
    env = taskspec.make(task)
    env.reset(seed=5)
    for _ in range(300):
        k, ob_rows, gt_rows = env.t_ind, env.ob, env.gt
        period_at_k = [p for p in env.timing if env.start_ind[p] <= k < env.end_ind[p]]
        ob, _, _, _, info = env.step(env.action_space.sample())
        np.testing.assert_array_equal(info["gt"], gt_rows[k])
        assert info["period"] in period_at_k
        if info["new_trial"]:
            np.testing.assert_array_equal(ob, env.ob[0])
            assert env.t_ind == 0
        elif env.info.interactive:  # agent-contingent timing may skip forward: ob is the new step's row
            assert env.t_ind > k
            np.testing.assert_array_equal(ob, ob_rows[env.t_ind])
            # a jump lands on the first step of a period
            assert env.t_ind == k + 1 or env.t_ind in {env.start_ind[p] for p in env.timing}
        else:
            np.testing.assert_array_equal(ob, ob_rows[k + 1])
            assert env.t_ind == k + 1


def test_trial_ends_on_its_last_step_at_the_latest(task):
    env = taskspec.make(task)
    env.reset(seed=1)
    steps = 0
    for _ in range(max(2000, 15 * len(env.ob))):  # enough for a dozen trials, long ones too
        length = len(env.ob)
        _, _, _, _, info = env.step(0)
        steps += 1
        if info["new_trial"]:
            assert steps <= length
            steps = 0
    assert env.num_tr > 10


def _rollout(env, policy, trials, seed=0):
    ob, _ = env.reset(seed=seed)
    rewards, performance, total, done = [], [], 0.0, 0
    while done < trials:
        ob, reward, _, _, info = env.step(policy(env))
        total += reward
        if info["new_trial"]:
            rewards.append(total)
            performance.append(info["performance"])
            total, done = 0.0, done + 1
    return np.array(rewards), np.array(performance)


# Tasks whose performance is graded (a mean closeness to the target, below 1 even for the best policy),
# that have no ground truth to follow (a bandit's best arm is for the agent to find out), or no reward
# at all (SpatialSuppressMotion: targets are report probabilities for supervised training).
GRADED = {"Reaching1D", "Reaching1DWithSelfDistraction", "Bandit", "SpatialSuppressMotion"}


def test_ground_truth_policy_earns_the_best_reward_the_rules_allow(task):
    env = taskspec.make(task)
    oracle_rewards, oracle_perf = _rollout(env, lambda e: e.gt_now, 300)
    assert np.all(oracle_perf == 1) or task in GRADED
    assert np.all(oracle_rewards >= 0) or task in GRADED
    _, random_perf = _rollout(env, lambda e: e.action_space.sample(), 300)
    assert random_perf.mean() < oracle_perf.mean() or task in ("Bandit", "Null", "SpatialSuppressMotion")


def test_best_reward_per_trial_on_decision_tasks():
    """Every trial of these tasks can earn 1; the ground-truth policy earns it every time."""
    for name in ["PerceptualDecisionMaking", "DelayMatchSample", "ContextDecisionMaking", "ReadySetGo"]:
        rewards, _ = _rollout(taskspec.make(name), lambda e: e.gt_now, 200)
        np.testing.assert_allclose(rewards, 1.0)


def test_gonogo_withholding_counts_as_correct():
    env = taskspec.make("GoNogo")
    rewards, perf = _rollout(env, lambda e: e.gt_now, 200)
    assert np.all(perf == 1)
    assert set(np.round(rewards, 6)) <= {0.0, 1.0}


def test_check_env(task):
    env = taskspec.make(task)
    check_env(env, skip_render_check=True)


def test_gymnasium_make(task):
    env = gym.make(f"taskspec/{task}-v0")
    ob, _ = env.reset(seed=0)
    assert env.observation_space.contains(ob)
    env.step(env.action_space.sample())


def in_space(env, action):
    """`action`, or 0 where the task has one action only (Null): actions outside the space are refused."""
    return action if env.action_type == "continuous" else action % int(env.action_space.n)


def test_same_seed_same_trials(task):
    a, b = taskspec.make(task), taskspec.make(task)
    obs_a, obs_b = [a.reset(seed=11)[0]], [b.reset(seed=11)[0]]
    for _ in range(200):
        ra, rb = a.step(in_space(a, 1)), b.step(in_space(b, 1))
        obs_a.append(ra[0])
        obs_b.append(rb[0])
        assert ra[1] == rb[1]
    np.testing.assert_array_equal(np.array(obs_a), np.array(obs_b))
    c = taskspec.make(task)
    c.reset(seed=12)
    differ = not all(np.array_equal(x, y) for x, y in zip(c.ob, a.ob, strict=False))
    # tasks whose observations hardly vary (a bandit's constant input) differ in their trial variables
    differ = differ or [dict(a.new_trial()) for _ in range(20)] != [dict(c.new_trial()) for _ in range(20)]
    assert differ or task in ("GoNogo", "ReadySetGo", "Null")  # nothing random in these (GoNogo: rarely)


_DIGEST = """
import hashlib, sys, numpy as np, taskspec
env = taskspec.make(sys.argv[1])
ob, _ = env.reset(seed=42)
h = hashlib.sha256(ob.tobytes())
for i in range(500):
    ob, r, *_ = env.step(i % env.action_space.n if hasattr(env.action_space, 'n') else env.action_space.sample())
    h.update(ob.tobytes()); h.update(np.float64(r).tobytes())
print(h.hexdigest())
"""


@pytest.mark.parametrize("task_name", ["PerceptualDecisionMaking", "ContextDecisionMaking", "ReadySetGo"])
def test_seeded_determinism_across_processes(task_name):
    digests = {
        subprocess.run([sys.executable, "-c", _DIGEST, task_name], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_pickle_and_deepcopy_continue_identically(task):
    env = taskspec.make(task)
    env.reset(seed=7)
    for _ in range(13):
        env.step(0)
    clones = [pickle.loads(pickle.dumps(env)), copy.deepcopy(env)]
    expected = [env.step(in_space(env, 1))[:2] for _ in range(50)]
    for clone in clones:
        got = [clone.step(in_space(clone, 1))[:2] for _ in range(50)]
        for (ob_a, r_a), (ob_b, r_b) in zip(expected, got, strict=True):
            np.testing.assert_array_equal(ob_a, ob_b)
            assert r_a == r_b


def test_pickle_into_a_fresh_process():
    env = taskspec.make("PerceptualDecisionMaking", sigma=0.25)
    env.reset(seed=3)
    blob = pickle.dumps(env)
    code = "import pickle, sys; env = pickle.loads(sys.stdin.buffer.read()); print(env.params['sigma'], env.step(0)[0])"
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True).stdout.decode()
    assert out.startswith("0.25")


def test_compiled_module_matches_load_time_class(task, tmp_path, monkeypatch):
    module_file = tmp_path / f"compiled_{task.replace('.', '_')}.py"
    module_file.write_text(taskspec.compile_source(task))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(module_file.stem)
    compiled_cls = next(v for v in vars(module).values()
                        if isinstance(v, type) and issubclass(v, taskspec.TrialEnv) and v is not taskspec.TrialEnv)
    a, b = taskspec.make(task), compiled_cls()
    assert compiled_cls.spec_origin is None  # the module needs no YAML
    ra, rb = a.reset(seed=9), b.reset(seed=9)
    np.testing.assert_array_equal(ra[0], rb[0])
    for i in range(400):
        sa, sb = a.step(in_space(a, i % 2)), b.step(in_space(b, i % 2))
        np.testing.assert_array_equal(sa[0], sb[0])
        assert sa[1:4] == sb[1:4]
    # the compiled class pickles by reference, as any importable class
    assert pickle.loads(pickle.dumps(b)).params == b.params


def test_new_trial_overrides_fix_variables():
    env = taskspec.make("PerceptualDecisionMaking")
    env.reset(seed=0)
    trial = env.new_trial(ground_truth=1, coh=51.2)
    assert trial == {"ground_truth": 1, "coh": 51.2}
    stim = env.ob[env.start_ind["stimulus"]:env.end_ind["stimulus"], 1:]
    assert stim[:, 1].mean() > stim[:, 0].mean()
    assert env.gt[-1] == env.action_space.name["choice"][1]
    with pytest.raises(taskspec.SpecError, match="did you mean 'coh'"):
        env.new_trial(cohh=3)


def test_parameter_overrides_are_checked():
    env = taskspec.make("PerceptualDecisionMaking", dim_ring=3, sigma=0.0, dt=50, rewards={"fail": -1})
    assert env.observation_space.shape == (4,) and env.action_space.n == 4
    assert env.observation_space.name == {"fixation": 0, "stimulus": [1, 2, 3]}
    assert env.rewards["fail"] == -1.0 and env.dt == 50
    env.reset(seed=0)
    assert len(env.ob) == 44
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.make("PerceptualDecisionMaking", sigmaa=1, dim_ring=1.5, rewards={"corect": 1}, timing={"stim": 1})
    text = str(err.value)
    for fragment in ["did you mean 'sigma'", "params.dim_ring: expected a whole number", "did you mean 'correct'",
                     "timing.stim: unknown period 'stim' (did you mean 'stimulus'?)"]:
        assert fragment in text
    with pytest.raises(taskspec.SpecError, match="below the minimum"):
        taskspec.make("PerceptualDecisionMaking", sigma=-1.0)


def test_timing_override_and_rounding_warning():
    env = taskspec.make("PerceptualDecisionMaking", timing={"stimulus": 500})
    env.reset(seed=0)
    assert env.end_ind["stimulus"] - env.start_ind["stimulus"] == 5
    with pytest.warns(taskspec.SpecWarning, match="stimulus: 550 ms is not a multiple of dt=100"):
        env = taskspec.make("PerceptualDecisionMaking", timing={"stimulus": 550})
    env.reset(seed=0)
    assert env.end_ind["stimulus"] - env.start_ind["stimulus"] == 5


def test_neurogym_surface():
    env = taskspec.make("ReadySetGo")
    env.reset(seed=2)
    assert env.in_period("fixation") and not env.in_period("production")
    assert env.start_ind["measure"] == env.start_ind["ready"]  # overlapping periods
    assert env.end_ind["measure"] == env.start_ind["set"]
    assert env.tmax == len(env.ob) * env.dt
    assert env.gt_now == env.gt[0] and np.array_equal(env.ob_now, env.ob[0])
    production = env.trial["production"]
    go_steps = np.flatnonzero(env.gt == 1)
    assert len(go_steps) == 1
    assert go_steps[0] * env.dt - env.end_t["measure"] == pytest.approx(production)
