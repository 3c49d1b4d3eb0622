"""Ray (issues 13, 22): RLlib trains on a bundled task by its plain gymnasium id, on a registered spec and on
spec text, and reports per-trial returns; Ray tasks export the same shards as serial runs; Ray Data feeds
Parquet observations to torch as tensors.

Runs where Ray is installed (`pip install 'taskspec[ray]'`; CI builds a separate venv for it,
see .ci/run), on a local cluster of 2 CPUs.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'taskspec[ray]'; see the README)")
pq = pytest.importorskip("pyarrow.parquet", reason="the shard export needs pyarrow")

import taskspec  # noqa: E402
import taskspec.rl.distributed as td  # noqa: E402
from taskspec.cli import main  # noqa: E402

SPEC_TEXT = """
task: TextTask
dt: 100
params: {sigma: 0.5}
observation: {fixation: 1, stimulus: 2}
action: {fixation: 1, choice: 2}
trial: {ground_truth: choice(2)}
periods: {fixation: 200, stimulus: 300, decision: 100}
inputs:
  - {during: fixation, where: fixation, value: 1}
  - {during: stimulus, where: stimulus, value: "onehot(ground_truth, 2)", noise: sigma}
target:
  - {during: decision, value: "choice[ground_truth]"}
rewards: {correct: 1.0}
outcomes:
  - {during: decision, when: action == target, reward: correct, performance: 1, end_trial: true}
  - {during: decision, when: action != fixation, end_trial: true}
