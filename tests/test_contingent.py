"""Agent-contingent timing and trial history: the bundled examples behave as their descriptions say,
and mistakes in the new keys are located errors."""

import numpy as np
import pytest

import taskspec
from taskspec.errors import SpecError

PDM = "perceptualdecisionmaking"


def _observer(coh, rng, threshold=12.0):
    """A simulated observer: correct with a Weibull probability of the coherence (50% at 0)."""
    p = 1 - 0.5 * np.exp(-((coh / threshold) ** 1.5))
    return rng.random() < p


def _run_trials(env, n, choose):
    """Step `env` through `n` trials; `choose(env)` gives the action at a decision step.
    Returns each trial's variables and performance."""
    done = []
    trial = dict(env.trial)
    while len(done) < n:
        action = choose(env) if env.gt_now != env.action_index["fixation"] else env.gt_now
        _, _, _, _, info = env.step(action)
        if info["new_trial"]:
            done.append((trial, info["performance"]))
            trial = dict(env.trial)
    return done


def test_staircase_settles_near_70_7_percent_correct():
    env = taskspec.make(f"{PDM}.staircase")
    env.reset(seed=0)
    rng = np.random.default_rng(1)
    fixation = env.action_index["fixation"]

    def choose(env):
        right = _observer(env.trial["coh"], rng)
        return env.gt_now if right else [a for a in env.action_index["choice"] if a != env.gt_now][0] or fixation

    trials = _run_trials(env, 3000, choose)
    correct = np.array([perf for _, perf in trials[500:]])
    assert abs(correct.mean() - 0.707) < 0.03, correct.mean()
    levels = np.array([t["coh"] for t, _ in trials])
    # the rule, trial by trial: an error makes it easier, two corrects in a row harder
    streak = 0
    for (before, perf), (after, _) in zip(trials[:-1], trials[1:], strict=True):
        if perf < 1:
            expected, streak = min(before["coh"] * 1.25, 100), 0
        elif streak == 1:
            expected, streak = max(before["coh"] / 1.25, 0.5), 0
        else:
            expected, streak = before["coh"], 1
        assert after["coh"] == pytest.approx(expected)
    assert levels[0] == 51.2 and levels[500:].mean() < 30


def test_correction_trials_repeat_exactly_the_failed_stimulus():
    env = taskspec.make(f"{PDM}.correction")
    env.reset(seed=2)
    rng = np.random.default_rng(3)
    trials = _run_trials(env, 400, lambda env: env.gt_now if rng.random() < 0.6 else 3 - env.gt_now)
    repeats = 0
    for (before, perf), (after, _) in zip(trials[:-1], trials[1:], strict=True):
        assert after["correction"] == (perf < 1)
        if perf < 1:
            repeats += 1
            assert (after["ground_truth"], after["coh"]) == (before["ground_truth"], before["coh"])
    assert 100 < repeats < 250
    fresh = [t["ground_truth"] for t, _ in trials if not t["correction"]]
    assert 0.4 < np.mean(fresh) < 0.6  # new stimuli stay balanced


def test_curriculum_advances_when_the_criterion_is_met_and_not_before():
    env = taskspec.make(f"{PDM}.curriculum", window=20, criterion=0.8)
    env.reset(seed=4)
    rng = np.random.default_rng(5)
    # right 70% of the time for the first 100 trials (blocks rarely reach 80%), then 95%
    count = {"n": 0}

    def choose(env):
        return env.gt_now if rng.random() < (0.7 if count["n"] < 100 else 0.95) else 3 - env.gt_now

    trials = []
    trial = dict(env.trial)
    while len(trials) < 300:
        action = choose(env) if env.gt_now != 0 else 0
        _, _, _, _, info = env.step(action)
        if info["new_trial"]:
            trials.append((trial, info["performance"]))
            count["n"] += 1
            trial = dict(env.trial)
    stage, in_block, correct = 0, 0, 0
    for i, (trial, perf) in enumerate(trials):
        assert trial["stage"] == stage, i
        cohs = {51.2} if stage == 0 else ({25.6, 51.2} if stage == 1 else {0, 6.4, 12.8, 25.6, 51.2})
        assert trial["coh"] in cohs
        in_block, correct = in_block + 1, correct + (perf >= 1)
        if in_block == 20:
            if correct >= 16 and stage < 2:
                stage += 1
            in_block, correct = 0, 0
    assert stage == 2  # it did advance, at the block ends the rule names


def test_fixation_hold_starts_the_stimulus_and_max_wait_aborts():
    env = taskspec.make(f"{PDM}.fixationhold", hold=300, max_wait=1000)
    env.reset(seed=6)
    fixation = env.action_index["fixation"]
    # break fixation twice, then hold: the stimulus starts after three unbroken fixation steps
    actions = [fixation, fixation, 1, fixation, 1, fixation, fixation, fixation]
    periods = []
    for a in actions:
        _, _, _, _, info = env.step(a)
        periods.append(info["period"])
    assert periods == ["fixation"] * 8
    _, _, _, _, info = env.step(fixation)
    assert info["period"] == "stimulus" and env.t_ind == env.start_ind["stimulus"] + 1
    # a new trial in which the agent never fixates: aborted after max_wait, with the abort reward
    env.new_trial()
    rewards = []
    for _ in range(10):
        _, reward, _, _, info = env.step(1)
        rewards.append(reward)
    assert info["new_trial"] and info["period"] == "fixation"
    assert rewards[-1] == pytest.approx(2 * env.rewards["abort"])  # the rule's and the timeout's


