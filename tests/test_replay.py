"""taskspec.web.replay without a browser: a log made by stepping the Python env replays with no
mismatch, and a log altered anywhere the page could go wrong shows exactly that step."""

import copy
import json

import pytest

from taskspec.web.replay import onset_drift, python_log, read_log, replay


def fixate_then_answer(answer_correctly):
    """Hold fixation, then in the decision period answer the ground truth (or the other choice)."""

    def policy(env, k):
        if env.gt[k] == 0:
            return 0
        truth = int(env.gt[k])
        return truth if answer_correctly else (1 if truth == 2 else 2)

    return policy


def early_breaker(env, k):
    """Leaves fixation at the first step (the abort penalty) and never answers."""
    return 1 if k == 0 else 0


@pytest.fixture(scope="module")
def pdm_log():
    return python_log("PerceptualDecisionMaking", fixate_then_answer(True), trials=12, seed=5)


def test_a_python_log_replays_with_no_mismatch(pdm_log):
    result = replay(pdm_log)
    assert result.equal, result.summary()
    assert result.trials == 12
    assert result.steps == sum(len(t["steps"]["action"]) for t in pdm_log["trials"]) > 12 * 20
    assert all(t["performance"] == 1 for t in pdm_log["trials"])


@pytest.mark.parametrize("policy", [fixate_then_answer(False), early_breaker])
def test_wrong_answers_and_aborts_replay_too(policy):
    log = python_log("PerceptualDecisionMaking", policy, trials=6, seed=1)
    assert all(t["performance"] == 0 for t in log["trials"])
    assert replay(log).equal, replay(log).summary()


def test_a_task_with_drawn_period_durations_replays(tmp_path):
    """MotorTiming draws its cue period's duration; replay fixes it from the logged bounds."""
    log = python_log("MotorTiming", lambda env, k: 0, trials=5, seed=2)
    durations = {t["periods"]["cue"][1] - t["periods"]["cue"][0] for t in log["trials"]}
    assert len(durations) > 1
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log))
    assert replay(path).equal, replay(path).summary()


def test_a_tampered_reward_is_the_one_mismatch(pdm_log):
    log = copy.deepcopy(pdm_log)
    log["trials"][3]["steps"]["reward"][-1] = 0.0  # the correct answer's reward, as a faulty page might log it
    mismatches = replay(log).mismatches
    assert len(mismatches) == 1
    m = mismatches[0]
    assert (m.trial, m.step, m.what, m.logged, m.replayed) == (
        3,
        len(log["trials"][3]["steps"]["reward"]) - 1,
        "reward",
        0.0,
        1.0,
    )
    assert "trial 3" in str(m) and "reward" in str(m)


def test_a_tampered_period_and_gt_show_at_their_step(pdm_log):
    log = copy.deepcopy(pdm_log)
    log["trials"][0]["steps"]["period"][0] = "stimulus"
    log["trials"][1]["steps"]["gt"][-1] = 3 - log["trials"][1]["steps"]["gt"][-1]
    found = {(m.trial, m.step, m.what) for m in replay(log).mismatches}
    last = len(log["trials"][1]["steps"]["gt"]) - 1
    assert (0, 0, "period") in found and (1, last, "gt") in found
    # trial 1's logged action now answers a target the Python env does not have: its reward differs too
    assert found <= {(0, 0, "period"), (1, last, "gt"), (1, last, "reward"), (1, last, "end"), (1, None, "performance")}


def test_a_trial_that_ends_at_another_step_is_reported(pdm_log):
    log = copy.deepcopy(pdm_log)
    steps = log["trials"][2]["steps"]
    for column in steps.values():  # the page ended the trial two steps early
        del column[-2:]
    last = len(steps["action"]) - 1
    mismatches = replay(log).mismatches
    assert [(m.trial, m.step, m.what, m.replayed) for m in mismatches] == [(2, last, "end", "still running")]


def test_a_broken_fixation_is_the_abort_reward_in_both(pdm_log):
    log = copy.deepcopy(pdm_log)
    log["trials"][2]["steps"]["action"][0] = 1  # the participant broke fixation; the page logged no penalty
    mismatches = replay(log).mismatches
    assert [(m.trial, m.step, m.what, m.replayed) for m in mismatches] == [(2, 0, "reward", -0.1)]


def test_a_changed_trial_variable_or_period_bound_is_reported(pdm_log):
    log = copy.deepcopy(pdm_log)
    log["trials"][4]["periods"]["stimulus"][1] += 100  # a longer stimulus than the log's steps ran
    found = {(m.trial, m.what) for m in replay(log).mismatches}
    assert (4, "end") in found or (4, "period") in found

    log = copy.deepcopy(pdm_log)
    log["trials"][6]["trial"]["nonexistent"] = 1
    assert any(m.trial == 6 and m.what == "trial" for m in replay(log).mismatches)


def test_a_file_that_is_not_a_log_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a taskspec log"):
        read_log({"format": "something else"})
    with pytest.raises(ValueError, match="version"):
        read_log({"format": "taskspec-human-log", "version": 99})


def test_onset_drift_measures_page_onsets_against_the_spec(pdm_log):
    log = copy.deepcopy(pdm_log)
    for trial in log["trials"]:
        trial["onsets_ms"] = {name: start + 16.7 for name, (start, end) in trial["periods"].items() if end > start}
    table = onset_drift(log)
    assert set(table) == {"fixation", "stimulus", "decision"}
    assert table["stimulus"]["mean"] == pytest.approx(16.7) and table["stimulus"]["n"] == 12
    assert table["stimulus"]["max_abs"] == pytest.approx(16.7)


def ground_truth_policy(env, k):
    return int(env.gt[k])


@pytest.mark.parametrize(
    "task",
    [
        "PerceptualDecisionMakingRT",  # the answer ends the trial (agent-contingent timing)
        "ReadySetGo",  # a period whose duration is a trial variable
        "DawTwoStep",  # a session variable drawn from the last trial's (logged, fixed in the replay)
        "AnnubesEnv",  # a session variable that trial variables read
        "DelayMatchSampleDistractor1D",  # a vector trial variable
    ],
)
def test_logs_of_other_kinds_of_task_replay(task):
    log = python_log(task, ground_truth_policy, trials=6, seed=3)
    result = replay(log)
    assert result.equal, result.summary()
    assert result.trials == 6


def test_session_variables_come_from_the_log():
    log = python_log("DawTwoStep", ground_truth_policy, trials=6, seed=3)
    for trial in log["trials"]:  # the page's generator drew other session values than NumPy's
        trial["trial"]["rich"] = 3 - trial["trial"]["rich"]
    found = {m.what for m in replay(log).mismatches}
    assert "trial" not in found  # replayed with the logged values, not drawn again