"""


@pytest.fixture(scope="module")
def cluster():
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _two_ppo_iterations(env, env_config=None, vectorize="vector_entry_point", callbacks=None):
    from ray.rllib.algorithms.ppo import PPOConfig

    config = (PPOConfig().environment(env, env_config=env_config or {})
              .env_runners(num_env_runners=1, num_envs_per_env_runner=4, rollout_fragment_length=100,
                           gym_env_vectorize_mode=vectorize)
              .training(train_batch_size=400, minibatch_size=100, num_epochs=1))
    if callbacks is not None:
        config = config.callbacks(callbacks)
    algo = config.build_algo()
    try:
        results = [algo.train() for _ in range(2)]
    finally:
        algo.stop()
    assert [r["training_iteration"] for r in results] == [1, 2]
    assert results[-1]["num_env_steps_sampled_lifetime"] >= 800
    return results


def test_rllib_ppo_on_the_plain_gymnasium_id_reports_trial_returns(cluster):
    # No "taskspec:" prefix: the env runner (a process that never imported taskspec) finds the id in
    # Ray Tune's registry, where importing taskspec here put it (issue 22).
    from taskspec.rl.rllib_metrics import TrialMetrics

    results = _two_ppo_iterations("taskspec/PerceptualDecisionMaking-v0", callbacks=TrialMetrics)
    runners = results[-1]["env_runners"]
    assert runners["num_episodes_lifetime"] == 0  # a continuing task: RLlib sees no episode end
    # 800 steps; a trial lasts at least 3 steps (fixation, stimulus and decision of 100 ms each at least)
    assert 1 <= runners["num_trials_lifetime"] <= 800 // 3
    assert 0.0 <= runners["trial_return_mean"] <= 1.0 and 0.0 <= runners["trial_performance_mean"] <= 1.0


def test_rllib_ppo_on_a_registered_spec(cluster):
    env_id = taskspec.register("lab/TextTask-v0", spec_text=SPEC_TEXT, sigma=0.3)  # no file: the text travels
    results = _two_ppo_iterations(env_id, {"sigma": 0.1}, vectorize="sync")
    assert results[-1]["env_runners"]["num_episodes_lifetime"] == 0


def test_rllib_finds_the_ids_whichever_of_ray_and_taskspec_is_imported_first():
    # This process imported taskspec first (the RLlib tests above); here Ray Tune comes first.
    code = ("import ray.tune.registry as r; import taskspec; "
            "taskspec.register('lab/Mine-v0', 'GoNogo'); "
            "print(all(r._global_registry.contains(r.ENV_CREATOR, i) "
            "for i in ('taskspec/PerceptualDecisionMaking-v0', 'lab/Mine-v0')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.split()[-1] == "True"


def test_the_rllib_creator_builds_single_and_native_vector_envs():
    from taskspec.rl.rllib_registry import _ids, rllib_env

    registration = _ids["taskspec/PerceptualDecisionMaking-v0"]
    env = rllib_env(registration, {"sigma": 0.25})
    assert env.task_name == "PerceptualDecisionMaking" and env.params["sigma"] == 0.25
    vector = rllib_env(registration, {"num_envs": 3})
    assert type(vector).__name__ == "TrialVectorEnv" and vector.num_envs == 3
    episodic = rllib_env(registration, {"num_envs": 2, "episode": "trial"})
    assert type(episodic).__name__ == "SteppedVectorEnv"


def test_rllib_ppo_on_spec_text(cluster):
    name = td.register_rllib()
    _two_ppo_iterations(name, {"spec_text": SPEC_TEXT, "sigma": 0.2})


def test_ray_brings_its_own_gymnasium_within_taskspecs_bounds():
    import gymnasium

    assert ray.__version__.startswith("2.60.") and gymnasium.__version__ == "1.2.2"  # as the README says


def test_env_creator_gives_single_and_native_vector_envs():
    env = td.env_creator({"spec_text": SPEC_TEXT, "sigma": 0.1})
    assert env.params["sigma"] == 0.1 and env.task_name == "TextTask"
    vec = td.env_creator({"task": "PerceptualDecisionMaking", "num_envs": 3})
    assert type(vec).__name__ == "TrialVectorEnv" and vec.num_envs == 3
    with pytest.raises(ValueError, match="exactly one of"):
        td.env_creator({"sigma": 0.1})


def test_ray_tasks_export_the_same_shards_as_serial_runs(cluster, tmp_path):
    n = 9000
    paths = td.export_shards("perceptualdecisionmaking.ibl20", n, 4, tmp_path / "ray", shards=2)
    assert [p.name for p in paths] == ["part-00000-of-00002.parquet", "part-00001-of-00002.parquet"]
    for i, path in enumerate(paths):
        serial = tmp_path / f"serial{i}.parquet"
        assert main(["dataset", "perceptualdecisionmaking.ibl20", "-n", str(n), "-o", str(serial), "--seed", "4",
                     "--shard", f"{i}/2", "--quiet"]) == 0
        assert pq.read_table(path).equals(pq.read_table(serial), check_metadata=True)
    frame = ray.data.read_parquet(str(tmp_path / "ray")).to_pandas()
    assert sorted(frame["trial"]) == list(range(n))
    whole = taskspec.generate_trials("perceptualdecisionmaking.ibl20", n, seed=4, shard=(0, 1))
    frame = frame.sort_values("trial")
    np.testing.assert_array_equal(frame["length"], whole.length)
    np.testing.assert_array_equal(frame["trial_block"], whole.variables["block"])


def test_export_shards_on_spec_text(cluster, tmp_path):
    paths = td.export_shards(None, 100, 0, tmp_path, shards=1, spec_text=SPEC_TEXT, sigma=0.0)
    table = pq.read_table(paths[0])
    assert table.num_rows == 100 and taskspec.data.export.read_manifest(paths[0])["task"] == "TextTask"
    with pytest.raises(ValueError, match=r"shards must be between 1 and the number of trials \(100\)"):
        td.export_shards(None, 100, 0, tmp_path, shards=101, spec_text=SPEC_TEXT)  # one shard would be empty


def test_ray_data_feeds_parquet_observations_to_torch(cluster, tmp_path):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    out = tmp_path / "pdm.parquet"
    assert main(["dataset", "PerceptualDecisionMaking", "-n", "200", "-o", str(out), "--seed", "2", "--quiet"]) == 0
    written = taskspec.data.export.read_parquet(out)
    batches = list(ray.data.read_parquet(str(out)).iter_torch_batches(batch_size=64))
    assert [len(b["length"]) for b in batches] == [64, 64, 64, 8]
    ob = torch.cat([b["ob"] for b in batches])
    assert ob.dtype == torch.float32 and tuple(ob.shape) == written.ob.shape  # (trials, longest trial, obs)
    np.testing.assert_array_equal(ob.numpy(), written.ob)
    np.testing.assert_array_equal(torch.cat([b["gt"] for b in batches]).numpy(), written.gt)
