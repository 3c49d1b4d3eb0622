"""`response:`, the shorthand for the usual fixation and decision rules.

The bundled tasks that use it were written with explicit `outcomes:` before; here each is
compared, step by step and in the vector env, with a variant that drops `response` and
restores the rules it stood for: rewards, performance and trial ends must be the same.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import taskspec
from taskspec.rl.vector import TrialVectorEnv

OLD_RULES = {
    "PerceptualDecisionMaking": """
  - {during: fixation, when: action != fixation, reward: abort}
  - {during: decision, when: action == target, reward: correct, performance: 1, end_trial: true}
  - {during: decision, when: action != fixation, reward: fail, end_trial: true}""",
    "GoNogo": """
  - {during: fixation, when: action != fixation, reward: abort}
  - {during: decision, when: action == go and ground_truth == 1, reward: correct, performance: 1, end_trial: true}
  - {during: decision, when: action == go, reward: fail, performance: 0, end_trial: true}""",
    "DelayPairedAssociation": """
  - {during: fixation, when: action != fixation, reward: abort}
  - {during: decision, when: action == go and ground_truth == 1, reward: correct, performance: 1, end_trial: true}
  - {during: decision, when: action == go, reward: fail, performance: 0, end_trial: true}""",
    "PostDecisionWager": """
  - {during: fixation, when: action != fixation, reward: abort}
  - {during: decision, when: action == sure and wager == 1, reward: sure_bet,
     performance: (sure_bet - fail) / (correct - fail), end_trial: true}
  - {during: decision, when: action == sure, reward: abort, end_trial: true}
  - {during: decision, when: action == target, reward: correct, performance: 1, end_trial: true}
  - {during: decision, when: action != fixation, reward: fail, end_trial: true}""",
}


def old_form(task: str) -> str:
    return f"task: old\nextends: {task}\nresponse: ~\noutcomes:{OLD_RULES[task]}\n"


def run_env(env, steps: int, seed: int) -> list:
    """Mostly the ground truth, sometimes a random action: reaches every rule."""
    rng = np.random.default_rng(seed)
    env.reset(seed=3)
    record = []
    for _ in range(steps):
        action = env.gt_now if rng.random() < 0.7 else rng.integers(env.action_space.n)
        _, reward, _, _, info = env.step(action)
        record.append((reward, info.get("new_trial", False), info.get("performance")))
    return record


@pytest.mark.parametrize("task", sorted(OLD_RULES))
def test_response_behaves_as_the_rules_it_replaced(task):
    assert taskspec.load_spec(task).response is not None
    new, old = taskspec.make(task), taskspec.make(spec_text=old_form(task))
    for seed in range(2):
        assert run_env(new, 400, seed) == run_env(old, 400, seed)
    vectors = [TrialVectorEnv(cls, 6) for cls in (taskspec.load(task), taskspec.load_text(old_form(task)))]
    rng = np.random.default_rng(0)
    for vec in vectors:
        vec.reset(seed=5)
    for _ in range(150):
        actions = rng.integers(vectors[0].single_action_space.n, size=6)
        results = [vec.step(actions) for vec in vectors]
        np.testing.assert_array_equal(results[0][1], results[1][1])  # rewards
        np.testing.assert_array_equal(results[0][2] | results[0][3], results[1][2] | results[1][3])


SPEC = """
task: t
dt: 100
rewards: {abort: -0.1, correct: 1.0, fail: -1.0}
observation: {fixation: 1, stimulus: 2}
action: {fixation: 1, choice: 2}
trial: {ground_truth: choice(2)}
periods: {fixation: 200, decision: 200}
inputs: [{during: fixation, where: fixation, value: 1}]
target: [{during: decision, value: "choice[ground_truth]"}]
"""


def judge(env, period: str, action: int) -> tuple[float, bool]:
    env.reset(seed=1)
    while not env.in_period(period):
        env.step(env.gt_now)
    _, reward, _, _, info = env.step(action)
    return reward, bool(info.get("new_trial"))


def test_derived_rules_and_their_defaults():
    env = taskspec.make(spec_text=SPEC + "response: {during: decision, hold: fixation}\n")
    assert judge(env, "fixation", 1) == (-0.1, False)  # abort, the trial goes on
    env.reset(seed=1)
    while not env.in_period("decision"):
        env.step(0)
    right = int(env.gt_now)
    assert judge(env, "decision", right) == (1.0, True)
    assert judge(env, "decision", 3 - right) == (-1.0, True)  # the other choice: fail
    assert judge(env, "decision", 0) == (0.0, False)  # still fixating: no answer yet
    bare = SPEC.replace("abort: -0.1, ", "").replace(", fail: -1.0", "")
    env = taskspec.make(spec_text=bare + "response: {during: decision, hold: fixation, correct: 2 * correct}\n")
    assert judge(env, "fixation", 1) == (0.0, False)  # no reward named abort: 0
    assert judge(env, "decision", 0)[0] == 0.0


def test_explicit_rules_come_first():
    rule = '{during: decision, when: "action == choice[0]", reward: 5, end_trial: true}'
    text = SPEC + f"response: {{during: decision}}\noutcomes:\n  - {rule}\n"
    env = taskspec.make(spec_text=text)
    assert judge(env, "decision", 1) == (5.0, True)
    assert judge(env, "fixation", 1) == (0.0, False)  # no `hold`: no abort rule


@pytest.mark.parametrize(
    "response, message",
    [
        ("{during: decision, hold: [fixation, decision]}", "period 'decision' is both in 'hold' and in 'during'"),
        ("{during: decison}", "unknown period 'decison' (did you mean 'decision'?)"),
        ("{during: decision, fixation: fixaton}", "unknown action group 'fixaton' (did you mean 'fixation'?)"),
    ],
)
def test_response_mistakes_are_located(response, message):
    with pytest.raises(taskspec.SpecError) as info:
        taskspec.load_text(SPEC + f"response: {response}\n")
    assert message in str(info.value) and "<string>:11:" in str(info.value)


def test_continuous_actions_are_refused():
    with pytest.raises(taskspec.SpecError, match="'response' judges discrete actions"):
        taskspec.load_text(SPEC + "action_type: continuous\nresponse: {during: decision}\n")


def test_a_missing_correct_reward_is_named():
    with pytest.raises(taskspec.SpecError, match="no reward is named 'correct'"):
        taskspec.load_text(SPEC.replace("correct: 1.0, ", "") + "response: {during: decision}\n")


def test_an_inherited_response_says_how_to_drop_it():
    text = "task: v\nextends: PerceptualDecisionMaking\nperiods: {decision: ~}\ntarget: []\n"
    with pytest.raises(taskspec.SpecError, match=r"inherited; 'response: ~' drops it"):
        taskspec.load_text(text)
    taskspec.load_text(text + "response: ~\n")


def test_the_tutorial_response_line_replaces_its_rules():
    page = (Path(__file__).resolve().parent.parent / "docs" / "tutorial.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", page, flags=re.S)
    spec = next(b for b in blocks if b.startswith("task: NoisyDecision\n"))
    line = next(b for b in blocks if b.startswith("response:"))
    short = spec[: spec.index("outcomes:")] + line
    assert run_env(taskspec.make(spec_text=short), 400, 0) == run_env(taskspec.make(spec_text=spec), 400, 0)


def test_a_variant_with_its_own_outcomes_drops_the_inherited_response():
    rule = "{during: decision, reward: 0.5, end_trial: true}"
    text = f"task: v\nextends: PerceptualDecisionMaking\noutcomes:\n  - {rule}\n"
    env = taskspec.make(spec_text=text)
    assert judge(env, "fixation", 1) == (0.0, False)  # no abort rule left
    assert judge(env, "decision", 0) == (0.5, True)


def test_most_bundled_tasks_use_response():  # the tutorial says so (outside the yang19 and Mod-Cog families)
    tasks = [t for t in taskspec.list_tasks() if not t.startswith(("yang19.", "modcog."))]
    assert sum(taskspec.load_spec(t).response is not None for t in tasks) > len(tasks) / 2