def test_feedback_then_iti_and_a_longer_timeout_after_errors():
    env = taskspec.make(f"{PDM}.feedback")
    env.reset(seed=7)
    column = env.observation_space.name["feedback"]

    def play(answer):
        seen = []
        while True:
            right = env.gt_now
            action = right if answer or right == 0 else 3 - right
            ob, _, _, _, info = env.step(action)
            seen.append((info["period"], float(ob[column])))
            if info["new_trial"]:
                return seen

    correct = play(True)
    wrong = play(False)
    assert [p for p, _ in correct[1:] if p != "fixation"][:1] == ["stimulus"]
    periods = [p for p, _ in correct]
    assert "error_timeout" not in periods and periods.count("feedback") == 3 and periods.count("iti") == 5
    assert all(v == 1 for p, v in correct if p == "stimulus")  # the step after the answer shows +1
    periods = [p for p, _ in wrong]
    assert "feedback" not in periods and periods.count("error_timeout") == 15 and periods.count("iti") == 5
    # supervised data: the trials the ground truth lives through, feedback and all
    batch = taskspec.generate_trials(f"{PDM}.feedback", 20, seed=1)
    assert np.all(batch.length == 3 + 1 + 3 + 5)
    assert np.all(batch.ob[:, 4:7, column] == 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("periods: {a: 100, b: {duration: 100, then: nowhere}}", "unknown period 'nowhere'"),
        ("periods: {a: 100, b: {duration: 100, then: a}}", "can only move forward"),
        ("periods: {a: {duration: 100, then: c}, b: 100, c: 100}", "period 'b' can never start"),
        ("periods: {a: {duration: 100, otherwise: b}, b: 100}", "add 'until'"),
        ("periods: {a: 100, b: {duration: 100, after: a, until: t > 0}}", "cannot be combined"),
        (
            "outcomes: [{during: a, when: action == 1, goto: b, end_trial: true}]",
            "either ends the trial or goes to a period",
        ),
        ("outcomes: [{when: action == 1, goto: b}]", "needs 'during'"),
        ("session: {last_x: {init: 0, next: 0}}", "kept for the previous trial's values"),
        ("target: [{value: performance}]", "cannot depend on state variables or the performance"),
        ("trial: {x: last_performance}",
         "'last_performance' (the finished trial's value) cannot be read in trial variables; "
         "it can be read in session variables' 'next'"),
    ],
)
def test_mistakes_in_contingent_timing_are_located(change, message):
    base = {
        "task": "T",
        "dt": 100,
        "observation": "{o: 1}",
        "action": "{a: 2}",
        "periods": "{a: 100, b: 100}",
    }
    key = change.split(":")[0]
    lines = [f"{k}: {v}" for k, v in base.items() if k != key] + [change]
    with pytest.raises(SpecError) as error:
        taskspec.load_text("\n".join(lines), "mistake.yaml")
    text = str(error.value)
    assert message in text and "mistake.yaml>:" in text


def test_session_history_before_the_first_trial_is_zero():
    spec = """
task: H
dt: 100
observation: {o: 1}
action: {a: 2}
session:
  seen: {init: -5, next: "trials_done * 10 + last_performance + last_choice"}
  paid: {init: 0, next: last_reward}
trial: {x: seen}
periods: {a: 100}
outcomes:
  - {during: a, when: action == 1, reward: 2, performance: 1, end_trial: true}
timeout:
  - {reward: -3}
"""
    env = taskspec.load_text(spec, "h.yaml")()
    env.reset(seed=0)
    assert env.trial["x"] == -1  # 0 trials done, performance 0, no choice (-1)
    env.step(1)
    assert env.trial["x"] == 10 + 1 + 1 and env.trial["paid"] == 2
    env.step(0)  # runs out: no choice, and the timeout's reward counts in last_reward
    assert env.trial["x"] == 20 + 0 - 1 and env.trial["paid"] == -3


def test_a_duration_that_depends_on_the_outcome_through_until():
    spec = """
task: OutcomeITI
dt: 100
rewards: {correct: 1.0}
observation: {o: 1}
action: {wait: 1, go: 1}
periods:
  decision: {duration: 300, then: iti}
  iti: {duration: 2000, until: "performance == 1 and t - start('iti') >= 400"}
target:
  - {during: decision, value: go}
outcomes:
  - {during: decision, when: action == go, reward: correct, performance: 1, goto: iti}
"""
    env = taskspec.load_text(spec, "iti.yaml")()
    env.reset(seed=0)
    lengths = []
    for answer in (1, 0):  # a correct trial: 1 decision step + 5 iti steps; a missed one: 3 + 20
        steps = 0
        while True:
            _, _, _, _, info = env.step(answer if info_period(env) == "decision" else 0)
            steps += 1
            if info["new_trial"]:
                break
        lengths.append(steps)
    assert lengths == [1 + 5, 3 + 20]


def info_period(env):
    return next(p for p in env.timing if env.start_ind[p] <= env.t_ind < env.end_ind[p])


def test_staircase_example_runs(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent.parent / "examples" / "staircase.py"
    spec = importlib.util.spec_from_file_location("staircase_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cohs, correct = module.run(200)
    assert len(cohs) == 200 and cohs[0] == 51.2 and set(np.unique(correct)) <= {0.0, 1.0}
