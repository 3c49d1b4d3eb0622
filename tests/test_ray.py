"""Ray (issue 13): RLlib trains on a bundled task and on spec text; Ray tasks export the same shards as serial runs.

Runs where Ray is installed (`pip install 'taskspec[ray]'`; CI builds a separate venv for it,
see .ci/run), on a local cluster of 2 CPUs.
"""

import os

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'taskspec[ray]'; see the README)")
pq = pytest.importorskip("pyarrow.parquet", reason="the shard export needs pyarrow")

import taskspec  # noqa: E402
import taskspec.distributed as td  # noqa: E402
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


def _two_ppo_iterations(env, env_config=None, vectorize="vector_entry_point"):
    from ray.rllib.algorithms.ppo import PPOConfig

    config = (PPOConfig().environment(env, env_config=env_config or {})
              .env_runners(num_env_runners=1, num_envs_per_env_runner=4, rollout_fragment_length=100,
                           gym_env_vectorize_mode=vectorize)
              .training(train_batch_size=400, minibatch_size=100, num_epochs=1))
    algo = config.build_algo()
    try:
        results = [algo.train() for _ in range(2)]
    finally:
        algo.stop()
    assert [r["training_iteration"] for r in results] == [1, 2]
    assert results[-1]["num_env_steps_sampled_lifetime"] >= 800
    return results


def test_rllib_ppo_on_a_bundled_task_by_gymnasium_id(cluster):
    # "module:id": gymnasium imports taskspec in each worker, registering taskspec/...-v0 there;
    # the vector_entry_point mode gives the native vector env.
    _two_ppo_iterations("taskspec:taskspec/PerceptualDecisionMaking-v0")


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
    assert table.num_rows == 100 and taskspec.export.read_manifest(paths[0])["task"] == "TextTask"
    with pytest.raises(ValueError, match=r"shards must be between 1 and the number of trials \(100\)"):
        td.export_shards(None, 100, 0, tmp_path, shards=101, spec_text=SPEC_TEXT)  # one shard would be empty
