"""The bundled paradigms that read the history of trials: a stop-signal task whose SSD follows a
staircase on how the last stop trial ended, and a shaping curriculum over a sliding window."""

from __future__ import annotations

import numpy as np

import taskspec

GO_MU, GO_SD, SSRT = 450.0, 80.0, 200.0  # the race-model agent's go times and stop-signal reaction time


def race_model(env, n_trials: int, seed: int) -> list[dict[str, float]]:
    """An independent race (Logan & Cowan, 1984): a go process finishing at a normal go RT after the
    go cue, a stop process finishing SSRT after the stop signal it sees; the first to finish wins."""
    rng = np.random.default_rng(seed)
    ob, _ = env.reset(seed=seed)
    trials = []
    while len(trials) < n_trials:
        go_rt, go_on, stop_seen, record = rng.normal(GO_MU, GO_SD), None, None, dict(env.trial)
        while True:
            action = 0
            if ob[1:3].sum() > 0:  # the go cue is shown
                go_on = env.t_ind if go_on is None else go_on
                t = (env.t_ind - go_on) * env.dt
                if ob[3] > 0 and stop_seen is None:
                    stop_seen = t
                stopped = stop_seen is not None and stop_seen + SSRT <= t
                if t >= go_rt and not stopped:
                    action = 1 + int(np.argmax(ob[1:3]))
            ob, _, _, _, info = env.step(action)
            if info["new_trial"]:
                trials.append({**record, "performance": info["performance"], "go_rt": go_rt})
                break
    return trials


def test_the_ssd_staircase_brings_a_race_model_to_stop_half_of_the_time():
    env = taskspec.make("stopsignal", ssd_start=0)
    trials = race_model(env, 1200, seed=1)
    stops = [t for t in trials if t["stop"]]
    ssds = np.array([t["ssd"] for t in stops])
    assert ssds[0] == 0 and ssds.max() > 150  # it climbed from 0
    steps = np.diff(ssds)
    for before, step in zip(stops, steps, strict=False):  # +50 after a stop, -50 after a failed one (or at a bound)
        assert step == (50 if before["performance"] == 1 else -50) or before["ssd"] in (0, 900)
    late = stops[len(stops) // 2 :]
    rate = np.mean([t["performance"] for t in late])
    assert 0.4 <= rate <= 0.6, rate
    go_rts = np.mean([t["go_rt"] for t in trials if not t["stop"]])
    ssrt = go_rts - np.mean([t["ssd"] for t in late])  # the mean method of SSRT estimation
    assert abs(ssrt - SSRT) < 60, ssrt


def test_go_trials_do_not_move_the_staircase():
    env = taskspec.make("stopsignal", stop_prob=0.0)
    trials = race_model(env, 30, seed=0)
    assert {t["ssd"] for t in trials} == {250}
    assert np.mean([t["performance"] for t in trials]) > 0.9


def _play_outcomes(env, outcomes: str) -> list[dict[str, float]]:
    """Each trial's variables as an agent fixates until the decision, then answers right (R) or wrong (W)."""
    env.reset(seed=0)
    trials = []
    for outcome in outcomes:
        trials.append({k: float(np.asarray(v)) for k, v in env.trial.items()})
        while True:
            gt = int(env.gt_now)
            action = (gt if outcome == "R" else 3 - gt) if gt > 0 else 0
            if env.step(action)[4]["new_trial"]:
                break
    return trials


def expected_stages(outcomes: str, window: int, criterion: float) -> list[int]:
    """The rule as a lab would write it: advance when >= criterion of the last `window` trials of
    the current stage were correct; never go back."""
    stage, in_stage, stages = 0, 0, []
    for i in range(len(outcomes)):
        stages.append(stage)
        in_stage += 1
        recent = outcomes[i - window + 1 : i + 1]
        if stage < 2 and in_stage >= window and recent.count("R") >= criterion * window:
            stage, in_stage = stage + 1, 0
    return stages


def _outcomes(p_right: list[float], n: int, seed: int) -> str:
    """Outcomes of a learner whose accuracy grows in steps (then drops at the end)."""
    rng = np.random.default_rng(seed)
    probs = np.repeat(p_right, n // len(p_right))
    return "".join("R" if rng.random() < p else "W" for p in probs)


def test_the_curriculum_advances_on_a_sliding_window_and_never_goes_back():
    outcomes = _outcomes([0.6, 0.9, 0.95, 0.3], 240, seed=2)
    env = taskspec.make("perceptualdecisionmaking.shaping", window=20)
    stages = [int(t["stage"]) for t in _play_outcomes(env, outcomes)]
    assert stages == expected_stages(outcomes, 20, 0.8)
    assert stages[-1] == 2 and np.all(np.diff(stages) >= 0)  # reached the last stage, kept it at 30% correct
    first = stages.index(1)
    assert outcomes[first - 20 : first].count("R") >= 16  # the 20 trials before the advance
    coh = [t["coh"] for t, s in zip(_play_outcomes(env, outcomes), stages, strict=True) if s == 0]
    assert set(coh) == {51.2}


def test_a_learner_below_criterion_stays_at_the_first_stage():
    outcomes = _outcomes([0.6], 200, seed=3)
    stages = [int(t["stage"]) for t in _play_outcomes(taskspec.make("perceptualdecisionmaking.shaping"), outcomes)]
    assert stages == expected_stages(outcomes, 50, 0.8)
    assert stages == [0] * 200
