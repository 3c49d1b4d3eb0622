"""The README's commands and examples stay true."""

import re
from pathlib import Path

import taskspec

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"^python3 -m venv .*$", README, flags=re.M)
    assert len(commands) == 2
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_annotated_spec_matches_the_bundled_task():
    spec = (ROOT / "tasks" / "PerceptualDecisionMaking.yaml").read_text()
    annotated = README[README.index("`tasks/PerceptualDecisionMaking.yaml`:") :]
    annotated = annotated[: annotated.index("```\n\n")]
    for key_line in re.findall(r"^(?:  - |)(\{during.*\})$", annotated, flags=re.M):
        assert key_line in spec
    response = re.search(r"^response: \{.*?\}", annotated, flags=re.M)
    assert response and response[0] in spec


def test_the_written_out_rules_are_what_response_stands_for():
    """The README's explicit rules, in place of `response:`, give the same rewards step by step."""
    import numpy as np

    rules = re.search(r"```yaml\n(outcomes:\n.*?)```", README, flags=re.S)[1]
    explicit = taskspec.make(spec_text=f"task: Explicit\nextends: PerceptualDecisionMaking\n{rules}")
    assert taskspec.load_spec("PerceptualDecisionMaking").response is not None
    short = taskspec.make("PerceptualDecisionMaking")
    runs = []
    for env in (short, explicit):
        rng = np.random.default_rng(0)
        env.reset(seed=2)
        runs.append([env.step(env.gt_now if rng.random() < 0.7 else rng.integers(3))[1] for _ in range(300)])
    assert runs[0] == runs[1] and any(r < 0 for r in runs[0]) and any(r > 0 for r in runs[0])


def test_readme_tag_example():
    assert taskspec.list_tasks(tag="blocks") == ["HierarchicalReasoning", "perceptualdecisionmaking.ibl20"]


def test_readme_registers_a_spec_file_in_one_call(tmp_path, monkeypatch):
    """The RL section's snippet, run as written on a spec file named as it names it."""
    import gymnasium as gym

    from taskspec.rl.vector import TrialVectorEnv

    snippet = next(block for block in re.findall(r"```python\n(.*?)```", README, flags=re.S)
                   if 'env_id = taskspec.register("my_task.yaml")' in block)
    spec = (ROOT / "tasks" / "GoNogo.yaml").read_text().replace("task: GoNogo", "task: MyTask")
    (tmp_path / "my_task.yaml").write_text(spec)
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(snippet, names)  # noqa: S102 - the README's own snippet
    assert names["env_id"] == "taskspec/MyTask-v0"
    assert isinstance(names["envs"], TrialVectorEnv) and names["envs"].num_envs == 64
    assert isinstance(names["sync"], gym.vector.SyncVectorEnv)
    assert names["env"].unwrapped.task_name == "MyTask"
